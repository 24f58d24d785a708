"""The runtime-source rules in process (the engine, the providers, the
miniature Simple checkout of tests/runtime_source): each code fires on the
shape it is for and on nothing else."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex
from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.providers import Providers
from sffi_lsp.config import load_config
from sffi_lsp.syntax.parser import parse_source

CHECKOUT = Path(__file__).resolve().parents[1] / "runtime_source" / "checkout"

SOURCE = """\
extern fn rt_env_get(key: text) -> text
extern fn rt_env_vars() -> [text]
extern fn rt_pix_blit(x: i64, y: i64) -> i64
extern fn rt_pix_scale(h: i64) -> i64
extern fn rt_file_size(path: text, flags: i64) -> i64
extern fn rt_pad_rumble(pad: i64) -> i64
extern fn rt_nowhere_at_all() -> i64
"""


def codes_by_name(tmp_path, **changes) -> dict[str, set[str]]:
    root = tmp_path / "simple"
    if not root.exists():
        shutil.copytree(CHECKOUT, root)
    project = root / "src" / "lib"
    project.mkdir(parents=True, exist_ok=True)
    path = project / "uses.spl"
    path.write_text(SOURCE)
    config = replace(load_config([str(project)], env={}), cache_dir=str(tmp_path / "cache"), **changes)
    providers = Providers.from_config(config, ExportIndex())
    model = parse_source(SOURCE, str(path))
    result = check(Workspace([model], roots=[str(project)]), providers, config)
    lines = {e.name_span.start_line: e.name for e in model.externs}
    out: dict[str, set[str]] = {}
    for f in result.findings:
        if f.code.startswith("SFFI02") or f.code in ("SFFI001", "SFFI007"):
            out.setdefault(lines.get(f.span.start_line, "?"), set()).add(f.code)
    return out


def test_each_runtime_rule(tmp_path):
    got = codes_by_name(tmp_path)
    assert "rt_env_get" not in got  # table row + registered + Rust signature agrees
    assert got["rt_env_vars"] == {"SFFI020"}  # interpreter-gap
    assert got["rt_pix_blit"] == {"SFFI021"}  # compiled-gap
    assert got["rt_pix_scale"] == {"SFFI024"}  # family-does-not-handle (registered for compiled code)
    assert got["rt_file_size"] == {"SFFI023"}  # runtime-signature-mismatch
    assert got["rt_pad_rumble"] == {"SFFI007"}  # a refused family
    assert got["rt_nowhere_at_all"] == {"SFFI001"}
    assert not any("SFFI022" in c for c in got.values())  # hosted target


def test_bare_metal_and_modes(tmp_path):
    got = codes_by_name(tmp_path, runtime_bare_metal=True)
    assert "SFFI022" in got["rt_env_vars"] and "SFFI022" in got["rt_file_size"]
    assert "SFFI022" not in got.get("rt_pix_scale", set())  # tier Core stays on bare metal
    interp_only = codes_by_name(tmp_path, runtime_modes=("interpreter",))
    assert interp_only.get("rt_pix_blit", set()) == set()  # no compiled verdict asked
    compiled_only = codes_by_name(tmp_path, runtime_modes=("compiled",))
    assert "SFFI020" not in compiled_only.get("rt_env_vars", set())
    assert "SFFI024" not in compiled_only.get("rt_pix_scale", set())


def test_no_checkout_no_runtime_findings(tmp_path):
    path = tmp_path / "uses.spl"
    path.write_text(SOURCE)
    config = replace(load_config([str(tmp_path)], env={}), cache_dir=str(tmp_path / "cache"))
    assert config.runtime_source is None
    providers = Providers.from_config(config, ExportIndex())
    model = parse_source(SOURCE, str(path))
    result = check(Workspace([model], roots=[str(tmp_path)]), providers, config)
    assert {f.code for f in result.findings if f.code.startswith("SFFI02")} == set()
    assert sum(f.code == "SFFI001" for f in result.findings) == len(model.externs)


@pytest.mark.parametrize("code", ["SFFI020", "SFFI021", "SFFI022", "SFFI023", "SFFI024"])
def test_runtime_rules_explain(code):
    from sffi_lsp.check.rules import lookup_rule

    text = lookup_rule(code).explain()
    assert "What it does" in text and "Why is this bad?" in text and "Example" in text


def test_signature_unchecked_is_opt_in(tmp_path):
    from sffi_lsp.config_types import RuleSettings

    assert "SFFI025" not in {c for cs in codes_by_name(tmp_path).values() for c in cs}
    got = codes_by_name(tmp_path / "b", rules=RuleSettings(extend_select=("SFFI025",)))
    # a runtime family name without a C-ABI definition: nothing to check it against
    assert "SFFI025" in got["rt_pix_blit"]
    assert "SFFI025" not in got.get("rt_env_get", set())  # the Rust definition checked it
