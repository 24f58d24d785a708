"""The static link model must agree with GNU ld on every architecture: what binds, what ld pulls
from archives, what stays undefined, what is defined twice."""

from __future__ import annotations

import os

import pytest

from sffi_lsp.binary.static_link import StaticReader, link, read_static_file, target_of
from sffi_lsp.binary.types import LoadReason, SymbolKind

from .conftest import build, run_ld, shown

OBJECTS = {
    "main_obj": dict(funcs=["k_init", "k_dup"], untyped=["k_asm_entry"], weak=["k_weak_override"], local=["k_static"],
                     data=["k_data"], common=["k_common"], refs=["k_from_lib_a"],
                     weak_refs=["k_never_defined_weak", "k_weak_ref_target"]),
    "second": dict(funcs=["k_dup", "k_weak_override"], refs=["k_missing_everywhere"]),
}
LIB_A = {  # archive order matters: a0 is needed only by a3, which is pulled after it was passed
    "a0": dict(funcs=["k_a0_late"]),
    "a1": dict(funcs=["k_from_lib_a"], refs=["k_a2_helper"]),
    "a2": dict(funcs=["k_a2_helper"]),
    "a3": dict(funcs=["k_wanted_a3"], refs=["k_a0_late", "k_from_libb_only"]),
    "a4": dict(funcs=["k_unpulled"], refs=["k_unpulled_missing"]),
    "a5": dict(common=["k_common"]),  # another tentative definition: does not pull
    "a6": dict(data=["k_common_real"]),
    "a7": dict(weak=["k_weak_only_lib"]),
    "a8": dict(funcs=["k_weak_ref_target"]),  # referenced only weakly: not pulled
    "a9": dict(funcs=["k_dup_in_lib", "k_wanted_a9"]),
    "a10": dict(funcs=["k_dup_in_lib", "k_wanted_a10"]),
    "a11": dict(funcs=["k_back_in_liba"]),  # needed only by libb's b2: single pass misses it
    "a12": dict(local=["k_static_in_lib"], funcs=["k_has_static"]),
}
LIB_B = {
    "b1": dict(funcs=["k_from_libb_only"]),
    "b2": dict(funcs=["k_wanted_b2"], refs=["k_back_in_liba"]),
}
WANTED = ["k_init", "k_asm_entry", "k_weak_override", "k_static", "k_data", "k_common", "k_from_lib_a",
          "k_wanted_a3", "k_weak_only_lib", "k_wanted_a9", "k_wanted_a10", "k_wanted_b2", "k_absent",
          "k_static_in_lib", "k_common_real"]


@pytest.fixture
def inputs(toolchain, tmp_path):
    objs = build(toolchain, tmp_path / "o", OBJECTS)
    a = build(toolchain, tmp_path / "a", LIB_A)
    b = build(toolchain, tmp_path / "b", LIB_B)
    liba = toolchain.archive(tmp_path / "liba.a", [a[k] for k in LIB_A])
    libb = toolchain.archive(tmp_path / "libb.a", [b[k] for k in LIB_B])
    return [objs["main_obj"], objs["second"], liba, libb]


def _agree(toolchain, tmp_path, paths, *, group: bool, groups=None, wanted=WANTED):
    ld = run_ld(toolchain, tmp_path, wanted, paths, group=group, groups=groups)
    files = [read_static_file(str(p)) for p in paths]
    target = target_of(files)
    assert target is not None and target.machine == toolchain.machine
    assert (target.elf_class, target.little_endian) == (toolchain.elf_class, toolchain.little)
    ours = link(files, wanted, target, group=group, groups=groups)
    assert {shown(o) for o in ours.linked} == ld.loaded, ld.output
    resolved_by_ld = {n for n in wanted if n not in ld.undefined}
    assert {n for n in wanted if ours.resolve(n) is not None} == resolved_by_ld, ld.output
    ours_undefined = {u.name for u in ours.unresolved} | {n for n in wanted if ours.resolve(n) is None}
    assert ours_undefined == ld.undefined, ld.output
    assert {d.name for d in ours.duplicates} == ld.multiple, ld.output
    return ours, ld


def test_single_pass_agrees_with_ld(toolchain, tmp_path, inputs):
    ours, ld = _agree(toolchain, tmp_path, inputs, group=False)
    # The facts the scenario was written to exercise, so the agreement above is not vacuous.
    assert "k_back_in_liba" in ld.undefined and "libb.a(b2.o)" in ld.loaded
    assert "liba.a(a0.o)" in ld.loaded and "liba.a(a4.o)" not in ld.loaded
    assert {"k_static", "k_absent", "k_static_in_lib", "k_missing_everywhere"} <= ld.undefined
    assert {"k_dup", "k_dup_in_lib"} == ld.multiple
    d = ours.resolve("k_weak_override")
    assert d is not None and os.path.basename(d.path) == "second.o" and d.symbol.binding == "global"
    assert ours.resolve("k_asm_entry").symbol.kind is SymbolKind.FUNCTION  # untyped label in .text
    assert ours.resolve("k_data").symbol.kind is SymbolKind.DATA
    assert ours.resolve("k_common").symbol.common
    assert ours.resolve("k_weak_only_lib").symbol.binding == "weak"
    back = next(u for u in ours.unresolved if u.name == "k_back_in_liba")
    assert back.needed_by == (f"{inputs[3]}(b2.o)",)
    dup = next(x for x in ours.duplicates if x.name == "k_dup")
    assert {os.path.basename(dup.first.path), os.path.basename(dup.second.path)} == {"main_obj.o", "second.o"}


