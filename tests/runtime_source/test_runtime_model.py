"""The runtime model of the miniature checkout, in both history shapes, and its
disk cache (identity checks, refresh on edits, broken cache files)."""

from __future__ import annotations

import json
import os
import time

from sffi_lsp.runtime_model import RuntimeModel, find_checkout, load_runtime_model, read_runtime
from sffi_lsp.runtime_model import cache as model_cache

from .conftest import CHECKOUT, INTERP

REGISTRY = "src/compiler_rust/common/src/runtime_symbols.rs"


def test_interpreter_table_shape():
    model, files, dirs = read_runtime(str(CHECKOUT))
    assert model.shape == "table"
    view = model.view()
    # `rt_window_title` (feature "gui", not default), `rt_registry_read` (windows) do not count
    assert view.interpreter_names() == sorted([
        "abs", "print", "rt_env_get", "rt_env_set", "rt_file_size", "rt_sock_commit", "rt_sock_prepare",
        "rt_string_split_on", "rt_tcp_open", "rt_thread_spawn_isolated",
    ])
    assert all(not n.startswith("rt_only_in_tests") and "only_in_tests" not in n for n in view.all_names())
    families = {f.prefix: f for f in model.families}
    assert set(families) == {"rt_win_", "rt_pix_", "rt_snd_", "rt_lane_", "rt_gfx_"}
    assert families["rt_snd_"].excludes == ("rt_snd_hd_",)
    assert families["rt_pix_"].module == f"{INTERP}/pix.rs"
    assert [e.name for e in families["rt_pix_"].names] == ["rt_pix_blit", "rt_pix_blit_scaled", "rt_pix_init", "rt_pix_present_rgba"]
    assert [e.name for e in families["rt_gfx_"].names] == ["rt_gfx_buffer_new", "rt_gfx_device_count"]
    assert [f.prefix for f in view.families] == ["rt_pix_", "rt_snd_", "rt_lane_", "rt_gfx_"]  # rt_win_ needs "gui"
    assert [r.prefix for r in model.refused] == ["rt_webgfx_", "rt_pad_"]
    assert model.dynamic_fallback is not None and model.dynamic_fallback.path.endswith("dynamic_sffi.rs")
    assert REGISTRY in files and INTERP in dirs


def test_interpreter_verdicts():
    view = read_runtime(str(CHECKOUT))[0].view()
    how = {n: view.interpreter(n).how for n in [
        "abs", "rt_env_get", "rt_pix_blit", "rt_pix_unknown", "rt_snd_play", "rt_snd_hd_play", "rt_snd_alsa_probe",
        "rt_lane_clear", "rt_lane_other", "rt_gfx_buffer_new", "rt_gfx_other", "rt_pad_rumble", "rt_win_open",
        "rt_sock_commit", "rt_env_vars", "rt_nowhere",
    ]}
    assert how == {
        "abs": "table", "rt_env_get": "table", "rt_pix_blit": "family", "rt_pix_unknown": "family-missing",
        "rt_snd_play": "family", "rt_snd_hd_play": "unknown", "rt_snd_alsa_probe": "family",
        "rt_lane_clear": "family", "rt_lane_other": "family-missing", "rt_gfx_buffer_new": "family",
        # `starts_with("rt_gfx_") && gfx::signature_of(name)`: other names fall through
        "rt_gfx_other": "unknown", "rt_pad_rumble": "refused", "rt_win_open": "unknown",
        "rt_sock_commit": "equals", "rt_env_vars": "unknown", "rt_nowhere": "unknown",
    }
    assert "pix.rs:6" in view.interpreter("rt_pix_blit").describe()
    gui = read_runtime(str(CHECKOUT))[0].view(features={"compiler": {"gui"}})
    assert gui.interpreter("rt_win_open").how == "family" and gui.interpreter("rt_window_title").how == "table"
    windows = read_runtime(str(CHECKOUT))[0].view(target_os="windows")
    assert windows.interpreter("rt_registry_read").how == "table"
    assert windows.definition("rt_twin").params == (("handle", "*mut u8"),)


def test_compiled_registry_tiers_and_baremetal():
    model = read_runtime(str(CHECKOUT))[0]
    view = model.view()
    assert "rt_alloc" in view.registered_names() and "rt_env_vars" in view.registered_names()
    assert "rt_registered_only_in_tests" not in view.registered_names()
    assert view.registration("abs") is None
    assert [view.tier_of(n) for n in ["rt_simd_add_f32", "rt_wait", "rt_thread_x", "rt_env_get", "rt_string_new", "abs"]] == [
        "Ext", "Async", "Async", "Sys", "Alloc", "Core"]
    assert model.baremetal_dropped == ("Sys", "Async")
    assert not view.on_baremetal("rt_env_get") and view.on_baremetal("rt_string_new") and view.on_baremetal("rt_simd_add_f32")


