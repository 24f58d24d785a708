"""Analysed Lark grammars: the user's cache file, and a copy shipped with the package.

Building the LALR tables of a grammar costs 0.1-0.3 s, and both grammars (the
Simple declaration grammar and the SDN manifest grammar) are on the language
server's path to its first diagnostic. Lark keeps them in a cache file
(`cache_file`), but a user's very first start has none, and Lark's cache key
includes the cache file's own path, so a file made at install time cannot
serve as one. So the installation also saves each analysed parser next to the
package (`<package dir>/__pycache__/`, `Lark.save`), named after everything it
depends on (grammar text, options, Lark and Python versions), and a start
without a user cache loads that (`load_seed`). The seed is as trusted as the
package's own bytecode beside it; anything unexpected in it means a normal build.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _digest(kind: str, grammar_text: str, options: dict[str, Any]) -> str:
    import hashlib  # noqa: PLC0415

    import lark  # noqa: PLC0415

    key = f"{kind}\0{grammar_text}\0{sorted(options.items())!r}\0{lark.__version__}\0{sys.version_info[:2]}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def seed_path(kind: str, grammar_text: str, options: dict[str, Any], package_dir: str) -> str:
    return os.path.join(package_dir, "__pycache__", f"{kind}-lalr-{_digest(kind, grammar_text, options)}.lark.seed")


def write_seed(kind: str, grammar_text: str, options: dict[str, Any], package_dir: str,
               **runtime: Any) -> str | None:
    """Build the parser and save it next to the package (install time).
    `runtime`: options that are objects (a postlexer), given again at load."""
    from lark import Lark  # noqa: PLC0415

    from .atomic_file import replace_atomically  # noqa: PLC0415

    path = seed_path(kind, grammar_text, options, package_dir)
    try:
        parser = Lark(grammar_text, **options, **runtime)
        ok = replace_atomically(path, lambda fh: parser.save(fh, exclude_options=tuple(runtime)))
    except Exception:  # noqa: BLE001 - a read-only installation: users build it once
        return None
    return path if ok else None


def load_seed(kind: str, grammar_text: str, options: dict[str, Any], package_dir: str, **runtime: Any) -> Any:
    """The parser saved by `write_seed` for exactly this grammar, or None."""
    path = seed_path(kind, grammar_text, options, package_dir)
    if not os.path.isfile(path):
        return None
    try:
        from lark import Lark  # noqa: PLC0415

        inst = Lark.__new__(Lark)
        with open(path, "rb") as fh:
            # (what Lark.load does, plus the runtime options its own cache passes)
            return inst._load(fh, **runtime)
    except Exception:  # noqa: BLE001 - a damaged or foreign seed: build instead
        return None


def cache_file(kind: str, grammar_text: str) -> str | None:
    """A writable path for Lark's own cache of this grammar, or None."""
    import hashlib  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    digest = hashlib.sha256(grammar_text.encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for root in (os.path.join(base, "sffi-lsp"), os.path.join(tempfile.gettempdir(), "sffi-lsp-cache")):
        try:
            os.makedirs(root, exist_ok=True)
            if os.access(root, os.W_OK):
                return os.path.join(root, f"{kind}-lalr-{digest}.lark.cache")
        except OSError:
            continue
    return None
