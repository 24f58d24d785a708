"""Tier-1 Rust crates (a cdylib built here with cargo --offline, no dependencies):
where LLVM merged functions with identical code, DWARF has no entry for some
exports; their signatures come from the crate's own `extern "C" fn`s, the crate
found from the DWARF compile units or `libraries.sources`. What nothing can
check is counted in the summary and listed by the opt-in SFFI025."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CARGO = shutil.which("cargo")

CARGO_TOML = """\
[package]
name = "torchlike"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[profile.release]
debug = true
"""

LIB_RS = """\
//! A torch-like tier-1 crate in stub mode: several functions share one body.

#[no_mangle]
pub extern "C" fn rt_torchlike_available() -> i64 { 0 }
#[no_mangle]
pub extern "C" fn rt_torchlike_version() -> i64 { 0 }
#[no_mangle]
pub extern "C" fn rt_torchlike_tensor_new(rows: i64, cols: i64) -> i64 { let _ = (rows, cols); 0 }
#[no_mangle]
pub extern "C" fn rt_torchlike_tensor_free(handle: i64) -> i64 { let _ = handle; 0 }
#[no_mangle]
pub extern "C" fn rt_torchlike_scale(handle: i64, factor: f64) -> f64 { let _ = handle; factor * 2.0 }
#[no_mangle]
pub unsafe extern "C" fn rt_torchlike_load(path_ptr: *const u8, path_len: u64) -> i64 {
    if path_ptr.is_null() { -1 } else { path_len as i64 }
}
"""

NAMES = ["rt_torchlike_available", "rt_torchlike_version", "rt_torchlike_tensor_new",
         "rt_torchlike_tensor_free", "rt_torchlike_scale", "rt_torchlike_load"]

SPL = """\
extern fn rt_torchlike_available() -> i64
extern fn rt_torchlike_version(flags: i64) -> i64
extern fn rt_torchlike_tensor_new(rows: i64) -> i64
extern fn rt_torchlike_tensor_free(handle: i64) -> i64
extern fn rt_torchlike_scale(handle: i64, factor: f64) -> f64
extern fn rt_torchlike_load(path: text) -> i64

fn main():
    rt_torchlike_available()
    rt_torchlike_version(0)
    rt_torchlike_tensor_new(1)
    rt_torchlike_tensor_free(1)
    rt_torchlike_scale(1, 2.0)
    rt_torchlike_load("m.pt")
"""


@pytest.fixture(scope="module")
def crate(tmp_path_factory) -> Path:
    if CARGO is None:
        pytest.skip("cargo is needed to build the tier-1 test crate")
    root = tmp_path_factory.mktemp("torchlike")
    (root / "src").mkdir()
    (root / "Cargo.toml").write_text(CARGO_TOML)
    (root / "src" / "lib.rs").write_text(LIB_RS)
    env = dict(os.environ, CARGO_TARGET_DIR=str(root / "target"))
    subprocess.run([CARGO, "build", "--offline", "--release", "-q"], cwd=root, env=env, check=True, timeout=600)
    return root


def run(cwd: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(cwd))
    p = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", "--no-cache", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def by_line(out: str) -> dict[str, set[str]]:
    report = json.loads(out)
    at = {e["line"]: e["name"] for e in report["externs"]}
    got: dict[str, set[str]] = {}
    for d in report["diagnostics"]:
        got.setdefault(at.get(d["line"], "?"), set()).add(d["code"])
    return got


def test_dwarf_lacks_merged_functions(crate):
    from sffi_lsp.binary import ExportIndex
    from sffi_lsp.binary.types import CSignature

    index = ExportIndex()
    lib = index.library(str(crate / "target" / "release" / "libtorchlike.so"))
    sigs = index.signatures(lib, NAMES)
    missing = [n for n in NAMES if not isinstance(sigs[n], CSignature)]
    assert missing, "LLVM merged nothing: the test crate no longer shows the gap"
    assert len(missing) < len(NAMES)


def test_signatures_from_the_crate_found_through_dwarf(crate, tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "ffi.spl").write_text(SPL)
    so = crate / "target" / "release" / "libtorchlike.so"
    (project / "sffi.toml").write_text(f'[[libraries]]\npath = "{so}"\n')
    code, out, err = run(project, "--output-format", "json", "ffi.spl")
    got = by_line(out)
    # every mismatch is found, the merged (DWARF-less) functions' ones included
    assert "SFFI008" in got["rt_torchlike_version"] and "SFFI008" in got["rt_torchlike_tensor_new"], got
    assert "rt_torchlike_available" not in got and "rt_torchlike_load" not in got, got
    code, out, err = run(project, "--output-format", "concise", "ffi.spl")
    assert "could not be checked" not in err


def _stripped_project(crate, tmp_path):
    """A project declaring SPL beside a copy of the crate's release library without its DWARF."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "ffi.spl").write_text(SPL)
    stripped = project / "libtorchlike.so"
    shutil.copy(crate / "target" / "release" / "libtorchlike.so", stripped)
    subprocess.run(["strip", "--strip-debug", str(stripped)], check=True)
    return project


def test_stripped_library_with_sources_and_the_unchecked_count(crate, tmp_path):
    project = _stripped_project(crate, tmp_path)
    (project / "sffi.toml").write_text('[[libraries]]\npath = "libtorchlike.so"\n')
    code, out, err = run(project, "--output-format", "concise", "--extend-select", "SFFI025", "ffi.spl")
    assert "6 externs whose signature could not be checked" in err, err
    assert out.count("SFFI025") == 6
    (project / "sffi.toml").write_text(f'[[libraries]]\npath = "libtorchlike.so"\nsources = ["{crate}"]\n')
    code, out, err = run(project, "--output-format", "json", "--extend-select", "SFFI025", "ffi.spl")
    got = by_line(out)
    assert not any("SFFI025" in c for c in got.values()), got
    assert "SFFI008" in got["rt_torchlike_version"] and "SFFI008" in got["rt_torchlike_tensor_new"]


async def test_hover_labels_a_signature_read_from_the_crate(crate, tmp_path):
    """A stripped library with `sources`: the hover's C signature is the crate's, and says so."""
    from lsprotocol import types as lsp

    from tests.server.conftest import CLIENTS, find, start_client, uri, wait_for

    project = _stripped_project(crate, tmp_path)
    (project / "sffi.toml").write_text(f'[[libraries]]\npath = "libtorchlike.so"\nsources = ["{crate}"]\n')
    client = await start_client(project, CLIENTS[0])
    try:
        path = project / "ffi.spl"
        await wait_for(client, path, lambda d: any(x.code == "SFFI008" for x in d), timeout=120)
        hover = await client.text_document_hover_async(lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=find(SPL, "rt_torchlike_scale")))
        text = hover.contents.value
        assert "C signature (from the crate's Rust sources):" in text, text
        assert "(DWARF)" not in text, text
        assert "f64 rt_torchlike_scale(i64 handle, f64 factor);" in text, text
        assert "src/lib.rs:12" in text, text
    finally:
        await client.shutdown_session()
        await client.stop()
