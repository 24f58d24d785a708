"""The C ABI of a Rust `extern "C"` signature, as the `CSignature` the ABI
comparisons already understand (`abi.compare_with_c`): a declaration is then
checked against the runtime's own Rust definition exactly as against DWARF.

Rust types are text here (from the runtime model); pure, no I/O."""

from __future__ import annotations

import re

from ..binary.types import CParam, CSignature, CType

_INTS = {
    "i8": (1, "signed"), "i16": (2, "signed"), "i32": (4, "signed"), "i64": (8, "signed"),
    "u8": (1, "unsigned"), "u16": (2, "unsigned"), "u32": (4, "unsigned"), "u64": (8, "unsigned"),
    "isize": (8, "signed"), "usize": (8, "unsigned"), "i128": (16, "signed"), "u128": (16, "unsigned"),
    "c_char": (1, "signed_char"), "c_schar": (1, "signed_char"), "c_uchar": (1, "unsigned_char"),
    "c_short": (2, "signed"), "c_ushort": (2, "unsigned"), "c_int": (4, "signed"), "c_uint": (4, "unsigned"),
    "c_long": (8, "signed"), "c_ulong": (8, "unsigned"), "c_longlong": (8, "signed"),
    "c_ulonglong": (8, "unsigned"), "size_t": (8, "unsigned"), "ssize_t": (8, "signed"),
    # The runtime's tagged value: one 64-bit word (`#[repr(transparent)]` over u64), opaque to Simple.
    "RuntimeValue": (8, "signed"),
}
_FLOATS = {"f32": 4, "f64": 8, "c_float": 4, "c_double": 8}
_POINTER = re.compile(r"^(\*\s*(const|mut)\s+|&\s*(mut\s+)?|&'\w+\s+(mut\s+)?)")


def rust_ctype(text: str) -> CType | None:
    """The C view of one Rust type (None for `()` and `!`, which pass nothing back)."""
    t = text.strip()
    if t in ("", "()", "!"):
        return None
    last = t.split("::")[-1]
    if last in _INTS:
        size, enc = _INTS[last]
        return CType(text=t, kind="base", base_name=last, size=size, encoding=enc)
    if last in _FLOATS:
        return CType(text=t, kind="base", base_name=last, size=_FLOATS[last], encoding="float")
    if last == "bool":
        return CType(text=t, kind="base", base_name="bool", size=1, encoding="bool")
    m = _POINTER.match(t)
    if m:
        depth, rest = 0, t
        while True:
            m = _POINTER.match(rest)
            if not m:
                break
            depth += 1
            rest = rest[m.end():]
        base = rest.split("::")[-1]
        base_name = {"u8": "unsigned char", "i8": "char", "c_char": "char"}.get(base, base)
        return CType(text=t, kind="pointer", base_name=base_name, size=8, pointer_depth=depth,
                     is_const=t.startswith("*const") or (t.startswith("&") and not t.startswith("&mut")))
    if t.startswith(("extern \"C\" fn", "unsafe extern", "fn(", "Option<extern", "Option<unsafe extern", "Option<fn(",
                     "Option<&", "Option<NonNull", "NonNull<", "Option<Box<", "Box<")):
        return CType(text=t, kind="pointer", size=8, pointer_depth=1)
    return CType(text=t, kind="unknown")


RUST_SOURCES = "Rust sources"  # CSignature.origin of a signature read from a crate's `.rs` files


def c_signature_for_rust(name: str, params: tuple[tuple[str, str], ...], returns: str,
                         path: str | None = None, line: int | None = None) -> CSignature:
    cparams = []
    variadic = False
    for pname, ptype in params:
        if pname == "..." or ptype == "...":
            variadic = True
            continue
        ct = rust_ctype(ptype)
        cparams.append(CParam(pname, ct if ct is not None else CType(text=ptype, kind="unknown")))
    return CSignature(name=name, params=tuple(cparams), returns=rust_ctype(returns), variadic=variadic,
                      file=path, line=None if line is None else line + 1, origin=RUST_SOURCES)
