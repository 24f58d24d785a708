"""What the wrapper generator would emit from a spec, and how a tier compares with it.

Follows `src/app/wrapper_gen/` of the Simple project as it is today:

- tier 2 (`tier2_gen`): `rt_<name>_available() -> bool`, `rt_<name>_version() -> text`,
  then `rt_` + `qualified_fn_name(name, fn)` per function (the spec name is prefixed
  unless the function name already starts with `<name>_`) and per method
  `qualified_fn_name(name, handle.lower() + "_" + method)` with `handle: i64` first;
  handle types become `i64`, other types are copied as written; a `return` that is
  empty or `void` gives no result;
- tier 1 (`tier1_rust_gen`): the same symbols as `#[no_mangle] extern "C" fn` with
  `text` -> `*const c_char` (result `*mut c_char`), `[i64]`/`[f64]` parameters ->
  pointers, array results and handles -> `i64`; the Rust backend also exports
  `rt_<name>_free_string`.

Pure: a spec and declarations in, expectations and differences out. No I/O,
no ELF reading (native signatures arrive as `CSignature` values), no LSP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import ExternDecl
from ..wrapper_spec import SpecEntry, WrapperSpec
from .abi import word_problem

if TYPE_CHECKING:
    from ..binary.types import CSignature

_VOID = ("", "void")
_NO_RESULT = ("", "()", "void", "unit")


@dataclass(frozen=True, slots=True)
class ExpectedParam:
    name: str
    type: str  # as the binding must declare it (handles already `i64`)
    spec_type: str  # as the spec writes it


@dataclass(frozen=True, slots=True)
class ExpectedExtern:
    """One `extern fn` the generator emits, and where the spec asks for it."""

    symbol: str
    params: tuple[ExpectedParam, ...]
    returns: str | None  # None: no result
    spec_returns: str
    origin: str  # "available" | "version" | "function" | "method"
    line: int  # 0-based line in the spec
    column: int
    length: int  # characters to underline from `column`
    entry: SpecEntry | None = None

    def declaration(self) -> str:
        """The declaration tier 2 writes for it."""
        params = ", ".join(f"{p.name}: {p.type}" for p in self.params)
        tail = f" -> {self.returns}" if self.returns is not None else ""
        return f"extern fn {self.symbol}({params}){tail}"

    def shape(self) -> str:
        return f"({', '.join(p.type for p in self.params)}) -> {self.returns or '()'}"


def qualified_fn_name(spec_name: str, fn_name: str) -> str:
    """The generator's name for a spec function: no double `<name>_` prefix."""
    prefix = spec_name + "_"
    return fn_name if fn_name.startswith(prefix) else f"{spec_name}_{fn_name}"


def binding_type(type_text: str, spec: WrapperSpec) -> str:
    """A spec type as the bindings declare it (handle types are `i64` pointers)."""
    return "i64" if spec.handle(type_text) is not None else type_text


def symbol_prefix(spec: WrapperSpec) -> str:
    return f"rt_{spec.name}_"


def expected_externs(spec: WrapperSpec) -> tuple[ExpectedExtern, ...]:
    """Every extern tier 2 would declare for `spec`, in the generator's order."""
    if not spec.name:
        return ()
    at = (spec.name_line, spec.name_column, len(spec.name))
    out = [
        ExpectedExtern(f"rt_{spec.name}_available", (), "bool", "bool", "available", *at),
        ExpectedExtern(f"rt_{spec.name}_version", (), "text", "text", "version", *at),
    ]
    for entry in spec.entries:
        params = [ExpectedParam(p.name, binding_type(p.type, spec), p.type) for p in entry.params]
        if entry.is_method:
            assert entry.handle is not None
            params.insert(0, ExpectedParam("handle", binding_type(entry.handle, spec), entry.handle))
            qname = qualified_fn_name(spec.name, f"{entry.handle.lower()}_{entry.name}")
        else:
            qname = qualified_fn_name(spec.name, entry.name)
        returns = None if entry.returns.strip() in _VOID else binding_type(entry.returns, spec)
        out.append(ExpectedExtern(f"rt_{qname}", tuple(params), returns, entry.returns,
                                  "method" if entry.is_method else "function",
                                  entry.line, entry.column, len(entry.name), entry))
    return tuple(out)


