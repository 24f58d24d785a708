"""C signatures read from DWARF, in a worker process, for declared names only."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sffi_lsp.binary import CSignature, ExportIndex, NoSignature

from .conftest import Built

NAMES = ["sig_add", "sig_strlen", "sig_void", "sig_bool", "sig_unsigned", "sig_int64", "sig_callback",
         "sig_fnptr", "sig_printf", "sig_point", "sig_ptr"]


@pytest.fixture(scope="module")
def sigs(built: Built) -> dict:
    ix = ExportIndex(ld_library_path=[])
    return ix.signatures(ix.library(str(built["sig"])), NAMES + ["not_there"])


def test_text_of_every_signature(sigs: dict) -> None:
    texts = {n: s.text() for n, s in sigs.items() if isinstance(s, CSignature)}
    assert texts == {
        "sig_add": "int sig_add(int a, int b)",
        "sig_strlen": "size_t sig_strlen(const char *s)",
        "sig_void": "void sig_void(void)",
        "sig_bool": "_Bool sig_bool(double d, float f)",
        "sig_unsigned": "long long unsigned int sig_unsigned(unsigned int a, unsigned char b, uint16_t c)",
        "sig_int64": "int64_t sig_int64(int8_t a, int64_t *out)",
        "sig_callback": "int sig_callback(callback_t cb, void *data)",
        "sig_fnptr": "int sig_fnptr(int (*f)(double), char **argv)",
        "sig_printf": "int sig_printf(const char *fmt, ...)",
        "sig_point": "double sig_point(struct point *p, const struct point *q)",
        "sig_ptr": "void *sig_ptr(void **pp)",
    }
    assert isinstance(sigs["not_there"], NoSignature)


def test_type_details(sigs: dict, built: Built) -> None:
    strlen = sigs["sig_strlen"]
    s = strlen.params[0].type
    assert (s.kind, s.base_name, s.pointer_depth, s.is_const, s.size) == ("pointer", "char", 1, True, 8)
    r = strlen.returns
    assert (r.kind, r.base_name, r.encoding, r.size, r.typedefs) == ("base", "long unsigned int", "unsigned", 8, ("size_t",))
    assert strlen.file == str(built.root / "src" / "sig.c") and strlen.line == 9
    assert sigs["sig_void"].returns is None and sigs["sig_void"].params == ()
    b = sigs["sig_bool"]
    assert b.returns.encoding == "bool" and [p.type.encoding for p in b.params] == ["float", "float"]
    assert [p.type.size for p in b.params] == [8, 4]
    u = sigs["sig_unsigned"]
    assert [p.type.encoding for p in u.params] == ["unsigned", "unsigned_char", "unsigned"]
    assert u.params[2].type.typedefs[0] == "uint16_t" and u.params[2].type.size == 2
    assert sigs["sig_int64"].params[0].type.encoding == "signed_char"
    assert sigs["sig_printf"].variadic and not sigs["sig_add"].variadic
    assert sigs["sig_fnptr"].params[0].type.kind == "pointer"
    assert sigs["sig_fnptr"].params[1].type.pointer_depth == 2
    assert sigs["sig_point"].params[0].type.base_name == "point"
    assert sigs["sig_callback"].params[0].type.typedefs == ("callback_t",)


def _variant(built: Built, name: str, *commands: list[str]) -> Path:
    dst = built.root / "lib" / name
    if not dst.exists():
        shutil.copy(built["sig"], dst)
        for cmd in commands:
            r = subprocess.run([c.replace("{}", str(dst)) for c in cmd], capture_output=True, text=True)
            if r.returncode:
                pytest.skip(f"{cmd[0]} cannot do this here: {r.stderr.strip()}")
    return dst


def test_debuglink_is_followed(built: Built) -> None:
    debug_dir = built.root / "lib" / ".debug"
    debug_dir.mkdir(exist_ok=True)
    lib = _variant(built, "libsiglink.so",
                   ["objcopy", "--only-keep-debug", "{}", str(debug_dir / "libsiglink.so.debug")],
                   ["strip", "--strip-debug", "{}"],
                   ["objcopy", f"--add-gnu-debuglink={debug_dir / 'libsiglink.so.debug'}", "{}"])
    ix = ExportIndex(ld_library_path=[])
    got = ix.signatures(ix.library(str(lib)), ["sig_add"])["sig_add"]
    assert isinstance(got, CSignature) and got.text() == "int sig_add(int a, int b)"
    (debug_dir / "libsiglink.so.debug").rename(debug_dir / "moved.debug")
    try:
        ix2 = ExportIndex(ld_library_path=[])
        missing = ix2.signatures(ix2.library(str(lib)), ["sig_add"])["sig_add"]
        assert isinstance(missing, NoSignature) and "debuglink" in missing.reason
    finally:
        (debug_dir / "moved.debug").rename(debug_dir / "libsiglink.so.debug")


@pytest.mark.parametrize("variant,expect", [
    ("stripped", "no debug information"),
    ("zstd", "zstd"),
    ("split", "split DWARF"),
])
def test_no_signature_has_a_clear_reason(built: Built, variant: str, expect: str) -> None:
    if variant == "stripped":
        lib = built["stripped"]
    elif variant == "zstd":
        lib = _variant(built, "libsigzstd.so", ["objcopy", "--compress-debug-sections=zstd", "{}"])
    else:
        lib = built.root / "lib" / "libsigsplit.so"
        if not lib.exists():
            subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-gsplit-dwarf", "-o", str(lib),
                            str(built.root / "src" / "sig.c")], check=True, cwd=built.root, capture_output=True)
    ix = ExportIndex(ld_library_path=[])
    name = "basic_add" if variant == "stripped" else "sig_add"
    got = ix.signatures(ix.library(str(lib)), [name])[name]
    assert isinstance(got, NoSignature) and expect in got.reason


def test_a_hanging_worker_is_cut_off(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    from sffi_lsp.binary import dwarf

    monkeypatch.setattr(dwarf, "_worker_command", lambda: ["/bin/sleep", "30"])  # a worker that never answers
    got = dwarf.read_signatures({"sig_add": (str(built["sig"]), 0)}, timeout=1.0)
    assert isinstance(got["sig_add"], NoSignature) and "timed out" in got["sig_add"].reason


def test_the_worker_survives_memory_limits(built: Built) -> None:
    from sffi_lsp.binary import dwarf

    assert dwarf.MEMORY_LIMIT <= 4 << 30
    got = dwarf.read_signatures({"x": (str(built["fifo"]), 0), "y": (str(built["empty"]), 0)}, timeout=10)
    assert all(isinstance(v, NoSignature) for v in got.values())
