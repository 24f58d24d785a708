"""How a Simple extern declaration crosses the C ABI, and where it disagrees with C.

A profile maps each Simple *type category* to a sequence of ABI *words*
(`AbiMapping`): `text` under the native profile is two words `(ptr, u64)`; an
array result is one `handle` (an i64 runtime value). Comparing a declaration
with a DWARF signature is then word against C parameter, class by class:
width, signedness, float-ness, pointer-ness.

Compatibility decisions (documented because they are judgement calls):
- Same width and signedness is a match whatever the C spelling: `i64` matches
  `long`, `long long`, `int64_t`, `ssize_t`; `f64` matches `double`.
- A 64-bit integer word matches a C pointer, and a `ptr` word matches a 64-bit
  C integer (`uintptr_t`): Simple code conventionally carries raw addresses in
  `i64`, and both travel in the same general register.
- A `handle` (text/array/tuple/optional/dict/user value under `native`) is a
  runtime value, not a pointer: a C pointer there is a mismatch.
- `bool` is a 1-byte C `_Bool`; it also matches a 1-byte C integer, not `int`.
- A C enum matches an integer of its width, either signedness.
- C variadics accept extra words; structs passed by value never match.
- A C type DWARF could not describe (`unknown`) is never reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..abi_profiles import DYNAMIC_MAX_ARGS, FLOAT_WORDS, INT_WORDS, SCALARS, builtin_profile
from ..config_types import AbiProfile, Config
from ..model import ExternDecl, TypeKind, TypeRef

if TYPE_CHECKING:  # annotations only
    from ..binary.types import CSignature, CType

# Spellings that mean a scalar or text in real Simple code.
TYPE_ALIASES = {
    "int": "i64", "uint": "u64", "float": "f64", "isize": "i64", "usize": "u64", "byte": "u8",
    "str": "text", "string": "text", "String": "text", "Text": "text",
    "Dict": "dict", "Map": "dict", "void": "unit",
}  # fmt: skip


def type_category(t: TypeRef | None) -> str:
    """The ABI-relevant category of a Simple type (see config.ABI_CATEGORIES)."""
    if t is None:
        return "value"  # untyped parameter: a runtime value
    kind = t.kind
    if kind is TypeKind.UNIT:
        return "unit"
    if kind is TypeKind.ARRAY:
        return "array"
    if kind is TypeKind.OPTIONAL:
        return "optional"
    if kind is TypeKind.TUPLE:
        return "unit" if not t.args else "tuple"
    if kind is TypeKind.DICT:
        return "dict"
    if kind is TypeKind.POINTER:
        return "pointer"
    if kind is TypeKind.FUNCTION:
        return "function"
    name = TYPE_ALIASES.get(t.name or "", t.name or "")
    if name in SCALARS or name in ("text", "dict", "unit"):
        return name
    return "value"  # user types, generics, Any: a runtime-value handle


def profile_for(config: Config) -> AbiProfile:
    """The profile a config selects (user profiles shadow nothing: names are checked at load)."""
    if config.abi in config.abi_profiles:
        return config.abi_profiles[config.abi]
    return builtin_profile(config.abi)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One difference between a declaration and the C signature, under an ABI profile."""

    param_index: int | None  # index into decl.params; None for arity or return
    kind: str  # "arity" | "param" | "return"
    message: str
    suggested_type: str | None = None  # Simple type text a quick fix may put in place of the declared one
    c_text: str | None = None  # the C type (or signature) it was compared with
    aspect: str = ""  # "signedness" for a same-width sign difference (SFFI037), else what differs

    @property
    def signedness_only(self) -> bool:
        return self.aspect == "signedness"


def _words(profile: AbiProfile, category: str, result: bool) -> tuple[str, ...]:
    table = profile.returns if result else profile.params
    mapping = table.get(category)
    if mapping is None:  # a partial user profile: fall back to native for the rest
        mapping = (builtin_profile("native").returns if result else builtin_profile("native").params)[category]
    return mapping.words


# --------------------------------------------------------------------------- C value classes

