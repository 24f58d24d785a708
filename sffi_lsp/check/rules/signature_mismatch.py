"""SFFI008 signature-mismatch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...model import ExternDecl
from ..types import Fix, Related, ResolutionStatus, Rule, Severity, TextEdit
from ._common import short, with_status

if TYPE_CHECKING:
    from ...binary.types import CSignature

RULE = Rule(
    code="SFFI008",
    name="signature-mismatch",
    severity=Severity.ERROR,
    summary="The declaration disagrees with the DWARF signature of the library function or the built-in signature, under the ABI profile.",
    doc="""
## What it does
Compares each resolved extern with what is known about the real function: the
signature given in a built-ins list, or the C signature read from the
library's DWARF debug information. The comparison follows the configured ABI
profile (`native`: a `text` parameter is a pointer and a length, `text`,
arrays, tuples, optionals and dicts come back as one `i64` handle; `cstring`:
`text` is `const char *`; `dynamic`: every value is one `i64`), and looks at
the number of parameters, each parameter's width, signedness, float-ness and
pointer-ness, and the return value. A fix rewrites the declaration when the
right one can be derived. A declaration whose only differences are same-width
signedness differences (`i32` against `uint32_t`) is reported by SFFI037
(a warning) instead, so that it can be ranked or ignored on its own.

## Why is this bad?
Nothing checks the declaration at run time: a wrong width or a missing
parameter passes garbage in registers and corrupts results silently.

