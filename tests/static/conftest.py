"""Objects and archives built by the real assemblers and `ar`, and GNU ld's verdict on linking them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from .toolchains import TOOLCHAINS, Toolchain, object_source, reference_source

UNDEF_RE = re.compile(r"undefined reference to [`'‘]([^'’]+)['’]")
MULTI_RE = re.compile(r"multiple definition of [`'‘]([^'’]+)['’]")


@dataclass
class LdVerdict:
    """What GNU ld did: which inputs it loaded, which names stayed undefined, which were defined twice."""

    loaded: set[str]  # "file.o" or "lib.a(member.o)", basenames
    undefined: set[str]
    multiple: set[str]
    output: str


def run_ld(tc: Toolchain, cwd: Path, wanted: list[str], inputs: list[Path], *, group: bool = False,
           groups: list[int | None] | None = None) -> LdVerdict:
    """ld over the inputs: all in one group (`group`), or per input its group number
    (consecutive equal numbers: one --start-group/--end-group) or None."""
    ref = tc.assemble(reference_source(wanted), cwd / "reference.o")
    args = [str(ref)]
    names = [str(p) for p in inputs]
    if group:
        groups = [0] * len(names)
    groups = groups or [None] * len(names)
    for at, name in enumerate(names):
        if groups[at] is not None and (at == 0 or groups[at - 1] != groups[at]):
            args.append("--start-group")
        args.append(name)
        if groups[at] is not None and (at + 1 == len(names) or groups[at + 1] != groups[at]):
            args.append("--end-group")
    r = tc.ld(args, cwd)
    text = r.stdout + "\n" + r.stderr
    loaded = set()
    for line in r.stdout.splitlines():
        line = line.strip()
        m = re.fullmatch(r"\((.+)\)(.+)", line)  # ld 2.40 prints a pulled member as "(lib.a)member.o"
        if m:
            loaded.add(f"{os.path.basename(m.group(1))}({m.group(2)})")
        elif line.endswith(".o"):
            loaded.add(os.path.basename(line))
    loaded.discard("reference.o")
    return LdVerdict(loaded, set(UNDEF_RE.findall(text)), set(MULTI_RE.findall(text)), text)


def shown(obj) -> str:
    base = os.path.basename(obj.path)
    if obj.member is not None and "/" in obj.member:  # a thin archive's member: ld names the file itself
        return os.path.basename(obj.member)
    return f"{base}({obj.member})" if obj.member is not None else base


@pytest.fixture(params=sorted(TOOLCHAINS))
def toolchain(request) -> Toolchain:
    tc = TOOLCHAINS[request.param]
    tc.require()
    return tc


def build(tc: Toolchain, d: Path, spec: dict[str, dict]) -> dict[str, Path]:
    """Assemble each object of `spec` (name -> object_source keywords) into `d`."""
    d.mkdir(parents=True, exist_ok=True)
    return {name: tc.assemble(object_source(tc, **kw), d / f"{name}.o") for name, kw in spec.items()}
