"""SFFI028 static-archive-order."""

from __future__ import annotations

import os

from ..types import Rule, Severity
from ._static import checked_links, object_key, placements, shown

RULE = Rule(
    code="SFFI028",
    name="static-archive-order",
    severity=Severity.ERROR,
    summary="A linked object needs a symbol that an archive earlier in the link order defines: ld's single pass misses it.",
    doc="""
## What it does
GNU ld reads an archive once, when it reaches it on the command line, and
pulls only the members that define what is undefined at that moment. A member
pulled later (from a later archive) that needs a symbol of an earlier archive
is left with an undefined reference, although the symbol is right there. This
rule reports such references: they are resolved when the same inputs are
linked as a group (`--start-group ... --end-group`) or reordered.

## Why is this bad?
The link fails with `undefined reference`, and the message does not say that
the definition exists: the order of `[[libraries]]` (the link's order) is the
cause.

## Example
```toml
[[libraries]]
path = "build/libcore.a"     # defines k_panic
[[libraries]]
path = "build/libdrivers.a"  # its uart.o calls k_panic
```
List `libdrivers.a` before `libcore.a`, or link them with `--start-group` (and say `group = true`
on both `[[libraries]]` entries, so the check links them as the build does).
""",
)


def check(ctx):
    for cl in checked_links(ctx):
        if cl.group is None:
            continue
        for ref in cl.link.unresolved:
            d = cl.group.definitions.get(ref.name)
            if d is None:
                continue
            where = object_key(d.path, d.member)
            needers = ", ".join(shown(w) for w in ref.needed_by)
            message = (f"{needers} needs `{ref.name}`, which {shown(where)} defines, but "
                       f"{os.path.basename(d.path)} comes earlier in the link order and ld reads an archive "
                       "only once: list it after the objects that need it, or link the archives as a group")
            for who in ref.needed_by:
                for path, span, symbol in placements(ctx, cl, [who], who.partition("(")[0]):
                    yield RULE.finding(path, span, message, symbol=symbol)
