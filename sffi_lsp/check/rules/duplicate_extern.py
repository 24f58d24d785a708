"""SFFI010 duplicate-extern."""

from __future__ import annotations

from ..types import Applicability, Fix, Related, Rule, Severity, TextEdit
from ._common import declaration_lines, same_context, signature_key

RULE = Rule(
    code="SFFI010",
    name="duplicate-extern",
    severity=Severity.WARNING,
    summary="The same extern is declared more than once in one file.",
    doc="""
## What it does
Reports a second (third, ...) declaration of the same extern name in one file,
in the same `@when` branch and scope. Declarations in `@when`/`@else`
alternatives are not duplicates, and neither are local externs of blocks that
are not functions (a spec's `it "..."` / `describe` bodies each declare their own).

## Why is this bad?
The later declaration is dead weight at best; when the two disagree, readers
cannot tell which one the code was written against.

## Example
```simple
extern fn rt_time_now_ms() -> i64
...
extern fn rt_time_now_ms() -> i64   # again
```
""",
)


def check(ctx):
    for source in ctx.workspace.files:
        seen: dict[tuple, list] = {}
        for decl in source.externs:
            if decl.enclosing_fn is None and decl.block is None and decl.span.start_column > 0:
                # indented, yet in no function: a local extern of a block the
                # reader does not track as a scope (a spec's `it "..."` /
                # `describe` body). Two such blocks may each declare it.
                continue
            key = (decl.name, decl.enclosing_fn, decl.block)
            prior = seen.get(key)
            earlier = next((e for e in prior if same_context(e, decl)), None) if prior else None
            seen.setdefault(key, []).append(decl)
            if earlier is None:
                continue
            same = signature_key(earlier) == signature_key(decl)
            fixes = ()
            if same:
                # safe when nothing but the repeat goes: same condition, same attributes
                exact = earlier.when == decl.when and _attrs(earlier) == _attrs(decl)
                fixes = (Fix("Remove the duplicate declaration", (TextEdit(decl.path, declaration_lines(decl), ""),),
                             applicability=Applicability.SAFE if exact else Applicability.UNSAFE),)
            how = "with the same signature" if same else "with a different signature"
            yield RULE.finding(
                decl.path,
                decl.name_span,
                f"`{decl.name}` is already declared in this file (line {earlier.name_span.start_line + 1}) {how}",
                symbol=decl.name,
                related=(Related(earlier.path, earlier.name_span, f"first declaration of `{decl.name}`"),),
                fixes=fixes,
            )


def _attrs(decl) -> tuple:
    return tuple((a.name, a.args_text) for a in decl.attributes)
