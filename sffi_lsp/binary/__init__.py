"""The binary layer: what shared libraries export, as the dynamic linker sees it.

Knows nothing of Simple syntax, of the checker or of LSP. Never runs library code.
"""

from .elf import read_target
from .index import ExportIndex
from .types import (
    Absent,
    AbsenceReason,
    CParam,
    CSignature,
    CType,
    ExportedSymbol,
    Found,
    Library,
    LoadProblem,
    LoadReason,
    NoSignature,
    SymbolKind,
    SymbolListing,
    Target,
)

__all__ = [
    "Absent", "AbsenceReason", "CParam", "CSignature", "CType", "ExportIndex", "ExportedSymbol", "Found",
    "Library", "LoadProblem", "LoadReason", "NoSignature", "SymbolKind", "SymbolListing", "Target", "read_target",
]
