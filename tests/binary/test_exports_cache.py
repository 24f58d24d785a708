"""Full export listings, the persistent cache, re-validation, and that nothing is ever run."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex, Found, LoadProblem, LoadReason, SymbolKind, Target, read_target
from sffi_lsp.binary.listing import ListingCache

from .conftest import CTOR_MARK_ENV, Built, ask_oracle


@pytest.mark.parametrize("key", ["basic", "ver", "lazy", "sysv", "noshdr", "rchain"])
def test_every_listed_symbol_is_what_dlsym_returns_from_that_object(built: Built, key: str) -> None:
    listing = ExportIndex(ld_library_path=[]).exports(str(built[key]))
    names = [s.name for s in listing.symbols]
    assert names and len(names) == len(set(names))
    oracle = ask_oracle(built, str(built[key]), names)
    assert oracle.loaded and set(oracle.found) == set(names)
    for s in listing.symbols:
        if s.kind != SymbolKind.TLS and s.address:
            assert os.path.realpath(oracle.found[s.name]) == listing.path


def test_libc_listing_has_versions_and_ifuncs() -> None:
    ix = ExportIndex(ld_library_path=[])
    listing = ix.exports(ix.library("libc.so.6"))
    by_name = {s.name: s for s in listing.symbols}
    assert by_name["memcpy"].kind == SymbolKind.IFUNC and by_name["memcpy"].version == "GLIBC_2.14"
    assert "pthread_atfork" not in by_name  # compat only
    assert by_name["printf"].kind == SymbolKind.FUNCTION
    assert listing.symbols.get("environ").kind == SymbolKind.DATA  # type: ignore[union-attr]


def test_cache_round_trip_and_corrupt_files(built: Built, tmp_path: Path) -> None:
    cold = ExportIndex(cache_dir=tmp_path, ld_library_path=[]).exports(str(built["ver"]))
    files = list(tmp_path.glob("*.exports"))
    assert len(files) == 1
    warm = ExportIndex(cache_dir=tmp_path, ld_library_path=[]).exports(str(built["ver"]))
    assert list(warm.symbols) == list(cold.symbols) and warm.path == cold.path
    for garbage in (b"", b"SFFIEXP3" + b"\xff" * 40, files[0].read_bytes()[:-7], b"\x80\x04junk"):
        files[0].write_bytes(garbage)
        again = ExportIndex(cache_dir=tmp_path, ld_library_path=[]).exports(str(built["ver"]))
        assert list(again.symbols) == list(cold.symbols)


def test_concurrent_writers_leave_a_whole_file(built: Built, tmp_path: Path) -> None:
    ix = ExportIndex(ld_library_path=[])
    table = ix.exports(str(built["basic"])).symbols
    cache = ListingCache(tmp_path)
    ident = ("/x/libbasic.so", 1, 2, 3)
    threads = [threading.Thread(target=lambda: [cache.store(ident, table) for _ in range(20)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(cache.load(ident)) == list(table)  # type: ignore[arg-type]
    assert cache.load(("/x/other.so", 1, 2, 3)) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".exports-")] == []


def test_rebuilt_library_is_read_again(built: Built, tmp_path: Path) -> None:
    lib = tmp_path / "libchanging.so"
    src = tmp_path / "c.c"
    src.write_text("int first(void) { return 1; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    ix = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[])
    one = ix.library(str(lib))
    assert isinstance(ix.lookup(one, ["first"])["first"], Found)
    assert ix.library(str(lib)) is one and not ix.stale()
    src.write_text("int second(void) { return 2; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib) + ".tmp", str(src)], check=True)
    os.replace(str(lib) + ".tmp", lib)
    assert ix.stale()
    two = ix.library(str(lib))
    assert two is not one and two.identity != one.identity
    got = ix.lookup(two, ["first", "second"])
    assert not isinstance(got["first"], Found) and isinstance(got["second"], Found)
    assert [s.name for s in ix.exports(two).symbols] == ["second"]


def test_a_missing_library_appears_when_built(built: Built, tmp_path: Path) -> None:
    ix = ExportIndex(ld_library_path=[str(tmp_path)])
    assert ix.library("liblater.so").problem.reason == LoadReason.NOT_FOUND  # type: ignore[union-attr]
    shutil.copy(built["basic"], tmp_path / "liblater.so")
    assert ix.library("liblater.so").loadable


def test_no_library_code_ever_runs(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = tmp_path / "ctor-ran"
    monkeypatch.setenv(CTOR_MARK_ENV, str(mark))
    ix = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[])
    lib = ix.library(str(built["ctor"]))
    assert lib.loadable
    ix.lookup(lib, ["ctor_fn", "mark", "printf"])
    ix.exports(lib)
    ix.signatures(lib, ["ctor_fn"])
    from sffi_lsp.binary.report import render_symbols

    render_symbols(ix, str(built["ctor"]), ["ctor_fn"])
    render_symbols(ix, str(built["ctor"]), [], as_json=True)
    read_target(str(built["ctor"]))
    assert not mark.exists()
    # The oracle does run it: the mark proves the constructor would have left a file.
    ask_oracle(built, str(built["ctor"]), [], {CTOR_MARK_ENV: str(mark)})
    assert mark.exists()


def test_read_target(built: Built) -> None:
    exe = read_target(str(built["exe_nopie"]))
    assert isinstance(exe, Target) and exe == Target.host()
    if "m32" in built.libs:
        t32 = read_target(str(built["m32"]))
        assert isinstance(t32, Target) and t32.elf_class == 32 and t32.machine == 3
        ix32 = ExportIndex(target=t32, ld_library_path=[])
        lib = ix32.library(str(built["m32"]))
        assert lib.loadable and isinstance(ix32.lookup(lib, ["m32_fn"])["m32_fn"], Found)
        assert ix32.library(str(built["basic"])).problem.reason == LoadReason.WRONG_CLASS  # type: ignore[union-attr]
    for key, reason in (("script", LoadReason.LINKER_SCRIPT), ("dir", LoadReason.DIRECTORY),
                        ("reltype", LoadReason.NOT_SHARED_OBJECT), ("fifo", LoadReason.FIFO)):
        got = read_target(str(built[key]))
        assert isinstance(got, LoadProblem) and got.reason == reason


def test_persisted_verdicts_are_revalidated(built: Built, tmp_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    shutil.copytree(built["rchain"].parent, lib_dir, symlinks=True, ignore=shutil.ignore_patterns("*fifo*"))
    spec = str(lib_dir / "librchain.so")
    first = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[]).library(spec)
    assert first.loadable and list((tmp_path / "cache").glob("*.library"))
    again = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[])
    restored = again.library(spec)
    assert restored == first
    assert isinstance(again.lookup(restored, ["dep3_fn"])["dep3_fn"], Found)
    (lib_dir / "rdeps" / "libdep3.so").unlink()  # a dependency disappears: the verdict must not be reused
    gone = ExportIndex(cache_dir=tmp_path / "cache", ld_library_path=[]).library(spec)
    assert gone.problem is not None and gone.problem.reason == LoadReason.MISSING_DEPENDENCY
