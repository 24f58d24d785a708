"""The Simple runtime's own view of its externs, read from a checkout's Rust
sources with the Rust source reader (`rust_source`): interpreter dispatch,
compiled-code registry and tiers, C-ABI definitions. Knows nothing of Simple
text, ELF or LSP; cached on disk by file identity."""

from .build import find_checkout, read_runtime
from .cache import default_cache_dir, forget, load_runtime_model
from .model import (
    DYNAMIC_FALLBACK_DIRS,
    DYNAMIC_FALLBACK_LIBRARY,
    Definition,
    Family,
    InterpreterEntry,
    InterpreterVerdict,
    RefusedFamily,
    RuntimeModel,
    RuntimeView,
    Site,
)

__all__ = [
    "find_checkout", "read_runtime", "default_cache_dir", "forget", "load_runtime_model",
    "DYNAMIC_FALLBACK_DIRS", "DYNAMIC_FALLBACK_LIBRARY", "Definition", "Family", "InterpreterEntry",
    "InterpreterVerdict", "RefusedFamily", "RuntimeModel", "RuntimeView", "Site",
]
