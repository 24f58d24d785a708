"""The binary layer: what shared libraries export, as the dynamic linker sees it.

Knows nothing of Simple syntax, of the checker or of LSP. Never runs library code.

The names below are imported on first use (PEP 562): `from sffi_lsp.binary.types
import ...` must not pull in the ELF reader, the loader and hashlib, which a check
of a tree without libraries never needs (they cost ~40 ms at start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_FROM = {
    "read_target": "elf",
    "ExportIndex": "index",
    **dict.fromkeys(
        ("Absent", "AbsenceReason", "CParam", "CSignature", "CType", "ExportedSymbol", "Found", "Library",
         "LoadProblem", "LoadReason", "NoSignature", "SymbolKind", "SymbolListing", "Target"),
        "types",
    ),
}

__all__ = [
    "Absent", "AbsenceReason", "CParam", "CSignature", "CType", "ExportIndex", "ExportedSymbol", "Found",
    "Library", "LoadProblem", "LoadReason", "NoSignature", "SymbolKind", "SymbolListing", "Target", "read_target",
]

if TYPE_CHECKING:
    from .elf import read_target
    from .index import ExportIndex
    from .types import (Absent, AbsenceReason, CParam, CSignature, CType, ExportedSymbol, Found, Library,
                        LoadProblem, LoadReason, NoSignature, SymbolKind, SymbolListing, Target)


def __getattr__(name: str):
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module  # noqa: PLC0415

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