def _c_class(ct: CType) -> tuple[str, int | None, bool | None]:
    """(class, size, signed): class is int|float|bool|ptr|aggregate|void|unknown."""
    if ct.kind in ("pointer", "array", "function") or ct.pointer_depth > 0:
        return ("ptr", 8, None)
    if ct.kind == "void":
        return ("void", 0, None)
    if ct.kind in ("struct", "union"):
        return ("aggregate", ct.size, None)
    if ct.kind == "enum":
        return ("enum", ct.size or 4, None)
    if ct.kind == "base":
        enc = ct.encoding
        if enc == "float":
            return ("float", ct.size, None)
        if enc == "bool":
            return ("bool", ct.size or 1, None)
        if enc in ("signed", "signed_char"):
            return ("int", ct.size, True)
        if enc in ("unsigned", "unsigned_char"):
            return ("int", ct.size, False)
    return ("unknown", ct.size, None)


def _bits(size: int | None) -> str:
    return f"{size * 8}-bit" if size else "unknown-width"


def word_problem(word: str, ct: CType, category: str = "", declared: str | None = None,
                 result: bool = False) -> str | None:
    """Why one ABI word does not fit the C type, or None when it does."""
    found = word_mismatch(word, ct, category, declared, result)
    return found[1] if found is not None else None


def word_mismatch(word: str, ct: CType, category: str = "", declared: str | None = None,
                  result: bool = False) -> tuple[str, str] | None:
    """(aspect, why) when one ABI word does not fit the C type: aspect is `width`,
    `signedness`, `float-ness`, `pointer-ness`, `aggregate` or `kind`.

    `declared` is the Simple type the word comes from: when the profile carries it as
    another word (`bool` as an `i64` under `dynamic`), the message says so instead of
    claiming the declaration wrote that word. `result` words it for a return value."""
    cls, size, signed = _c_class(ct)
    c = f"`{ct.text}`"
    if cls == "unknown":
        return None
    c_does = "C returns" if result else "C expects"
    if declared is None or TYPE_ALIASES.get(declared, declared) == word:
        ours = f"the declaration {'reads' if result else 'passes'} `{word}`"
    else:
        ours = f"the declaration's `{declared}` is {'read' if result else 'passed'} as `{word}`"
    if cls == "aggregate":
        return "aggregate", (f"C {'returns' if result else 'takes'} {c} by value ({_bits(size)} struct/union); "
                             "Simple cannot pass an aggregate by value")
    if cls == "void":
        return "kind", f"C has `void` where {ours}"
    if word in INT_WORDS:
        wsize, wsigned = INT_WORDS[word]
        if cls == "int":
            if size != wsize:
                return "width", f"width: {ours} ({wsize * 8}-bit), {c_does} {c} ({_bits(size)})"
            if signed != wsigned:
                sign = "signed" if signed else "unsigned"
                return "signedness", f"signedness: {ours}, {c_does} {c} ({sign}, same width)"
            return None
        if cls == "enum":
            return None if size == wsize else ("width", f"width: {ours} ({wsize * 8}-bit), C enum {c} is {_bits(size)}")
        if cls == "ptr":
            return None if wsize == 8 else ("pointer-ness", f"pointer-ness: {c_does} a pointer {c}, {ours}")
        if cls == "bool":
            return None if wsize == 1 else ("width", f"width: {c_does} {c} (a 1-byte _Bool), {ours}")
        if cls == "float":
            return "float-ness", f"float-ness: {c_does} floating-point {c}, {ours} (an integer)"
    if word in FLOAT_WORDS:
        wsize = FLOAT_WORDS[word]
        if cls == "float":
            return None if size == wsize else ("width", f"width: {ours}, {c_does} {c} ({_bits(size)})")
        return "float-ness", f"float-ness: {ours} (floating-point), {c_does} {c}"
    if word == "bool":
        if cls == "bool" or (cls == "int" and size == 1):
            return None
        if cls in ("int", "enum"):
            return "width", f"width: Simple `bool` is a 1-byte C _Bool, {c_does} {c} ({_bits(size)})"
        return "kind", f"{ours}, {c_does} {c}"
    if word == "ptr":
        if cls == "ptr" or (cls == "int" and size == 8):
            return None
        what = f"the declaration's `{declared}` is a pointer" if declared else "the declaration passes a pointer"
        if cls == "float":
            return "float-ness", f"float-ness: {what}, {c_does} floating-point {c}"
        return "pointer-ness", f"pointer-ness: {what}, {c_does} {c}"
    if word == "handle":
        what = f"`{declared or category}` as " if (declared or category) else ""
        if cls in ("int", "enum") and size == 8:
            return None
        if cls == "ptr":
            return "pointer-ness", f"pointer-ness: {c_does} a pointer {c}, the profile passes {what}an i64 runtime-value handle"
        if cls == "float":
            return "float-ness", f"float-ness: {c_does} floating-point {c}, the profile passes {what}an i64 handle"
        return "width", f"width: {c_does} {c} ({_bits(size)}), the profile passes {what}an i64 handle"
    return None


