"""Objects and archives as providers, end to end through `sffi-check`: per-architecture library
groups (`target`, `files`), machine mismatch (SFFI002), duplicate definitions (SFFI026), unresolved
references of linked members (SFFI027), archive order (SFFI028), JSON `member`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import build
from .toolchains import TOOLCHAINS


def sffi(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sffi_lsp.cli", *args], cwd=root, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def kernel(tmp_path):
    """A two-architecture tree: x86_64 objects, and an AArch64 archive."""
    x86, arm = TOOLCHAINS["x86_64"], TOOLCHAINS["aarch64"]
    x86.require()
    arm.require()
    build(x86, tmp_path / "build/x86_64", {
        "port": dict(funcs=["rt_port_outb", "rt_port_inb"]),
        "serial": dict(funcs=["serial_println", "rt_dup"], refs=["rt_port_outb"]),
        "console": dict(funcs=["rt_dup", "console_write"]),
    })
    a = build(arm, tmp_path / "build/arm64/o", {
        "context": dict(funcs=["rt_arm64_context_save", "rt_arm64_context_restore"], refs=["rt_arm64_fpu_save"]),
        "uart": dict(funcs=["serial_println"], untyped=["rt_arm64_vectors"], data=["rt_arm64_uart_base"]),
        "late": dict(funcs=["k_panic"]),
    })
    arm.archive(tmp_path / "build/arm64/libboot.a", [a["context"], a["uart"], a["late"]])
    drivers = build(arm, tmp_path / "build/arm64/d", {"gic": dict(funcs=["rt_arm64_gic_init"], refs=["k_panic"])})
    arm.archive(tmp_path / "build/arm64/libdrivers.a", [drivers["gic"]])
    # An AArch64 object dropped among the x86-64 ones: refused, like ld's "file in wrong format".
    build(arm, tmp_path / "build/x86_64", {"stray": dict(funcs=["rt_stray"])})
    (tmp_path / "arch/x86_64/boot").mkdir(parents=True)
    (tmp_path / "arch/arm64/boot").mkdir(parents=True)
    (tmp_path / "arch/x86_64/boot/io.spl").write_text(textwrap.dedent("""\
        extern fn rt_port_outb(port: i64, value: i64)
        extern fn serial_println(text: text)
        extern fn rt_dup() -> i64
        extern fn rt_stray()
        extern fn rt_arm64_context_save(ctx: i64)
        """))
    (tmp_path / "arch/arm64/boot/cpu.spl").write_text(textwrap.dedent("""\
        extern fn rt_arm64_context_save(ctx: i64)
        extern fn rt_arm64_vectors()
        extern fn rt_arm64_uart_base() -> i64
        extern fn serial_println(text: text)
        extern fn rt_arm64_gic_init()
        extern fn rt_port_outb(port: i64, value: i64)
        """))
    (tmp_path / "sffi.toml").write_text(textwrap.dedent("""\
        [[libraries]]
        path = "build/x86_64/*.o"
        files = ["arch/x86_64/**/*.spl"]
        target = "x86_64"

        [[libraries]]
        path = "build/arm64/libboot.a"
        files = ["arch/arm64/**/*.spl"]
        target = "aarch64"

        [[libraries]]
        path = "build/arm64/libdrivers.a"
        files = ["arch/arm64/**/*.spl"]
        target = "build/arm64/o/uart.o"
        """))
    return tmp_path


def _findings(root: Path) -> list[dict]:
    r = sffi(root, "arch", "--no-cache", "--output-format", "json")
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def test_groups_per_architecture(kernel):
    doc = _findings(kernel)
    externs = {(Path(e["path"]).parts[1], e["name"]): e for e in doc["externs"]}
    save = externs[("arm64", "rt_arm64_context_save")]
    assert save["resolved"] and save["provider"]["kind"] == "library"
    assert save["provider"]["library"].endswith("libboot.a") and save["provider"]["member"] == "context.o"
    assert externs[("arm64", "rt_arm64_vectors")]["resolved"]  # an untyped asm label in .text
    assert externs[("arm64", "serial_println")]["provider"]["member"] == "uart.o"
    x_serial = externs[("x86_64", "serial_println")]["provider"]
    assert x_serial["library"].endswith("build/x86_64/serial.o") and "member" not in x_serial
    # Each architecture sees only its own objects.
    assert not externs[("x86_64", "rt_arm64_context_save")]["resolved"]
    assert not externs[("arm64", "rt_port_outb")]["resolved"]
    assert not externs[("x86_64", "rt_stray")]["resolved"]
    by = {}
    for d in doc["diagnostics"]:
        by.setdefault(d["code"], []).append(d)
    assert any("stray.o" in d["message"] and "AArch64" in d["message"] for d in by["SFFI002"])
    assert any(d["name"] == "static-duplicate-definition" and "console.o" in d["message"] and "serial.o" in d["message"]
               for d in by["SFFI026"])
    unresolved = [d for d in by["SFFI027"] if "context.o" in d["message"]]
    assert unresolved and "rt_arm64_fpu_save" in unresolved[0]["message"]
    assert Path(unresolved[0]["path"]).name == "cpu.spl" and unresolved[0]["line"] == 1
    order = by["SFFI028"]
    assert order and "k_panic" in order[0]["message"] and "libboot.a" in order[0]["message"]
    assert "SFFI003" in by and any("rt_arm64_uart_base" in d["message"] for d in by["SFFI003"])


def test_group_key_links_archives_like_start_group(kernel):
    """`group = true` on both AArch64 archives is `--start-group libboot.a libdrivers.a
    --end-group`: libdrivers' reference to k_panic now pulls libboot's late.o, so the
    archive-order finding (SFFI028) goes and nothing about k_panic stays unresolved."""
    before = _findings(kernel)
    assert any("k_panic" in d["message"] for d in before["diagnostics"] if d["code"] == "SFFI028")
    toml = kernel / "sffi.toml"
    text = toml.read_text()
    for path in ('path = "build/arm64/libboot.a"\n', 'path = "build/arm64/libdrivers.a"\n'):
        text = text.replace(path, path + "group = true\n")
    toml.write_text(text)
    after = _findings(kernel)
    assert not [d for d in after["diagnostics"] if d["code"] == "SFFI028"]
    assert not [d for d in after["diagnostics"] if d["code"] in ("SFFI027", "SFFI028") and "k_panic" in d["message"]]
    gic = next(e for e in after["externs"] if e["name"] == "rt_arm64_gic_init")
    assert gic["resolved"] and gic["provider"]["member"] == "gic.o"
    toml.write_text(text.replace("group = true", "group = 1", 1))
    r = sffi(kernel, "arch", "--no-cache")
    assert r.returncode == 2 and "group" in r.stderr and "Traceback" not in r.stderr


def test_library_flag_takes_an_archive(kernel):
    (kernel / "sffi.toml").unlink()
    r = sffi(kernel, "arch/arm64", "--no-cache", "--library", str(kernel / "build/arm64/libboot.a"),
             "--output-format", "json")
    doc = json.loads(r.stdout)
    assert "not a shared object" not in r.stdout
    assert any(e["name"] == "rt_arm64_context_save" and e["resolved"] for e in doc["externs"])


def test_unknown_target_is_a_config_error(kernel):
    text = (kernel / "sffi.toml").read_text().replace('target = "aarch64"', 'target = "arm65"')
    (kernel / "sffi.toml").write_text(text)
    r = sffi(kernel, "arch", "--no-cache")
    assert r.returncode == 2
    assert "unknown machine `arm65`" in r.stderr and "arm64" in r.stderr


def test_rebuilt_archive_is_noticed(kernel):
    """The providers see a rebuilt archive without a restart (the server's live reload)."""
    from sffi_lsp.check.providers import Providers
    from sffi_lsp.config import load_config

    cfg = load_config([str(kernel)])
    providers = Providers.from_config(cfg)
    src = str(kernel / "arch/arm64/boot/cpu.spl")
    assert not providers.resolve("k_new_entry", src).resolved
    arm = TOOLCHAINS["aarch64"]
    o = build(arm, kernel / "build/arm64/o2", {"extra": dict(funcs=["k_new_entry"])})
    arm.archive(kernel / "build/arm64/libboot.a", [kernel / "build/arm64/o/uart.o", o["extra"]])
    assert providers.stale()
    assert providers.refresh()
    res = providers.resolve("k_new_entry", src)
    assert res.resolved and res.provider.member == "extra.o"
    assert "k_new_entry" in providers.candidate_names()
    assert "k_new_entr" not in providers.candidate_names() and providers.suggest("k_new_entr")[:1] == ["k_new_entry"]


def test_hostile_static_inputs_are_reasons(tmp_path):
    """FIFOs, truncated objects, text named .a, a directory: each an SFFI002 reason, promptly."""
    import os
    import time

    x86 = TOOLCHAINS["x86_64"]
    x86.require()
    good = build(x86, tmp_path / "build", {"ok": dict(funcs=["rt_ok"])})["ok"]
    os.mkfifo(tmp_path / "build/pipe.a")
    os.mkfifo(tmp_path / "build/pipe.o")
    (tmp_path / "build/trunc.o").write_bytes(good.read_bytes()[:100])
    (tmp_path / "build/text.a").write_text("not an archive\n")
    (tmp_path / "build/dir.a").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src/k.spl").write_text("extern fn rt_ok()\nextern fn rt_missing()\n")
    names = ["pipe.a", "pipe.o", "trunc.o", "text.a", "dir.a", "ok.o"]
    (tmp_path / "sffi.toml").write_text("libraries = [" + ", ".join(f'"build/{n}"' for n in names) + "]\n")
    t0 = time.monotonic()
    r = sffi(tmp_path, "src", "--no-cache", "--output-format", "json")
    assert time.monotonic() - t0 < 60 and r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    reasons = [d["message"] for d in doc["diagnostics"] if d["code"] == "SFFI002"]
    for n in names[:-1]:
        assert any(n in m for m in reasons), (n, reasons)
    assert next(e for e in doc["externs"] if e["name"] == "rt_ok")["resolved"]


def test_simple_function_linked_by_mangled_name(tmp_path):
    """`<path under src/ joined by __>__<fn>` (numbered layer prefixes dropped) is the tree's own function."""
    from sffi_lsp.check.providers.simple_functions import module_prefix

    src = tmp_path / "src"
    assert module_prefix(str(src / "apps/registry/registry_server.spl"), str(src)) == "apps__registry__registry_server"
    assert module_prefix(str(src / "compiler/10.frontend/core/lexer.spl"), str(src)) == "compiler__frontend__core__lexer"
    assert module_prefix(str(tmp_path / "elsewhere.spl"), str(src)) is None
    (src / "apps/registry").mkdir(parents=True)
    (src / "20.kernel").mkdir(parents=True)
    (src / "apps/registry/registry_server.spl").write_text(textwrap.dedent("""\
        fn run_registry(port: i64) -> i64:
            port
        fn rt_not_mangled() -> i64:
            0
        class Registry:
            fn method_inside() -> i64:
                1
        """))
    (src / "20.kernel/boot.spl").write_text(textwrap.dedent("""\
        extern fn apps__registry__registry_server__run_registry(port: i64) -> i64
        extern fn apps__registry__registry_server__rt_not_mangled() -> i64
        extern fn apps__registry__registry_server__method_inside() -> i64
        extern fn kernel__boot__kmain()

        fn kmain():
            apps__registry__registry_server__run_registry(1)
        """))
    for extra in ((), ("--no-cache",)):
        doc = json.loads(sffi(tmp_path, ".", "--output-format", "json", *extra).stdout)
        externs = {e["name"]: e for e in doc["externs"]}
        run = externs["apps__registry__registry_server__run_registry"]["provider"]
        assert run["kind"] == "simple" and run["function"] == "apps.registry.registry_server.run_registry"
        assert run["path"].endswith("src/apps/registry/registry_server.spl") and run["line"] == 1
        assert externs["kernel__boot__kmain"]["resolved"]  # "20.kernel" loses its layer number
        assert not externs["apps__registry__registry_server__rt_not_mangled"]["resolved"]
        assert not externs["apps__registry__registry_server__method_inside"]["resolved"]