## Example
```c
int32_t rt_math_add(int32_t a, int32_t b);
```
```simple
extern fn rt_math_add(a: i64, b: i64, c: i64) -> f64   # 3 params, wrong widths, wrong return
```
Use instead:
```simple
extern fn rt_math_add(a: i32, b: i32) -> i32
```
""",
)


def _abi():
    from .. import abi  # noqa: PLC0415  (built beside the engine; imported lazily)

    return abi


def _describe(m) -> str:
    if isinstance(m, str):
        return m
    for attr in ("message", "text", "detail"):
        v = getattr(m, attr, None)
        if isinstance(v, str) and v:
            return v
    return str(m)


def _span_for(decl: ExternDecl, mismatch):
    idx = getattr(mismatch, "param_index", getattr(mismatch, "index", None))
    if isinstance(idx, int) and 0 <= idx < len(decl.params):
        return decl.params[idx].span
    if getattr(mismatch, "where", None) == "return" and decl.returns is not None and decl.returns.span is not None:
        return decl.returns.span
    return decl.name_span


# -- deriving the right declaration (for the fix) ---------------------------------


def _render(decl: ExternDecl, params: list[str], ret: str | None) -> str:
    gen = f"<{', '.join(decl.generics)}>" if decl.generics else ""
    pub = "pub " if decl.is_pub else ""
    arrow = f" -> {ret}" if ret and ret not in ("()", "void") else ""
    return f"{pub}extern fn {decl.name}{gen}({', '.join(params)}){arrow}"


def declaration_with_types(decl: ExternDecl, mismatches) -> str | None:
    """`decl` with the types the mismatches suggest (keeps names and layout of the rest)."""
    params = [f"{p.name}: {p.type.text}" if p.type is not None else p.name for p in decl.params]
    ret = decl.returns.text if decl.returns is not None else None
    for m in mismatches:
        suggested = getattr(m, "suggested_type", None)
        kind = getattr(m, "kind", None)
        if not suggested or kind == "arity":
            return None
        if kind == "return":
            ret = suggested
        elif kind == "param" and isinstance(m.param_index, int) and m.param_index < len(params):
            params[m.param_index] = f"{decl.params[m.param_index].name}: {suggested}"
        else:
            return None
    return _render(decl, params, ret)


def declaration_from_c(decl: ExternDecl, csig: CSignature, profile) -> str | None:
    """The whole declaration matching `csig` under `profile`, or None when it cannot be derived."""
    if csig.variadic or isinstance(profile, str):
        abi_profile = None
    else:
        abi_profile = profile
    if csig.variadic or abi_profile is None:
        return None
    abi = _abi()
    text_words = getattr(abi_profile.params.get("text"), "words", ())
    params: list[str] = []
    cps = list(csig.params)
    i = 0
    while i < len(cps):
        t = cps[i].type
        name = cps[i].name or f"a{i}"
        nxt = cps[i + 1].type if i + 1 < len(cps) else None
        # Under `native` a text parameter is two words: (const uint8_t *ptr, uint64_t len).
        if text_words == ("ptr", "u64") and t.kind == "pointer" and nxt is not None and (
            abi.simple_type_for_c(nxt, abi_profile) in ("u64", "i64")
        ) and (t.base_name or "") in ("char", "unsigned char", "signed char", "uint8_t", "int8_t"):
            params.append(f"{name}: text")
            i += 2
            continue
        simple = abi.simple_type_for_c(t, abi_profile)
        if simple is None:
            return None
        params.append(f"{name}: {simple}")
        i += 1
    ret = abi.simple_type_for_c(csig.returns, abi_profile, result=True)
    if ret is None:
        return None
    return _render(decl, params, ret)


def declaration_from_builtin(decl: ExternDecl, builtin: ExternDecl) -> str:
    pub = "pub " if decl.is_pub else ""
    return pub + builtin.signature_text().replace(f"extern fn {builtin.name}", f"extern fn {decl.name}", 1)


def _rewrite_fix(decl: ExternDecl, new_text: str | None) -> tuple[Fix, ...]:
    if not new_text:
        return ()
    old = ("pub " if decl.is_pub else "") + decl.signature_text()
    if new_text == old:
        return ()
    return (Fix(f"Rewrite as `{new_text}`", (TextEdit(decl.path, decl.span, new_text),), preferred=True),)


def _prefetch(ctx, resolved) -> None:
    """Let the providers read DWARF for every library once, not once per name
    (each read runs in a sandboxed worker process), when they offer it."""
    prefetch = getattr(ctx.providers, "prefetch_signatures", None)
    wanted = [res for _, _, res in resolved if res.builtin_signature is None and res.found is not None]
    if prefetch is not None and wanted:
        try:
            prefetch(wanted)
        except Exception:  # best-effort: signature_for still answers one by one
            pass


@dataclass(frozen=True, slots=True, eq=False)
class Comparison:
    """One resolved extern that disagrees with what is known of the real function."""

    decl: ExternDecl
    message: str
    span: object
    related: tuple[Related, ...]
    fixes: tuple[Fix, ...]
    signedness_only: bool  # every difference is a same-width sign difference: SFFI037's, not SFFI008's


def comparisons(ctx) -> list[Comparison]:
    """Every disagreement of the check, computed once for SFFI008 and SFFI037."""
    shared = getattr(ctx, "shared", None)
    if shared is None:
        return list(_compare_all(ctx))
    found = shared.get("signature_comparisons")
    if found is None:
        found = shared["signature_comparisons"] = list(_compare_all(ctx))
    return found


def _compare_all(ctx):
    abi = _abi()
    profile = ctx.profile
    profile_name = ctx.profile_name
    resolved = list(with_status(ctx, ResolutionStatus.RESOLVED))
    _prefetch(ctx, resolved)
    for _, decl, res in resolved:
        if res.builtin_signature is not None:
            mismatches = list(abi.compare_with_builtin(decl, res.builtin_signature) or ())
            if not mismatches:
                continue
            new_text = declaration_with_types(decl, mismatches) or declaration_from_builtin(decl, res.builtin_signature)
            against = f"the built-in signature `{res.builtin_signature.signature_text()}`"
            related = ()
            builtin = res.builtin_signature
            source = builtin.path or (res.provider.source if res.provider else None)
            if source:
                span = builtin.name_span if builtin.path else None
                related = (Related(source, span, f"built-in signature in {short(source)}"),)
        elif res.found is not None:
            try:
                csig = ctx.providers.signature_for(res)
            except Exception:  # DWARF is best-effort: no signature, no finding
                continue
            from ...binary.types import CSignature  # noqa: PLC0415  (only a library-provided extern gets here)

            if not isinstance(csig, CSignature) or isinstance(profile, str):
                continue
            mismatches = list(abi.compare_with_c(decl, csig, profile) or ())
            if not mismatches:
                continue
            new_text = declaration_with_types(decl, mismatches) or declaration_from_c(decl, csig, profile)
            against = f"`{csig.text()}` in {short(csig.library or res.found.provider)} (DWARF)"
            related = ()
            if csig.file:
                from ...model import Span  # noqa: PLC0415

                line = max((csig.line or 1) - 1, 0)
                related = (Related(csig.file, Span(0, 0, line, 0, line, 0), f"C declaration of `{csig.name}`"),)
        else:
            continue
        reasons = "; ".join(_describe(m) for m in mismatches)
        message = f"`{decl.name}` does not match {against} under the `{profile_name}` ABI profile: {reasons}"
        span = _span_for(decl, mismatches[0]) if len(mismatches) == 1 else decl.name_span
        signedness_only = all(getattr(m, "signedness_only", False) for m in mismatches)
        yield Comparison(decl, message, span, related, _rewrite_fix(decl, new_text), signedness_only)


def check(ctx):
    # A declaration whose only differences are same-width sign differences is SFFI037's
    # (a warning), unless SFFI037 is off: then it is reported here, as before that rule.
    signedness_elsewhere = ctx.rule_selected("SFFI037") if hasattr(ctx, "rule_selected") else False
    for c in comparisons(ctx):
        if c.signedness_only and signedness_elsewhere:
            continue
        yield RULE.finding(c.decl.path, c.span, c.message, symbol=c.decl.name, related=c.related, fixes=c.fixes)
