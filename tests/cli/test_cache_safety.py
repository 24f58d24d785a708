"""A planted cache entry must never run code: it is a miss, and gets rewritten."""

from __future__ import annotations

import os
import pickle

from sffi_lsp.cache import FileKey, ModelCache
from sffi_lsp.syntax import parse_source


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_planted_entry_is_not_executed(tmp_path):
    src = tmp_path / "a.spl"
    src.write_text("extern fn rt_x() -> i64\n", encoding="utf-8")
    cache = ModelCache(str(tmp_path / "cache"), version="v1")
    key = FileKey.of(str(src))
    cache.put(key, parse_source(src.read_text(), str(src)))
    assert cache.get(key) is not None  # a genuine entry round-trips

    marker = tmp_path / "pwned"
    with open(cache._entry_path(key.path), "wb") as fh:
        pickle.dump((key, "v1", _Payload(str(marker))), fh)
    assert cache.get(key) is None
    assert not marker.exists()

    cache.put(key, parse_source(src.read_text(), str(src)))
    got = cache.get(key)
    assert got is not None and [e.name for e in got.externs] == ["rt_x"]
    assert os.path.exists(cache._entry_path(key.path))
