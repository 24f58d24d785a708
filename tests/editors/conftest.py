"""Fixtures for the real-editor tests: the bundled example (copied), what the
checker says about it (the oracle the editors must agree with), the server
command, and a timing report printed at the end of the run.

A missing editor is a failure (run scripts/install-editors.sh); set
SFFI_SKIP_EDITORS=1 to skip these tests on a developer machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLES = REPO / "examples"
ARTIFACTS = REPO / "test-artifacts"
EDITORS_DIR = Path(os.environ.get("SFFI_EDITORS_DIR", REPO / ".editors"))
INSTALL_HINT = "run `bash scripts/install-editors.sh` (or set SFFI_SKIP_EDITORS=1 to skip the editor tests)"
# Targets from issue 6; the tests fail only past TIME_FACTOR x target (shared 2-core CI).
TIME_FACTOR = float(os.environ.get("SFFI_EDITOR_TIME_FACTOR", "4"))

_timings: list[tuple[str, str, float, float]] = []  # (editor, what, seconds, target)
_stages: list[tuple[str, str, float]] = []  # (editor, what, seconds): breakdowns, no target


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = os.environ.get("SFFI_SKIP_EDITORS") == "1"
    for item in items:
        if Path(str(item.fspath)).resolve().parent != HERE:
            continue
        item.add_marker(pytest.mark.editor)
        if skip:
            item.add_marker(pytest.mark.skip(reason="SFFI_SKIP_EDITORS=1"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _timings:
        return
    terminalreporter.section("editor timings")
    for editor, what, seconds, target in _timings:
        verdict = "meets" if seconds < target else "MISSES"
        terminalreporter.write_line(f"{editor:8s} {what}: {seconds:.2f} s ({verdict} the {target:g} s target)")
    for editor, what, seconds in _stages:
        terminalreporter.write_line(f"{editor:8s}   stage {what}: {seconds:.2f} s")
    load = os.getloadavg()
    terminalreporter.write_line(f"(load average {load[0]:.1f} on {os.cpu_count()} CPUs while measuring)")


def record_timing(editor: str, what: str, seconds: float, target: float) -> None:
    """Print the figure, keep it for the summary and test-artifacts/, fail far past the target."""
    _timings.append((editor, what, seconds, target))
    print(f"[timing] {editor}: {what} {seconds:.2f} s (target {target:g} s)", file=sys.stderr)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "editor-timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    load1 = os.getloadavg()[0]
    data[f"{editor}: {what}"] = {
        "seconds": round(seconds, 3), "target": target, "load_average": round(load1, 2),
        "cpus": os.cpu_count(), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    # Other work on a shared machine stretches wall-clock figures: allow for it.
    load = max(1.0, load1 / (os.cpu_count() or 1))
    ceiling = target * TIME_FACTOR * load
    assert seconds < ceiling, (
        f"{editor}: {what} took {seconds:.2f} s (target {target} s, ceiling {ceiling:.1f} s at load x{load:.1f})"
    )


def record_info(editor: str, what: str, seconds: float) -> None:
    """A start-up stage: printed and kept in test-artifacts/, no target."""
    print(f"[timing] {editor}: {what} {seconds:.2f} s", file=sys.stderr)
    _stages.append((editor, what, seconds))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "editor-timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[f"{editor} stage: {what}"] = {"seconds": round(seconds, 3), "load_average": round(os.getloadavg()[0], 2)}
    path.write_text(json.dumps(data, indent=2) + "\n")


def require_tool(name: str, path: str | Path | None = None) -> str:
    found = str(path) if path is not None and Path(path).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}", pytrace=False)
    return found


@dataclass(frozen=True)
class Target:
    path: Path  # absolute, in the copied example
    rel: str  # relative to the example root
    line: int  # 0-based
    col: int  # 0-based, code points (the example is ASCII, so also UTF-16 units)
    name: str
    code: str = ""
    library: str = ""  # basename of the providing library (resolved targets)


@dataclass(frozen=True)
class Example:
    root: Path
    unresolved: Target
    resolved: Target


def _build_example() -> None:
    build = EXAMPLES / "build"
    if not any(build.glob("*.so")):
        subprocess.run(["bash", str(EXAMPLES / "build.sh")], check=True, cwd=EXAMPLES, timeout=300)


def checker_report(root: Path) -> dict[str, Any]:
    """`sffi-check --output-format json` on the example: what every editor must show."""
    env = server_env(root)
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from sffi_lsp.cli import main; sys.exit(main())", "--output-format", "json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode in (0, 1), f"sffi-check failed ({run.returncode}): {run.stderr}"
    return json.loads(run.stdout)


def pick_targets(root: Path, report: dict[str, Any]) -> Example:
    """An unresolved extern (SFFI001) and, in the same file when possible, one
    resolved by a library: taken from the checker, not hard-coded."""
    unresolved = [d for d in report["diagnostics"] if d["code"] == "SFFI001"]
    assert unresolved, "the bundled example has no unresolved extern (SFFI001) to show"
    by_library = [e for e in report["externs"] if e["resolved"] and (e.get("provider") or {}).get("library")]
    assert by_library, "the bundled example has no extern resolved by a library"
    for diag in unresolved:
        same_file = [e for e in by_library if e["path"] == diag["path"]]
        if same_file:
            break
    else:
        diag, same_file = unresolved[0], by_library
    # The unresolved extern's name: the declaration at the diagnostic's position.
    decl = next(
        (e for e in report["externs"] if e["path"] == diag["path"] and e["line"] == diag["line"]),
        None,
    )
    assert decl is not None, f"no extern declared at {diag['path']}:{diag['line']}"
    res = same_file[0]
    return Example(
        root=root,
        unresolved=Target(
            path=root / diag["path"], rel=diag["path"], line=diag["line"] - 1, col=diag["column"] - 1,
            name=decl["name"], code=diag["code"],
        ),
        resolved=Target(
            path=root / res["path"], rel=res["path"], line=res["line"] - 1, col=res["column"] - 1,
            name=res["name"], library=os.path.basename(res["provider"]["library"]),
        ),
    )


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    """A copy of the bundled example (the server writes its cache into the project)."""
    if not (EXAMPLES / "sffi.toml").exists():
        pytest.fail("the bundled example (examples/sffi.toml) is missing", pytrace=False)
    _build_example()
    root = tmp_path_factory.mktemp("editors") / "example"
    shutil.copytree(EXAMPLES, root, symlinks=True, ignore=shutil.ignore_patterns(".sffi_cache"))
    return pick_targets(root, checker_report(root))


def server_command() -> list[str]:
    """The real server, from this checkout (test.sh also installs it as .venv/bin/sffi-lsp)."""
    return [sys.executable, "-m", "sffi_lsp.server"]


def server_env(root: Path, home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    home = home or root.parent / "home"
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)  # no user manifest (~/.simple) nor editor config leaks in
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local/share")
    env["XDG_STATE_HOME"] = str(home / ".local/state")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    return env