def tier1_extras(spec: WrapperSpec) -> tuple[str, ...]:
    """Symbols tier 1 exports besides the bindings' (the Rust backend's string release)."""
    return (f"rt_{spec.name}_free_string",) if spec.lang == "rust" and spec.name else ()


# --------------------------------------------------------------------------- tier 2: the bindings

@dataclass(frozen=True, slots=True)
class BindingDifference:
    kind: str  # "arity" | "param" | "return"
    message: str
    param_index: int | None = None


def _norm(type_text: str | None) -> str:
    return "".join((type_text or "").split())


def _decl_type(decl: ExternDecl, index: int) -> str:
    t = decl.params[index].type
    return t.text if t is not None else ""


def compare_binding(expected: ExpectedExtern, decl: ExternDecl) -> list[BindingDifference]:
    """How `decl` differs from what the spec implies (parameter names do not count)."""
    out: list[BindingDifference] = []
    if len(decl.params) != len(expected.params):
        out.append(BindingDifference(
            "arity", f"declares {len(decl.params)} parameters, the spec implies {len(expected.params)} "
                     f"{expected.shape()}"))
    else:
        for i, want in enumerate(expected.params):
            got = _decl_type(decl, i)
            if _norm(got) != _norm(want.type):
                why = f" (handle `{want.spec_type}` crosses as `i64`)" if want.type != want.spec_type else ""
                out.append(BindingDifference(
                    "param", f"parameter `{decl.params[i].name}` is `{got or '?'}`, the spec implies "
                             f"`{want.type}`{why}", i))
    got_ret = decl.returns.text if decl.returns is not None else ""
    if _norm(got_ret) in _NO_RESULT and expected.returns is None:
        pass
    elif _norm(got_ret) != _norm(expected.returns or ""):
        want = expected.returns or "no result"
        why = (f" (handle `{expected.spec_returns}` crosses as `i64`)"
               if expected.returns is not None and expected.returns != expected.spec_returns else "")
        out.append(BindingDifference(
            "return", f"result is `{got_ret or '()'}`, the spec implies `{want}`{why}"))
    return out


# --------------------------------------------------------------------------- tier 1: the native exports

_SCALAR_WORDS = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "bool")


def tier1_word(spec_type: str, spec: WrapperSpec, result: bool) -> str | None:
    """The ABI word tier 1 gives a spec type (None: no result, or a type it copies verbatim)."""
    t = spec_type.strip()
    if t in _VOID:
        return "void" if result else None
    if spec.handle(t) is not None:
        return "i64"
    if t == "text":
        return "ptr"
    if t.startswith("[") and t.endswith("]"):
        return "i64" if result else "ptr"
    if t in _SCALAR_WORDS:
        return t
    return None


def compare_native(expected: ExpectedExtern, sig: CSignature, spec: WrapperSpec) -> list[str]:
    """How the exported function's signature (DWARF or Rust source) differs from tier 1's."""
    out: list[str] = []
    if len(sig.params) != len(expected.params):
        out.append(f"takes {len(sig.params)} parameters, the spec implies {len(expected.params)}")
    else:
        for want, got in zip(expected.params, sig.params):
            word = tier1_word(want.spec_type, spec, result=False)
            if word is None:
                continue
            why = word_problem(word, got.type)
            if why:
                out.append(f"parameter `{want.name}` (`{want.spec_type}`): {_as_spec(why)}")
    word = tier1_word(expected.spec_returns, spec, result=True)
    if word == "void":
        if sig.returns is not None and sig.returns.kind != "void":
            out.append(f"returns `{sig.returns.text}`, the spec implies no result")
    elif word is not None:
        if sig.returns is None or sig.returns.kind == "void":
            out.append(f"returns nothing, the spec implies `{expected.spec_returns}`")
        else:
            why = word_problem(word, sig.returns)
            if why:
                out.append(f"result (`{expected.spec_returns}`): {_as_spec(why)}")
    return out


def _as_spec(problem: str) -> str:
    """`abi.word_problem` speaks of a declaration; here the spec is the other side."""
    return problem.replace("the declaration passes", "the spec implies").replace("the profile passes", "the spec implies")


__all__ = [
    "BindingDifference",
    "ExpectedExtern",
    "ExpectedParam",
    "binding_type",
    "compare_binding",
    "compare_native",
    "expected_externs",
    "qualified_fn_name",
    "symbol_prefix",
    "tier1_extras",
    "tier1_word",
]