def test_group_agrees_with_ld(toolchain, tmp_path, inputs):
    ours, ld = _agree(toolchain, tmp_path, inputs, group=True)
    assert "k_back_in_liba" not in ld.undefined and "liba.a(a11.o)" in ld.loaded


LIB_C = {  # grouped with libb only: its references reach back into libb, never into liba
    "c1": dict(funcs=["k_wanted_c1"], refs=["k_libb_late", "k_liba_after_c"]),
}
LIB_B_LATE = {"b3": dict(funcs=["k_libb_late"])}
LIB_A_LATE = {"a13": dict(funcs=["k_liba_after_c"])}


def test_partial_group_agrees_with_ld(toolchain, tmp_path, inputs):
    """`liba --start-group libb libc --end-group`: ld rescans libb for libc's references,
    not liba (before the group), and an archive after a group is read once."""
    extra = build(toolchain, tmp_path / "x", {**LIB_C, **LIB_B_LATE, **LIB_A_LATE})
    a = {k: tmp_path / "a" / f"{k}.o" for k in LIB_A}
    b = {k: tmp_path / "b" / f"{k}.o" for k in LIB_B}
    liba = toolchain.archive(tmp_path / "liba2.a", [*a.values(), extra["a13"]])
    libb = toolchain.archive(tmp_path / "libb2.a", [*b.values(), extra["b3"]])
    libc = toolchain.archive(tmp_path / "libc2.a", [extra["c1"]])
    paths = [inputs[0], inputs[1], liba, libb, libc]
    wanted = [*WANTED, "k_wanted_c1"]
    ours, ld = _agree(toolchain, tmp_path, paths, group=False, groups=[None, None, None, 0, 0], wanted=wanted)
    assert "libb2.a(b3.o)" in ld.loaded and "k_liba_after_c" in ld.undefined  # the facts the scenario tests
    assert "k_back_in_liba" in ld.undefined
    # the same inputs with liba in the group too: ld then goes back into liba
    ours2, ld2 = _agree(toolchain, tmp_path, paths, group=False, groups=[None, None, 0, 0, 0], wanted=wanted)
    assert "liba2.a(a13.o)" in ld2.loaded and "k_back_in_liba" not in ld2.undefined


def test_thin_archive_agrees_with_ld(toolchain, tmp_path, inputs):
    a = {k: tmp_path / "a" / f"{k}.o" for k in LIB_A}
    thin = toolchain.archive(tmp_path / "libthin.a", list(a.values()), thin=True)
    paths = [inputs[0], inputs[1], thin, inputs[3]]
    sf = read_static_file(str(thin))
    assert sf.thin and sf.usable and len(sf.members) == len(LIB_A)
    _agree(toolchain, tmp_path, paths, group=False)


def test_wrong_machine_is_refused_like_ld(toolchain, tmp_path, inputs):
    from .toolchains import TOOLCHAINS

    other = next((t for t in TOOLCHAINS.values() if t.available and t.machine != toolchain.machine), None)
    if other is None:
        pytest.skip("no second architecture's binutils installed")
    foreign = other.assemble("\t.text\n\t.globl k_init_foreign\nk_init_foreign:\n", tmp_path / "foreign.o")
    files = [read_static_file(str(p)) for p in [*inputs, foreign]]
    ours = link(files, [*WANTED, "k_init_foreign"], target_of(files))
    assert ours.resolve("k_init_foreign") is None
    p = ours.skipped["k_init_foreign"]
    assert p.reason in (LoadReason.WRONG_MACHINE, LoadReason.WRONG_CLASS, LoadReason.WRONG_ENDIANNESS)
    assert "foreign.o" in p.message


def test_archive_without_index_is_refused_like_ld(toolchain, tmp_path, inputs):
    a = [tmp_path / "a" / f"{k}.o" for k in LIB_A]
    bare = toolchain.archive(tmp_path / "libbare.a", a, index=False)
    ld = run_ld(toolchain, tmp_path, ["k_from_lib_a"], [bare])
    assert "archive has no index" in ld.output and not ld.loaded  # a fatal error: ld stops there
    sf = read_static_file(str(bare))
    assert not sf.usable and "ranlib" in sf.problem.message
    ours = link([sf], ["k_from_lib_a"], target_of([sf]))
    assert ours.resolve("k_from_lib_a") is None


def test_reader_cache_by_identity(toolchain, tmp_path, inputs):
    reader = StaticReader(tmp_path / "cache")
    first = reader.read(str(inputs[2]))
    assert reader.read(str(inputs[2])) is first
    fresh = StaticReader(tmp_path / "cache").read(str(inputs[2]))  # from disk
    assert fresh == first and fresh is not first
    assert not reader.stale()
    b = build(toolchain, tmp_path / "rebuilt", {"a1": dict(funcs=["k_from_lib_a", "k_new_in_a1"])})
    toolchain.archive(inputs[2], [b["a1"]])
    assert reader.stale()
    again = reader.read(str(inputs[2]))
    assert again.members == ("a1.o",) and any(s.name == "k_new_in_a1" for s in again.objects[0].defined)


def test_reader_cache_admits_only_its_types(toolchain, tmp_path, inputs):
    import pickle

    reader = StaticReader(tmp_path / "cache")
    reader.read(str(inputs[2]))
    (entry,) = list((tmp_path / "cache").glob("*.static"))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    entry.write_bytes(pickle.dumps(("sffi-static-1", Evil())))
    again = StaticReader(tmp_path / "cache").read(str(inputs[2]))
    assert not (tmp_path / "pwned").exists() and again.usable and len(again.members) == len(LIB_A)
