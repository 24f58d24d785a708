"""C objects compiled by gcc (x86-64 and i386): static, hidden, weak, COMMON, TLS, IFUNC-free C as a
kernel writes it -- the model against GNU ld, and `sffi-check symbols` on them."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sffi_lsp.binary.static_link import link, read_static_file, target_of
from sffi_lsp.binary.types import SymbolKind

from .conftest import run_ld, shown
from .toolchains import TOOLCHAINS

GCC = shutil.which("gcc")

C_SOURCES = {
    "serial.c": r"""
        static int port_ready(int port) { return port != 0; }
        __attribute__((visibility("hidden"))) int serial_hidden_helper(int x) { return x; }
        int serial_putc(int port, int c) { return port_ready(port) ? c : serial_hidden_helper(-1); }
        int serial_println(const char *s) { while (*s) serial_putc(1, *s++); return rt_port_outb(0x3f8, 10); }
        int serial_baud;
        __thread int serial_tls_state;
        const char serial_banner[] = "boot";
    """,
    "port.c": r"""
        int rt_port_outb(int port, int value) { return port + value; }
        __attribute__((weak)) int rt_port_inb(int port) { return port; }
        extern int platform_hook(void) __attribute__((weak));
        int rt_port_probe(void) { return platform_hook ? platform_hook() : 0; }
    """,
    "timer.c": r"""
        int rt_timer_ticks(void) { return timer_backend_read(); }
    """,
}
WANTED = ["serial_println", "serial_putc", "serial_hidden_helper", "port_ready", "serial_baud",
          "serial_banner", "rt_port_outb", "rt_port_inb", "rt_port_probe", "rt_timer_ticks", "rt_not_there"]


@pytest.fixture(params=["x86_64", "i386"])
def c_archive(request, tmp_path):
    if GCC is None:
        pytest.skip("gcc is not installed")
    tc = TOOLCHAINS[request.param]
    objs = []
    for name, text in C_SOURCES.items():
        src = tmp_path / name
        src.write_text(text)
        out = tmp_path / name.replace(".c", ".o")
        flags = ["-m32"] if request.param == "i386" else []
        r = subprocess.run([GCC, *flags, "-c", "-g", "-O1", "-fcommon", "-ffreestanding", "-w", "-o", str(out), str(src)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            pytest.skip(f"gcc {' '.join(flags)} cannot compile here: {r.stderr.strip()[:200]}")
        objs.append(out)
    lib = tc.archive(tmp_path / "libkernel.a", objs[1:])
    return tc, tmp_path, objs[0], lib


def test_gcc_objects_agree_with_ld(c_archive):
    tc, d, serial_o, lib = c_archive
    ld = run_ld(tc, d, WANTED, [serial_o, lib])
    files = [read_static_file(str(serial_o)), read_static_file(str(lib))]
    ours = link(files, WANTED, target_of(files))
    assert {shown(o) for o in ours.linked} == ld.loaded, ld.output
    assert {n for n in WANTED if ours.resolve(n) is None} | {u.name for u in ours.unresolved} == ld.undefined, ld.output
    assert {"port_ready", "rt_not_there", "timer_backend_read"} <= ld.undefined
    assert ours.resolve("serial_hidden_helper") is not None  # hidden still binds inside one static link
    assert ours.resolve("serial_baud").symbol.common
    # A plain reference to a TLS definition is an ld error of its own, so it is read, not linked, here.
    tls = next(s for s in files[0].objects[0].defined if s.name == "serial_tls_state")
    assert tls.kind is SymbolKind.TLS
    assert ours.resolve("serial_banner").symbol.kind is SymbolKind.DATA
    assert ours.resolve("rt_port_inb").symbol.binding == "weak"
    timer = next(u for u in ours.unresolved if u.name == "timer_backend_read")
    assert timer.needed_by == (f"{lib}(timer.o)",)


def test_symbols_command_lists_members(c_archive, sffi_check):
    _tc, _d, _serial_o, lib = c_archive
    r = sffi_check("symbols", str(lib))
    assert r.returncode == 0, r.stderr
    assert "archive" in r.stdout and "members: 2" in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("rt_port_outb "))
    assert "function" in row and "port.o" in row
    r = sffi_check("symbols", str(lib), "rt_timer_ticks", "rt_nope", "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    found, missing = doc["names"]
    assert found["found"] and found["member"] == "timer.o" and found["library"] == str(lib)
    assert not missing["found"] and "rt_nope" in missing["detail"]
    r = sffi_check("symbols", str(_serial_o), "--json")
    rows = {s["name"]: s for s in json.loads(r.stdout)["symbols"]}
    assert "port_ready" not in rows and rows["serial_baud"]["binding"] == "common"
    assert rows["serial_println"]["member"] is None


@pytest.fixture
def sffi_check():
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "sffi_lsp.cli", *args], capture_output=True, text=True, timeout=120)

    return run


def test_dwarf_signatures_from_objects_and_members(c_archive):
    """Relocated DWARF of an ET_REL object, and of an archive member read in place."""
    import dataclasses

    from sffi_lsp.binary.types import CSignature
    from sffi_lsp.check.providers import Providers
    from sffi_lsp.config import load_config
    from sffi_lsp.config_types import LibrarySpec

    _tc, d, serial_o, lib = c_archive
    cfg = dataclasses.replace(load_config([str(d)]), libraries=(LibrarySpec(str(serial_o)), LibrarySpec(str(lib))))
    providers = Providers.from_config(cfg)
    src = str(d / "kernel.spl")
    member = providers.resolve("rt_port_outb", src)
    assert member.resolved and member.provider.member == "port.o"
    sig = providers.signature_answer(member)
    assert isinstance(sig, CSignature), sig
    assert [p.name for p in sig.params] == ["port", "value"] and sig.returns.text == "int"
    assert sig.file == str(d / "port.c") and sig.line == 2
    plain = providers.signature_answer(providers.resolve("serial_putc", src))
    assert isinstance(plain, CSignature) and plain.file == str(d / "serial.c") and plain.line == 4
    assert [p.type.text for p in plain.params] == ["int", "int"]
