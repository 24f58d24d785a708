"""Go to definition, references, document/workspace symbols and rename, for
externs and the calls to them."""

from __future__ import annotations

import asyncio
import os
import re
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..binary.types import CSignature
from . import backend, hover

if TYPE_CHECKING:
    from .server import SffiLanguageServer

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_WORKSPACE_SYMBOLS = 500


def _name_at(ls: "SffiLanguageServer", path: str, position: lsp.Position) -> str | None:
    decl, call = ls.symbol_at(path, position)
    if decl is not None:
        return decl.name
    if call is not None and ls.declarations_of(call.name, prefer_path=path):
        return call.name
    return None


def _line_location(ls: "SffiLanguageServer", file: str, line: int | None) -> lsp.Location:
    pos = lsp.Position(line=max((line or 1) - 1, 0), character=0)
    return lsp.Location(uri=ls.uri_of(file), range=lsp.Range(start=pos, end=pos))


async def _tiers(ls: "SffiLanguageServer") -> list:
    if not backend.is_spec_workspace(ls):
        return []
    return await asyncio.get_running_loop().run_in_executor(ls.executor, ls.wrapper_tiers)


async def spec_locations(ls: "SffiLanguageServer", name: str) -> list[lsp.Location]:
    found = backend.spec_of_symbol(await _tiers(ls), name)
    if found is None:
        return []
    tiers, expected = found
    return [ls.location_of(tiers.spec.path, backend.expected_span(expected))]


async def _tier1_signature(ls: "SffiLanguageServer", name: str):
    found = backend.spec_of_symbol(await _tiers(ls), name)
    return found[0].signatures.get(name) if found is not None else None


async def spec_definition(ls: "SffiLanguageServer", path: str, position: lsp.Position):
    """From a spec entry to its bindings (tier 2), then the native definition (tier 1)."""
    line, _column = ls.model_position(path, position)
    found = backend.spec_entry_at(await _tiers(ls), path, line)
    if found is None or found[1] is None or not hasattr(found[1], "symbol"):
        return None
    tiers, expected = found
    out = [ls.location_of(d.path, d.name_span) for d in tiers.bindings.get(expected.symbol, [])]
    sig = tiers.signatures.get(expected.symbol)
    if isinstance(sig, CSignature) and sig.file and os.path.isfile(sig.file):
        out.append(_line_location(ls, sig.file, sig.line))
    return out or None


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: "SffiLanguageServer", params: lsp.DefinitionParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        if backend.is_spec(path):
            return await spec_definition(ls, path, params.position)
        decl, call = ls.symbol_at(path, params.position)
        if call is not None:
            decls = ls.declarations_of(call.name, prefer_path=path)
            return [ls.location_of(d.path or path, d.name_span) for d in decls] or None
        if decl is None:
            return None
        res = ls.resolution_for(path, decl.name)
        ref = res.provider if res is not None else None
        if ref is not None and ref.decl_path and ref.decl_line is not None:  # a Simple function linked by name
            pos = lsp.Position(line=ref.decl_line, character=0)
            return [lsp.Location(uri=ls.uri_of(ref.decl_path), range=lsp.Range(start=pos, end=pos))]
        # From an extern to the spec entry that generates it, and to the native source line
        # when DWARF names a file that exists.
        out = await spec_locations(ls, decl.name)
        sig = await hover.signature_of(ls, res)
        if not isinstance(sig, CSignature):
            sig = await _tier1_signature(ls, decl.name)
        if isinstance(sig, CSignature) and sig.file and os.path.isfile(sig.file):
            out.append(_line_location(ls, sig.file, sig.line))
        if not out and ls.backend is not None:
            # A runtime built-in: its C-ABI definition in the runtime crate, else its interpreter handler.
            site = ls.backend.runtime_site(decl.name)
            if site is not None:
                out.append(_line_location(ls, site[0], site[1] + 1))
        return out or None

    @ls.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(ls: "SffiLanguageServer", params: lsp.ReferenceParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        name = _name_at(ls, path, params.position)
        if name is None:
            return None
        locations = []
        if params.context.include_declaration:
            locations += [ls.location_of(d.path or path, d.name_span) for d in ls.declarations_of(name, prefer_path=path)]
        locations += [ls.location_of(p, c.span) for p, c in sorted(ls.calls_of(name), key=lambda pc: (pc[0], pc[1].span.start))]
        return locations

    @ls.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbols(ls: "SffiLanguageServer", params: lsp.DocumentSymbolParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        source = ls.sources.get(path)
        if source is None:
            return []
        symbols = []
        for decl in source.externs:
            res = ls.resolution_for(path, decl.name)
            symbols.append(
                lsp.DocumentSymbol(
                    name=decl.name,
                    kind=lsp.SymbolKind.Function,
                    range=ls.range_of(path, decl.span),
                    selection_range=ls.range_of(path, decl.name_span),
                    detail=decl.signature_text()[len("extern fn ") + len(decl.name) :] + ("" if res is None else f"  [{inlay_label(res)}]"),
                )
            )
        return symbols

    @ls.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbols(ls: "SffiLanguageServer", params: lsp.WorkspaceSymbolParams):
        await ls.analysed()
        query = params.query.lower()
        out = []
        for path, source in sorted(ls.sources.items()):
            for decl in source.externs:
                if query in decl.name.lower():
                    out.append(
                        lsp.SymbolInformation(
                            name=decl.name,
                            kind=lsp.SymbolKind.Function,
                            location=ls.location_of(path, decl.name_span),
                            container_name=os.path.basename(path),
                        )
                    )
                    if len(out) >= MAX_WORKSPACE_SYMBOLS:
                        return out
        return out

    @ls.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(ls: "SffiLanguageServer", params: lsp.PrepareRenameParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        decl, call = ls.symbol_at(path, params.position)
        if decl is not None:
            return ls.range_of(path, decl.name_span)
        if call is not None and ls.declarations_of(call.name, prefer_path=path):
            return ls.range_of(path, call.span)
        return None

    @ls.feature(lsp.TEXT_DOCUMENT_RENAME)
    async def rename(ls: "SffiLanguageServer", params: lsp.RenameParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        name = _name_at(ls, path, params.position)
        if name is None:
            return None
        if not IDENTIFIER.match(params.new_name):
            raise ValueError(f"{params.new_name!r} is not a valid extern name")
        changes: dict[str, list[lsp.TextEdit]] = {}
        for decl in ls.declarations_of(name, prefer_path=path):
            p = decl.path or path
            changes.setdefault(ls.uri_of(p), []).append(lsp.TextEdit(range=ls.range_of(p, decl.name_span), new_text=params.new_name))
        for p, call in ls.calls_of(name):
            changes.setdefault(ls.uri_of(p), []).append(lsp.TextEdit(range=ls.range_of(p, call.span), new_text=params.new_name))
        return lsp.WorkspaceEdit(changes=changes)


def inlay_label(resolution) -> str:
    from .inlay_hints import resolution_label  # noqa: PLC0415

    return resolution_label(resolution)
