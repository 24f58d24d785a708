"""A warm `sffi-check` reuses the last run's findings only while nothing they depend on changed.

Every scenario compares the warm run's output with a `--no-cache` run of the same tree (the
truth), and checks that the stored result was (or was not) reused.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import time
from pathlib import Path

import pytest

GCC = shutil.which("gcc") or shutil.which("cc")
pytestmark = pytest.mark.skipif(GCC is None, reason="gcc is needed")

SRC = ("extern fn w_one() -> i64\nextern fn w_two() -> i64\nextern fn rt_wsat_go() -> i64\n"
       "extern fn w_onr() -> i64\n"
       "fn main():\n    w_one()\n    w_two()\n    rt_wsat_go()\n    w_onr()\n")


def cc(out: Path, source: str) -> None:
    src = out.with_name(out.name + f".{time.monotonic_ns()}.c")
    src.write_text(source)
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "build").mkdir()  # the default satellite directory
    cc(tmp_path / "lib" / "libw.so", "long w_one(void) { return 1; }\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.spl").write_text(SRC)
    (tmp_path / "sffi.toml").write_text(f'[[libraries]]\npath = "{tmp_path / "lib" / "libw.so"}"\n')
    return tmp_path


def results_file(tree: Path) -> Path:
    return tree / ".sffi_cache" / "results.pickle"


def written(tree: Path) -> dict:
    """Identity of every stored result and answer file. A rewrite replaces a file by a
    temp file renamed over it (a new inode while the old one still exists), so an equal
    identity means "not written", whatever the clock's granularity or the machine's load."""
    out = {}
    for f in sorted((tree / ".sffi_cache").glob("*")):
        if f.name == "results.pickle" or f.name.startswith("answer-"):
            st = f.stat()
            out[f.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def check(sffi, tree: Path, *extra: str) -> tuple[str, bool]:
    """(json output, whether the stored result was reused), asserting it equals a --no-cache run."""
    before = written(tree) if results_file(tree).exists() else None
    warm = sffi("--output-format", "json", "--exit-zero", *extra, cwd=tree)
    truth = sffi("--output-format", "json", "--exit-zero", "--no-cache", *extra, cwd=tree)
    assert warm.code == truth.code == 0, warm.err + truth.err
    assert warm.out == truth.out
    after = written(tree) if results_file(tree).exists() else None
    return warm.out, before is not None and before == after


def unresolved(out: str) -> list[str]:
    return sorted(e["name"] for e in json.loads(out)["externs"] if not e["resolved"])


def test_unchanged_tree_reuses_and_changes_are_seen(tree: Path, sffi) -> None:
    out, reused = check(sffi, tree)
    assert not reused and unresolved(out) == ["rt_wsat_go", "w_onr", "w_two"]
    assert "did you mean `w_one`" in out
    out, reused = check(sffi, tree)
    assert reused

    # a source edit (another size: whatever the mtime granularity)
    (tree / "src" / "a.spl").write_text(SRC + "extern fn w_three() -> i64\n")
    out, reused = check(sffi, tree)
    assert not reused and "w_three" in unresolved(out)
    assert check(sffi, tree)[1]

    # the library rebuilt (in place: same path, new contents)
    cc(tree / "lib" / "libw.so", "long w_one(void) { return 1; }\nlong w_two(void) { return 2; }\n")
    out, reused = check(sffi, tree)
    assert not reused and "w_two" not in unresolved(out)
    assert check(sffi, tree)[1]

    # a satellite appears in build/
    cc(tree / "build" / "libspl_wsat.so", "long rt_wsat_go(void) { return 3; }\n")
    out, reused = check(sffi, tree)
    assert not reused and "rt_wsat_go" not in unresolved(out)
    assert check(sffi, tree)[1]

    # ... and is rebuilt without its function, copied over the same file
    tmp = tree / "rebuilt.so"
    cc(tmp, "long rt_wsat_other(void) { return 3; }\n")
    shutil.copyfile(tmp, tree / "build" / "libspl_wsat.so")
    out, reused = check(sffi, tree)
    assert not reused and "rt_wsat_go" in unresolved(out)

    # the configuration edited (another size)
    (tree / "sffi.toml").write_text('runtime-mode = "builtin-only"\n' + (tree / "sffi.toml").read_text())
    out, reused = check(sffi, tree)
    assert not reused and "w_one" in unresolved(out)


def test_formats_and_options_from_a_stored_result(tree: Path, sffi) -> None:
    check(sffi, tree)
    for args in (("--output-format", "full"), ("--output-format", "concise"), ("--statistics",),
                 ("--output-format", "sarif"), ("--select", "SFFI001", "--output-format", "concise")):
        warm = sffi("--exit-zero", *args, cwd=tree)
        truth = sffi("--exit-zero", "--no-cache", *args, cwd=tree)
        assert warm.out == truth.out, args
    full = sffi("--output-format", "full", cwd=tree)
    assert full.code == 1 and "did you mean `w_one`" in full.out


def test_planted_result_is_not_executed(tree: Path, sffi) -> None:
    check(sffi, tree)
    marker = tree / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    key, watch, findings, extras = pickle.loads(results_file(tree).read_bytes())
    results_file(tree).write_bytes(pickle.dumps((key, watch, pickle.dumps(([Payload()], 0)), extras)))
    out, _ = check(sffi, tree)
    assert not marker.exists() and "w_two" in unresolved(out)
    results_file(tree).write_bytes(pickle.dumps(Payload()))
    out, _ = check(sffi, tree)
    assert not marker.exists() and "w_two" in unresolved(out)


def test_no_cache_writes_nothing(tree: Path, sffi) -> None:
    r = sffi("--no-cache", "--exit-zero", cwd=tree)
    assert r.code == 0 and not (tree / ".sffi_cache").exists()
    assert not os.path.exists(results_file(tree))


def answer_files(tree: Path) -> list[Path]:
    return sorted((tree / ".sffi_cache").glob("answer-*.bin"))


@pytest.mark.parametrize("args", [("--output-format", "concise"), ("--output-format", "full"),
                                  ("--output-format", "json"), ("--statistics",),
                                  ("--output-format", "github")])
def test_unchanged_tree_prints_the_stored_answer(tree: Path, sffi, args) -> None:
    """The second run prints what the first printed, from its answer file, exit status and summary
    included; a source edit is never answered from it."""
    first = sffi(*args, cwd=tree)
    assert first.code == 1 and answer_files(tree), first.err
    before = written(tree)
    second = sffi(*args, cwd=tree)
    truth = sffi(*args, "--no-cache", cwd=tree)
    assert second.out == first.out == truth.out and second.code == truth.code == 1
    assert written(tree) == before  # served: nothing rewritten
    if "--statistics" not in args and "json" not in args and "github" not in args:
        assert second.err.split(" checked in ")[1].split(": ", 1)[1] == truth.err.split(" checked in ")[1].split(": ", 1)[1]
    (tree / "src" / "a.spl").write_text(SRC.replace("w_onr()", "w_one()"))
    third = sffi(*args, cwd=tree)
    assert third.out == sffi(*args, "--no-cache", cwd=tree).out != first.out
    assert sffi("--exit-zero", *args, cwd=tree).code == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "planted", "empty", "directory"])
def test_damaged_answer_file_is_a_miss(tree: Path, sffi, damage) -> None:
    args = ("--output-format", "concise")
    first = sffi(*args, cwd=tree)
    (answer,) = answer_files(tree)
    data = answer.read_bytes()
    marker = tree / "pwned"
    if damage == "truncate":
        answer.write_bytes(data[: len(data) - 7])
    elif damage == "flip":
        answer.write_bytes(data[:-3] + bytes([data[-3] ^ 0x55]) + data[-2:])
    elif damage == "foreign":
        answer.write_bytes(b"SFFIANSW" + (10).to_bytes(8, "big") + b"not pickle" + data[40:])
    elif damage == "planted":
        class Payload:
            def __reduce__(self):
                return (open, (str(marker), "w"))

        header = pickle.dumps(Payload())
        answer.write_bytes(b"SFFIANSW" + len(header).to_bytes(8, "big") + header + b"fake output\n")
    elif damage == "empty":
        answer.write_bytes(b"")
    else:
        answer.unlink()
        answer.mkdir()
    # the stored findings go too, so that the run really checks
    results_file(tree).unlink()
    again = sffi(*args, cwd=tree)
    assert again.code == first.code == 1 and again.out == first.out, again.err
    assert "internal error" not in again.err and not marker.exists()
