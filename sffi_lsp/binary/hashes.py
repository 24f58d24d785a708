"""Symbol-name hashes, computed once per name: the GNU hash does not depend on the library."""

from __future__ import annotations

from .elfspec import gnu_hash

_GNU: dict[bytes, int] = {}
_LIMIT = 1 << 20  # bound the memo; names are short-lived beyond this


def gnu_hash_cached(name: bytes) -> int:
    h = _GNU.get(name)
    if h is None:
        if len(_GNU) >= _LIMIT:
            _GNU.clear()
        h = _GNU[name] = gnu_hash(name)
    return h
