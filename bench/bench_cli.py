"""Benchmark `sffi-check` on a large tree against the shell pipeline a user would write.

    .venv/bin/python bench/bench_cli.py [--files 450] [--runs 5]

Generates a tree of `.spl` files (bench_syntax's generator) and an `sffi.toml`
configuring 8 libraries (libtorch_cpu from the torch wheel on disk, libLLVM-15,
libc, libm, libstdc++, libz and two gcc-built ones when present), then times,
in the same run, as whole commands (interpreter start-up included):

- reference: `grep -rn "extern fn" TREE` plus `nm -D --defined-only` on every library
- cold:  `sffi-check --no-cache` (all cores)
- warm:  `sffi-check` again on the unchanged tree (model and export caches warm)
- edit:  `sffi-check` after one file was touched (stored results unusable; models of the
         other files, provider answers and export listings from the cache)

and prints median wall times and the ratios to the reference. sffi-check runs with its
bytecode compiled once, as an installed tool has it (`PYTHONDONTWRITEBYTECODE` is dropped
for it and `PYTHONPYCACHEPREFIX` points into the bench's temporary directory).

    .venv/bin/python bench/bench_cli.py --stages [TREE] [--runs 5]

instead splits one cold `sffi-check --no-cache` of a tree without libraries (the issue 2
case; default: a generated tree) into its stages, each run in a fresh interpreter, and
prints the median wall and CPU milliseconds of: importing the CLI, importing the checker,
configuration + discovery, parsing, the check, and rendering json / concise.
"""

from __future__ import annotations

import argparse
import glob
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

from bench_elf import torch_lib_dir  # noqa: E402
from bench_syntax import generate  # noqa: E402

SYSTEM_LIBS = ["libLLVM-15.so.1", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libz.so.1"]
SYSTEM_DIRS = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib"]

C_SOURCES = {
    "libbench_a.so": "long bench_a_add(long a, long b) { return a + b; }\nint bench_a_flag;\n",
    "libbench_b.so": "double bench_b_scale(double v, double f) { return v * f; }\n",
}


def find_system(name: str) -> str | None:
    for d in SYSTEM_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return os.path.realpath(p)
    return None


def build_libs(out: Path) -> list[str]:
    libs = []
    for name, src in C_SOURCES.items():
        c = out / (name + ".c")
        c.write_text(src)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(out / name), str(c)], check=True)
        libs.append(str(out / name))
    return libs