_CHAR_NAMES = ("char", "signed char", "unsigned char", "uint8_t", "int8_t")


def simple_type_for_c(ct: CType | None, profile: AbiProfile, result: bool = False) -> str | None:
    """The Simple type whose words match `ct` under `profile` (for quick fixes)."""
    if ct is None:
        return "()" if result else None
    cls, size, signed = _c_class(ct)
    if profile.name == "dynamic" or (profile.max_args == DYNAMIC_MAX_ARGS and profile.name not in ("native", "cstring")):
        return "i64" if cls in ("int", "ptr", "enum", "bool") else None
    if cls == "int" and size in (1, 2, 4, 8):
        return f"{'i' if signed else 'u'}{size * 8}"
    if cls == "enum" and size in (1, 2, 4, 8):
        return f"i{size * 8}"
    if cls == "float" and size in (4, 8):
        return f"f{size * 8}"
    if cls == "bool":
        return "bool"
    if cls == "ptr":
        text_words = _words(profile, "text", result)
        if text_words == ("ptr",) and ct.pointer_depth == 1 and (ct.base_name or "") in _CHAR_NAMES:
            return "text"
        return "i64"
    return None


# --------------------------------------------------------------------------- comparisons

def compare_with_c(decl: ExternDecl, sig: CSignature, profile: AbiProfile) -> list[Mismatch]:
    """Every disagreement between the declaration and the C signature under `profile`."""
    out: list[Mismatch] = []
    words: list[tuple[int, str, str]] = []  # (param index, word, category)
    expanded = []
    for i, p in enumerate(decl.params):
        cat = type_category(p.type)
        ws = _words(profile, cat, result=False)
        if len(ws) != 1:
            expanded.append(f"`{p.name}: {p.type.text if p.type else '?'}` = {len(ws)} words")
        words.extend((i, w, cat) for w in ws)
    cparams = sig.params
    arity_ok = len(words) == len(cparams) or (sig.variadic and len(words) >= len(cparams))
    if not arity_ok:
        how = f" ({'; '.join(expanded)})" if expanded else ""
        at_least = "at least " if sig.variadic else ""
        out.append(Mismatch(
            None, "arity",
            f"the declaration passes {len(words)} C argument{'s' if len(words) != 1 else ''} under the "
            f"`{profile.name}` profile{how}; C `{sig.text()}` takes {at_least}{len(cparams)}",
            c_text=sig.text(),
        ))
    else:
        reported: set[int] = set()
        for (pi, word, cat), cparam in zip(words, cparams):
            if pi in reported:
                continue
            p = decl.params[pi]
            found = word_mismatch(word, cparam.type, cat, p.type.text if p.type is not None else None)
            if found is None:
                continue
            aspect, problem = found
            reported.add(pi)
            single = len(_words(profile, type_category(p.type), result=False)) == 1
            out.append(Mismatch(
                pi, "param",
                f"parameter {pi + 1} `{p.name}`: {problem}",
                suggested_type=simple_type_for_c(cparam.type, profile) if single else None,
                c_text=cparam.type.text, aspect=aspect,
            ))
    ret = _return_mismatch(decl, sig, profile)
    if ret is not None:
        out.append(ret)
    return out


def _return_mismatch(decl: ExternDecl, sig: CSignature, profile: AbiProfile) -> Mismatch | None:
    cat = type_category(decl.returns) if decl.returns is not None else "unit"
    ws = _words(profile, cat, result=True)
    c_ret = sig.returns
    if c_ret is not None and c_ret.kind == "void" and c_ret.pointer_depth == 0:
        c_ret = None
    if not ws and c_ret is None:
        return None
    if not ws:
        return Mismatch(None, "return",
                        f"it declares no result, C returns `{c_ret.text}`",
                        suggested_type=simple_type_for_c(c_ret, profile, result=True), c_text=c_ret.text)
    if c_ret is None:
        return Mismatch(None, "return",
                        f"it declares result `{decl.returns.text if decl.returns else '?'}`, "
                        "C returns void", suggested_type="()", c_text="void")
    found = word_mismatch(ws[0], c_ret, cat, decl.returns.text if decl.returns is not None else None, result=True)
    if found is None:
        return None
    aspect, problem = found
    return Mismatch(None, "return", f"result: {problem}",
                    suggested_type=simple_type_for_c(c_ret, profile, result=True), c_text=c_ret.text,
                    aspect=aspect)


