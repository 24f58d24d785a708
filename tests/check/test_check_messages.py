"""Findings that say one thing once (issue 12, item 5) and SFFI012 on binding files (item 6):
real gcc-built libraries, the real config loader, providers and parser."""

from __future__ import annotations

import pytest

from check_helpers import model_check
from sffi_lsp.check.types import Severity
from test_check_libraries import by, run_project

FOUR_EXTERNS = {
    "a.spl": "extern fn rt_torch_add(x: i64) -> i64\nextern fn rt_torch_sub(x: i64) -> i64\n"
    "extern fn rt_torch_mul(x: i64) -> i64\n",
    "b.spl": "fn main():\n    rt_torch_add(1)\nextern fn rt_torch_div(x: i64) -> i64\n",
}


def test_unloadable_library_is_one_finding_that_lists_its_externs(tmp_path, libs):
    r = run_project(tmp_path, FOUR_EXTERNS, f'libraries = ["{libs["script"]}"]\n')
    assert not by(r, "SFFI001")  # not one error per extern: the library is what to fix
    [f] = by(r, "SFFI002")
    assert f.path == str(tmp_path / "sffi.toml")
    waiting = {rel.message.split("`")[1] for rel in f.related if "unresolved until" in rel.message}
    assert waiting == {"rt_torch_add", "rt_torch_sub", "rt_torch_mul", "rt_torch_div"}
    places = {(rel.path.rsplit("/", 1)[1], rel.span.start_line) for rel in f.related if rel.span is not None}
    assert ("a.spl", 2) in places and ("b.spl", 2) in places
    assert "4 externs" in f.message and "linker script" in f.message
    # The loader's sentence names the library once, not twice ("`x.so` cannot be loaded: x.so is ...").
    assert f.message.count("libsffiscript.so") == 1


def test_unloadable_library_outside_tree_one_finding_per_file_not_per_extern(tmp_path, libs):
    from sffi_lsp.check.engine import Workspace, check
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.config import load_config
    from check_helpers import parse_source

    (tmp_path / "sffi.toml").write_text(f'libraries = ["{libs["broken"]}"]\n')
    src = tmp_path / "src"
    src.mkdir()
    sources = []
    for name, text in FOUR_EXTERNS.items():
        (src / name).write_text(text)
        sources.append(parse_source(text, str(src / name)))
    config = load_config(paths=[str(src)], env={"HOME": str(tmp_path)})
    r = check(Workspace(sources, roots=[str(src)]), Providers.from_config(config, index_for_config(config)), config)
    assert not by(r, "SFFI001")
    found = by(r, "SFFI002")
    assert [(f.path.rsplit("/", 1)[1], f.symbol) for f in found] == [("a.spl", "rt_torch_add"), ("b.spl", "rt_torch_div")]
    # Each points at the other externs that wait on the library, so none is lost.
    first = {rel.message.split("`")[1] for rel in found[0].related if "unresolved until" in rel.message}
    assert first == {"rt_torch_sub", "rt_torch_mul", "rt_torch_div"}
    assert "libsffigone.so" in found[0].message


def test_with_sffi002_off_the_externs_are_reported_after_all(tmp_path, libs):
    toml = f'libraries = ["{libs["script"]}"]\n[rules]\nignore = ["SFFI002"]\n'
    r = run_project(tmp_path, FOUR_EXTERNS, toml)
    found = by(r, "SFFI001")
    assert len(found) == 4 and all("libsffiscript.so could not be loaded" in f.message for f in found)


def test_a_typo_beside_an_unloadable_library_keeps_its_own_error(tmp_path, libs):
    files = {"a.spl": "extern fn rt_demo_ad(a: i64, b: i64) -> i64\nextern fn rt_torch_add(x: i64) -> i64\n"}
    r = run_project(tmp_path, files, f'libraries = ["{libs["demo"]}", "{libs["script"]}"]\n')
    [typo] = by(r, "SFFI001")
    assert typo.symbol == "rt_demo_ad" and typo.suggestions[0] == "rt_demo_add"
    assert "libsffiscript.so could not be loaded" in typo.message
    [lib] = by(r, "SFFI002")
    assert "`rt_torch_add`" in lib.message and "rt_demo_ad`" not in lib.message


def test_unresolved_message_names_symbol_provider_and_reason_once(tmp_path, libs):
    r = run_project(tmp_path, {"a.spl": "extern fn rt_zz_nothing(x: i64)\n"}, f'libraries = ["{libs["demo"]}"]\n')
    [f] = by(r, "SFFI001")
    assert f.message.count("rt_zz_nothing") == 1, f.message
    assert "libsffidemo.so does not export it" in f.message and "not a built-in" in f.message
    assert "provides" not in f.message  # was "... not provided by any configured provider: no ..., provides X"


