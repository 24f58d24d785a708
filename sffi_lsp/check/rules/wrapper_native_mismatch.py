"""SFFI035 wrapper-native-mismatch."""

from __future__ import annotations

import os

from ...model import Span
from ..types import Related, Rule, Severity
from ._wrapper import spec_span, spec_tiers

RULE = Rule(
    code="SFFI035",
    name="wrapper-native-mismatch",
    severity=Severity.ERROR,
    summary="The tier-1 library's `extern \"C\" fn` disagrees with its wrapper spec.",
    doc="""
## What it does
Reads the signature of each generated symbol the wrapper library exports and
compares it with what the generator's tier 1 would declare for the spec. The
signature comes from the tier-1 crate's own `#[no_mangle] extern "C" fn`
when its sources are found (`.build/rust/ffi_<name>/` next to the spec or the
project root, or the library's `libraries.sources`), so a release build is
compared too; otherwise from the library's DWARF debug information (a debug
build, or a C library built with `-g`). The spec's tier 1 declares `text` as
`*const c_char` (a `*mut c_char` result), `[i64]`/`[f64]` parameters as
pointers, handles and array results as `i64`, scalars as themselves, an empty
return as `()`. Reported on the spec's
line, with the crate's (or DWARF's) source line as related information. A C
library without debug information is not compared.

## Why is this bad?
The Simple side is generated from the spec and the native side was edited or
generated from another version of it: the arguments cross the ABI in the
wrong registers or widths, silently.

## Example
```rust
#[no_mangle]
pub extern "C" fn rt_demo_box_new(size: i32) -> i64 { 0 }   // the spec says size: i64
```
""",
)


def check(ctx):
    from ...binary.types import CSignature  # noqa: PLC0415
    from ..tiers import compare_native  # noqa: PLC0415

    for tiers in spec_tiers(ctx):
        path = getattr(tiers.library, "path", None)
        for e in tiers.expected:
            sig = tiers.signatures.get(e.symbol)
            if not isinstance(sig, CSignature):
                continue
            problems = compare_native(e, sig, tiers.spec)
            if not problems:
                continue
            related = []
            if sig.file:
                line = max((sig.line or 1) - 1, 0)
                related.append(Related(sig.file, Span(0, 0, line, 0, line, 0), f"defined here: `{sig.text()}`"))
            elif path:
                related.append(Related(path, None, f"exported by {os.path.basename(path)}: `{sig.text()}`"))
            yield RULE.finding(
                tiers.spec.path, spec_span(e.line, e.column, e.length),
                f"the library's `{e.symbol}` disagrees with the spec: " + "; ".join(problems),
                symbol=e.symbol, related=tuple(related))
