"""The Simple runtime's own view of its externs, read from a checkout's Rust
sources with the Rust source reader (`rust_source`): interpreter dispatch,
compiled-code registry and tiers, C-ABI definitions. Knows nothing of Simple
text, ELF or LSP; cached on disk by file identity.

Names are imported on first use: `find_checkout` is asked on every check and
must not pull in the reader, the cache (json, hashlib) or tree-sitter."""

from __future__ import annotations

from .checkout import find_checkout

_LAZY = {
    "read_runtime": "build",
    "default_cache_dir": "cache", "forget": "cache", "load_runtime_model": "cache",
    "DYNAMIC_FALLBACK_DIRS": "model", "DYNAMIC_FALLBACK_LIBRARY": "model", "Definition": "model",
    "Family": "model", "InterpreterEntry": "model", "InterpreterVerdict": "model", "RefusedFamily": "model",
    "RuntimeModel": "model", "RuntimeView": "model", "Site": "model",
}

__all__ = ["find_checkout", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(f".{module}", __name__), name)
