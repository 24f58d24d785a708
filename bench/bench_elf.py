"""Benchmark the binary layer against `nm -D --defined-only`, measured in the same run.

    .venv/bin/python bench/bench_elf.py [--repeat N]

libtorch_cpu.so is unzipped from the torch wheel into a cache directory under /tmp (kept
across runs, never committed). Figures are the best of N runs (the machine is shared),
imports excluded, page cache warm unless a figure says otherwise.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sffi_lsp.binary import ExportIndex, Found  # noqa: E402
from sffi_lsp.binary.elf import open_image  # noqa: E402
from sffi_lsp.binary.listing import decode_exports  # noqa: E402

TORCH_CACHE = "/tmp/sffi-bench/torch-lib"
WHEEL_GLOBS = ["/opt/wheels/torch-2.13.0+cpu-*.whl", "/opt/pypi-more/files/torch-2.14.1-*.whl"]
NM_REFERENCE_MS = 110.0  # nm -D --defined-only on libtorch_cpu.so, quiet machine (shared/elf-facts.md)
TARGETS = {"list_cold_ms": 70.0, "list_cached_ms": 20.0, "names600_warm_ms": 15.0, "repeat_ms": 0.2}
SIG_SOURCE = r"""
#include <stddef.h>
#include <stdint.h>
struct point { int x, y; };
typedef int (*callback_t)(int, void *);
int sig_add(int a, int b) { return a + b; }
size_t sig_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
double sig_point(struct point *p, const struct point *q) { return p->x + q->y; }
int sig_callback(callback_t cb, void *data) { return cb(1, data); }
int64_t sig_int64(int8_t a, int64_t *out) { *out = a; return a; }
void *sig_ptr(void **pp) { return *pp; }
void sig_void(void) {}
"""
SIG_NAMES = ["sig_add", "sig_strlen", "sig_point", "sig_callback", "sig_int64", "sig_ptr", "sig_void"]


def torch_lib_dir() -> str | None:
    if os.path.exists(os.path.join(TORCH_CACHE, "libtorch_cpu.so")):
        return TORCH_CACHE
    wheels = [w for g in WHEEL_GLOBS for w in sorted(glob.glob(g))]
    if not wheels or shutil.which("unzip") is None:
        return None
    os.makedirs(TORCH_CACHE, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=os.path.dirname(TORCH_CACHE))
    subprocess.run(["unzip", "-q", "-o", "-j", wheels[0], "torch/lib/*.so", "torch/lib/*.so.*", "-d", tmp], check=True)
    for name in os.listdir(tmp):
        os.replace(os.path.join(tmp, name), os.path.join(TORCH_CACHE, name))
    os.rmdir(tmp)
    return TORCH_CACHE


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def nm_ms(path: str, repeat: int) -> float:
    return best(lambda: subprocess.run(["nm", "-D", "--defined-only", path], stdout=subprocess.DEVNULL, check=True), repeat)


def signature_figures(rep: int) -> None:
    """DWARF signatures: the persistent worker and the disk cache against one process per call."""
    if shutil.which("gcc") is None:
        print("\nsignatures: gcc not found, skipped")
        return
    from sffi_lsp.binary.dwarf import read_signatures  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="sffi-bench-sig-") as d:
        src, lib, cache = os.path.join(d, "sig.c"), os.path.join(d, "libsig.so"), os.path.join(d, "cache")
        with open(src, "w") as fh:
            fh.write(SIG_SOURCE)
        subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O0", "-o", lib, src], check=True)

        def timed(fn) -> float:
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1000

        firsts, warms, batches, cached, oneshots = [], [], [], [], []
        for _ in range(max(2, min(rep, 3))):
            ix = ExportIndex(ld_library_path=[], cache_dir=os.path.join(d, f"fresh-{len(firsts)}"))
            L = ix.library(lib)
            firsts.append(timed(lambda: ix.signatures(L, [SIG_NAMES[0]])))  # starts the worker
            warms.append(min(timed(lambda n=n: ix.signatures(L, [n])) for n in SIG_NAMES[1:4]))
            ix2 = ExportIndex(ld_library_path=[])
            L2 = ix2.library(lib)
            ix2.signatures(L2, ["sig_void"])
            batches.append(timed(lambda: ix2.signatures(L2, SIG_NAMES[:6])))  # 6 names, one request
            ix.close()
            ix2.close()
            oneshots.append(timed(lambda: read_signatures({SIG_NAMES[0]: (lib, -1)})))
        filler = ExportIndex(ld_library_path=[], cache_dir=cache)
        filler.signatures(filler.library(lib), SIG_NAMES)
        filler.close()
        for _ in range(max(rep, 5)):
            ix3 = ExportIndex(ld_library_path=[], cache_dir=cache)
            L3 = ix3.library(lib)
            cached.append(timed(lambda: ix3.signatures(L3, SIG_NAMES)))
            assert ix3._worker is None
    print("\nDWARF signatures (gcc -g library, 7 functions):")
    print(f"  first signature, fresh index (worker start + pyelftools import): {min(firsts):8.1f} ms")
    print(f"  next signature, same index (persistent worker):                  {min(warms):8.1f} ms")
    print(f"  6 names in one call, warm worker:                               {min(batches):8.1f} ms")
    print(f"  7 names from the disk cache, fresh index, no worker:            {min(cached):8.2f} ms")
    print(f"  one-shot process per call (the old way), one name:              {min(oneshots):8.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rep = args.repeat
    torch_dir = torch_lib_dir()
    big = {}
    if torch_dir:
        big["libtorch_cpu.so"] = os.path.join(torch_dir, "libtorch_cpu.so")
    for p in ("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", "/lib/x86_64-linux-gnu/libc.so.6"):
        if os.path.exists(p):
            big[os.path.basename(p)] = p
    results: dict[str, float] = {}
    print(f"{'library':<20} {'symbols':>8} {'nm -D':>9} {'cold':>9} {'ratio':>6} {'cached':>9} {'ratio':>6}")
    for label, path in big.items():
        t_nm = nm_ms(path, rep)
        with tempfile.TemporaryDirectory() as cache:
            # cold: a fresh index each time, no persistent cache (file already in the page cache)
            def cold() -> int:
                return len(ExportIndex(ld_library_path=[]).exports(path).symbols.names)

            n = cold()
            t_cold = best(cold, rep)
            ExportIndex(cache_dir=cache, ld_library_path=[]).exports(path)  # fill the cache

            def cached() -> int:
                return len(ExportIndex(cache_dir=cache, ld_library_path=[]).exports(path).symbols.names)

            assert cached() == n
            t_cached = best(cached, rep)
        print(f"{label:<20} {n:>8} {t_nm:>7.1f}ms {t_cold:>7.1f}ms {t_nm / t_cold:>5.1f}x {t_cached:>7.1f}ms {t_nm / t_cached:>5.1f}x")
        if label == "libtorch_cpu.so":
            results["list_cold_ms"] = t_cold
            results["list_cached_ms"] = t_cached
            results["nm_ms"] = t_nm

    # 600 names against 8 libraries (75 each: 65 real exports, 10 absent names).
    libs = []
    if torch_dir:
        libs += [os.path.join(torch_dir, n) for n in ("libtorch_cpu.so", "libc10.so", "libtorch.so")]
    libs += ["libc.so.6", "libm.so.6", "libstdc++.so.6", "libz.so.1", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"]
    libs = [l for l in libs if "/" not in l or os.path.exists(l)][:8]
    rng = random.Random(1)
    plan: list[tuple[str, list[str]]] = []
    probe = ExportIndex(ld_library_path=[])
    for spec in libs:
        lib = probe.library(spec)
        names = list(probe.exports(lib).symbols.names) or ["x"]
        chosen = rng.sample(names, min(65, len(names)))
        chosen += [f"sffi_absent_{i}" for i in range(75 - len(chosen))]
        plan.append((spec, chosen))
    total = sum(len(n) for _s, n in plan)

    def check(ix: ExportIndex) -> int:
        found = 0
        for spec, names in plan:
            lib = ix.library(spec)
            found += sum(isinstance(v, Found) for v in ix.lookup(lib, names).values())
        return found

    verdicts = tempfile.mkdtemp(prefix="sffi-bench-verdicts-")
    check(ExportIndex(ld_library_path=[], cache_dir=verdicts))  # persist the loadability verdicts
    reps600 = max(rep, 15)  # a fresh index each time; the best of many runs on a shared machine
    fresh = [ExportIndex(ld_library_path=[], cache_dir=verdicts) for _ in range(reps600)]
    it = iter(fresh)
    t_warm = best(lambda: check(next(it)), reps600)
    bare = [ExportIndex(ld_library_path=[]) for _ in range(rep)]
    it2 = iter(bare)
    t_nocache = best(lambda: check(next(it2)), rep)
    ix = ExportIndex(ld_library_path=[])
    check(ix)
    t_repeat = best(lambda: check(ix), max(rep, 200))
    shutil.rmtree(verdicts, ignore_errors=True)
    print(f"\n{total} names against {len(plan)} libraries ({', '.join(os.path.basename(s) for s, _ in plan)}):")
    print(f"  warm (fresh index, page cache and verdict cache warm): {t_warm:.2f} ms   target <= {TARGETS['names600_warm_ms']} ms")
    print(f"  fresh index without a cache_dir (closure analysed):    {t_nocache:.2f} ms")
    print(f"  repeated check, nothing changed:                       {t_repeat * 1000:.0f} us    target < {TARGETS['repeat_ms'] * 1000:.0f} us")
    results["names600_warm_ms"] = t_warm
    results["repeat_ms"] = t_repeat
    if "list_cold_ms" in results:
        print(f"\nlibtorch_cpu full export list: cold {results['list_cold_ms']:.1f} ms "
              f"(target <= {TARGETS['list_cold_ms']} ms; nm -D {results['nm_ms']:.1f} ms, "
              f"{results['nm_ms'] / results['list_cold_ms']:.1f}x faster), "
              f"cached {results['list_cached_ms']:.1f} ms (target <= {TARGETS['list_cached_ms']} ms)")
    signature_figures(rep)
    misses = [k for k, v in TARGETS.items() if k in results and results[k] > v]
    print("targets missed: " + (", ".join(misses) if misses else "none"))
    if "nm_ms" in results:
        # The machine is shared: nm's own time against the reference measured on a quiet one
        # (shared/elf-facts.md: 110 ms) says how loaded it is. An estimate, not a measurement.
        load = results["nm_ms"] / NM_REFERENCE_MS
        quiet = {k: results[k] / load for k in TARGETS if k in results}
        print(f"load factor {load:.1f} (nm -D {results['nm_ms']:.0f} ms vs {NM_REFERENCE_MS:.0f} ms quiet); "
              "scaled to a quiet machine: " + ", ".join(
                  f"{k} {v * (1000 if k == 'repeat_ms' else 1):.1f}{'us' if k == 'repeat_ms' else 'ms'}"
                  for k, v in quiet.items()))
        qmiss = [k for k, v in quiet.items() if v > TARGETS[k]]
        print("targets missed when scaled: " + (", ".join(qmiss) if qmiss else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
