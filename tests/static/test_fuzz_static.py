"""Mutated objects and archives (flipped bytes, truncations, hostile header fields): the readers, the
link model and `symbols` give a reason, never an exception or a hang."""

from __future__ import annotations

import random
import struct
import time

import pytest

from sffi_lsp.binary.static_link import StaticReader, link, read_static_file
from sffi_lsp.binary.static_report import render_static_symbols
from sffi_lsp.binary.types import Target

from .conftest import build
from .toolchains import TOOLCHAINS

MUTANTS = 1000
BUDGET_S = 60.0


@pytest.fixture(params=["x86_64", "armeb"])
def seeds(request, tmp_path):
    tc = TOOLCHAINS[request.param]
    tc.require()
    objs = build(tc, tmp_path / "seed", {
        "m1": dict(funcs=["f_one", "f_two"], weak=["f_weak"], data=["d_one"], common=["c_one"], refs=["f_three"]),
        "m2": dict(funcs=["f_three"], untyped=["f_label"], refs=["f_missing"], weak_refs=["f_w"]),
    })
    names = [tmp_path / "seed" / f"member_with_a_long_name_{i}.o" for i in range(2)]
    for src, dst in zip(objs.values(), names):
        dst.write_bytes(src.read_bytes())
    ar = tc.archive(tmp_path / "seed.a", names)
    thin = tc.archive(tmp_path / "seed_thin.a", names, thin=True)
    return tc, tmp_path, [objs["m1"].read_bytes(), ar.read_bytes(), thin.read_bytes()]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:  # flip a few bytes anywhere
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:  # truncate
        del b[rng.randrange(1, len(b)):]
    elif kind == 2:  # hostile numbers in the first kilobyte (ELF header, ar headers, the index count)
        for _ in range(rng.randint(1, 4)):
            off = rng.randrange(min(len(b), 1024) - 8)
            b[off:off + 8] = struct.pack("<Q", rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, len(b), 1 << 40]))
    elif kind == 3:  # ar size fields and long-name references as text
        for _ in range(rng.randint(1, 3)):
            off = rng.randrange(len(b) - 10)
            b[off:off + 10] = rng.choice([b"9999999999", b"-1        ", b"/99999    ", b"#1/999999 ", b"abc       "])
    elif kind == 4:  # corrupt somewhere past the headers (section headers and symbols sit at the end)
        for _ in range(rng.randint(1, 16)):
            b[rng.randrange(len(b) // 2, len(b))] = rng.randrange(256)
    else:  # duplicate a slice over another place
        i, j = rng.randrange(len(b)), rng.randrange(len(b))
        n = rng.randint(1, 64)
        b[j:j + n] = b[i:i + n]
    return bytes(b)


def test_mutants_give_reasons_not_exceptions(seeds):
    tc, d, blobs = seeds
    rng = random.Random(11)
    target = Target(tc.elf_class, tc.little, tc.machine)
    reader = StaticReader(d / "cache")
    start = time.monotonic()
    problems = 0
    for k in range(MUTANTS):
        seed = blobs[k % len(blobs)]
        path = d / ("seed/mutant.a" if seed.startswith(b"!<") else "seed/mutant.o")  # thin members resolve beside it
        path.write_bytes(_mutate(rng, seed))
        t0 = time.monotonic()
        sf = read_static_file(str(path))
        result = link([sf], ["f_one", "f_three", "f_label", "nope"], target)
        text, _ok = render_static_symbols(reader, str(path), [])
        text.encode("utf-8")  # valid UTF-8, whatever the names were
        render_static_symbols(reader, str(path), ["f_one", "nope"], as_json=True)
        assert time.monotonic() - t0 < 5.0, f"mutant {k} took too long"
        problems += sf.problem is not None or any(p is not None for p in sf.member_problems) or bool(result.problems)
        path.unlink()
    assert time.monotonic() - start < BUDGET_S
    assert problems > MUTANTS // 5  # the mutations really damaged files (and were reported)


def test_hostile_files(tmp_path):
    import os

    cases = {
        "empty.a": b"",
        "magic_only.a": b"!<arch>\n",
        "short_header.a": b"!<arch>\n/               0           0     0     0       ",
        "index_count_huge.a": b"!<arch>\n" + b"/".ljust(16) + b"0".ljust(12) + b"0".ljust(6) * 2 + b"0".ljust(8)
                              + b"8".ljust(10) + b"`\n" + struct.pack(">I", 0xFFFFFFFF) + b"\0" * 4,
        "thin_to_dev.a": b"!<thin>\n" + b"//".ljust(16) + b"0".ljust(12) + b"0".ljust(6) * 2 + b"0".ljust(8)
                         + b"12".ljust(10) + b"`\n" + b"../dev/zero/\n" + b"/0".ljust(16) + b"0".ljust(12)
                         + b"0".ljust(6) * 2 + b"644".ljust(8) + b"100".ljust(10) + b"`\n",
        "elf_header_only.o": b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 1, 62, 1),
        "text.o": b"GROUP ( libc.so.6 )\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    os.mkfifo(tmp_path / "fifo.a")
    for name in [*cases, "fifo.a"]:
        sf = read_static_file(str(tmp_path / name))
        broken = sf.problem is not None or any(p is not None for p in sf.member_problems)
        assert broken or not any(o is not None and o.defined for o in sf.objects), name
        if sf.problem is not None:
            assert str(tmp_path / name) in sf.problem.message, (name, sf.problem.message)