def test_unresolved_message_with_nothing_configured_says_nothing_was_asked(tmp_path):
    r = run_project(tmp_path, {"a.spl": "extern fn rt_zz_nothing(x: i64)\n"}, "")
    [f] = by(r, "SFFI001")
    assert f.message.count("rt_zz_nothing") == 1
    assert "not a built-in" in f.message and "was there to ask" in f.message


@pytest.mark.parametrize("ret_b", ["-> ()", "-> void", ""])
def test_conflicting_declarations_compare_normalised_signatures(tmp_path, ret_b):
    r = model_check(tmp_path, {
        "a.spl": "extern fn rt_log_line(level: i32) -> void\n",
        "b.spl": f"extern fn rt_log_line(lvl: i32) {ret_b}\n",
        "c.spl": "extern fn rt_log_line(n: i32)\n",
    })
    assert not by(r, "SFFI009")


def test_conflicting_declarations_name_the_other_file_and_line(tmp_path):
    r = model_check(tmp_path, {
        "io/file.spl": "extern fn rt_file_size(path: text) -> i64\n",
        "tools/du.spl": "# du\n\nextern fn rt_file_size(path: str) -> i32\n",
    })
    found = {f.path.rsplit("/", 2)[-2]: f for f in by(r, "SFFI009")}
    assert set(found) == {"io", "tools"}
    assert found["io"].message.endswith("in tools/du.spl:3")
    assert found["tools"].message.endswith("in io/file.spl:1")
    assert "`(str) -> i32`" in found["io"].message  # as written, though compared as `text`
    assert found["io"].related[0].span.start_line == 2


def test_signedness_only_difference_is_a_warning_of_its_own(tmp_path, libs):
    pytest.importorskip("sffi_lsp.binary.dwarf")
    files = {"a.spl": "extern fn rt_signs_area(w: i32, h: i32) -> i32\n"
                      "extern fn rt_signs_narrow(x: i64) -> i16\n"}
    r = run_project(tmp_path, files, f'libraries = ["{libs["signs"]}"]\n')
    found = {f.symbol: f for f in by(r, "SFFI037")}
    assert set(found) == {"rt_signs_area", "rt_signs_narrow"}
    assert all(f.severity is Severity.WARNING for f in found.values())
    assert "signedness" in found["rt_signs_area"].message and "uint32_t" in found["rt_signs_area"].message
    assert found["rt_signs_area"].fixes[0].edits[0].new_text == "extern fn rt_signs_area(w: i32, h: i32) -> u32"
    assert not by(r, "SFFI008")


def test_signedness_with_another_difference_is_sffi008_alone(tmp_path, libs):
    pytest.importorskip("sffi_lsp.binary.dwarf")
    files = {"a.spl": "extern fn rt_signs_narrow(x: i64) -> i64\n"}  # sign of x, and the result's width
    r = run_project(tmp_path, files, f'libraries = ["{libs["signs"]}"]\n')
    [f] = by(r, "SFFI008")
    assert f.severity is Severity.ERROR and "signedness" in f.message and "width" in f.message
    assert not by(r, "SFFI037")


def test_signedness_falls_back_to_sffi008_when_sffi037_is_off(tmp_path, libs):
    pytest.importorskip("sffi_lsp.binary.dwarf")
    toml = f'libraries = ["{libs["signs"]}"]\n[rules]\nignore = ["SFFI037"]\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_signs_area(w: i32, h: i32) -> i32\n"}, toml)
    [f] = by(r, "SFFI008")
    assert f.symbol == "rt_signs_area"


def test_signedness_against_builtin_list(tmp_path):
    (tmp_path / "builtins.txt").write_text("rt_file_len(path: text) -> u64\n")
    r = run_project(tmp_path, {"a.spl": "extern fn rt_file_len(path: text) -> i64\n"},
                    '[builtins]\nlists = ["builtins.txt"]\n')
    [f] = by(r, "SFFI037")
    assert f.severity is Severity.WARNING and not by(r, "SFFI008")


def test_dynamic_profile_message_does_not_claim_the_declaration_wrote_i64(tmp_path, libs):
    pytest.importorskip("sffi_lsp.binary.dwarf")
    files = {"a.spl": "extern fn rt_signs_ready(fd: i64) -> bool\n"}
    lib = f'libraries = ["{libs["signs"]}"]\n'
    assert not by(run_project(tmp_path / "n", files, lib), "SFFI008")  # native: bool is a _Bool
    r = run_project(tmp_path / "d", files, 'abi = "dynamic"\n' + lib)
    [f] = by(r, "SFFI008")
    assert "`dynamic`" in f.message
    assert "the declaration passes `i64`" not in f.message and "the declaration reads `i64`" not in f.message
    assert "the declaration's `bool` is read as `i64`" in f.message
    assert "C returns `bool`" in f.message or "C returns `_Bool`" in f.message


