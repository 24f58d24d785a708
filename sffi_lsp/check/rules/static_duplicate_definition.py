"""SFFI026 static-duplicate-definition."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._static import checked_links, object_key, placements, shown

RULE = Rule(
    code="SFFI026",
    name="static-duplicate-definition",
    severity=Severity.ERROR,
    summary="Two objects of a static link define the same name strongly (ld: \"multiple definition\").",
    doc="""
## What it does
Models the static link of the configured objects and archives (the members ld
would pull for the checked externs) and reports each name that two linked
objects define as strong (GLOBAL, not COMMON) symbols. Weak definitions give
way to a strong one and COMMON symbols merge, so neither is reported. The
finding names both objects and goes on the externs they provide.

## Why is this bad?
GNU ld stops with `multiple definition of 'name'; first defined here`: the
program does not link at all. Which definition an extern would have reached is
undefined until one of them goes.

## Example
`serial.o` and `libboot.a(console.o)` both define `serial_println`: make one
`static`, or `__attribute__((weak))`, or drop it from the link.
""",
)


def check(ctx):
    for cl in checked_links(ctx):
        for dup in cl.link.duplicates:
            first = object_key(dup.first.path, dup.first.member)
            second = object_key(dup.second.path, dup.second.member)
            message = (f"`{dup.name}` is defined by both {shown(first)} and {shown(second)}: "
                       f"the static link fails with \"multiple definition of `{dup.name}'\"")
            related = (Related(dup.first.path, None, f"first definition: {shown(first)}"),
                       Related(dup.second.path, None, f"second definition: {shown(second)}"))
            seen = set()
            for path, span, symbol in placements(ctx, cl, [first, second], dup.second.path):
                if (path, span) not in seen:
                    seen.add((path, span))
                    yield RULE.finding(path, span, message, symbol=symbol, related=related)
