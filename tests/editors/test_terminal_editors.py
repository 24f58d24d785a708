"""Neovim 0.7 (headless) and Emacs 28 + eglot (batch) on the bundled example,
through the set-up files users copy (editors/neovim, editors/emacs)."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import REPO, Example, record_info, record_timing, require_tool, server_command, server_env

HERE = Path(__file__).resolve().parent
TARGET_S = 1.5  # from start to the first diagnostic


def _probe_env(example: Example, out: Path, home: Path) -> dict[str, str]:
    env = server_env(example.root, home)
    log = out.with_suffix(".server.log")
    env.update(
        SFFI_SERVER_CMD=json.dumps([*server_command(), "--log-level", "INFO", "--log-file", str(log)]),
        SFFI_PROBE_FILE=str(example.unresolved.path),
        SFFI_PROBE_ROOT=str(example.root),
        SFFI_PROBE_HOVER_LINE=str(example.resolved.line),
        SFFI_PROBE_HOVER_CHAR=str(example.resolved.col + 1),
        SFFI_PROBE_OUT=str(out),
        SFFI_PROBE_TIMEOUT_MS="30000",
    )
    return env


STAGE = re.compile(r"^(\S+ \S+) INFO \S+: start-up \+([0-9.]+) s \(cpu ([0-9.]+) s\): (.*)$")


def _server_stages(log: Path) -> dict[str, tuple[float, float]]:
    """The server's start-up stages from its log: name -> (wall clock, CPU seconds)."""
    stages: dict[str, tuple[float, float]] = {}
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        match = STAGE.match(line)
        if not match:
            continue
        when = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        stage, cpu = match.group(4), float(match.group(3))
        if stage.startswith("imports done"):
            stages["server process started"] = (when - float(match.group(2)), 0.0)
            stages["server imports done"] = (when, cpu)
        elif stage.startswith("configuration and providers loaded"):
            stages["server configuration loaded"] = (when, cpu)
        elif stage.startswith("first check done"):
            stages["server first check done"] = (when, cpu)
    return stages


def _record_breakdown(editor: str, which: str, stages: dict[str, tuple[float, float]], started: float,
                      first_diagnostic: float) -> None:
    """Editor start -> server spawn -> imports -> configuration -> (index, check, publish) -> shown."""
    checked = stages.pop("server first check done", None)  # logged after the publish and the work after it
    previous = ("editor start", started)
    for name, (when, _cpu) in sorted(stages.items(), key=lambda kv: kv[1][0]) + [("diagnostic shown", (first_diagnostic, 0.0))]:
        record_info(editor, f"{which}: {previous[0]} -> {name}", when - previous[1])
        previous = (name, when)
    if checked is not None:
        # CPU seconds depend far less on the machine's load than the wall clock.
        record_info(editor, f"{which}: server CPU seconds up to its first check", checked[1])


def _run(cmd: list[str], env: dict[str, str], out: Path, cwd: Path) -> tuple[dict, float]:
    out.unlink(missing_ok=True)
    out.with_suffix(".server.log").unlink(missing_ok=True)
    started = time.time()
    run = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"{cmd[0]} wrote no result (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    result = json.loads(out.read_text())
    assert not result.get("errors"), f"{cmd[0]} probe errors: {result['errors']}\n{run.stderr}"
    result["server_stages"] = _server_stages(out.with_suffix(".server.log"))
    return result, started


def _starts(cmd: list[str], env: dict[str, str], out: Path, cwd: Path) -> list[tuple[str, dict, float]]:
    """The user's first start (a fresh home: no user caches yet, only what the
    installation ships) and a second one (caches written by the first)."""
    first = _run(cmd, env, out, cwd)
    second = _run(cmd, env, out, cwd)
    return [("first start", *first), ("second start", *second)]


@pytest.fixture(scope="module")
def same_file(example: Example) -> Example:
    if example.resolved.path != example.unresolved.path:
        pytest.fail("the probes open one file: the example should have both kinds of extern in one file")
    return example


def test_neovim_diagnostics_and_hover(same_file: Example, tmp_path: Path) -> None:
    example = same_file
    nvim = require_tool("nvim")
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    out = tmp_path / "nvim.json"
    env = _probe_env(example, out, tmp_path / "home")
    env["SFFI_NVIM_SETUP"] = str(REPO / "editors" / "neovim")
    cmd = [nvim, "--headless", "--clean", "-u", str(HERE / "nvim_probe.lua")]
    for which, result, started in _starts(cmd, env, out, example.root):
        assert result["filetype"] == "simple", "the set-up's .spl filetype detection did not apply"
        assert result.get("t_first_diagnostic"), f"no diagnostics arrived in {version} ({which})"
        ours = [d for d in result["diagnostics"] if d["source"] == "sffi"]
        unresolved = [d for d in ours if d["code"] == example.unresolved.code and d["lnum"] == example.unresolved.line]
        assert unresolved, f"no {example.unresolved.code} on line {example.unresolved.line + 1}: {ours}"
        assert unresolved[0]["col"] == example.unresolved.col
        assert example.unresolved.name in unresolved[0]["message"]

        hover = "\n".join(result["hover"])
        assert example.resolved.library in hover, f"hover over {example.resolved.name} does not name its library: {hover!r}"
        record_timing(
            "neovim", f"first diagnostic from start, {which} ({version})",
            float(result["t_first_diagnostic"]) - started, TARGET_S,
        )
        _record_breakdown("neovim", which, result["server_stages"], started, float(result["t_first_diagnostic"]))


