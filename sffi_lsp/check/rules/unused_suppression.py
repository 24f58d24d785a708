"""SFFI030 unused-suppression."""

from __future__ import annotations

from ..types import Rule, Severity
from ._suppressions import rewrite
from .unknown_suppression_code import known_code

RULE = Rule(
    code="SFFI030",
    name="unused-suppression",
    severity=Severity.WARNING,
    cross_file=True,  # what a comment hides may be a cross-file rule's finding
    summary="A suppression comment (or one of its codes) hides no finding.",
    doc="""
## What it does
After the other rules ran, reports each `# sffi: ignore[...]` /
`# sffi: ignore-file[...]` comment that hid nothing, and each code of one that
hid nothing with that code (like ruff's RUF100). Codes of rules that are not
enabled in this run are not reported (the comment may be for a run that
enables them), nor are unknown codes (SFFI029 reports those). The fix removes
the unused codes, or the whole comment. Cross-file rules see the whole project
even when only some files are checked, so a suppression of, say, SFFI012 is
judged the same way in both.

## Why is this bad?
A suppression that hides nothing is noise, and it will silently hide a real
finding that appears on that line later.

## Example
```simple
extern fn rt_file_exists(path: text) -> bool   # sffi: ignore[SFFI001] (it resolves now)
```
Use instead:
```simple
extern fn rt_file_exists(path: text) -> bool
```
""",
)


def check(ctx):
    """Runs after suppression (see `check_after`): nothing to do in the first pass."""
    return ()


def check_after(ctx):
    by_key = {r.code: r for r in ctx.all_rules} | {r.name.upper(): r for r in ctx.all_rules}
    used = ctx.suppressions_used
    on = ctx.rules_on
    for source in ctx.workspace.files:
        for i, s in enumerate(source.suppressions):
            if s.span is None:
                continue
            hit = used.get((source.path, i), set())
            if not s.codes:
                if not hit:
                    fix = rewrite(source.path, s, [], "Remove the unused suppression")
                    yield RULE.finding(source.path, s.span, "suppression comment hides no finding",
                                       fixes=(fix,) if fix is not None else ())
                continue
            unused = []
            for code in s.codes:
                if code in hit or not known_code(code, ctx.all_rules):
                    continue
                rule = by_key.get(code.strip().upper())
                enabled = (rule.code in on) if rule is not None else any(c.startswith(code.upper()) for c in on)
                if enabled:
                    unused.append(code)
            if not unused:
                continue
            kept = [c for c in s.codes if c not in unused]
            fix = rewrite(source.path, s, kept, "Remove the unused suppression" if not kept
                          else "Remove the unused code" + ("s" if len(unused) > 1 else ""))
            listed = ", ".join(f"`{c}`" for c in unused)
            what = "suppression comment hides no finding" if not kept else f"suppression of {listed} hides no finding"
            if not kept and len(s.codes) > 0:
                what += f" ({listed})"
            yield RULE.finding(source.path, s.span, what, fixes=(fix,) if fix is not None else ())
