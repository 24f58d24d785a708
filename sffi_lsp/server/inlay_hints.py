"""An inlay hint after each extern: where it resolves (`libfoo.so`,
`built-in`, `manifest: demo`...) or why it does not."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..check.types import ProviderKind, Resolution

if TYPE_CHECKING:
    from .server import SffiLanguageServer


def resolution_label(resolution: Resolution | None) -> str:
    if resolution is None:
        return "unchecked"
    if not resolution.resolved:
        return "unresolved" if resolution.status.value == "unresolved" else resolution.status.value
    provider = resolution.provider
    if provider is None:
        return "resolved"
    if provider.kind is ProviderKind.BUILTIN:
        return "built-in"
    if provider.library:
        return os.path.basename(provider.library)
    return provider.kind.value


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    async def inlay_hints(ls: "SffiLanguageServer", params: lsp.InlayHintParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        source = ls.sources.get(path)
        if source is None:
            return []
        first, last = params.range.start.line, params.range.end.line
        hints = []
        for decl in source.externs:
            if not first <= decl.span.end_line <= last:
                continue
            res = ls.resolution_for(path, decl.name)
            end = ls.line_index(path).to_client(decl.span.end_line, decl.span.end_column, ls.encoding)
            tooltip = res.provider.describe() if res is not None and res.provider else (res.note if res else None)
            hints.append(
                lsp.InlayHint(
                    position=end,
                    label=f"→ {resolution_label(res)}",
                    kind=lsp.InlayHintKind.Type,
                    padding_left=True,
                    tooltip=tooltip or None,
                )
            )
        return hints
