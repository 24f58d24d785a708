"""The tree-sitter reader against a second, regex-built extractor
(`independent.py`) on every sample: the same names, families, registry and
C-ABI definitions, and nothing invented."""

from __future__ import annotations

from sffi_lsp.rust_source import read_rust_file
from sffi_lsp.runtime_model import read_runtime

from . import independent
from .conftest import CHECKOUT, INTERP

MOD_RS = CHECKOUT / INTERP / "mod.rs"


def test_table_rows_agree():
    ours = {(r.name, r.cfg) for r in read_rust_file(str(MOD_RS)).table_rows}
    assert ours == independent.table_rows(MOD_RS)


def test_families_agree():
    model = read_runtime(str(CHECKOUT))[0]
    ours = {
        f.prefix: (f.excludes, f.module.rsplit("/", 1)[-1].removesuffix(".rs") if f.module else "")
        for f in model.families
    }
    assert ours == independent.families(MOD_RS)


def test_family_module_names_agree():
    model = read_runtime(str(CHECKOUT))[0]
    for family in model.families:
        if not family.module or family.prefix == "rt_gfx_":  # rt_gfx_ lists its names in a table
            continue
        expected = {n for n in independent.match_arm_names(CHECKOUT / family.module) if n.startswith(family.prefix)}
        assert {e.name for e in family.names} == expected, family.prefix


def test_registry_agrees():
    model = read_runtime(str(CHECKOUT))[0]
    ours = [e.name for e in model.registered]
    assert ours == independent.registry(CHECKOUT / "src/compiler_rust/common/src/runtime_symbols.rs")


def test_definitions_agree_file_by_file():
    compared = 0
    for path in sorted((CHECKOUT / "src/compiler_rust/runtime/src").rglob("*.rs")):
        facts = read_rust_file(str(path), signatures_only=True)
        ours = {
            (f.name, tuple((p.name, p.type) for p in f.params), f.returns, f.cfg)
            for f in facts.functions
            if f.defined and not f.via_macro
        }
        theirs = independent.definitions(path)
        if path.name == "broken.rs":  # the regex reads the unparseable tail too; we note it instead
            theirs = {d for d in theirs if d[0] != "rt_broken_after"}
        assert ours == theirs, path
        compared += len(ours)
    assert compared >= 15
