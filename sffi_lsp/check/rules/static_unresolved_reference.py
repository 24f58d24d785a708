"""SFFI027 static-unresolved-reference."""

from __future__ import annotations

from ..types import Rule, Severity
from ._static import checked_links, placements, shown

RULE = Rule(
    code="SFFI027",
    name="static-unresolved-reference",
    severity=Severity.ERROR,
    summary="An object the static link pulls in needs symbols nothing in the link defines (ld: \"undefined reference\").",
    doc="""
## What it does
For the objects a static link of the configured `.o` / `.a` files takes (every
object, and each archive member ld pulls for the checked externs, with the
members those need), reports the undefined references that no linked object
defines (nor ld itself: `_end`, `__bss_start`, `__start_SECTION`, ...). Weak
references are not reported: they resolve to 0. The finding goes on the
externs that the needy object provides.

## Why is this bad?
GNU ld stops with `undefined reference to 'name'`: even an extern that is found
is useless if the object defining it cannot be linked. This is the static
counterpart of SFFI018, and worse: nothing is lazy in a static link.

## Example
`libkernel.a(timer.o)` provides `rt_timer_ticks`, which calls
`timer_backend_read`, defined nowhere in the link: add the object that defines
it (e.g. `arch/x86_64/boot/pit.o`) to `[[libraries]]`.
""",
)


def check(ctx):
    for cl in checked_links(ctx):
        in_group = cl.group.definitions if cl.group is not None else {}
        by_referrer: dict[str, list[str]] = {}
        for ref in cl.link.unresolved:
            if ref.name in in_group:
                continue  # an order problem: SFFI028
            for who in ref.needed_by:
                by_referrer.setdefault(who, []).append(ref.name)
        for who, names in by_referrer.items():
            listed = ", ".join(f"`{n}`" for n in sorted(names)[:5]) + (
                f" and {len(names) - 5} more" if len(names) > 5 else "")
            message = (f"{shown(who)} is linked but needs {listed}, which nothing in the static link defines: "
                       "ld fails with \"undefined reference\"")
            archive = who.partition("(")[0]
            for path, span, symbol in placements(ctx, cl, [who], archive):
                yield RULE.finding(path, span, message, symbol=symbol)
