"""Items 4 and 8 of issue 12 through the real CLI: --fix, --unsafe-fixes, --diff,
--add-noqa, the suppression rules SFFI029/SFFI030, --watch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from ux_helpers import clean_env, command, gcc_lib, write

TORCH_C = ("#include <stdint.h>\nint64_t rt_torch_available(void) { return 1; }\n"
           "int64_t rt_torch_add(int64_t a, int64_t b) { return a + b; }\n"
           "int64_t rt_torch_availability(void) { return 1; }\n")
FFI = ("extern fn rt_torch_add(a: i64, b: i64) -> i64\n"
       "extern fn rt_torch_availble() -> i64\n"
       "extern fn rt_torch_add(x: i64, y: i64) -> i64\n")
USER = "use lib.ffi.*\nfn main():\n    rt_torch_add(1, 2)\n    rt_torch_availble()\n"


def project(root: Path) -> None:
    (root / "build").mkdir(exist_ok=True)
    gcc_lib(root / "build" / "libt.so", TORCH_C.replace("int64_t rt_torch_availability(void) { return 1; }\n", ""))
    write(root, {"sffi.toml": '[[libraries]]\npath = "build/libt.so"\n', "src/lib/ffi.spl": FFI, "src/main.spl": USER})


def test_fix_applies_safe_fixes_only(tmp_path, sffi):
    project(tmp_path)
    (tmp_path / "src/lib/ffi.spl").write_bytes(FFI.replace("\n", "\r\n").encode())  # CRLF kept
    r = sffi("--fix", "--output-format", "concise")
    assert r.code == 1  # the misspelt extern is still an error (its rename is unsafe)
    assert (tmp_path / "src/lib/ffi.spl").read_bytes() == FFI.replace("\n", "\r\n").encode().replace(
        b"extern fn rt_torch_add(x: i64, y: i64) -> i64\r\n", b"")
    assert "SFFI010" not in r.out and "SFFI001" in r.out
    assert "fixed 1" in r.err and "available with --unsafe-fixes" in r.err


def test_unsafe_fixes_rename_with_calls_in_other_files(tmp_path, sffi):
    project(tmp_path)
    r = sffi("--fix", "--unsafe-fixes", "--output-format", "json")
    assert r.code == 0, r.out
    assert (tmp_path / "src/lib/ffi.spl").read_text() == ("extern fn rt_torch_add(a: i64, b: i64) -> i64\n"
                                                         "extern fn rt_torch_available() -> i64\n")
    assert (tmp_path / "src/main.spl").read_text() == USER.replace("availble", "available")
    assert json.loads(r.out)["diagnostics"] == []


def test_no_rename_when_two_names_are_equally_near(tmp_path, sffi):
    (tmp_path / "build").mkdir()
    gcc_lib(tmp_path / "build" / "libt.so", "long rt_io_readx(void){return 0;}\nlong rt_io_ready(void){return 0;}\n")
    write(tmp_path, {"sffi.toml": '[[libraries]]\npath = "build/libt.so"\n',
                     "a.spl": "extern fn rt_io_readq() -> i64\nfn f():\n    rt_io_readq()\n"})
    d = json.loads(sffi("--output-format", "json").out)["diagnostics"][0]
    assert d["code"] == "SFFI001" and d["fix"] is None  # a person must choose
    assert sffi("--fix", "--unsafe-fixes").code == 1
    assert "rt_io_readq" in (tmp_path / "a.spl").read_text()


def test_signature_rewrite_is_an_unsafe_fix(tmp_path, sffi):
    (tmp_path / "build").mkdir()
    gcc_lib(tmp_path / "build" / "libm2.so", "#include <stdint.h>\nint64_t rt_m_add(int64_t a, int64_t b) { return a + b; }\n")
    write(tmp_path, {"sffi.toml": '[[libraries]]\npath = "build/libm2.so"\n',
                     "a.spl": "extern fn rt_m_add(a: f64, b: i64) -> i64\nfn f():\n    rt_m_add(1.0, 2)\n"})
    d = next(d for d in json.loads(sffi("--output-format", "json").out)["diagnostics"] if d["code"] == "SFFI008")
    assert d["fix"]["applicability"] == "unsafe"
    diff = sffi("--diff", "--unsafe-fixes")
    assert diff.code == 1 and "-extern fn rt_m_add(a: f64, b: i64) -> i64" in diff.out
    assert "+extern fn rt_m_add(" in diff.out and "f64" not in diff.out.split("+extern fn rt_m_add(")[1].split("\n")[0]
    assert "f64" in (tmp_path / "a.spl").read_text()  # --diff writes nothing
    assert sffi("--fix", "--unsafe-fixes").code == 0


def test_diff_exit_status_as_ruff(tmp_path, sffi):
    project(tmp_path)
    before = {p: p.read_text() for p in tmp_path.rglob("*.spl")}
    r = sffi("--diff")
    assert r.code == 1 and r.out.startswith("--- a/src/lib/ffi.spl\n+++ b/src/lib/ffi.spl\n")
    assert {p: p.read_text() for p in tmp_path.rglob("*.spl")} == before
    assert sffi("--fix").code == 1
    clean = sffi("--diff")
    assert clean.code == 0 and clean.out == ""  # nothing (safe) left to fix


def test_add_noqa_then_the_check_is_clean_and_no_suppression_is_unused(tmp_path, sffi):
    project(tmp_path)
    r = sffi("--add-noqa")
    assert r.code == 0 and "added 2 suppression comment(s)" in r.err
    text = (tmp_path / "src/lib/ffi.spl").read_text()
    assert "extern fn rt_torch_availble() -> i64  # sffi: ignore[SFFI001]\n" in text
    after = sffi("--output-format", "json")
    assert after.code == 0 and json.loads(after.out)["diagnostics"] == []


def test_unknown_and_unused_suppressions(tmp_path, sffi):
    project(tmp_path)
    write(tmp_path, {"src/lib/ffi.spl": "extern fn rt_torch_add(a: i64, b: i64) -> i64  # sffi: ignore[SFFI001, SFFI0001]\n"
                                        "extern fn rt_torch_availble() -> i64  # sffi: ignore[SFFI001, SFFI010]\n"
                                        "# sffi: ignore-file[SFFI003]\n"})
    ds = json.loads(sffi("--output-format", "json").out)["diagnostics"]
    got = {(d["code"], d["line"]) for d in ds}
    assert got == {("SFFI029", 1), ("SFFI030", 1), ("SFFI030", 2), ("SFFI030", 3)}, ds
    assert all(d["fix"]["applicability"] == "safe" for d in ds)
    r = sffi("--fix")
    assert r.code == 0, r.out
    assert (tmp_path / "src/lib/ffi.spl").read_text() == ("extern fn rt_torch_add(a: i64, b: i64) -> i64\n"
                                                         "extern fn rt_torch_availble() -> i64  # sffi: ignore[SFFI001]\n")
    # checking one file judges its suppressions with the whole project's findings
    assert json.loads(sffi("src/lib/ffi.spl", "--output-format", "json").out)["diagnostics"] == []


def _read_until(proc, stream, marker: str, timeout: float) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(stream.fileno(), False)
    while time.monotonic() < deadline:
        chunk = stream.read()
        if chunk:
            seen += chunk
            if marker.encode() in seen:
                return seen.decode()
        time.sleep(0.05)
    raise AssertionError(f"{marker!r} not seen in {timeout}s: {seen.decode(errors='replace')}")


def test_watch_rechecks_on_change_and_stops_cleanly(tmp_path):
    write(tmp_path, {"sffi.toml": "", "a.spl": "extern fn rt_w_one() -> i64\n"})
    proc = subprocess.Popen([*command(), "--watch", "--output-format", "concise"], cwd=tmp_path,
                            env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = _read_until(proc, proc.stdout, "rt_w_one", 60)
        assert out.startswith("\x1b[2J")
        err = _read_until(proc, proc.stderr, "watching for file changes", 60)
        time.sleep(0.05)
        (tmp_path / "a.spl").write_text("extern fn rt_w_two() -> i64\n")
        out = _read_until(proc, proc.stdout, "rt_w_two", 60)
        assert out.count("\x1b[2J") == 1  # the screen was cleared before the second run
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in err + proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
