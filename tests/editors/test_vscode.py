"""Real VS Code (code-server 4.100.3 = VS Code 1.100.3) with the packaged .vsix,
driven by playwright-core and Debian's chromium in a loopback-only network
namespace: the extension installs and runs with no network and no pip install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, EDITORS_DIR, INSTALL_HINT, REPO, Example, record_info, record_timing, require_tool

HERE = Path(__file__).resolve().parent
EXTENSION = REPO / "vscode-extension"
VSIX = EXTENSION / "dist" / "sffi-lsp.vsix"
CODE_SERVER = EDITORS_DIR / "code-server" / "node_modules" / ".bin" / "code-server"
PLAYWRIGHT = EDITORS_DIR / "playwright" / "node_modules" / "playwright-core"
TARGET_S = 3.0  # first diagnostic after the workbench is shown
EXTENSION_ID = "sffi-lsp.sffi-lsp"


def _run(cmd: list[str], timeout: int, **kwargs) -> subprocess.CompletedProcess:
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} timed out after {timeout} s:\n{exc.stdout}\n{exc.stderr}", pytrace=False)
    if run.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}", pytrace=False)
    return run


def in_loopback_netns(cmd: list[str]) -> list[str]:
    """Run `cmd` in a fresh network namespace whose only interface is lo."""
    script = 'ip link set lo up && exec "$@"'
    return ["unshare", "--net", "--", "sh", "-c", script, "netns", *cmd]


@pytest.fixture(scope="session")
def vsix() -> Path:
    """Package the extension as users get it: bundle, python libs, vsce."""
    require_tool("npm")
    env = dict(os.environ)
    env["SFFI_BUNDLE_PYTHON"] = sys.executable
    env.pop("PYTHONPATH", None)
    if not (EXTENSION / "node_modules" / "@vscode" / "vsce").is_dir():
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], 300, cwd=EXTENSION, env=env)
    _run(["npm", "run", "package"], 300, cwd=EXTENSION, env=env)
    assert VSIX.is_file()
    return VSIX


def test_vsix_contents(vsix: Path) -> None:
    """The package carries the bundled server and its pure-Python dependencies."""
    import zipfile  # noqa: PLC0415

    names = zipfile.ZipFile(vsix).namelist()
    assert "extension/dist/extension.js" in names
    for module in ("sffi_lsp/server/__main__.py", "pygls/__init__.py", "lsprotocol/__init__.py", "lark/__init__.py", "elftools/__init__.py"):
        assert f"extension/bundled/libs/{module}" in names, f"{module} missing from the .vsix"
    # Native code only from the binary wheels the bundle script allows (rapidfuzz, tree-sitter):
    # with them the .vsix is tied to one platform and Python tag (see scripts/bundle-python.js).
    allowed = tuple(f"extension/bundled/libs/{p}/" for p in ("rapidfuzz", "tree_sitter", "tree_sitter_rust"))
    assert not [n for n in names if (n.endswith(".so") and not n.startswith(allowed)) or "node_modules/" in n]
    assert any(n.startswith(allowed[0]) and n.endswith(".so") for n in names), "rapidfuzz's binary wheel missing"
    # Start-up speed: byte code (PYTHONDONTWRITEBYTECODE machines, read-only extension
    # dirs) and the attrs code cache of the LSP types ship with the bundle.
    assert f"extension/bundled/libs/sffi_lsp/server/__pycache__/__main__.{sys.implementation.cache_tag}.pyc" in names
    assert any(n.startswith("extension/bundled/libs/lsprotocol/__pycache__/types.") and n.endswith(".pyc") for n in names)
    assert any(n.startswith("extension/bundled/libs/sffi_lsp/server/__pycache__/attrs-code-") for n in names), (
        "the start-up code cache is missing from the .vsix"
    )
    manifest = json.loads(zipfile.ZipFile(vsix).read("extension/package.json"))
    assert manifest["activationEvents"] == ["onLanguage:simple", "onLanguage:wrapper-spec"]
    assert {"simple", "wrapper-spec"} <= {lang["id"] for lang in manifest["contributes"]["languages"]}
    assert {"sffi.restart", "sffi.reindex", "sffi.showExports"} <= {c["command"] for c in manifest["contributes"]["commands"]}


def _python_without_project(tmp: Path) -> Path:
    """A bin dir whose python3 is the base interpreter (not the venv with sffi-lsp installed)."""
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    probe = subprocess.run([str(base), "-c", "import sffi_lsp"], capture_output=True, env={"PATH": "/usr/bin:/bin"})
    if probe.returncode == 0:
        base = Path(shutil.which("python3", path="/usr/bin") or base)
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(base)
    return bindir


def test_vscode_squiggle_problems_hover(vsix: Path, example: Example, tmp_path: Path) -> None:
    code_server = require_tool("code-server", CODE_SERVER)
    if not (PLAYWRIGHT / "package.json").is_file():
        pytest.fail(f"playwright-core is not installed: {INSTALL_HINT}", pytrace=False)
    chromium = require_tool("chromium")
    node = require_tool("node")
    require_tool("unshare")
    require_tool("ip")
    assert example.resolved.path == example.unresolved.path

    user_data = tmp_path / "user-data"
    extensions = tmp_path / "extensions"
    home = tmp_path / "home"
    for d in (user_data / "User", extensions, home):
        d.mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(
        json.dumps(
            {
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "workbench.enableExperiments": False,
                "security.workspace.trust.enabled": False,
                "telemetry.telemetryLevel": "off",
                "update.mode": "none",
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "extensions.ignoreRecommendations": True,
                "chat.disableAIFeatures": True,
                "git.enabled": False,
                "editor.hover.delay": 200,
                "sffi.trace.server": "messages",
            },
            indent=2,
        )
    )
    bindir = _python_without_project(tmp_path)
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("VSCODE_")
    }
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )

    # Install the .vsix with no network.
    _run(
        in_loopback_netns(
            [code_server, "--install-extension", str(vsix), "--extensions-dir", str(extensions), "--user-data-dir", str(user_data)]
        ),
        180,
        env=env,
    )
    installed = [p.name for p in extensions.iterdir() if p.name.startswith(EXTENSION_ID)]
    assert installed, f"the .vsix did not install: {list(extensions.iterdir())}"

    artifacts = ARTIFACTS
    artifacts.mkdir(exist_ok=True)
    out = tmp_path / "vscode.json"
    config = {
        "codeServer": code_server,
        "playwrightCore": str(PLAYWRIGHT),
        "chromium": chromium,
        "port": 18731,
        "userDataDir": str(user_data),
        "extensionsDir": str(extensions),
        "folder": str(example.root),
        "file": str(example.unresolved.path),
        "relFile": example.unresolved.rel,
        "unresolved": {"line": example.unresolved.line, "col": example.unresolved.col, "name": example.unresolved.name},
        "resolved": {
            "line": example.resolved.line, "col": example.resolved.col, "name": example.resolved.name,
            "library": example.resolved.library,
        },
        "artifacts": str(artifacts),
        "out": str(out),
        "timeoutMs": 60000,
        "env": env,
    }
    config_file = tmp_path / "probe.json"
    config_file.write_text(json.dumps(config))
    try:
        run = subprocess.run(
            in_loopback_netns([node, str(HERE / "vscode_probe.js"), str(config_file)]),
            capture_output=True, text=True, timeout=240, env=env,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the VS Code probe timed out:\n{exc.stderr}", pytrace=False)
    assert out.exists(), f"the VS Code probe wrote no result ({run.returncode}):\n{run.stderr[-4000:]}"
    result = json.loads(out.read_text())
    (artifacts / "vscode-result.json").write_text(json.dumps(result, indent=2))
    logs = _extension_logs(user_data)
    (artifacts / "vscode-extension.log").write_text(logs)
    assert not result["errors"], f"VS Code probe: {result['errors']}\n{run.stderr[-4000:]}\nextension log:\n{logs[-3000:]}"

    # The server ran from the libraries bundled in the .vsix.
    assert "bundled/libs" in logs, f"the server was not started from the bundled libraries:\n{logs[:2000]}"

    assert result["squiggle_under_unresolved"], (
        f"no error squiggle under {example.unresolved.name}: {result['unresolved_rect']} vs {result['squiggles']}"
    )
    rows = [r for r in result["problem_rows"] if example.unresolved.name in r]
    assert rows, f"Problems panel: {result['problem_rows']}"
    assert example.unresolved.code in rows[0], f"the Problems entry lacks its code: {rows[0]!r}"
    assert any(example.resolved.library in h for h in result["hover_texts"]), (
        f"hover over {example.resolved.name} does not name {example.resolved.library}: {result['hover_texts']}"
    )
    assert any("unresolved" in s for s in result["status_bar"]), f"status bar: {result['status_bar']}"
    # Where the time goes: VS Code's own share (its extension host, built-in
    # extensions) and ours (activation, the server process, its first check).
    workbench = result["timings"]["workbench_epoch"]
    squiggle = result["timings"]["first_diagnostic_epoch"]
    stages = _startup_stages(user_data, logs)
    previous = ("workbench shown", workbench)
    for name, epoch in stages + [("squiggle shown", squiggle)]:
        record_info("vscode", f"{previous[0]} -> {name}", epoch - previous[1])
        previous = (name, epoch)
    activated = dict(stages).get("extension activation starts")
    if activated is not None:
        record_timing("vscode", "activation of the extension to first diagnostic", squiggle - activated, TARGET_S)
    record_timing(
        "vscode", "first diagnostic after the workbench is shown (VS Code 1.100.3 / code-server 4.100.3)",
        result["timings"]["first_diagnostic_after_workbench_s"], TARGET_S,
    )


def _stamp(text: str) -> float:
    """A log timestamp (`2026-11-26 05:55:11.258` or with a comma), local time."""
    import datetime  # noqa: PLC0415

    return datetime.datetime.strptime(text[:23].replace(",", "."), "%Y-%m-%d %H:%M:%S.%f").timestamp()


def _iso(text: str) -> float:
    import datetime  # noqa: PLC0415

    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _startup_stages(user_data: Path, extension_log: str) -> list[tuple[str, float]]:
    """Start-up stages with their wall-clock time, from the extension host's log and
    the server's start-up lines (logged through the output channel when traced)."""
    import re  # noqa: PLC0415

    stages: list[tuple[str, float]] = []
    for path in (user_data / "logs").rglob("remoteexthost.log"):
        for line in path.read_text(errors="replace").splitlines():
            if "Extension host with pid" in line and "started" in line:
                stages.append(("extension host started", _stamp(line)))
            elif "_doActivateExtension" in line and EXTENSION_ID in line:
                stages.append(("extension activation starts", _stamp(line)))
    iso = re.compile(r"\[sffi\] module loaded at (\S+), activated at (\S+)")
    for line in extension_log.splitlines():
        match = iso.search(line)
        if match:
            stages.append(("extension module loaded", _iso(match.group(1))))
            stages.append(("extension activate() called", _iso(match.group(2))))
    server = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO \S+: start-up \+([0-9.]+) s \(cpu [0-9.]+ s\): (.*)")
    for line in extension_log.splitlines():
        match = server.search(line)
        if not match:
            continue
        stamp, since_start, stage = _stamp(match.group(1)), float(match.group(2)), match.group(3)
        if stage.startswith("imports done"):
            stages.append(("server process started", stamp - since_start))
            stages.append(("server imports done", stamp))
        elif stage.startswith("configuration and providers loaded"):
            stages.append(("server configuration loaded", stamp))
        elif stage.startswith("first check done"):
            stages.append(("server first check done", stamp))
    return sorted(stages, key=lambda s: s[1])


def _extension_logs(user_data: Path) -> str:
    """The extension's output channel (a LogOutputChannel is written under logs/)."""
    parts = []
    for path in sorted((user_data / "logs").rglob("*.log")):
        if "SFFI" in path.name or "sffi" in str(path.parent.name):
            parts.append(f"--- {path.relative_to(user_data)}\n{path.read_text(errors='replace')}")
    return "\n".join(parts)
