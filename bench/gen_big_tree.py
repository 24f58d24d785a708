"""Generate a `.spl` tree at the scale of the Simple repository from our own sample tree.

    .venv/bin/python bench/gen_big_tree.py OUT [--size big|small] [--files N] [--lines N] [--seed 1]

`bench/sample_tree/` holds hand-written Simple files with the shapes real code has
(externs in every variant, `@when` blocks, `extern class` / `extern "C":` blocks, local
externs in spec blocks, classes, enums, matches, lambdas, comments and strings that
mention `extern fn`, a misspelled extern). The generator replicates them the way the
issue's measurement did (20 copies of a real tree): the tree is `copies` copies of one
"repository" of `files / copies` files; inside a copy, file j is sample j (mod the sample count), followed,
until it reaches its drawn line count, by samples without externs (long files are mostly code), and the runtime prefix family of its
externs (`rt_clock_` -> `rt_clock7_`) is renamed by j, so a copy declares thousands of
distinct externs and the copies repeat each other, as copies of a real tree do.

Sizes: `big` = 9,100 files / ~1.6M lines in 20 copies (the issue's tree), `small` = 500
files / ~88k lines in one copy. Prints the file, line and extern counts. Deterministic for
a seed. Also importable: `generate(out, files, lines, copies, seed)`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "sample_tree"
SIZES = {"big": (9_100, 1_600_000, 20), "small": (500, 88_000, 1)}
# `rt_clock_now_ms` -> family `clock`; renaming the family keeps declarations and calls in step.
_FAMILY = re.compile(r"\b(rt|spl|sys)_([a-z]+)_")
_EXTERN = re.compile(r"^\s*(?:pub\s+)?extern\s+fn\s", re.M)


def load_samples(directory: Path = SAMPLES) -> list[tuple[str, str]]:
    """(relative path, text) of every sample file, sorted."""
    out = []
    for path in sorted(directory.rglob("*.spl")):
        out.append((path.relative_to(directory).as_posix(), path.read_text(encoding="utf-8")))
    if not out:
        raise SystemExit(f"no sample files under {directory}")
    return out


def variant(text: str, k: int) -> str:
    """The sample with its runtime families renamed for variant k (k = 0: unchanged)."""
    if k == 0:
        return text
    return _FAMILY.sub(lambda m: f"{m.group(1)}_{m.group(2)}{k}_", text)


def generate(out: Path, files: int, lines: int, copies: int = 1, seed: int = 1) -> dict:
    """Write the tree under `out`; returns counts {files, lines, externs, bytes}."""
    samples = load_samples()
    # Long files are mostly code: what a concatenated file adds after its first part has no externs.
    plain = [s for s in samples if not _EXTERN.search(s[1])] or samples
    per_copy = max(1, files // copies)
    mean_lines = lines / files
    stats = {"files": 0, "lines": 0, "externs": 0, "bytes": 0}
    # One repository, written `copies` times: the same rng for every copy.
    repo: list[tuple[str, str]] = []
    rng = random.Random(seed)
    for j in range(per_copy):
        # Drawn length: most files near the mean, some much longer (real trees are skewed).
        target = max(20, int(rng.lognormvariate(0, 0.6) * mean_lines * 0.81))
        first_text = samples[j % len(samples)][1]
        parts, n, i = [variant(first_text, j // len(samples))], first_text.count("\n"), j
        while n < target:
            text = plain[i % len(plain)][1]
            add = text.count("\n")
            if n + add - target > target - n:
                break  # closer to the target without it
            parts.append(text)
            n += add
            i += 1
        first = samples[j % len(samples)][0]
        folder, name = os.path.split(first)
        rel = f"{folder}/part{j % 8}/{name[:-4]}_{j}.spl"
        repo.append((rel, "\n".join(parts)))
    total = files
    for c in range(copies):
        for rel, text in repo:
            if total == 0:
                break
            path = out / f"copy{c:02d}" / rel if copies > 1 else out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8")
            path.write_bytes(data)
            total -= 1
            stats["files"] += 1
            stats["lines"] += text.count("\n")
            stats["externs"] += len(_EXTERN.findall(text))
            stats["bytes"] += len(data)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="directory to write (created; must be empty or absent)")
    ap.add_argument("--size", choices=sorted(SIZES), default="big")
    ap.add_argument("--files", type=int, help="override the file count of --size")
    ap.add_argument("--lines", type=int, help="override the line count of --size")
    ap.add_argument("--copies", type=int, help="override the number of copies of --size")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    files, lines, copies = SIZES[args.size]
    files = args.files or files
    lines = args.lines or (lines * files // SIZES[args.size][0])
    copies = min(files, args.copies or copies)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"{out}: not empty", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    s = generate(out, files, lines, copies, args.seed)
    print(f"{out}: {s['files']} files, {s['lines']} lines, {s['externs']} extern declarations, "
          f"{s['bytes'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