def test_definitions_with_cfg_through_modules_and_include():
    model = read_runtime(str(CHECKOUT))[0]
    view = model.view()
    names = view.definition_names()
    assert "rt_generated_answer" in names  # include!
    assert {"rt_tcp_set_read_timeout", "rt_tcp_set_write_timeout"} <= set(names)  # macro_rules!
    assert "rt_defined_only_for_tests" not in names  # #[cfg(test)] mod tests; in lib.rs
    assert "rt_fast_sqrt" not in names  # #[cfg(feature = "fastmath")] mod fast; not a default feature
    assert "rt_fast_sqrt" in model.view(features={"runtime": {"fastmath"}}).definition_names()
    assert view.definition("rt_twin").params == (("fd", "i64"),)  # the unix twin
    hypot = view.definition("rt_math_hypot")
    assert hypot is not None and not hypot.defined  # declared in Rust, defined in C
    assert view.definition("sys_exit").rust_name == "sys_exit_alias"
    env_get = view.definition("rt_env_get")
    assert env_get.signature() == "fn rt_env_get(key_ptr: *const u8, key_len: u64) -> RuntimeValue"
    assert env_get.site.path == "src/compiler_rust/runtime/src/value/sffi/env.rs" and env_get.site.line == 4
    assert any("broken.rs" in n and "syntax error" in n for n in model.notes)


def test_match_shape(match_checkout):
    model = read_runtime(str(match_checkout))[0]
    assert model.shape == "match"
    view = model.view()
    assert view.interpreter_names() == ["abs", "print", "rt_env_get", "rt_env_set", "rt_string_split", "rt_string_split_on"]
    assert view.interpreter("rt_env_set").how == "equals"
    assert view.interpreter("rt_window_title").how == "unknown"  # arm under feature "gui"
    (pix,) = model.families
    assert pix.prefix == "rt_pix_" and pix.module.endswith("interpreter_extern/pix.rs")
    assert view.interpreter("rt_pix_blit").how == "family" and view.interpreter("rt_pix_nope").how == "family-missing"
    assert view.interpreter("rt_pad_x").how == "refused"
    assert model.dynamic_fallback is None
    assert "rt_env_get" in view.registered_names()  # registry and runtime are read the same way


def test_find_checkout(checkout):
    deep = checkout / "src/lib/std"
    deep.mkdir(parents=True)
    (deep / "io.spl").write_text("extern fn rt_env_get(key: text) -> text\n")
    assert find_checkout(str(deep / "io.spl")) == str(checkout)
    assert find_checkout(str(checkout)) == str(checkout)
    assert find_checkout("/") is None


def test_missing_parts_are_notes(tmp_path):
    (tmp_path / "src/compiler_rust").mkdir(parents=True)
    model = read_runtime(str(tmp_path))[0]
    assert model.shape == "" and model.definitions == []
    assert any("no interpreter dispatch" in n for n in model.notes)
    assert any("no compiled-code registry" in n for n in model.notes)
    assert any("no runtime crate" in n for n in model.notes)


def test_json_round_trip_is_exact():
    model = read_runtime(str(CHECKOUT))[0]
    again = RuntimeModel.from_json(json.loads(json.dumps(model.to_json())))
    for name in RuntimeModel._LISTS:
        assert getattr(again, name) == getattr(model, name), name
    assert again.view().interpreter_names() == model.view().interpreter_names()


def test_cache_hit_refresh_and_broken_files(checkout, tmp_path):
    cache_dir = tmp_path / "cache"
    model_cache.forget()
    first = load_runtime_model(str(checkout), str(cache_dir), jobs=1)
    (entry,) = list(cache_dir.iterdir())
    model_cache.forget()
    again = load_runtime_model(str(checkout), str(cache_dir), jobs=1)
    assert again is not first and again.view().interpreter_names() == first.view().interpreter_names()
    assert load_runtime_model(str(checkout), str(cache_dir), jobs=1) is again  # memo, still valid

    # An edit to a source refreshes (memo and disk both notice)
    mod_rs = checkout / INTERP / "mod.rs"
    text = mod_rs.read_text().replace('insert_simple!("abs", conv::abs);', 'insert_simple!("abs", conv::abs);\n    insert_simple!("rt_new_row", conv::abs);')
    mod_rs.write_text(text)
    os.utime(mod_rs, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert "rt_new_row" in load_runtime_model(str(checkout), str(cache_dir), jobs=1).view().interpreter_names()

    # A new file in the runtime crate changes its directory: refreshed
    new = checkout / "src/compiler_rust/runtime/src/value/sffi/extra.rs"
    new.write_text('#[no_mangle]\npub extern "C" fn rt_extra_fn(x: i64) -> i64 { x }\n')
    sffi_mod = checkout / "src/compiler_rust/runtime/src/value/sffi/mod.rs"
    sffi_mod.write_text(sffi_mod.read_text() + "pub mod extra;\n")
    model_cache.forget()
    assert "rt_extra_fn" in load_runtime_model(str(checkout), str(cache_dir), jobs=1).view().definition_names()

    # A corrupt or foreign cache file is ignored and replaced
    for garbage in (b"\x00\xff not json", b'{"format": 1, "root": "/elsewhere"}', b"[]", b'{"format": 1}'):
        (cache_dir / entry.name).write_bytes(garbage)
        model_cache.forget()
        model = load_runtime_model(str(checkout), str(cache_dir), jobs=1)
        assert "rt_extra_fn" in model.view().definition_names()


def test_unwritable_cache_dir_still_answers(checkout, tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    model_cache.forget()
    model = load_runtime_model(str(checkout), str(blocker / "cache"), jobs=1)
    assert "rt_env_get" in model.view().interpreter_names()


def test_parallel_read_equals_serial(tmp_path, monkeypatch):
    from sffi_lsp.runtime_model import build

    monkeypatch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    serial = read_runtime(str(CHECKOUT), jobs=1)[0]
    parallel = read_runtime(str(CHECKOUT), jobs=2)[0]
    assert sorted(d.signature() for d in parallel.definitions) == sorted(d.signature() for d in serial.definitions)
    assert parallel.files_read == serial.files_read
