"""Benchmark what wrapper specs add to a check (issue 13 target: reading ten specs < 10 ms).

    .venv/bin/python bench/bench_wrapper.py [--files 200] [--specs 10] [--runs 15]

Generates a tree of `.spl` files (bench_syntax's generator) plus `--specs` three-tier
wrappers, each a `.wrapper_spec` of 12 functions and 6 methods on 2 handle types (~110
lines, the size of the Simple project's torch spec and larger), its bindings file and a
gcc-built library (`-g`, so DWARF is there). Then, in one process and the same run,
median over `--runs` after one warm-up:

- reference:  discover + parse + check of the tree with the specs hidden
  (`*.wrapper_spec.off`: same bindings, same libraries)
- discover + read the specs: the walk collecting specs, then `read_spec` on each
  (what "reading specs" costs: the target)
- the same reading through the SDN grammar (Lark), for comparison
- full:  discover + parse + check with the specs (reading + the six tier rules: the
  library lookups and the DWARF signatures, kept on disk by the signature cache)

and prints milliseconds and the ratios to the reference. Parsing uses no model cache
(`parse_all(..., cache=None)`), as `sffi-check --no-cache` does, with one job.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_syntax import generate  # noqa: E402


def spec_text(i: int) -> tuple[str, str, str]:
    """(spec, bindings, C source) of wrapper `w<i>`: 12 functions, 6 methods, 2 handles."""
    name = f"w{i}"
    spec = [f"# wrapper {name}: generated for the benchmark", "wrapper_lib:", f"  name: {name}",
            '  version: "0.1.0"', f"  link: [{name}]", "  search_paths: [build]", "", "handle_types:"]
    for h in ("Doc", "Node"):
        spec += [f"  - name: {name.upper()}{h}", f'    cpp_type: "{name}::{h}"',
                 f'    drop_fn: "rt_{name}_{h.lower()}_free"']
    spec += ["", "functions:"]
    ffi = [f"extern fn rt_{name}_available() -> bool", f"extern fn rt_{name}_version() -> text"]
    c = ["#include <stdbool.h>", "#include <stdint.h>", f"bool rt_{name}_available(void) {{ return true; }}",
         f'char *rt_{name}_version(void) {{ return "0.1"; }}']
    for f in range(12):
        spec += [f"  # function {f}", f"  - name: fn_{f}", f'    cpp_fn: "{name}::fn_{f}"', "    params:",
                 "      - name: size", "        type: i64", "      - name: label", "        type: text",
                 f"    return: {name.upper()}Doc" if f % 2 else "    return: f64", ""]
        ret = "i64" if f % 2 else "f64"
        ffi.append(f"extern fn rt_{name}_fn_{f}(size: i64, label: text) -> {ret}")
        c.append(f"{'int64_t' if f % 2 else 'double'} rt_{name}_fn_{f}(int64_t size, const char *label) "
                 "{ (void)label; return size; }")
    spec += ["methods:"]
    for m in range(6):
        h = f"{name.upper()}Node"
        spec += [f"  - handle: {h}", f"    name: m_{m}", f'    cpp_method: "m_{m}"', "    params:",
                 "      - name: other", f"        type: {h}", "    return: i64", ""]
        sym = f"rt_{name}_{h.lower()}_m_{m}"
        ffi.append(f"extern fn {sym}(handle: i64, other: i64) -> i64")
        c.append(f"int64_t {sym}(int64_t handle, int64_t other) {{ return handle + other; }}")
    for h in ("doc", "node"):
        ffi.append(f"extern fn rt_{name}_{h}_free(handle: i64)")
        c.append(f"void rt_{name}_{h}_free(int64_t handle) {{ (void)handle; }}")
    return "\n".join(spec) + "\n", "\n".join(ffi) + "\n", "\n".join(c) + "\n"


def build_tree(root: Path, files: int, specs: int) -> list[Path]:
    generate(root / "src", files, seed=13)
    (root / "build").mkdir(parents=True, exist_ok=True)
    procs = []
    spec_paths = []
    for i in range(specs):
        spec, ffi, c = spec_text(i)
        d = root / "wrappers" / f"w{i}"
        (d / "build").mkdir(parents=True, exist_ok=True)
        (d / f"w{i}.wrapper_spec").write_text(spec)
        spec_paths.append(d / f"w{i}.wrapper_spec")
        lib = root / "src" / "lib" / f"w{i}"
        lib.mkdir(parents=True, exist_ok=True)
        (lib / "ffi.spl").write_text(ffi)
        (d / "build" / f"w{i}.c").write_text(c)
        procs.append(subprocess.Popen(["gcc", "-g", "-shared", "-fPIC", "-o", str(d / "build" / f"libw{i}.so"),
                                       str(d / "build" / f"w{i}.c")]))
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("gcc failed")
    (root / "sffi.toml").write_text('abi = "cstring"\njobs = 1\n')
    return spec_paths


CPU: dict[str, float] = {}  # median CPU ms of the last median_ms(name=...) run


def median_ms(fn, runs: int, name: str = "") -> float:
    """Median wall milliseconds (and, under `name`, median CPU milliseconds: on a VM whose
    two cores are shared, wall time mostly measures the wait for a core)."""
    fn()  # warm-up: imports, grammar tables, export and signature caches
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    if name:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--specs", type=int, default=10)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if shutil.which("gcc") is None:
        print("gcc is needed to build the wrapper libraries", file=sys.stderr)
        return 2

    from sffi_lsp import cli
    from sffi_lsp.check.engine import Workspace, check
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.config import load_config
    from sffi_lsp.wrapper_spec import read_spec, read_spec_text

    tmp = Path(tempfile.mkdtemp(prefix="sffi-bench-wrapper-"))
    try:
        root = tmp / "tree"
        specs = build_tree(root, args.files, args.specs)
        os.environ["HOME"] = str(tmp)  # no user manifest
        config = load_config([str(root)])

        def run_check(with_specs: bool) -> int:
            found: list[str] = []
            files = cli.discover([str(root)], config, found if with_specs else None)
            models = cli.parse_all(files, None, 1, True)
            workspace = Workspace(models, roots=[str(root)])
            for p in found:
                workspace.set_spec(read_spec(p))
            providers = Providers.from_config(config, index_for_config(config))
            return len(check(workspace, providers, config).findings)

        def hide(hidden: bool) -> None:
            for p in specs:
                off = p.with_name(p.name + ".off")
                if hidden and p.exists():
                    p.rename(off)
                elif not hidden and off.exists():
                    off.rename(p)

        def discover_and_read() -> None:
            found: list[str] = []
            cli.discover([str(root)], config, found)
            for p in found:
                read_spec(p)

        def discover_only() -> None:
            cli.discover([str(root)], config)

        texts = [(p.read_text(), str(p)) for p in specs]

        def read_with_grammar() -> None:
            from sffi_lsp.sdn import _parser, _ToValues

            for text, _path in texts:
                _ToValues().transform(_parser().parse(text))

        hide(True)
        reference = median_ms(lambda: run_check(False), args.runs, "reference")
        ref_findings = run_check(False)
        hide(False)
        walk = median_ms(discover_only, args.runs, "walk")
        reading = median_ms(discover_and_read, args.runs, "reading")
        grammar = median_ms(read_with_grammar, args.runs, "grammar")
        full = median_ms(lambda: run_check(True), args.runs, "full")
        full_findings = run_check(True)
        lines = sum(t.count("\n") for t, _ in texts)
        for t, p in texts:
            assert not getattr(read_spec_text(t, p), "problems", ()), p

        print(f"tree: {args.files} .spl files + {args.specs} specs ({lines} spec lines), one process, "
              f"median of {args.runs} (load {os.getloadavg()[0]:.2f})")
        print(f"reference check, specs hidden        {reference:8.1f} ms   ({ref_findings} findings)")
        print(f"discover alone                       {walk:8.2f} ms")
        print(f"discover + read {args.specs} specs              {reading:8.2f} ms   "
              f"(reading adds {reading - walk:.2f} ms = {100 * (reading - walk) / reference:.1f}% of the reference)")
        print(f"read {args.specs} specs through the grammar      {grammar:8.2f} ms   "
              f"({grammar / max(reading - walk, 1e-6):.1f}x the block reader)")
        print(f"full check with the specs            {full:8.1f} ms   ({full_findings} findings; "
              f"x{full / reference:.3f} the reference, +{full - reference:.1f} ms with the tier rules)")
        added_cpu = CPU["reading"] - CPU["walk"]
        print(f"CPU ms (median): reference {CPU['reference']:.1f}, discover {CPU['walk']:.2f}, discover + read "
              f"{CPU['reading']:.2f} (reading adds {added_cpu:.2f}), grammar reading {CPU['grammar']:.2f}, "
              f"full {CPU['full']:.1f}")
        print(f"target (reading {args.specs} specs adds < 10 ms): wall {'met' if reading - walk < 10 else 'NOT met'} "
              f"({reading - walk:.2f} ms), CPU {'met' if added_cpu < 10 else 'NOT met'} ({added_cpu:.2f} ms)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
