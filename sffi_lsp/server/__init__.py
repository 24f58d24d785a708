"""The language server: a thin pygls adapter over the checker."""

from __future__ import annotations

__all__ = ["create_server"]


def create_server():  # noqa: ANN201 - lazy import keeps `import sffi_lsp.server` cheap
    from .features import create_server as create  # noqa: PLC0415

    return create()
