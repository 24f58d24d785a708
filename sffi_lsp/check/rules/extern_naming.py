"""SFFI017 extern-naming (opt-in)."""

from __future__ import annotations

from ..types import Rule, Severity
from ._common import is_class_member

RULE = Rule(
    code="SFFI017",
    name="extern-naming",
    severity=Severity.WARNING,
    default_enabled=False,
    summary="Opt-in: the extern name does not start with `rt_`, `spl_` or a configured prefix.",
    doc="""
## What it does
Reports externs whose names do not start with one of the allowed prefixes
(`rt_` and `spl_` by default; set `rules.naming-prefixes` to change them).
Off by default: enable it with `--select SFFI017` or `rules.extend-select`.

## Why is this bad?
The runtime maps `rt_<prefix>_*` to satellite libraries and built-in
families by prefix; names outside the convention (such as the `simple_`
prefix an older wrapper generator emitted) are never found that way and are
hard to grep for.

## Example
```simple
extern fn simple_json_parse(src: text) -> i64
```
Use instead:
```simple
extern fn rt_json_parse(src: text) -> i64
```
""",
)


def check(ctx):
    prefixes = tuple(ctx.config.rules.naming_prefixes) or ("rt_", "spl_")
    shown = ", ".join(f"`{p}`" for p in prefixes)
    for _, decl in ctx.externs():
        if decl.name.startswith(prefixes) or is_class_member(decl):
            continue
        yield RULE.finding(
            decl.path,
            decl.name_span,
            f"`{decl.name}` does not start with an allowed extern prefix ({shown})",
            symbol=decl.name,
        )
