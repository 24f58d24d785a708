"""The Rust source reader on our own samples: every shape it must yield, cfg
handling, and bad input (a note, never an exception)."""

from __future__ import annotations

import os

import pytest

from sffi_lsp.rust_source import (
    CfgEnvironment,
    evaluate_cfg,
    is_test_only,
    parse_cfg,
    parse_rust,
    read_rust_file,
)
from sffi_lsp.rust_source import reader as reader_module
from sffi_lsp.rust_source.reader import skim

from .conftest import CHECKOUT, INTERP

MOD_RS = CHECKOUT / INTERP / "mod.rs"
ENV_RS = CHECKOUT / "src/compiler_rust/runtime/src/value/sffi/env.rs"


def test_table_rows_both_forms_multiline_and_cfg():
    facts = read_rust_file(str(MOD_RS))
    rows = {r.name: r for r in facts.table_rows}
    assert set(rows) == {
        "abs", "rt_env_get", "rt_env_set", "rt_string_split_on", "rt_file_size", "rt_tcp_open",
        "rt_window_title", "rt_registry_read", "print", "rt_thread_spawn_isolated",
    }
    # not rows: a format! argument, a string in a comment, rows under #[cfg(test)]
    assert rows["abs"].handler == "conv::abs" and rows["abs"].via == "insert_simple!"
    assert rows["rt_string_split_on"].handler == "conv::split_on"
    assert rows["print"].via == "insert" and rows["print"].function == "init_dispatch_table"
    assert rows["rt_tcp_open"].cfg == ('feature = "net"',)
    assert rows["rt_registry_read"].cfg == ('target_os = "windows"',)
    text = MOD_RS.read_text().splitlines()
    for row in rows.values():
        assert f'"{row.name}"' in text[row.line]  # 0-based lines point at the literal


def test_family_tests_with_exclusions_conditions_and_bodies():
    facts = read_rust_file(str(MOD_RS))
    tests = {(t.kind, t.literal): t for t in facts.name_tests}
    snd = tests[("prefix", "rt_snd_")]
    assert snd.excludes == ("rt_snd_hd_",) and snd.calls == ("snd::dispatch",)
    gfx = tests[("prefix", "rt_gfx_")]
    assert gfx.other == ("gfx::signature_of(name).is_some()",)
    assert tests[("prefix", "rt_win_")].cfg == ('feature = "gui"',)
    assert tests[("equals", "rt_sock_prepare")].calls == ("sock::dispatch",)
    assert tests[("equals", "rt_sock_commit")].if_line == tests[("equals", "rt_sock_prepare")].if_line
    lane = tests[("prefix", "rt_lane_")]
    inline = [a.name for a in facts.match_arms if a.within == lane.if_line]
    assert inline == ["rt_lane_event", "rt_lane_reset", "rt_lane_clear"]


def test_match_guard_family_and_or_patterns():
    facts = parse_rust(
        'fn d(name: &str) { match name { "a" | "b" => 1, _ if name.starts_with("rt_p_") => p::dispatch(name), _ => 0 } }'
    )
    assert [a.name for a in facts.match_arms] == ["a", "b"]
    (test,) = facts.name_tests
    assert test.literal == "rt_p_" and test.calls == ("p::dispatch",)


def test_strip_prefix_and_let_conditions():
    facts = parse_rust('fn d(n: &str) { if let Some(rest) = n.strip_prefix("rt_q_") { q::go(rest); } }')
    (test,) = facts.name_tests
    assert (test.kind, test.literal, test.subject, test.calls) == ("prefix", "rt_q_", "n", ("q::go",))


def test_c_abi_definitions_every_shape():
    facts = read_rust_file(str(ENV_RS))
    by_name = {}
    for fn in facts.functions:
        by_name.setdefault(fn.name, []).append(fn)
    assert by_name["rt_env_get"][0].signature() == "fn rt_env_get(key_ptr: *const u8, key_len: u64) -> RuntimeValue"
    assert by_name["rt_env_get"][0].unsafe and by_name["rt_env_get"][0].defined
    assert by_name["rt_env_set"][0].params[2].name == "value_ptr"  # a multi-line parameter list
    assert by_name["sys_exit"][0].rust_name == "sys_exit_alias" and by_name["sys_exit"][0].returns == "!"
    assert [f.cfg for f in by_name["rt_twin"]] == [("unix",), ("windows",)]
    assert by_name["rt_env_vars"][0].params == ()
    assert "rt_not_exported" not in by_name  # extern "C" without #[no_mangle]: not a symbol
    assert "rt_env_test_hook" not in by_name  # under #[cfg(test)]
    lines = ENV_RS.read_text().splitlines()
    assert "fn rt_env_get" in lines[by_name["rt_env_get"][0].line]


def test_foreign_declarations_include_and_modules():
    facts = read_rust_file(str(CHECKOUT / "src/compiler_rust/runtime/src/value/mathc.rs"))
    (decl,) = facts.functions
    assert (decl.name, decl.defined, decl.returns) == ("rt_math_hypot", False, "f64")
    sffi = read_rust_file(str(CHECKOUT / "src/compiler_rust/runtime/src/value/sffi/mod.rs"))
    assert [i.path for i in sffi.includes] == ["generated.rs"]
    lib = read_rust_file(str(CHECKOUT / "src/compiler_rust/runtime/src/lib.rs"))
    mods = {m.name: m.cfg for m in lib.modules}
    assert mods == {"value": (), "fast": ('feature = "fastmath"',), "tests": ("test",)}
    linked = parse_rust('extern "C" { #[link_name = "real_sym"] fn local_name(p: *const u8, n: u64); }')
    assert linked.functions[0].name == "real_sym" and linked.functions[0].rust_name == "local_name"


