"""SFFI029 unknown-suppression-code."""

from __future__ import annotations

from ..types import Rule, Severity
from ._suppressions import rewrite

RULE = Rule(
    code="SFFI029",
    name="unknown-suppression-code",
    severity=Severity.WARNING,
    summary="A suppression comment names a code or rule name that no rule has.",
    doc="""
## What it does
Reads every `# sffi: ignore[...]` and `# sffi: ignore-file[...]` comment and
reports the entries that match no rule: not a code (`SFFI001`), not a code
prefix (`SFFI0`), not a rule name (`unresolved-extern`). The fix removes them
(the whole comment when nothing else is left).

## Why is this bad?
A misspelt code suppresses nothing, so the finding it was meant to hide still
shows up, or, worse, the comment looks like a deliberate decision that no one
re-examines.

## Example
```simple
extern fn rt_time_now_ms() -> i64   # sffi: ignore[SFFI0001]
```
Use instead:
```simple
extern fn rt_time_now_ms() -> i64   # sffi: ignore[SFFI001]
```
""",
)


def known_code(code: str, rules) -> bool:
    """A code, code prefix or rule name of one of `rules` (or ALL)."""
    c = code.strip()
    return c.upper() == "ALL" or any(r.code.startswith(c.upper()) or r.name == c.lower() for r in rules)


def check(ctx):
    for source in ctx.workspace.files:
        for s in source.suppressions:
            unknown = [c for c in s.codes if not known_code(c, ctx.all_rules)]
            if not unknown or s.span is None:
                continue
            kept = [c for c in s.codes if c not in unknown]
            fix = rewrite(source.path, s, kept, "Remove the unknown code" + ("s" if len(unknown) > 1 else ""))
            listed = ", ".join(f"`{c}`" for c in unknown)
            yield RULE.finding(
                source.path, s.span,
                f"suppression comment names {listed}, which no rule has (see `sffi-check rules`)",
                fixes=(fix,) if fix is not None else (),
            )
