"""What checking a few files in their project's context costs (issue 12, item 3).

    .venv/bin/python bench/bench_project_context.py [--files 450] [--runs 5]

Generates a tree (bench_syntax's generator) with an `sffi.toml`, warms the caches,
then times, in the same run, as whole commands (interpreter start-up included):

- reference: `sffi-check` of the whole tree, warm (the stored result is reused)
- one file:  `sffi-check FILE` (the project indexed from the warm model cache; the
             rules run over the whole tree; one file's findings reported)
- one file, edited: the same after that file was touched (its model re-parsed)
- one file alone: `sffi-check --isolated FILE` (no project: what a check of just
             that file costs, but cross-file rules then see one file)

and prints median wall times and their ratios to the reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_syntax import generate  # noqa: E402

CLI = [str(HERE.parent / ".venv" / "bin" / "sffi-check")]


def wall(args: list[str], cwd: Path, runs: int, before=None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        subprocess.run([*CLI, *args, "--exit-zero", "-q", "--output-format", "concise"], cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=450)
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths, lines, externs = generate(root / "src", opts.files, seed=12)
        (root / "sffi.toml").write_text('include = ["src/**/*.spl"]\n')
        one = paths[len(paths) // 2].relative_to(root)
        wall(["."], root, 2)  # caches warm
        wall([str(one)], root, 1)
        ref = wall(["."], root, opts.runs)
        subset = wall([str(one)], root, opts.runs)

        def touch() -> None:
            p = root / one
            p.write_text(p.read_text() + "\n")

        edited = wall([str(one)], root, opts.runs, before=touch)
        alone = wall(["--isolated", str(one)], root, opts.runs)
    print(f"tree: {len(paths)} files, {lines} lines, {externs} externs; load average {os.getloadavg()[0]:.2f}")
    print(f"reference  whole tree, warm        {ref * 1000:7.0f} ms")
    print(f"one file   in project context      {subset * 1000:7.0f} ms  ({subset / ref:.2f}x reference)")
    print(f"one file   edited, in context      {edited * 1000:7.0f} ms  ({edited / ref:.2f}x reference)")
    print(f"one file   --isolated (no context) {alone * 1000:7.0f} ms  ({alone / ref:.2f}x reference)")


if __name__ == "__main__":
    main()