def median_wall(cmd: list[str] | str, runs: int, *, shell: bool = False, cwd: str | None = None,
                env: dict[str, str] | None = None, before=None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        subprocess.run(cmd, shell=shell, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


# One cold --no-cache run of the CLI's own stages (cli.run_check without a cache), timed.
_STAGES_CHILD = r"""
import json, sys, time
W, C = time.perf_counter, time.process_time
marks = [(W(), C())]
import sffi_lsp.cli as cli
marks.append((W(), C()))
from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.providers import Providers, index_for_config
from dataclasses import replace
marks.append((W(), C()))
args = cli.build_parser().parse_args(["--no-cache", "--exit-zero", sys.argv[1]])
from sffi_lsp.commands import settings
config = settings.load(args, args.paths)
files = cli.discover(args.paths, config)
index = index_for_config(replace(config, cache_dir=None))
providers = Providers.from_config(config, index, answers_file=None)
marks.append((W(), C()))
models = cli.parse_all(files, None, config.jobs or cli.idle_cores(), True)
marks.append((W(), C()))
workspace = Workspace(models, roots=[sys.argv[1]])
result = check(workspace, providers, config)
marks.append((W(), C()))
from sffi_lsp import output
externs = [e for f in workspace.files for e in f.externs]
for fmt in ("json", "concise"):
    report = output.Report(findings=result.findings, externs=externs if fmt == "json" else [],
                           resolutions=result.by_decl, display=output.DisplayPaths(), sources=output.SourceLines())
    output.render(report, fmt)
    marks.append((W(), C()))
print(json.dumps({"marks": marks, "findings": len(result.findings), "externs": len(externs),
                  "binary": sorted(m for m in sys.modules if m.startswith("sffi_lsp.binary."))}))
"""
_STAGE_NAMES = ["import sffi_lsp.cli", "import check engine/providers", "config + discover + providers",
                "parse (all cores)", "check", "render json", "render concise"]


def stages(tree: str, runs: int, env: dict[str, str]) -> None:
    rows: list[list[tuple[float, float]]] = []
    info: dict = {}
    for i in range(runs + 1):  # the first run compiles the bytecode
        out = subprocess.run([sys.executable, "-c", _STAGES_CHILD, tree], env=env, capture_output=True, text=True,
                             cwd=str(ROOT))
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        info = __import__("json").loads(out.stdout)
        marks = info["marks"]
        if i:
            rows.append([((b[0] - a[0]) * 1000, (b[1] - a[1]) * 1000) for a, b in zip(marks, marks[1:])])
    print(f"{tree}: {info['findings']} findings, {info['externs']} externs; "
          f"binary modules imported: {info['binary'] or 'none'}")
    print(f"{'stage':<34} {'wall ms':>9} {'cpu ms':>9}   (medians of {runs} fresh interpreters)")
    for k, name in enumerate(_STAGE_NAMES):
        wall = statistics.median(r[k][0] for r in rows)
        cpu = statistics.median(r[k][1] for r in rows)
        print(f"{name:<34} {wall:>9.1f} {cpu:>9.1f}")
    print(f"{'total (without start-up)':<34} {statistics.median(sum(w for w, _ in r) for r in rows):>9.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=450)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--stages", nargs="?", const="", default=None, metavar="TREE",
                    help="time the stages of a cold --no-cache check of TREE (default: a generated tree)")
    args = ap.parse_args(argv)

    if args.stages is not None:
        work = Path(tempfile.mkdtemp(prefix="sffi-bench-stages-"))
        try:
            tree = args.stages
            if not tree:
                tree = str(work / "tree")
                os.mkdir(tree)
                generate(Path(tree), args.files, seed=11)
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            env["PYTHONPATH"] = str(ROOT)
            stages(os.path.abspath(tree), args.runs, env)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0

    exe = ROOT / ".venv" / "bin" / "sffi-check"
    if not exe.exists():
        print("run `bash scripts/install.sh` first (.venv/bin/sffi-check is missing)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="sffi-bench-cli-"))
    try:
        tree = work / "tree"
        tree.mkdir()
        paths, lines, externs = generate(tree, args.files, seed=11)
        libs = build_libs(work)
        torch = torch_lib_dir()
        if torch:
            libs.insert(0, os.path.join(torch, "libtorch_cpu.so"))
        for name in SYSTEM_LIBS:
            p = find_system(name)
            if p:
                libs.append(p)
        libs = libs[:8]
        toml = ["# generated by bench/bench_cli.py", "[builtins]", "families = [\"rt_sdl2_\"]", ""]
        for lib in libs:
            toml += ["[[libraries]]", f'path = "{lib}"', ""]
        (tree / "sffi.toml").write_text("\n".join(toml))
        print(f"tree: {len(paths)} files, {lines} lines, {externs} externs; {len(libs)} libraries:")
        for lib in libs:
            print(f"  {lib} ({os.path.getsize(lib) / 1e6:.1f} MB)")

        reference = "grep -rn 'extern fn' . > /dev/null; " + "; ".join(
            f"nm -D --defined-only '{lib}' > /dev/null" for lib in libs
        )
        check = [str(exe), "--exit-zero", "--output-format", "concise", "."]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        subprocess.run(check + ["--no-cache"], cwd=str(tree), env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # compile the bytecode once
        ref_ms = median_wall(reference, args.runs, shell=True, cwd=str(tree))
        cold_ms = median_wall(check + ["--no-cache"], max(1, args.runs // 2), cwd=str(tree), env=env)
        subprocess.run(check, cwd=str(tree), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fill
        warm_ms = median_wall(check, args.runs, cwd=str(tree), env=env)
        edited = paths[len(paths) // 2]

        def touch() -> None:
            os.utime(edited, ns=(time.time_ns(), time.time_ns()))

        edit_ms = median_wall(check, args.runs, cwd=str(tree), env=env, before=touch)

        print()
        print(f"{'command':<52} {'median ms':>10} {'ratio':>7}")
        ref_label = 'grep -rn "extern fn" + nm -D on each library'
        print(f"{ref_label:<52} {ref_ms:>10.0f} {1.0:>7.2f}")
        print(f"{'sffi-check --no-cache (cold)':<52} {cold_ms:>10.0f} {cold_ms / ref_ms:>7.2f}")
        print(f"{'sffi-check (warm, unchanged tree)':<52} {warm_ms:>10.0f} {warm_ms / ref_ms:>7.2f}")
        print(f"{'sffi-check (warm, one file touched)':<52} {edit_ms:>10.0f} {edit_ms / ref_ms:>7.2f}")
        print(f"\ntarget: warm ratio < 1.0 -> {'met' if warm_ms < ref_ms else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
