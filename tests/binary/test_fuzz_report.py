"""Hostile files: mutated libraries never crash or hang the index. And the symbols view."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from sffi_lsp.binary import Absent, ExportIndex, Found, Library, SymbolListing
from sffi_lsp.binary.report import render_symbols

from .conftest import Built

ITERATIONS = int(os.environ.get("SFFI_FUZZ_ITERATIONS", "3000"))
PER_OP_LIMIT = 2.0  # seconds; the raw readers are bounded, so any op is milliseconds
NAMES = ["basic_add", "basic_data", "basic_tls", "basic_twice", "basic_hidden", "printf", "nope"]


def _mutate(rng: random.Random, data: bytearray) -> bytearray:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if len(out) < 64:
            break
        choice = rng.random()
        if choice < 0.5:  # flip bytes, most often in the headers and dynamic tables
            hot = rng.random() < 0.6
            pos = rng.randrange(0, min(len(out), 4096) if hot else len(out))
            out[pos] = rng.randrange(256)
        elif choice < 0.75:  # plant a large or zero 32-bit value
            pos = rng.randrange(0, len(out) - 8)
            val = rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, len(out), rng.randrange(1 << 32)])
            out[pos:pos + 4] = val.to_bytes(4, "little")
        elif choice < 0.9:  # truncate
            del out[rng.randrange(16, len(out)):]
        else:  # duplicate a chunk
            a = rng.randrange(len(out))
            out[a:a] = out[a: a + rng.randrange(1, 64)]
    return out


def test_mutants_never_escape_or_hang(built: Built, tmp_path: Path) -> None:
    seed = bytearray(built["basic"].read_bytes())
    rng = random.Random(20260703)
    target = tmp_path / "libmutant.so"
    ix = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[])
    slowest = 0.0
    outcomes: dict[str, int] = {}
    for i in range(ITERATIONS):
        target.write_bytes(_mutate(rng, seed))
        os.utime(target, ns=(i, i))  # a fresh identity every round, as a rebuilt file has
        t = time.perf_counter()
        lib = ix.library(str(target))
        got = ix.lookup(lib, NAMES)
        listing = ix.exports(str(target))
        elapsed = time.perf_counter() - t
        slowest = max(slowest, elapsed)
        assert isinstance(lib, Library) and isinstance(listing, SymbolListing)
        assert all(isinstance(v, (Found, Absent)) for v in got.values())
        for s in listing.symbols:
            assert isinstance(s.name, str)
        assert elapsed < PER_OP_LIMIT, f"mutant {i} took {elapsed:.2f}s"
        key = "loadable" if lib.loadable else lib.problem.reason.value  # type: ignore[union-attr]
        outcomes[key] = outcomes.get(key, 0) + 1
    assert len(outcomes) >= 3, outcomes  # the mutants really explore several failure kinds


def test_mutant_signatures_are_contained(built: Built, tmp_path: Path) -> None:
    seed = bytearray(built["sig"].read_bytes())
    rng = random.Random(7)
    ix = ExportIndex(ld_library_path=[])
    for i in range(3):
        p = tmp_path / f"libsigmut{i}.so"
        data = bytearray(seed)
        for _ in range(200):  # damage the DWARF-heavy tail of the file
            pos = rng.randrange(len(data) // 2, len(data))
            data[pos] = rng.randrange(256)
        p.write_bytes(data)
        got = ix.signatures(ix.library(str(p)), ["sig_add", "sig_strlen"], timeout=10)
        assert set(got) == {"sig_add", "sig_strlen"}


def test_symbols_view_lists_and_explains(built: Built) -> None:
    ix = ExportIndex(ld_library_path=[])
    text = render_symbols(ix, str(built["ver"]), [])
    assert "foo" in text and "V2" in text and "old_only" not in text
    assert text.splitlines()[0].startswith("library:")
    per_name = render_symbols(ix, str(built["ver"]), ["foo", "old_only", "zzz"])
    assert "found in libver.so" in per_name and "compat-only" in per_name and "not-present" in per_name
    data = json.loads(render_symbols(ix, str(built["ver"]), ["foo", "old_only"], as_json=True))
    assert data["names"][0]["found"] and data["names"][0]["version"] == "V2"
    assert data["names"][1]["reason"] == "compat-only"
    bad = render_symbols(ix, str(built["script"]), ["x"])
    assert "NOT LOADABLE [linker-script]" in bad
    listing = json.loads(render_symbols(ix, str(built["basic"]), [], as_json=True))
    kinds = {s["name"]: s["kind"] for s in listing["symbols"]}
    assert kinds["basic_twice"] == "ifunc" and kinds["basic_tls"] == "tls" and kinds["basic_data"] == "data"


@pytest.mark.skipif(not os.path.exists("/lib/x86_64-linux-gnu/libc.so.6"), reason="needs glibc on x86-64")
def test_symbols_view_on_libc() -> None:
    text = render_symbols(ExportIndex(ld_library_path=[]), "libc.so.6", ["memcpy", "pthread_atfork"])
    assert "ifunc" in text and "GLIBC_2.14" in text and "compat-only" in text
