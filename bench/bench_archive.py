"""Benchmark reading a static archive of 1,000 members against `nm -s` on it, measured in the same run.

    .venv/bin/python bench/bench_archive.py [--members N] [--symbols K] [--repeat R]

The archive is built here by `as` and `ar` (members of K global functions, K/2 data objects
and K/2 references each), in a temporary directory. Figures are the best of R runs (the
machine is shared), imports excluded:
  - nm:      `nm -s ARCHIVE` (index and every member's symbols) to /dev/null, process included
  - read:    our full read (index + every member's `.symtab`), nothing cached
  - cached:  a fresh StaticReader whose disk cache holds the archive (what a new process pays)
  - memo:    the same StaticReader asked again (an unchanged file costs a stat)
Target: read <= 2x nm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sffi_lsp.binary.static_link import StaticReader, link, read_static_file  # noqa: E402

TARGET_RATIO = 2.0


def member_source(i: int, k: int) -> str:
    out = ["\t.text"]
    for j in range(k):
        out += [f"\t.globl m{i}_func_{j}", f"\t.type m{i}_func_{j}, @function", f"m{i}_func_{j}:", "\tret"]
    out.append("\t.data")
    for j in range(k // 2):
        out += [f"\t.globl m{i}_data_{j}", f"\t.type m{i}_data_{j}, @object", f"m{i}_data_{j}:", "\t.quad 0"]
        out.append(f"\t.quad m{(i + 1) % 1000}_func_{j}")
    return "\n".join(out) + "\n"


def build_archive(d: str, members: int, k: int) -> str:
    def one(i: int) -> str:
        src = os.path.join(d, f"member_{i:04d}.s")
        obj = src[:-2] + ".o"
        with open(src, "w") as fh:
            fh.write(member_source(i, k))
        subprocess.run(["as", "--64", "-o", obj, src], check=True)
        return obj

    with ThreadPoolExecutor(2) as pool:
        objs = list(pool.map(one, range(members)))
    ar = os.path.join(d, "libbench.a")
    subprocess.run(["ar", "rcs", ar, *objs], check=True)
    return ar


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--symbols", type=int, default=8, help="global functions per member")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    if not shutil.which("as") or not shutil.which("ar") or not shutil.which("nm"):
        print("needs as, ar and nm (binutils)")
        return 2
    with tempfile.TemporaryDirectory(prefix="sffi-bench-archive-") as d:
        t0 = time.perf_counter()
        ar = build_archive(d, args.members, args.symbols)
        built = time.perf_counter() - t0
        size = os.path.getsize(ar)
        sf = read_static_file(ar)
        nsyms = sum(len(o.defined) for o in sf.objects if o is not None)
        nm_out = subprocess.run(["nm", "-s", ar], capture_output=True, text=True, check=True).stdout
        nm_defined = sum(1 for line in nm_out.splitlines() if line[17:19] in ("T ", "D ", "W ", "C ", "B "))
        assert nsyms == nm_defined, (nsyms, nm_defined)  # the same answer, or the comparison means nothing
        nm_ms = best(lambda: subprocess.run(["nm", "-s", ar], stdout=subprocess.DEVNULL, check=True), args.repeat)
        read_ms = best(lambda: read_static_file(ar), args.repeat)
        cache = os.path.join(d, "cache")
        StaticReader(cache).read(ar)
        cached_ms = best(lambda: StaticReader(cache).read(ar), args.repeat)
        reader = StaticReader(cache)
        reader.read(ar)
        memo_ms = best(lambda: reader.read(ar), args.repeat)
        wanted = [f"m{i}_func_0" for i in range(0, args.members, 7)]
        link_ms = best(lambda: link([sf], wanted, sf.objects[0].target), args.repeat)
    ratio = read_ms / nm_ms
    print(f"archive: {args.members} members, {nsyms} definitions, {size / 1e6:.1f} MB (built in {built:.1f} s)")
    print(f"nm -s:                 {nm_ms:8.1f} ms (reference, same run)")
    print(f"read (no cache):       {read_ms:8.1f} ms  = {ratio:.2f}x nm  (target <= {TARGET_RATIO:.0f}x)")
    print(f"read (disk cache):     {cached_ms:8.1f} ms  = {cached_ms / nm_ms:.2f}x nm")
    print(f"read (unchanged memo): {memo_ms:8.3f} ms")
    print(f"link {len(wanted)} names:        {link_ms:8.1f} ms (pulls their members and the members they need)")
    print("PASS" if ratio <= TARGET_RATIO else "MISS", f"read/nm = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
