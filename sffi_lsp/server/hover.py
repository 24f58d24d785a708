"""Hover on an extern's name (declaration or call): Simple signature, who
provides it, the C signature from DWARF with its source line, the ABI mapping,
and for an unresolved one why and the nearest real names."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..binary.types import CSignature, NoSignature
from ..check.types import Resolution, ResolutionStatus
from ..model import ExternDecl
from . import backend

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)
SIGNATURE_TIMEOUT_S = 3.0


async def signature_of(ls: "SffiLanguageServer", resolution: Resolution | None) -> Any:
    """DWARF / built-in signature, read off the event loop (it may parse DWARF)."""
    if resolution is None or ls.backend is None:
        return None
    if resolution.builtin_signature is not None:
        return resolution.builtin_signature
    providers = ls.backend.providers
    # signature_answer also says why there is none (no debug info, timeout...).
    ask = getattr(providers, "signature_answer", None) or providers.signature_for
    try:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(None, ask, resolution), SIGNATURE_TIMEOUT_S)
    except asyncio.TimeoutError:
        log.info("signature for %s: timed out", resolution.name)
    except Exception:  # noqa: BLE001
        log.warning("signature_for(%s) failed", resolution.name, exc_info=True)
    return None


def abi_lines(ls: "SffiLanguageServer", decl: ExternDecl) -> list[str]:
    """How each parameter crosses the C ABI under the configured profile."""
    try:
        return backend.abi_mapping_lines(decl, ls.config)
    except Exception:  # noqa: BLE001 - the ABI lines are a nicety
        log.debug("ABI mapping unavailable", exc_info=True)
    return []


def status_line(resolution: Resolution | None) -> str:
    if resolution is None:
        return "**Not checked yet**"
    if resolution.resolved:
        where = resolution.provider.describe() if resolution.provider else "resolved"
        return f"**Binds to** {where}"
    label = {
        ResolutionStatus.UNRESOLVED: "Unresolved",
        ResolutionStatus.REFUSED_BUILTIN_ONLY: "Refused by a built-in-only runtime",
        ResolutionStatus.UNSUPPORTED_FAMILY: "Unsupported family",
        ResolutionStatus.DATA_NOT_FUNCTION: "Not a function",
        ResolutionStatus.COMPAT_ONLY: "Only a compat (non-default) version",
        ResolutionStatus.HIDDEN: "Hidden",
    }.get(resolution.status, resolution.status.value)
    text = f"**{label}**"
    if resolution.provider is not None:
        text += f" (would be {resolution.provider.describe()})"
    return text


def c_signature_lines(ls: "SffiLanguageServer", sig: Any) -> list[str]:
    if isinstance(sig, NoSignature):
        return [f"C signature: unknown ({sig.reason})"]
    if isinstance(sig, CSignature):
        label = "C signature (DWARF):" if sig.origin == "DWARF" else f"C signature (from the crate's {sig.origin}):"
        lines = [label, f"```c\n{sig.text()};\n```"]
        if sig.file:
            where = f"{sig.file}:{sig.line}" if sig.line else sig.file
            uri = ls.uri_of(sig.file) + (f"#L{sig.line}" if sig.line else "")
            lines.append(f"Defined at [{where}]({uri})")
        return lines
    if isinstance(sig, ExternDecl):
        return ["Built-in signature:", f"```simple\n{sig.signature_text()}\n```"]
    return []


async def hover_markdown(ls: "SffiLanguageServer", path: str, name: str, decl: ExternDecl | None, is_call: bool) -> str:
    parts: list[str] = []
    if decl is not None:
        parts.append(f"```simple\n{decl.signature_text()}\n```")
    else:
        parts.append(f"`{name}` — called here but not declared with `extern fn` in this workspace")
    resolution = ls.resolution_for(decl.path or path, name) if decl is not None else None
    if resolution is None:
        resolution = ls.resolve_name(name, path)
    parts.append(status_line(resolution))
    if resolution is not None:
        if resolution.note:
            parts.append(resolution.note)
        if resolution.found is not None and resolution.found.symbol.version:
            parts.append(f"Symbol version: `{resolution.found.symbol.version}`")
        if resolution.provider is not None and resolution.provider.via:
            parts.append("Through dependencies: " + " → ".join(f"`{p}`" for p in resolution.provider.via))
        if resolution.status is not ResolutionStatus.RESOLVED:
            absences = [f"- `{lib}`: {a.detail or a.reason.value}" for lib, a in resolution.absences[:5]]
            if absences:
                parts.append("\n".join(absences))
            nearest = nearest_names(ls, path, name)
            if nearest:
                parts.append("Nearest names: " + ", ".join(f"`{n}`" for n in nearest))
    sig = await signature_of(ls, resolution)
    parts += c_signature_lines(ls, sig)
    if decl is not None:
        abi = abi_lines(ls, decl)
        if abi:
            parts.append(f"ABI ({ls.config.abi}):\n" + "\n".join(f"- {line}" for line in abi))
        else:
            parts.append(f"ABI profile: `{ls.config.abi}`")
    tiers = await binding_tiers_markdown(ls, name)
    if tiers:
        parts.append(tiers)
    return "\n\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- wrapper specs

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _spec_text(expected: Any) -> str:
    entry = expected.entry
    if entry is None:
        return f"{expected.origin} (always generated)"
    params = ", ".join(f"{p.name}: {p.type}" for p in entry.params)
    owner = f"{entry.handle}." if entry.handle else ""
    tail = f" -> {entry.returns}" if entry.returns and entry.returns != "void" else ""
    return f"{owner}{entry.name}({params}){tail}"


async def tiers_markdown(ls: "SffiLanguageServer", tiers: Any, expected: Any) -> str:
    """The spec entry, its binding and the library's export, side by side."""
    from ..binary.types import Found  # noqa: PLC0415

    spec = tiers.spec
    decls = tiers.bindings.get(expected.symbol, [])
    if decls:
        d = decls[0]
        binding = f"`{_cell(d.signature_text())}` ({backend.display_name(d.path)}:{d.name_span.start_line + 1})"
    else:
        binding = f"**missing** — the generator emits `{_cell(expected.declaration())}`"
    lib = getattr(tiers.library, "path", None)
    answer = tiers.answers.get(expected.symbol)
    sig = tiers.signatures.get(expected.symbol)
    if lib is None:
        native = "no built library found"
    elif isinstance(answer, Found):
        native = f"`{backend.display_name(lib)}` exports it"
        if isinstance(sig, CSignature):
            native += f": `{_cell(sig.text())}`"
    else:
        native = f"**not exported** by `{backend.display_name(lib)}`"
    table = ("| spec | binding (tier 2) | library (tier 1) |\n|---|---|---|\n"
             f"| `{_cell(_spec_text(expected))}` | {binding} | {native} |")
    parts = [f"**Wrapper spec** `{spec.name}` → `{expected.symbol}`", table]
    if isinstance(sig, CSignature) and sig.file:
        where = f"{sig.file}:{sig.line}" if sig.line else sig.file
        parts.append(f"Native definition: [{where}]({ls.uri_of(sig.file)}{f'#L{sig.line}' if sig.line else ''})")
    if lib is None and tiers.library is not None:
        looked = [p for p in tiers.library.searched[:4]]
        if looked:
            parts.append("Looked for: " + ", ".join(f"`{p}`" for p in looked) + ", ...")
    return "\n\n".join(parts)


