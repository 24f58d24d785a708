"""SFFI037 signedness-mismatch."""

from __future__ import annotations

from ..types import Rule, Severity
from .signature_mismatch import comparisons

RULE = Rule(
    code="SFFI037",
    name="signedness-mismatch",
    severity=Severity.WARNING,
    summary="The declaration differs from the real signature only in signedness, at the same width.",
    doc="""
## What it does
Reports a resolved extern whose declaration agrees with the DWARF or built-in
signature in every width, float-ness and pointer-ness, and differs only in
the signedness of some same-width integer (`i32` declared, `uint32_t` in C).
Any other difference makes the whole declaration SFFI008's
(signature-mismatch) instead, which lists the signedness differences too.
With this rule switched off, SFFI008 reports these declarations as well.

## Why is this bad?
The bits cross the ABI unchanged, so nothing is corrupted in registers, but
values beyond the signed range read back negative (or a negative one reads
as a huge count): a length, a size or an error code is misread. It is less
urgent than a width or arity difference, hence a warning by default
(`[rules.severity] SFFI037 = "error"` makes it one).

## Example
```c
uint32_t rt_pixel_count(int32_t w, int32_t h);
```
```simple
extern fn rt_pixel_count(w: i32, h: i32) -> i32   # C returns uint32_t
```
Use instead:
```simple
extern fn rt_pixel_count(w: i32, h: i32) -> u32
```
""",
)


def check(ctx):
    for c in comparisons(ctx):
        if c.signedness_only:
            yield RULE.finding(c.decl.path, c.span, c.message, symbol=c.decl.name, related=c.related, fixes=c.fixes)