def test_macro_rules_generated_functions():
    facts = read_rust_file(str(CHECKOUT / "src/compiler_rust/runtime/src/value/net.rs"))
    generated = {f.name: f for f in facts.functions if f.via_macro}
    assert set(generated) == {"rt_tcp_set_read_timeout", "rt_tcp_set_write_timeout"}
    fn = generated["rt_tcp_set_read_timeout"]
    assert fn.signature() == "fn rt_tcp_set_read_timeout(handle: i64, millis: i64) -> bool"
    assert fn.via_macro == "impl_timeout_setter!"
    lines = (CHECKOUT / "src/compiler_rust/runtime/src/value/net.rs").read_text().splitlines()
    assert "impl_timeout_setter!(rt_tcp_set_read_timeout" in lines[fn.line]


def test_registry_arrays_tier_tests_and_tail():
    facts = read_rust_file(str(CHECKOUT / "src/compiler_rust/common/src/runtime_symbols.rs"))
    arrays = {a.name: [v for v, _ in a.items] for a in facts.string_arrays}
    assert arrays["CORE_REQUIRED_RUNTIME_SYMBOLS"] == ["rt_alloc", "rt_string_new", "rt_exit"]
    assert "rt_registered_only_in_tests" not in str(arrays)
    tier_tests = [(t.literal, t.returns) for t in facts.name_tests if t.function == "symbol_tier_of"]
    assert ("rt_wait", ("Async",)) in tier_tests and ("rt_simd_", ("Ext",)) in tier_tests
    assert facts.tails["symbol_tier_of"] == "Core"
    arms = [(a.variants, a.value) for a in facts.tier_arms if a.function == "runtime_symbols_for_baremetal"]
    assert (("Sys", "Async"), "!is_baremetal") in arms


def test_cfg_parse_and_evaluate():
    assert parse_cfg('all(unix, not(feature = "x"))') == ("all", [("pred", "unix", None), ("not", ("pred", "feature", "x"))])
    env = CfgEnvironment(features=frozenset({"net"}))
    assert evaluate_cfg('feature = "net"', env) and not evaluate_cfg('feature = "gui"', env)
    assert evaluate_cfg("unix", env) and not evaluate_cfg("windows", env)
    assert evaluate_cfg('any(target_os = "linux", target_os = "macos")', env)
    assert not evaluate_cfg('all(target_os = "macos", feature = "net")', env)
    assert evaluate_cfg("some_unknown_flag", env)  # unknown: counts (never invent an absence)
    assert evaluate_cfg("((broken", env)
    assert is_test_only("test") and is_test_only("all(test, unix)") and not is_test_only("not(test)")
    assert not is_test_only("any(test, unix)")


def test_file_level_cfg_test_skips_everything():
    facts = parse_rust('#![cfg(test)]\n#[no_mangle]\npub extern "C" fn rt_t() {}\n')
    assert facts.functions == [] and facts.file_cfg == ("test",)


def test_bad_input_is_a_note_never_an_exception(tmp_path, monkeypatch):
    broken = read_rust_file(str(CHECKOUT / "src/compiler_rust/runtime/src/value/broken.rs"))
    assert any("syntax error" in n for n in broken.notes)
    assert [f.name for f in broken.functions] == ["rt_broken_before"]
    binary = tmp_path / "blob.rs"
    binary.write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    assert "binary content" in read_rust_file(str(binary)).notes[0]
    missing = read_rust_file(str(tmp_path / "nope.rs"))
    assert "cannot be read" in missing.notes[0]
    assert "cannot be read" in read_rust_file(str(tmp_path)).notes[0]  # a directory
    big = tmp_path / "big.rs"
    big.write_text("fn a() {}\n" * 200)
    monkeypatch.setattr(reader_module, "MAX_FILE_BYTES", 100)
    assert "larger than" in read_rust_file(str(big)).notes[0]
    monkeypatch.undo()
    invalid = tmp_path / "latin1.rs"
    invalid.write_bytes(b'#[no_mangle]\npub extern "C" fn rt_caf\xe9() {}\n// \xff\xfe\n')
    facts = read_rust_file(str(invalid))
    assert len(facts.functions) == 1
    facts.functions[0].name.encode("utf-8")  # always valid text
    deep = parse_rust("fn f() { " + "(" * 5000 + ")" * 5000 + " }")
    assert isinstance(deep.notes, list)


@pytest.mark.parametrize("path", sorted(str(p) for p in CHECKOUT.rglob("*.rs")))
def test_skim_keeps_lines_and_every_signature(path):
    data = open(path, "rb").read()
    skimmed = skim(data)
    assert skimmed.count(b"\n") == data.count(b"\n")
    full = read_rust_file(path)
    fast = read_rust_file(path, signatures_only=True)
    assert [(f.name, f.line, f.params, f.returns, f.cfg) for f in fast.functions] == [
        (f.name, f.line, f.params, f.returns, f.cfg) for f in full.functions
    ]
    assert [(m.name, m.cfg) for m in fast.modules] == [(m.name, m.cfg) for m in full.modules]


def test_skim_blanks_bodies_and_unmarked_items():
    data = (
        b'use std::x;\n\nfn helper() -> i64 {\n    1\n}\n\n#[no_mangle]\npub extern "C" fn rt_a(x: i64) -> i64 {\n'
        b"    let y = x;\n    y\n}\n"
    )
    out = skim(data).decode()
    assert "helper" not in out and "let y" not in out and 'pub extern "C" fn rt_a(x: i64) -> i64 {' in out
    assert os.linesep not in "" and out.count("\n") == data.count(b"\n")
