"""Analysed grammars shipped next to the package (sffi_lsp.grammar_cache):
a first start with an empty user cache loads them instead of building LALR tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from sffi_lsp import sdn
from sffi_lsp.syntax import decl
from sffi_lsp import grammar_cache
loaded = []
real = grammar_cache.load_seed
def spy(kind, *a, **k):
    got = real(kind, *a, **k)
    loaded.append((kind, got is not None))
    return got
grammar_cache.load_seed = spy
tree = decl.lark_parser().parse("extern fn rt_x(a: [i64], b: (text, i64)?) -> Map<text, i64>")
# an inline table (`=`): outside the block subset that sdn_blocks reads without the grammar
manifest = sdn.parse_sdn("plugins:\n    demo = {library: libspl_demo.so, functions: [rt_demo_open]}\n")
print(json.dumps({"loaded": loaded, "tree": tree.pretty(), "manifest": repr(manifest)}))
"""


def _run(tmp_path: Path, home: str) -> dict:
    import json

    env = dict(os.environ, XDG_CACHE_HOME=home, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def seeds():
    from sffi_lsp import sdn
    from sffi_lsp.syntax import decl

    paths = [decl.write_seed(), sdn.write_seed()]
    if not all(paths):
        pytest.skip("package directory not writable")
    return [Path(p) for p in paths]


def test_first_start_loads_the_seeds_and_parses_alike(tmp_path, seeds):
    seeded = _run(tmp_path, str(tmp_path / "fresh"))
    assert sorted(seeded["loaded"]) == [["sdn", True], ["simple", True]]
    # the same parses as parsers built from the grammars (seeds moved away)
    moved = [p.rename(p.with_suffix(".away")) for p in seeds]
    try:
        built = _run(tmp_path, str(tmp_path / "fresh2"))
    finally:
        for m, p in zip(moved, seeds):
            m.rename(p)
    assert sorted(built["loaded"]) == [["sdn", False], ["simple", False]]
    assert seeded["tree"] == built["tree"] and seeded["manifest"] == built["manifest"]


def test_damaged_seed_means_a_normal_build(tmp_path, seeds):
    saved = [p.read_bytes() for p in seeds]
    try:
        for p in seeds:
            p.write_bytes(b"\x80\x04not a parser")
        out = _run(tmp_path, str(tmp_path / "fresh"))
        assert sorted(out["loaded"]) == [["sdn", False], ["simple", False]]
        assert "rt_x" in out["tree"]
    finally:
        for p, data in zip(seeds, saved):
            p.write_bytes(data)
