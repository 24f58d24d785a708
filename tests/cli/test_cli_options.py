"""Flags that change how externs resolve, and the no-traceback promise (in-process main())."""

from __future__ import annotations

import json
from pathlib import Path

from sffi_lsp import cli


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def run(capsys, monkeypatch, cwd: Path, *args) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(cwd))
    for var in ("SIMPLE_PLUGIN_MANIFEST", "SIMPLE_SFFI_PATH", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def codes(out: str) -> set[tuple[str, str]]:
    return {(d["code"], d["message"].split("`")[1]) for d in json.loads(out)["diagnostics"]}


def test_runtime_mode_and_builtins_flags(tmp_path, libs, capsys, monkeypatch):
    write(tmp_path, {"a.spl": "extern fn rt_demo_add(a: i64, b: i64) -> i64\nextern fn rt_time_now_ms() -> i64\n"
                              "fn f():\n    rt_demo_add(1, 2)\n    rt_time_now_ms()\n",
                     "builtins.txt": "rt_time_now_ms() -> i64\n"})
    code, out, _ = run(capsys, monkeypatch, tmp_path, "a.spl", "--library", libs["demo"], "--builtins", "builtins.txt",
                       "--output-format", "json")
    assert code == 0 and not codes(out)
    externs = {e["name"]: e for e in json.loads(out)["externs"]}
    assert externs["rt_time_now_ms"]["provider"]["kind"] == "builtin"
    code, out, _ = run(capsys, monkeypatch, tmp_path, "a.spl", "--library", libs["demo"], "--builtins", "builtins.txt",
                       "--runtime-mode", "builtin-only", "--output-format", "json")
    assert code == 1 and codes(out) == {("SFFI006", "rt_demo_add")}


def test_abi_flag_enables_dynamic_path_rule(tmp_path, libs, capsys, monkeypatch):
    write(tmp_path, {"a.spl": "extern fn rt_demo_half(x: f64) -> f64\nfn f():\n    rt_demo_half(1.0)\n"})
    base = ("a.spl", "--library", libs["demo"], "--output-format", "json")
    assert run(capsys, monkeypatch, tmp_path, *base)[0] == 0
    code, out, _ = run(capsys, monkeypatch, tmp_path, *base, "--abi", "dynamic")
    assert code == 1 and ("SFFI013", "rt_demo_half") in codes(out)


def test_config_selection_and_cli_override(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"sffi.toml": '[rules]\nselect = ["SFFI016"]\n', "a.spl": "extern type T\nextern fn simple_x()\n"})
    code, out, _ = run(capsys, monkeypatch, tmp_path, ".", "--output-format", "json")
    assert code == 1 and {c for c, _ in codes(out)} == {"SFFI016"}
    code, out, _ = run(capsys, monkeypatch, tmp_path, ".", "--output-format", "json", "--select", "extern-naming")
    assert code == 0 and codes(out) == {("SFFI017", "simple_x")}


def test_internal_error_gives_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    # an sffi.toml: a run with nothing configured also says so on stderr (one more line)
    write(tmp_path, {"a.spl": "extern fn rt_x()\n", "sffi.toml": ""})

    def boom(*a, **k):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("sffi_lsp.check.engine.check", boom)
    monkeypatch.delenv("SFFI_DEBUG", raising=False)
    code, out, err = run(capsys, monkeypatch, tmp_path, "a.spl")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "sffi-check: internal error: RuntimeError: engine exploded (run with SFFI_DEBUG=1 for a traceback)"
    ]


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    assert "--output-format" in capsys.readouterr().out


def test_version(sffi) -> None:
    r = sffi("--version")
    assert r.code == 0
    assert r.out.startswith("sffi-check ") and r.out.split()[1][0].isdigit() or "not installed" in r.out


def test_default_jobs_use_idle_cores(monkeypatch):
    """All cores unless the machine is busy (the 1-minute load average lags behind)."""
    import os

    from sffi_lsp import cli

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    for load, jobs in ((0.0, 2), (0.5, 2), (1.0, 1), (3.0, 1)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert cli.idle_cores() == jobs, load