def test_emacs_eglot_flymake_diagnostics(same_file: Example, tmp_path: Path) -> None:
    example = same_file
    emacs = require_tool("emacs")
    if not Path("/usr/share/emacs/site-lisp/elpa").is_dir() or not list(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot*")):
        pytest.fail("eglot is not installed (apt elpa-eglot): run `bash scripts/install-editors.sh`", pytrace=False)
    out = tmp_path / "emacs.json"
    env = _probe_env(example, out, tmp_path / "home")
    env["SFFI_EMACS_SETUP"] = str(REPO / "editors" / "emacs" / "sffi-eglot.el")
    cmd = [emacs, "--batch", "-Q", "-l", str(HERE / "emacs_probe.el")]
    for which, result, started in _starts(cmd, env, out, example.root):
        assert result["major_mode"] == "sffi-simple-mode"
        assert result.get("t_first_diagnostic"), f"no flymake diagnostics arrived ({which})"
        lines = [d for d in result["diagnostics"] if d["line"] == example.unresolved.line]
        assert lines, f"no flymake diagnostic on line {example.unresolved.line + 1}: {result['diagnostics']}"
        hit = [d for d in lines if example.unresolved.code in d["text"] and example.unresolved.name in d["text"]]
        assert hit, f"no {example.unresolved.code} for {example.unresolved.name}: {lines}"
        assert hit[0]["col"] == example.unresolved.col
        assert hit[0]["type"] == "eglot-error"
        assert example.resolved.library in (result.get("hover") or ""), f"hover: {result.get('hover')!r}"
        record_timing(
            "emacs", f"first diagnostic from start, {which} (Emacs {result['emacs_version']}, eglot {result['eglot_version']})",
            float(result["t_first_diagnostic"]) - started, TARGET_S,
        )
        _record_breakdown("emacs", which, result["server_stages"], started, float(result["t_first_diagnostic"]))


def test_neovim_setup_files_parse(tmp_path: Path) -> None:
    """Every shipped Lua file loads (LuaJIT parse in the real Neovim), including the
    0.11+ ones that Neovim 0.7 cannot run; lsp/sffi.lua must return its config table."""
    nvim = require_tool("nvim")
    files = sorted((REPO / "editors" / "neovim").rglob("*.lua"))
    assert len(files) >= 4
    out = tmp_path / "parse.txt"
    lua = (
        "local out = io.open(vim.env.SFFI_OUT, 'w') "
        "for f in vim.gsplit(vim.env.SFFI_FILES, '\\n') do "
        "  local chunk, err = loadfile(f) "
        "  out:write(f .. '\\t' .. (chunk and 'ok' or tostring(err)) .. '\\n') "
        "  if chunk and f:match('lsp/sffi%.lua$') then "
        "    local cfg = chunk() out:write('lsp-config\\t' .. table.concat(cfg.filetypes, ',') .. '\\n') "
        "  end "
        "end out:close()"
    )
    env = {"SFFI_FILES": "\n".join(map(str, files)), "SFFI_OUT": str(out), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([nvim, "--headless", "--clean", "-c", f"lua {lua}", "-c", "qa!"], env=env, timeout=60, check=True)
    rows = dict(line.split("\t", 1) for line in out.read_text().splitlines())
    assert rows.pop("lsp-config") == "simple,wrapper_spec"  # .spl sources and .wrapper_spec files
    assert rows == {str(f): "ok" for f in files}


def test_emacs_setup_byte_compiles(tmp_path: Path) -> None:
    emacs = require_tool("emacs")
    src = tmp_path / "sffi-eglot.el"
    src.write_text((REPO / "editors" / "emacs" / "sffi-eglot.el").read_text())
    run = subprocess.run(
        [emacs, "--batch", "-Q", "--eval",
         "(progn (require 'package) (push \"/usr/share/emacs/site-lisp/elpa\" package-directory-list) (package-initialize)"
         " (setq byte-compile-error-on-warn t))",
         "-f", "batch-byte-compile", str(src)],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "sffi-eglot.elc").exists()
