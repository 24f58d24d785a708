"""The product must agree with the real dynamic linker on every (library, name)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from sffi_lsp.binary import Absent, AbsenceReason, ExportIndex, Found, LoadReason, SymbolKind

from .conftest import Built, ask_oracle

# Every library of the battery except the FIFO (dlopen would block on it forever).
BATTERY = ["basic", "ver", "lazy", "eager", "ctor", "sig", "sysv", "rchain", "runchain", "needsmissing",
           "exe_nopie", "exe_pie", "aarch64", "noshdr", "reltype", "stripped", "link", "dangle", "script",
           "archive", "empty", "trunc", "half", "dir", "m32"]

EXPECTED_REASON = {
    "eager": LoadReason.UNDEFINED_SYMBOL, "runchain": LoadReason.MISSING_DEPENDENCY,
    "needsmissing": LoadReason.MISSING_DEPENDENCY, "exe_nopie": LoadReason.NOT_SHARED_OBJECT,
    "exe_pie": LoadReason.NOT_SHARED_OBJECT, "aarch64": LoadReason.WRONG_MACHINE,
    "reltype": LoadReason.NOT_SHARED_OBJECT, "dangle": LoadReason.DANGLING_SYMLINK,
    "script": LoadReason.LINKER_SCRIPT, "archive": LoadReason.ARCHIVE, "empty": LoadReason.EMPTY,
    "trunc": LoadReason.TRUNCATED, "half": LoadReason.TRUNCATED, "dir": LoadReason.DIRECTORY,
    "m32": LoadReason.WRONG_CLASS,
}

EXTRA_NAMES = ["printf", "malloc", "memcpy", "pthread_atfork", "environ", "errno", "no_such_symbol_xyz",
               "dep3_fn", "dep2_fn", "dep1_fn", "dep3_data", "foo", "old_only", "bar", "foo_v1",
               "basic_hidden", "basic_static", "impl_fast", "lazy_ok", "lazy_bad", "not_defined_anywhere",
               "_init", "_fini", "GLIBC_2.2.5", "V1", "V2", ""]


def dynamic_names(path: str) -> list[str]:
    r = subprocess.run(["nm", "-D", path], capture_output=True, text=True)
    names = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts:
            names.add(parts[-1].split("@")[0])
    return sorted(names)


@pytest.fixture(scope="module")
def index() -> ExportIndex:
    return ExportIndex(ld_library_path=[])


@pytest.mark.parametrize("key", BATTERY)
def test_loadability_and_every_name_agree_with_dlopen(built: Built, index: ExportIndex, key: str) -> None:
    if key not in built.libs:
        pytest.skip(f"{key} could not be built here")
    path = str(built[key])
    lib = index.library(path)
    names = sorted(set(dynamic_names(path) if os.path.isfile(path) else []) | set(EXTRA_NAMES) - {""})
    oracle = ask_oracle(built, path, names)
    assert lib.loadable == oracle.loaded, (lib.problem, oracle.error)
    if key in EXPECTED_REASON:
        assert lib.problem is not None and lib.problem.reason == EXPECTED_REASON[key], lib.problem
        assert lib.problem.message
    answers = index.lookup(lib, names)
    for name in names:
        got = answers[name]
        if name in oracle.found:
            assert isinstance(got, Found), (name, got)
            where = oracle.found[name]
            if got.symbol.kind != SymbolKind.TLS and where != "?":
                assert os.path.realpath(where) == got.provider, (name, where, got.provider)
        else:
            assert isinstance(got, Absent), (name, got)
            if not oracle.loaded:
                assert got.reason == AbsenceReason.LIBRARY_NOT_LOADABLE


def test_the_fifo_is_never_opened(built: Built, index: ExportIndex) -> None:
    t = time.monotonic()
    lib = index.library(str(built["fifo"]))
    assert lib.problem is not None and lib.problem.reason == LoadReason.FIFO
    assert index.exports(str(built["fifo"])).symbols == ()
    assert time.monotonic() - t < 2


def test_versions_kinds_and_reasons(built: Built, index: ExportIndex) -> None:
    ver = index.library(str(built["ver"]))
    got = index.lookup(ver, ["foo", "old_only", "bar", "foo_v1"])
    assert isinstance(got["foo"], Found) and got["foo"].symbol.version == "V2"
    assert isinstance(got["bar"], Found) and got["bar"].symbol.version == "V1"
    assert isinstance(got["old_only"], Absent) and got["old_only"].reason == AbsenceReason.COMPAT_ONLY
    assert "old_only@V1" in got["old_only"].detail
    basic = index.library(str(built["basic"]))
    got = index.lookup(basic, ["basic_twice", "basic_data", "basic_tls", "basic_add", "basic_weak",
                               "basic_protected", "basic_hidden", "basic_static", "printf"])
    kinds = {n: r.symbol.kind for n, r in got.items() if isinstance(r, Found)}
    assert kinds["basic_twice"] == SymbolKind.IFUNC and kinds["basic_twice"].is_function
    assert kinds["basic_data"] == SymbolKind.DATA and not kinds["basic_data"].is_function
    assert kinds["basic_tls"] == SymbolKind.TLS
    assert got["basic_weak"].symbol.binding == "weak"  # type: ignore[union-attr]
    assert got["basic_protected"].symbol.visibility == "protected"  # type: ignore[union-attr]
    # ld turns hidden symbols into locals (.symtab: LOCAL, visibility often reset to DEFAULT).
    assert got["basic_hidden"].reason in (AbsenceReason.HIDDEN, AbsenceReason.LOCAL)  # type: ignore[union-attr]
    assert got["basic_static"].reason == AbsenceReason.LOCAL  # type: ignore[union-attr]
    assert isinstance(got["printf"], Absent)  # linked --as-needed: libbasic has no DT_NEEDED on libc
    ctor = index.library(str(built["ctor"]))
    printf = index.lookup(ctor, ["printf"])["printf"]
    assert isinstance(printf, Found) and not printf.direct and printf.provider.endswith("libc.so.6")
    assert printf.via[0] == ctor.path and printf.via[-1] == printf.provider
    libc = index.library("libc.so.6")
    got = index.lookup(libc, ["memcpy", "pthread_atfork"])
    assert got["memcpy"].symbol.kind == SymbolKind.IFUNC and got["memcpy"].symbol.version  # type: ignore[union-attr]
    assert got["pthread_atfork"].reason == AbsenceReason.COMPAT_ONLY  # type: ignore[union-attr]


def test_dependency_chain_rpath_is_inherited_runpath_is_not(built: Built, index: ExportIndex) -> None:
    r = index.library(str(built["rchain"]))
    assert r.loadable
    assert [os.path.basename(p) for p in r.closure[:3]] == ["librchain.so", "libdep2.so", "libdep3.so"]
    found = index.lookup(r, ["dep3_fn"])["dep3_fn"]
    assert isinstance(found, Found) and found.provider.endswith("rdeps/libdep3.so") and len(found.via) == 3
    run = index.library(str(built["runchain"]))
    assert run.problem is not None and run.problem.chain[-1] == "libdep3.so"
    assert "libdep3.so" in run.problem.message


def test_lazy_binding_unresolved_function_is_a_warning_not_a_failure(built: Built, index: ExportIndex) -> None:
    lazy = index.library(str(built["lazy"]))
    assert lazy.loadable and lazy.unresolved_functions == ("not_defined_anywhere",)
    undefined = index.lookup(lazy, ["not_defined_anywhere"])["not_defined_anywhere"]
    assert isinstance(undefined, Absent) and undefined.reason == AbsenceReason.UNDEFINED


def test_sysv_hash_only_and_section_headerless_files(built: Built, index: ExportIndex) -> None:
    sysv = index.library(str(built["sysv"]))
    assert isinstance(index.lookup(sysv, ["sysv_fn"])["sysv_fn"], Found)
    full = [s.name for s in index.exports(str(built["basic"])).symbols]
    for key in ("noshdr", "stripped"):
        assert sorted(s.name for s in index.exports(str(built[key])).symbols) == sorted(full)


def test_bare_names_are_searched_like_ld_so(built: Built) -> None:
    lib_dir = str(built["basic"].parent)
    ix = ExportIndex(ld_library_path=[lib_dir])
    lib = ix.library("liblink.so")
    assert lib.loadable and lib.path == os.path.realpath(built["link"]) and lib.soname == "liblink.so.1"
    oracle = ask_oracle(built, "liblink.so", ["link_fn"], {"LD_LIBRARY_PATH": lib_dir})
    assert oracle.loaded and "link_fn" in oracle.found
    assert ExportIndex(ld_library_path=[]).library("liblink.so").problem.reason == LoadReason.NOT_FOUND  # type: ignore[union-attr]
    extra = ExportIndex(ld_library_path=[], search_paths=[lib_dir])
    assert extra.library("libbasic.so").loadable
    libm = ExportIndex(ld_library_path=[]).library("libm.so.6")
    assert libm.loadable and "libc.so.6" in libm.needed
    # A wrong-class candidate is skipped and the search goes on; found nowhere else -> its reason.
    assert ExportIndex(ld_library_path=[lib_dir]).library("libm32.so").problem.reason in (  # type: ignore[union-attr]
        LoadReason.WRONG_CLASS, LoadReason.NOT_FOUND)


def test_ld_so_cache_matches_ldconfig() -> None:
    from sffi_lsp.binary.types import host_target
    from sffi_lsp.binary.ldcache import LdCache

    r = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("ldconfig -p unavailable")
    cache = LdCache(host_target()).entries()
    seen = 0
    for line in r.stdout.splitlines()[1:]:
        if "x86-64" not in line or "=>" not in line or "hwcap" in line:
            continue
        name = line.split()[0]
        path = line.split("=>")[1].strip()
        if name in cache and cache[name] == path:
            seen += 1
        else:
            assert name in cache  # ldconfig lists duplicates; the first one is what ld.so takes
    assert seen > 10
