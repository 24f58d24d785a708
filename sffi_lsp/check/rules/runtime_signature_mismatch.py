"""SFFI023 runtime-signature-mismatch."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._runtime import judged

RULE = Rule(
    code="SFFI023",
    name="runtime-signature-mismatch",
    severity=Severity.ERROR,
    summary="The declaration disagrees with the runtime's own Rust definition of the function, under the ABI profile.",
    doc="""
## What it does
With the runtime's sources known, compares each extern the runtime provides
with the runtime crate's C-ABI definition (`#[no_mangle] pub extern "C" fn`,
or an `extern "C" { fn ... }` declaration of a C-defined function): the
number of C arguments, each parameter and the result, under the configured
ABI profile (`native`: `text` is `*const u8, u64`; `cstring`: `*const u8`;
`dynamic`: one `i64` each). The Rust types are the ground truth.

## Why is this bad?
Nothing checks the declaration when the program runs: a missing length word,
a wrong width or a float passed as an integer corrupts arguments silently.

## Example
```rust
#[no_mangle]
pub unsafe extern "C" fn rt_env_get(key_ptr: *const u8, key_len: u64) -> RuntimeValue
```
```simple
extern fn rt_env_get(key: i64, len: i64, flags: i64) -> text   # 3 words; the runtime takes 2
```
""",
)


def check(ctx):
    from .. import abi  # noqa: PLC0415
    from ..rust_abi import c_signature_for_rust  # noqa: PLC0415

    profile = ctx.profile if not isinstance(ctx.profile, (str, type(None))) else abi.profile_for(ctx.config)
    for _source, decl, provider, v in judged(ctx):
        d = v.definition
        if d is None:
            continue
        sig = c_signature_for_rust(d.name, d.params, d.returns)
        for m in abi.compare_with_c(decl, sig, profile):
            span = decl.name_span
            if m.param_index is not None and 0 <= m.param_index < len(decl.params):
                span = decl.params[m.param_index].span or span
            elif m.kind == "return" and decl.returns is not None and decl.returns.span is not None:
                span = decl.returns.span
            message = m.message.replace(sig.text(), d.signature()).replace(
                "C expects", "the runtime's Rust definition takes").replace(
                "C `", "Rust `").replace("C returns", "the Rust definition returns")
            yield RULE.finding(
                decl.path, span, message, symbol=decl.name,
                related=(Related(decl.path, None, f"runtime definition: `{d.signature()}` at "
                                                  f"{provider.source}/{d.site.where()}"),),
            )