def test_unused_extern_of_binding_file_imported_by_use_is_a_hint_without_remove(tmp_path):
    r = model_check(tmp_path, {
        "src/lib/torch/ffi.spl": "extern fn rt_torch_add(x: i64) -> i64\nextern fn rt_torch_sub(x: i64) -> i64\n",
        "src/app/main.spl": "use lib.torch.ffi.*\n\nfn main():\n    rt_torch_add(1)\n",
        "src/app/tool.spl": "extern fn rt_tool_only()\n",
    })
    found = {f.symbol: f for f in by(r, "SFFI012")}
    assert set(found) == {"rt_torch_sub", "rt_tool_only"}
    binding = found["rt_torch_sub"]
    assert binding.severity is Severity.HINT and not binding.fixes
    assert "`use lib.torch.ffi.*` in src/app/main.spl:1" in binding.message
    plain = found["rt_tool_only"]  # nobody imports tool.spl: dead code, removable
    assert plain.severity is Severity.INFO and plain.fixes[0].title == "Remove the unused declaration"


@pytest.mark.parametrize("use", [
    "use lib.torch.ffi", "use lib.torch.{ffi}", "export use lib.torch.ffi.*", "use crate.lib.torch.ffi.{rt_torch_add}",
    "use lib::torch::ffi::{rt_torch_add}",
])
def test_binding_file_by_every_use_form(tmp_path, use):
    r = model_check(tmp_path, {
        "src/lib/torch/ffi.spl": "extern fn rt_torch_add(x: i64) -> i64\nextern fn rt_torch_sub(x: i64) -> i64\n",
        "src/app/main.spl": f"{use}\n",
    })
    sub = next(f for f in by(r, "SFFI012") if f.symbol == "rt_torch_sub")
    assert sub.severity is Severity.HINT and "src/app/main.spl:1" in sub.message


def test_package_init_file_is_a_binding_file(tmp_path):
    r = model_check(tmp_path, {
        "src/lib/gpu/__init__.spl": "extern fn rt_gpu_init() -> i64\n",
        "src/app/main.spl": "use lib.gpu.*\n",
    })
    [f] = by(r, "SFFI012")
    assert f.severity is Severity.HINT


def test_a_file_importing_itself_or_a_namesake_elsewhere_is_not_a_binding_file(tmp_path):
    r = model_check(tmp_path, {
        "src/lib/torch/ffi.spl": "use lib.torch.ffi.*\nextern fn rt_torch_add(x: i64) -> i64\n",
        "src/app/main.spl": "use lib.audio.ffi.*\n",
    })
    [f] = by(r, "SFFI012")
    assert f.severity is Severity.INFO and f.fixes


def test_binding_file_follows_edits_of_the_importing_file(tmp_path):
    from check_helpers import BuiltinOnlyProviders, parse_source
    from sffi_lsp.check.engine import Workspace, check
    from sffi_lsp.config_types import Config

    ffi = str(tmp_path / "src/lib/torch/ffi.spl")
    main = str(tmp_path / "src/app/main.spl")
    ws = Workspace([parse_source("extern fn rt_torch_sub(x: i64) -> i64\n", ffi),
                    parse_source("use lib.torch.ffi.*\n", main)], roots=[str(tmp_path)])
    config = Config(root=str(tmp_path))

    def unused():
        [f] = by(check(ws, BuiltinOnlyProviders(), config), "SFFI012")
        return f

    assert unused().severity is Severity.HINT and "main.spl:1" in unused().message
    ws.set_file(parse_source("# moved down\n\nuse lib.torch.ffi.*\n", main))  # same `use`, new line
    assert "main.spl:3" in unused().message
    ws.set_file(parse_source("use lib.audio.ffi.*\n", main))  # imports something else now
    assert unused().severity is Severity.INFO
    ws.set_file(parse_source("use lib.torch.ffi.*\n", main))
    assert unused().severity is Severity.HINT
    ws.remove_file(main)
    assert unused().severity is Severity.INFO


@pytest.mark.parametrize("glob", ["src/lib/**/ffi.spl", "src/lib/torch/*.spl", "**/ffi.spl"])
def test_files_configured_as_bindings(tmp_path, glob):
    (tmp_path / "sffi.toml").write_text(f'bindings = ["{glob}"]\n')
    r = run_project(tmp_path, {
        "src/lib/torch/ffi.spl": "extern fn rt_torch_mean(x: i64) -> i64\n",
        "src/tool.spl": "extern fn rt_tool_only()\n",
    }, f'bindings = ["{glob}"]\n')
    found = {f.symbol: f for f in by(r, "SFFI012")}
    assert found["rt_torch_mean"].severity is Severity.HINT and not found["rt_torch_mean"].fixes
    assert f'`bindings = ["{glob}"]`' in found["rt_torch_mean"].message
    assert found["rt_tool_only"].severity is Severity.INFO and found["rt_tool_only"].fixes
