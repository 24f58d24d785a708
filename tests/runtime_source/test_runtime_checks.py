"""The runtime-source provider through the real CLI: verdicts, rules
SFFI020-SFFI024 (and SFFI007 for refused families), `runtime.modes`,
auto-detection inside a checkout, `--runtime-source`, and `sffi-check runtime`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DECLS = """\
extern fn rt_env_get(key: text) -> text
extern fn rt_env_vars() -> [text]
extern fn rt_pix_blit(x: i64, y: i64) -> i64
extern fn rt_pix_rotate(h: i64) -> i64
extern fn rt_pad_rumble(pad: i64) -> i64
extern fn rt_nowhere_at_all() -> i64
extern fn rt_string_new(s: text) -> text
extern fn rt_file_size(path: text, flags: i64) -> i64
extern fn rt_math_hypot(x: f64, y: f64) -> f64

fn main():
    rt_env_get("HOME")
    rt_env_vars()
    rt_pix_blit(1, 2)
    rt_pix_rotate(1)
    rt_pad_rumble(0)
    rt_nowhere_at_all()
    rt_string_new("x")
    rt_file_size("a", 0)
    rt_math_hypot(1.0, 2.0)
"""


def sffi(*args, cwd: Path, home: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_", "NO_COLOR", "FORCE_COLOR"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    p = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def findings(out: str) -> dict[str, set[str]]:
    """Codes found per extern name (a finding is on its declaration's line)."""
    report = json.loads(out)
    at = {(e["path"], e["line"]): e["name"] for e in report["externs"]}
    by_name: dict[str, set[str]] = {}
    for d in report["diagnostics"]:
        by_name.setdefault(at.get((d["path"], d["line"]), "?"), set()).add(d["code"])
    return by_name


@pytest.fixture()
def project(checkout, tmp_path):
    """A project inside the checkout (auto-detected) with one file of externs."""
    lib = checkout / "src/lib/std"
    lib.mkdir(parents=True)
    (lib / "uses.spl").write_text(DECLS)
    return lib


def test_verdicts_and_rules_inside_a_checkout(project, tmp_path):
    code, out, err = sffi("--output-format", "json", "--no-cache", "uses.spl", cwd=project, home=tmp_path)
    assert code == 1, err
    got = findings(out)
    assert "rt_env_get" not in got  # interpreter table, registered, signature agrees: nothing to say
    assert "SFFI020" in got["rt_env_vars"]  # registered only: the interpreter gap
    assert "SFFI021" in got["rt_pix_blit"]  # interpreter family only: the compiled gap
    assert got["rt_pix_rotate"] == {"SFFI007"}  # family does not handle it, not registered
    assert got["rt_pad_rumble"] == {"SFFI007"}  # a refused (capability-gap) family
    assert got["rt_nowhere_at_all"] == {"SFFI001"}  # nowhere: stays unresolved
    assert got["rt_string_new"] == {"SFFI020"}  # registered and defined, in no interpreter table
    assert "SFFI023" in got["rt_file_size"]  # 3 words declared, the Rust definition takes 2
    assert "rt_math_hypot" in got and got["rt_math_hypot"] == {"SFFI020"}  # C-defined, signature agrees


def test_messages_name_the_runtime(project, tmp_path):
    code, out, err = sffi("--output-format", "concise", "--no-cache", "uses.spl", cwd=project, home=tmp_path)
    assert "unknown extern function: rt_env_vars" in out
    assert "Undefined symbol: rt_pix_blit" in out
    assert "pix.rs" in out


def test_modes_interpreter_only(project, tmp_path):
    (project / "sffi.toml").write_text('[runtime]\nmodes = ["interpreter"]\n')
    code, out, err = sffi("--output-format", "json", "--no-cache", "uses.spl", cwd=project, home=tmp_path)
    got = findings(out)
    assert "SFFI021" not in got.get("rt_pix_blit", set())
    assert "SFFI020" in got["rt_env_vars"]


def test_bare_metal(project, tmp_path):
    (project / "sffi.toml").write_text("[runtime]\nbare-metal = true\n")
    code, out, err = sffi("--output-format", "json", "--no-cache", "uses.spl", cwd=project, home=tmp_path)
    got = findings(out)
    assert "SFFI022" in got["rt_env_vars"] and "SFFI022" not in got.get("rt_string_new", set())


def test_explicit_source_outside_the_checkout(checkout, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.spl").write_text(DECLS)
    code, out, _ = sffi("--output-format", "json", "--no-cache", "a.spl", cwd=elsewhere, home=tmp_path)
    assert findings(out)["rt_env_get"] == {"SFFI001"}  # no runtime known
    code, out, _ = sffi("--output-format", "json", "--no-cache", "--runtime-source", checkout, "a.spl",
                        cwd=elsewhere, home=tmp_path)
    assert "SFFI001" not in findings(out).get("rt_env_get", set())
    (elsewhere / "sffi.toml").write_text(f'[runtime]\nsource = "{checkout}"\n')
    code, out, _ = sffi("--output-format", "json", "--no-cache", "a.spl", cwd=elsewhere, home=tmp_path)
    assert "SFFI001" not in findings(out).get("rt_env_get", set())


def test_bad_runtime_config_is_a_usage_error(tmp_path):
    (tmp_path / "a.spl").write_text("extern fn x() -> i64\n")
    (tmp_path / "sffi.toml").write_text('[runtime]\nmodes = ["sometimes"]\n')
    code, _out, err = sffi("a.spl", cwd=tmp_path, home=tmp_path)
    assert code == 2 and "runtime.modes" in err
    (tmp_path / "sffi.toml").write_text(f'[runtime]\nsource = "{tmp_path / "missing"}"\n')
    code, _out, err = sffi("a.spl", cwd=tmp_path, home=tmp_path)
    assert code == 2 and "runtime.source" in err
    code, _out, err = sffi("--runtime-source", tmp_path / "missing", "a.spl", cwd=tmp_path, home=tmp_path)
    assert code == 2


def test_runtime_command_json_contract(project, checkout, tmp_path):
    code, out, err = sffi("runtime", "--source", checkout, "--output-format", "json", project, cwd=tmp_path, home=tmp_path)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"version", "source", "interpreter", "native", "gaps"}
    assert data["version"] == 1 and data["source"] == str(checkout)
    assert set(data["interpreter"]) == {"names", "families", "refused_families"}
    assert "rt_env_get" in data["interpreter"]["names"]
    pix = next(f for f in data["interpreter"]["families"] if f["prefix"] == "rt_pix_")
    assert set(pix) == {"prefix", "except", "names"} and "rt_pix_blit" in pix["names"]
    snd = next(f for f in data["interpreter"]["families"] if f["prefix"] == "rt_snd_")
    assert snd["except"] == ["rt_snd_hd_"]
    assert data["interpreter"]["refused_families"] == ["rt_webgfx_", "rt_pad_"]
    assert set(data["native"]) == {"registered", "definitions"}
    env_get = next(d for d in data["native"]["definitions"] if d["name"] == "rt_env_get")
    assert env_get == {"name": "rt_env_get", "params": [{"name": "key_ptr", "type": "*const u8"},
                                                        {"name": "key_len", "type": "u64"}],
                       "returns": "RuntimeValue", "path": "src/compiler_rust/runtime/src/value/sffi/env.rs", "line": 5}
    gaps = data["gaps"]
    assert "rt_env_vars" in gaps["native_only"] and "rt_env_get" not in gaps["native_only"]
    assert "rt_pix_blit" in gaps["interpreter_only"]
    assert gaps["declared_native_only"] == sorted(n for n in gaps["native_only"] if n in DECLS)
    assert "rt_env_vars" in gaps["declared_native_only"] and "rt_math_hypot" in gaps["declared_native_only"]


def test_runtime_command_text_autodetect_and_builtins(project, checkout, tmp_path):
    code, out, err = sffi("runtime", cwd=project, home=tmp_path)
    assert code == 0, err
    assert f"runtime sources: {checkout}" in out and "registered for compiled code" in out
    target = tmp_path / "builtins.txt"
    code, out, err = sffi("runtime", "--source", checkout, "--write-builtins", target, cwd=tmp_path, home=tmp_path)
    assert code == 0, err
    lines = target.read_text().splitlines()
    assert "rt_tcp_set_read_timeout(handle: i64, millis: i64) -> bool" in lines
    assert "rt_file_size(path: text) -> i64" in lines
    assert "rt_env_get" in lines  # RuntimeValue result: no signature we can be sure of
    # the list works as a built-ins list: a project with only it resolves those names
    elsewhere = tmp_path / "p"
    elsewhere.mkdir()
    (elsewhere / "a.spl").write_text("extern fn rt_file_size(path: text) -> i64\nfn main():\n    rt_file_size(\"x\")\n")
    code, out, err = sffi("--builtins", target, "--no-cache", "--output-format", "json", "a.spl", cwd=elsewhere, home=tmp_path)
    assert code == 0, out + err


def test_runtime_command_without_a_checkout_is_a_usage_error(tmp_path):
    code, _out, err = sffi("runtime", cwd=tmp_path, home=tmp_path)
    assert code == 2 and "Simple checkout" in err