def handle_markdown(tiers: Any, handle: Any) -> str:
    from ..binary.types import Found  # noqa: PLC0415

    spec = tiers.spec
    lines = [f"**Wrapper spec** `{spec.name}`: handle `{handle.name}` (`{handle.cpp_type or '?'}`) crosses as `i64`"]
    if handle.drop_fn:
        exported = isinstance(tiers.answers.get(handle.drop_fn), Found)
        declared = [d for d in tiers.prefixed if d.name == handle.drop_fn]
        lines.append(f"`drop_fn` `{handle.drop_fn}`: "
                     f"{'exported' if exported else 'not exported'} by the library, "
                     f"{'declared' if declared else 'not declared'} in the bindings")
    return "\n\n".join(lines)


async def spec_hover(ls: "SffiLanguageServer", path: str, position: lsp.Position) -> lsp.Hover | None:
    loop = asyncio.get_running_loop()
    tiers = await loop.run_in_executor(ls.executor, ls.wrapper_tiers)
    line, _column = ls.model_position(path, position)
    found = backend.spec_entry_at(tiers, path, line)
    if found is None or found[1] is None:
        return None
    t, item = found
    text = await tiers_markdown(ls, t, item) if hasattr(item, "symbol") else handle_markdown(t, item)
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


async def binding_tiers_markdown(ls: "SffiLanguageServer", name: str) -> str | None:
    """For an extern a wrapper spec generates: the three tiers (shown under its hover)."""
    if not backend.is_spec_workspace(ls):
        return None
    loop = asyncio.get_running_loop()
    tiers = await loop.run_in_executor(ls.executor, ls.wrapper_tiers)
    found = backend.spec_of_symbol(tiers, name)
    if found is None:
        return None
    return await tiers_markdown(ls, *found)


def nearest_names(ls: "SffiLanguageServer", path: str, name: str) -> list[str]:
    for finding in ls.findings.get(path, []):
        if finding.symbol == name and finding.suggestions:
            return list(finding.suggestions[:5])
    if ls.backend is None:
        return []
    try:
        return [str(getattr(s, "name", s)) for s in list(ls.backend.providers.suggest(name))[:5]]
    except Exception:  # noqa: BLE001
        return []


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: "SffiLanguageServer", params: lsp.HoverParams) -> lsp.Hover | None:
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        if backend.is_spec(path):
            return await spec_hover(ls, path, params.position)
        decl, call = ls.symbol_at(path, params.position)
        if decl is None and call is None:
            return None
        if decl is not None:
            name, span = decl.name, decl.name_span
            if not decl.path:
                decl = replace(decl, path=path)
        else:
            assert call is not None
            name, span = call.name, call.span
            decls = ls.declarations_of(name, prefer_path=path)
            if not decls:
                # An ordinary call: only worth a hover when a provider exports the name.
                resolution = ls.resolve_name(name, path)
                if resolution is None or not resolution.resolved:
                    return None
            decl = decls[0] if decls else None
        text = await hover_markdown(ls, path, name, decl, call is not None)
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
            range=ls.range_of(path, span),
        )
