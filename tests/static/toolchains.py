"""Assemblers, archivers and GNU ld for each architecture the static-link tests cover.

x86-64 and i386 use the host binutils; the others Debian's cross binutils, installed by
scripts/install-toolchains.sh (called from scripts/test.sh). A missing one makes its tests
skip with the package to install.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Toolchain:
    arch: str
    package: str  # the Debian package that brings the tools
    prefix: str  # "" for the host binutils
    as_flags: tuple[str, ...]
    ld_flags: tuple[str, ...]
    ret: str  # a function body's return instruction
    machine: int  # e_machine
    elf_class: int
    little: bool

    def tool(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def available(self) -> bool:
        return all(shutil.which(self.tool(t)) for t in ("as", "ar", "ld"))

    def require(self) -> None:
        if not self.available:
            pytest.skip(f"{self.tool('as')}/{self.tool('ld')} not installed (Debian package {self.package}; "
                        "scripts/install-toolchains.sh installs it)")

    def assemble(self, source: str, out: Path) -> Path:
        src = out.with_suffix(".s")
        src.write_text(source)
        _run([self.tool("as"), *self.as_flags, "-o", str(out), str(src)])
        return out

    def archive(self, out: Path, members: list[Path], *, thin: bool = False, index: bool = True) -> Path:
        if out.exists():
            out.unlink()
        flags = "rc" + ("T" if thin else "") + ("s" if index else "S")
        _run([self.tool("ar"), flags, str(out), *map(str, members)])
        return out

    def ld(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        """GNU ld as the oracle: keep going past errors, report every unresolved symbol, trace inputs."""
        cmd = [self.tool("ld"), *self.ld_flags, "-o", str(cwd / "oracle.out"), "-e", "0", "--noinhibit-exec",
               "--warn-unresolved-symbols", "--trace", "--trace", *args]  # -t twice: archive members too
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr}")


EM_386, EM_ARM, EM_X86_64, EM_AARCH64, EM_RISCV = 3, 40, 62, 183, 243

TOOLCHAINS = {
    t.arch: t for t in (
        Toolchain("x86_64", "binutils", "", ("--64",), ("-m", "elf_x86_64"), "ret", EM_X86_64, 64, True),
        Toolchain("i386", "binutils", "", ("--32",), ("-m", "elf_i386"), "ret", EM_386, 32, True),
        Toolchain("aarch64", "binutils-aarch64-linux-gnu", "aarch64-linux-gnu-", (), (), "ret", EM_AARCH64, 64, True),
        Toolchain("aarch64_be", "binutils-aarch64-linux-gnu", "aarch64-linux-gnu-", ("-EB",), ("-EB",), "ret",
                  EM_AARCH64, 64, False),
        Toolchain("arm", "binutils-arm-linux-gnueabihf", "arm-linux-gnueabihf-", (), (), "bx lr", EM_ARM, 32, True),
        Toolchain("armeb", "binutils-arm-linux-gnueabihf", "arm-linux-gnueabihf-", ("-EB",), ("-EB",), "bx lr",
                  EM_ARM, 32, False),
        Toolchain("riscv64", "binutils-riscv64-linux-gnu", "riscv64-linux-gnu-", (), (), "ret", EM_RISCV, 64, True),
        Toolchain("riscv32", "binutils-riscv64-linux-gnu", "riscv64-linux-gnu-", ("-march=rv32i", "-mabi=ilp32"),
                  ("-m", "elf32lriscv"), "ret", EM_RISCV, 32, True),
    )
}


def object_source(tc: Toolchain, *, funcs=(), untyped=(), weak=(), local=(), data=(), common=(), refs=(),
                  weak_refs=()) -> str:
    """Assembly for one object: defined functions (typed, untyped labels, weak, static), data, COMMON,
    and references (strong or weak) as address words in .data."""
    out = ["\t.text"]
    for n in funcs:
        out += [f"\t.globl {n}", f"\t.type {n}, %function", f"{n}:", f"\t{tc.ret}"]
    for n in untyped:  # a bare `.globl label`: NOTYPE in a code section
        out += [f"\t.globl {n}", f"{n}:", f"\t{tc.ret}"]
    for n in weak:
        out += [f"\t.weak {n}", f"\t.type {n}, %function", f"{n}:", f"\t{tc.ret}"]
    for n in local:
        out += [f"\t.type {n}, %function", f"{n}:", f"\t{tc.ret}"]
    out.append("\t.data")
    for n in data:
        out += [f"\t.globl {n}", f"\t.type {n}, %object", f"\t.size {n}, 4", f"{n}:", "\t.long 7"]
    for n in local:  # keep the local label referenced so the assembler keeps it
        out.append(f"\t.dc.a {n}")
    for n in weak_refs:
        out.append(f"\t.weak {n}")
    for n in (*refs, *weak_refs):
        out.append(f"\t.dc.a {n}")
    for n in common:
        out.append(f"\t.comm {n}, 8, 4")
    return "\n".join(out) + "\n"


def reference_source(names) -> str:
    """The oracle's program: one strong reference to every declared name."""
    return "\t.data\n" + "".join(f"\t.dc.a {n}\n" for n in names)