def canonical_type(t: TypeRef | None) -> str:
    """Type text with aliases and spacing normalised (`()`/`void`/none -> `()`)."""
    if t is None or t.kind is TypeKind.UNIT:
        return "()"
    if t.kind is TypeKind.NAMED and not t.args:
        return TYPE_ALIASES.get(t.name or t.text, t.name or t.text)
    return "".join(t.text.split())


def compare_with_builtin(decl: ExternDecl, builtin: ExternDecl) -> list[Mismatch]:
    """Disagreements between a declaration and the signature a built-ins list gives."""
    out: list[Mismatch] = []
    ref = builtin.signature_text()
    if decl.arity != builtin.arity:
        out.append(Mismatch(None, "arity",
                            f"the declaration has {decl.arity} parameter{'s' if decl.arity != 1 else ''}, "
                            f"the built-in `{ref}` has {builtin.arity}", c_text=ref))
    else:
        for i, (mine, theirs) in enumerate(zip(decl.params, builtin.params)):
            if mine.type is None or theirs.type is None:
                continue
            a, b = canonical_type(mine.type), canonical_type(theirs.type)
            if a != b:
                out.append(Mismatch(i, "param",
                                    f"parameter {i + 1} `{mine.name}` is `{mine.type.text}`, "
                                    f"the built-in takes `{theirs.type.text}`",
                                    suggested_type=theirs.type.text, c_text=ref, aspect=_type_aspect(a, b)))
    if canonical_type(decl.returns) != canonical_type(builtin.returns):
        mine_r = decl.returns.text if decl.returns is not None else "()"
        theirs_r = builtin.returns.text if builtin.returns is not None else "()"
        out.append(Mismatch(None, "return",
                            f"the declaration returns `{mine_r}`, the built-in returns `{theirs_r}`",
                            suggested_type=theirs_r, c_text=ref,
                            aspect=_type_aspect(canonical_type(decl.returns), canonical_type(builtin.returns))))
    return out


def _type_aspect(mine: str, theirs: str) -> str:
    """What differs between two canonical Simple types (`signedness` for `i32` against `u32`)."""
    a, b = INT_WORDS.get(mine), INT_WORDS.get(theirs)
    if a is not None and b is not None:
        return "signedness" if a[0] == b[0] else "width"
    return "type"


def dynamic_path_problems(decl: ExternDecl, max_args: int = DYNAMIC_MAX_ARGS) -> list[str]:
    """What the interpreter's generic dynamic path (every value one i64) cannot carry."""
    out: list[str] = []
    if decl.arity > max_args:
        out.append(f"`{decl.name}` takes {decl.arity} arguments; the dynamic path carries at most {max_args}")
    for i, p in enumerate(decl.params):
        cat = type_category(p.type)
        if cat in FLOAT_WORDS:
            out.append(f"parameter {i + 1} `{p.name}: {p.type.text if p.type else cat}`: a float cannot travel on "
                       "the dynamic path (every argument is passed as one i64 in an integer register)")
        elif cat == "function":
            out.append(f"parameter {i + 1} `{p.name}`: a callback (`fn(...)` type) cannot be passed on the "
                       "dynamic path")
    rcat = type_category(decl.returns) if decl.returns is not None else "unit"
    if rcat in FLOAT_WORDS:
        out.append(f"result `{decl.returns.text if decl.returns else rcat}`: a float result cannot travel on the "
                   "dynamic path (the result is read as one i64)")
    elif rcat == "function":
        out.append("result: a function value cannot be returned on the dynamic path")
    return out


__all__ = [
    "DYNAMIC_MAX_ARGS",
    "Mismatch",
    "builtin_profile",
    "canonical_type",
    "compare_with_builtin",
    "compare_with_c",
    "dynamic_path_problems",
    "profile_for",
    "simple_type_for_c",
    "type_category",
    "word_mismatch",
    "word_problem",
]
