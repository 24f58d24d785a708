"""Code lens with the same text as the inlay hints, for clients without inlay
hints (e.g. Neovim 0.7); clients that show inlay hints get none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from .inlay_hints import resolution_label

if TYPE_CHECKING:
    from .server import SffiLanguageServer


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: "SffiLanguageServer", params: lsp.CodeLensParams):
        caps = ls.client_capabilities.text_document if ls.client_capabilities else None
        if caps is not None and caps.inlay_hint is not None:
            return []
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        source = ls.sources.get(path)
        if source is None:
            return []
        return [
            lsp.CodeLens(
                range=ls.range_of(path, decl.name_span),
                command=lsp.Command(title=f"→ {resolution_label(ls.resolution_for(path, decl.name))}", command=""),
            )
            for decl in source.externs
        ]
