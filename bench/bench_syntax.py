"""Benchmark the syntax layer against a naive extern scanner.

    .venv/bin/python bench/bench_syntax.py [--files 450] [--seed 7] [--keep DIR]

1. Generates a tree of `.spl` files (several hundred files, > 80k lines,
   ~1,500 externs) in a temp dir: wrappers, classes, @when blocks, multi-line
   externs, docstrings and comments that mention `extern fn`, calls.
2. Parse only, in this process: times (a) a naive pure-Python scanner (one
   regex per line, what a quick script would do) and (b) `parse_file` over the
   same tree, serially and on every core (multiprocessing, fork), both cold
   (empty declaration memo), and prints throughput and the ratios.
3. Whole command, as the judge measures it: wall time of
   `python -m sffi_lsp.cli --no-cache --exit-zero --output-format json TREE`
   against `python naive.py TREE` (both subprocesses, so both pay interpreter
   start-up; best of --runs), and the ratio.
4. Times `IncrementalParser.update` after a one-character edit in a
   ~170 KB file (median and p95 over many edits).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TYPES = ["i64", "i32", "u8", "u64", "f64", "bool", "text", "[u8]", "[text]", "[i64]", "text?", "Handle"]
RETS = TYPES + ["(text, text, i64)", "[(text, i64)]", "()", "bool"]


def _params(rng: random.Random, n: int) -> list[str]:
    names = ["path", "size", "fd", "buf", "count", "key", "value", "flags", "mode", "handle", "ptr", "len"]
    return [f"{rng.choice(names)}{i}: {rng.choice(TYPES)}" for i in range(n)]


def gen_file(rng: random.Random, idx: int, target_lines: int, n_externs: int) -> tuple[str, int]:
    """One synthetic module; returns (text, number of real externs)."""
    out: list[str] = [f"# Module {idx}: generated for the syntax benchmark", ""]
    out.append(f"use std.mod{idx % 17}.{{alpha, beta as b}}")
    out.append("use app.io.*")
    out.append("")
    out.append('"""')
    out.append(f"Module docs. Example: extern fn rt_doc_only_{idx}() -> i64 (not real)")
    out.append('"""')
    out.append("")
    externs = []
    made = 0
    for k in range(n_externs):
        name = f"rt_m{idx}_op{k}"
        ps = _params(rng, rng.randint(0, 5))
        ret = rng.choice(RETS + [None])
        tail = f" -> {ret}" if ret else ""
        style = rng.random()
        if style < 0.12 and ps:
            body = ",\n    ".join(ps)
            externs.append(f"extern fn {name}(\n    {body},\n){tail}")
        elif style < 0.2:
            externs.append(f'@unsafe(reason: "raw runtime", capabilities: [ffi])\nextern fn {name}({", ".join(ps)}){tail}')
        elif style < 0.25:
            externs.append(f"## Doc for {name}.\npub extern fn {name}({', '.join(ps)}){tail}  # trailing")
        elif style < 0.28:
            externs.append(f"extern fn {name}<T>(value: T, {', '.join(ps) or 'n: i64'}){tail}")
        else:
            externs.append(f"extern fn {name}({', '.join(ps)}){tail}")
        made += 1
    # a @when block in some files
    if idx % 5 == 0:
        out += ['@when(os="linux"):', f"extern fn rt_m{idx}_linux() -> i32", "@else:",
                f"extern fn rt_m{idx}_other() -> i32", "@end", ""]
        made += 2
    wrappers_at = set(rng.sample(range(max(1, target_lines // 12)), k=min(len(externs), max(1, target_lines // 12))))
    ei = 0
    block = 0
    while len(out) < target_lines:
        if ei < len(externs) and block in wrappers_at:
            out.append(externs[ei])
            ei += 1
            out.append("")
        kind = rng.random()
        fname = f"helper_{idx}_{block}"
        if kind < 0.55:
            out += [
                f"fn {fname}(a: i64, b: text) -> i64:",
                "    # compute something; extern fn not_here() -> i64",
                "    var total = 0",
                f"    for i in 0..a:",
                f"        total = total + compute_{block % 7}(i, b.len())",
                "        if total > 100 and b.starts_with(\"x{i}\"):",
                "            print \"big {total}\"",
                f"    val r = rt_m{idx}_op{block % max(1, n_externs)}(a, b)",
                "    match r:",
                "        case 0: log(\"zero\")",
                "        case _: log(\"other: {r}\")",
                "    total",
                "",
            ]
        elif kind < 0.8:
            out += [
                f"class Thing{block}:",
                "    name: text",
                "    size: i64",
                "",
                f"impl Thing{block}:",
                f"    static fn make(n: text) -> Thing{block}:",
                f"        Thing{block}(name: n, size: 0)",
                "",
                "    fn describe() -> text:",
                "        \"Thing {self.name} of size {self.size}\"",
                "",
                "    me grow(by: i64):",
                "        self.size = self.size + by",
                "        notify(self.name, [by, self.size])",
                "",
            ]
        else:
            out += [
                f"val TABLE_{block}: [text] = [",
                "    \"alpha\", \"beta\",",
                "    \"extern fn fake_in_string() -> i64\",",
                "]",
                "/* block comment",
                "   extern fn fake_in_block() -> i64 */",
                f"fn {fname}_short() -> i64: lookup(TABLE_{block}, {block})",
                "",
            ]
        block += 1
    while ei < len(externs):
        out.append(externs[ei])
        ei += 1
    return "\n".join(out) + "\n", made


def generate(root: Path, files: int, seed: int) -> tuple[list[Path], int, int]:
    rng = random.Random(seed)
    paths = []
    total_lines = total_externs = 0
    for i in range(files):
        sub = root / f"pkg{i % 12}" / f"sub{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        lines = rng.randint(60, 330)
        text, n = gen_file(rng, i, lines, rng.randint(1, 6))
        p = sub / f"mod_{i}.spl"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
        total_lines += text.count("\n")
        total_externs += n
    return paths, total_lines, total_externs


# --------------------------------------------------------------- naive ---

_NAIVE = re.compile(r"\s*(?:pub\s+)?extern\s+fn\s+(\w+)\s*\((.*?)\)?\s*(?:->\s*(.+))?$")


def naive_scan(paths: list[Path]) -> int:
    """What a quick script does: one regex per line, no strings/comments awareness."""
    found = 0
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = _NAIVE.match(line)
                if m:
                    found += 1
    return found


# ----------------------------------------------------------------- ours ---

NAIVE_SCRIPT = r'''
import os, re, sys
_NAIVE = re.compile(r"\s*(?:pub\s+)?extern\s+fn\s+(\w+)\s*\((.*?)\)?\s*(?:->\s*(.+))?$")
found = 0
for root, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".spl"):
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if _NAIVE.match(line):
                        found += 1
print(found)
'''


def _wall(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Best wall time of `runs` runs of `cmd`, and its stdout."""
    best, out = float("inf"), ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        best = min(best, time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        out = proc.stdout
    return best, out


def bench_commands(root: Path, runs: int) -> tuple[float, float, int]:
    """(naive seconds, sffi-check seconds, externs sffi-check reported)."""
    import json

    repo = Path(__file__).resolve().parents[1]
    naive_py = root.parent / f"{root.name}-naive.py"
    naive_py.write_text(NAIVE_SCRIPT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(repo))
    try:
        t_naive, _ = _wall([sys.executable, str(naive_py), str(root)], runs)
        t_cli, out = _wall([sys.executable, "-m", "sffi_lsp.cli", "--no-cache", "--exit-zero",
                            "--output-format", "json", str(root)], runs, env)
    finally:
        naive_py.unlink(missing_ok=True)
    return t_naive, t_cli, len(json.loads(out).get("externs", []))


def _ours_one(path: str) -> int:
    from sffi_lsp.syntax import parse_file

    return len(parse_file(path).externs)


def ours_scan(paths: list[Path], workers: int) -> int:
    strs = [str(p) for p in paths]
    if workers <= 1:
        return sum(_ours_one(p) for p in strs)
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        return sum(pool.imap_unordered(_ours_one, strs, chunksize=max(1, len(strs) // (workers * 8))))


def bench_incremental(rng: random.Random, edits: int) -> tuple[float, float, int, int]:
    from sffi_lsp.syntax import IncrementalParser, preload

    # The Lark parser (for declarations the fast path leaves, e.g. one being
    # typed) is built once per process; the server builds it at start-up.
    preload()
    text, _ = gen_file(rng, 9999, 4600, 40)
    while len(text) < 170_000:
        more, _ = gen_file(rng, 9998, 200, 2)
        text += more
    parser = IncrementalParser("big.spl")
    parser.update(text)
    times = []
    for _ in range(edits):
        pos = rng.randrange(len(text))
        while text[pos] == "\n":
            pos = rng.randrange(len(text))
        edited = text[:pos] + "x" + text[pos:]
        t0 = time.perf_counter()
        parser.update(edited)
        times.append((time.perf_counter() - t0) * 1000)
        # undo, so every edit is one character away from the original
        parser.update(text)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(text), parser.last_scanned


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=450)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--keep", type=Path, default=None, help="write the tree here and keep it")
    ap.add_argument("--runs", type=int, default=3, help="runs of each whole command (best is kept)")
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-command comparison")
    args = ap.parse_args(argv)

    root = args.keep or Path(tempfile.mkdtemp(prefix="sffi-bench-"))
    try:
        paths, lines, n_ext = generate(root, args.files, args.seed)
        size = sum(p.stat().st_size for p in paths)
        print(f"corpus: {len(paths)} files, {lines} lines, {size / 1e6:.2f} MB, {n_ext} externs ({root})")

        from sffi_lsp.syntax import decl

        t0 = time.perf_counter()
        naive = naive_scan(paths)
        t_naive = time.perf_counter() - t0

        t0 = time.perf_counter()
        serial = ours_scan(paths, 1)
        t_serial = time.perf_counter() - t0
        decl._MEMO.clear()

        t0 = time.perf_counter()
        ours = ours_scan(paths, args.workers)
        t_ours = time.perf_counter() - t0

        print(f"naive scanner : {t_naive * 1000:8.1f} ms  {lines / t_naive:10.0f} lines/s  externs={naive} (counts fakes)")
        print(f"sffi syntax   : {t_serial * 1000:8.1f} ms  {lines / t_serial:10.0f} lines/s  externs={serial}"
              f"  (1 process, parse only)")
        print(f"sffi syntax   : {t_ours * 1000:8.1f} ms  {lines / t_ours:10.0f} lines/s  externs={ours}"
              f"  ({args.workers} workers, cold, incl. pool start)")
        print(f"parse-only ratio ours/naive: {t_serial / t_naive:.2f} (1 process), "
              f"{t_ours / t_naive:.2f} ({args.workers} workers)  (target <= 1.0)")
        if ours != n_ext or serial != n_ext:
            print(f"WARNING: expected {n_ext} externs, read {serial} / {ours}")

        if not args.no_cli:
            c_naive, c_cli, c_ext = bench_commands(root, args.runs)
            print(f"whole command : naive.py {c_naive * 1000:.0f} ms, sffi-check --no-cache {c_cli * 1000:.0f} ms "
                  f"(best of {args.runs}; externs={c_ext})")
            print(f"whole-command ratio sffi-check/naive: {c_cli / c_naive:.2f}  (target <= 1.0)")

        med, p95, size_inc, scanned = bench_incremental(random.Random(args.seed), args.edits)
        print(f"incremental: one-char edit in a {size_inc / 1000:.0f} KB file: median {med:.1f} ms, "
              f"p95 {p95:.1f} ms (target < 20 ms), chunks re-read {scanned}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
