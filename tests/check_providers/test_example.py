"""The bundled example builds with gcc and shows the findings it is made to show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex
from sffi_lsp.check.providers import Providers
from sffi_lsp.check.types import ProviderKind, ResolutionStatus as S
from sffi_lsp.config import load_config

from .conftest import GCC

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if GCC is None:
        pytest.skip("gcc is not installed")
    dest = tmp_path_factory.mktemp("example") / "examples"
    shutil.copytree(REPO / "examples", dest, ignore=shutil.ignore_patterns("build"))
    subprocess.run(["bash", str(dest / "build.sh")], check=True, capture_output=True)
    return dest


def test_example_providers(example: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMPLE_")}
    cfg = load_config([str(example / "src")], env=env)
    assert cfg.config_file == str(example / "sffi.toml")
    p = Providers.from_config(cfg, ExportIndex())
    geo = str(example / "src" / "ffi" / "geo.spl")
    assert p.resolve("geo_distance", geo).status is S.RESOLVED
    assert p.resolve("geo_lenght", geo).status is S.UNRESOLVED
    assert p.suggest("geo_lenght")[0] == "geo_length"
    assert p.resolve("geo_unit_table", geo).status is S.DATA_NOT_FUNCTION
    assert p.resolve("geo_core_version", geo).provider.via[-1].endswith("libgeo_core.so")
    assert p.resolve("rt_json_parse").provider.kind is ProviderKind.SATELLITE
    assert p.resolve("rt_time_now_ms").provider.kind is ProviderKind.BUILTIN
    assert p.resolve("rt_audio_open").provider.kind is ProviderKind.MANIFEST
    missing = [e.function for e in p.manifest_entries() if not e.exported]
    assert missing == ["rt_audio_set_volume"]
    assert p.library_problems() == []


def test_example_check_shows_several_kinds(example: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMPLE_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", "--output-format", "json", "--no-cache"],
                          cwd=example, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    names = {d["name"] for d in report["diagnostics"]}
    assert {"unresolved-extern", "data-not-function", "provided-via-dependency", "signature-mismatch",
            "conflicting-declarations", "call-arity-mismatch", "unused-extern",
            "manifest-function-missing", "interpreter-gap", "compiled-gap", "runtime-signature-mismatch"} <= names, names
    # the clock wrapper's tiers disagree once: the spec's drop_fn exists nowhere
    wrapper = [(d["code"], d["path"], d["line"]) for d in report["diagnostics"] if "SFFI031" <= d["code"] <= "SFFI036"]
    spec_lines = (example / "clock.wrapper_spec").read_text().splitlines()
    assert wrapper == [("SFFI034", "clock.wrapper_spec",
                        next(n for n, t in enumerate(spec_lines, 1) if "drop_fn:" in t))], wrapper
    assert not [d for d in report["diagnostics"] if "clock" in d["path"] and d["code"] != "SFFI034"]
    runtime = [d for d in report["diagnostics"] if d["path"].endswith("runtime_source.spl")]
    assert {(d["code"], d["line"]) for d in runtime} == {("SFFI023", 5), ("SFFI020", 6), ("SFFI021", 7)}, runtime
    kinds = {(e["name"], (e["provider"] or {}).get("kind")) for e in report["externs"]}
    assert ("rt_json_parse", "satellite") in kinds and ("rt_time_now_ms", "builtin") in kinds
    try:
        import sffi_lsp.binary.dwarf  # noqa: F401
    except ImportError:
        return
    assert any(d["name"] == "signature-mismatch" and "geo_scale" in d["message"] for d in report["diagnostics"])
