"""A warm run after single-file edits re-judges only what the edit affects, and prints exactly
what a `--no-cache` run of the same tree prints (same findings, same order, same summary).

The tree is generated from the bench samples (`bench/gen_big_tree.py`: names declared and
called across files and copies); the edits are drawn at random with a fixed seed, plus the
edits that change a cross-file fact on purpose."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from gen_big_tree import generate  # noqa: E402

GCC = shutil.which("gcc") or shutil.which("cc")
EXTERN = re.compile(r"^\s*(?:pub\s+)?extern\s+fn\s+([A-Za-z_]\w*)", re.M)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    generate(root, 90, 9_000, 2, seed=3)
    return root


def run(sffi, tree: Path, *extra: str):
    r = sffi("--output-format", "concise", "--exit-zero", *extra, cwd=tree, SFFI_DEBUG="1")
    assert r.code == 0 and "internal error" not in r.err and "Traceback" not in r.err, r.err
    return r


def summary(err: str) -> str:
    line = [x for x in err.splitlines() if " checked in " in x][-1]
    return line.split(" checked in ")[0] + line.split(" checked in ")[1].split(": ", 1)[1]


def same_as_no_cache(sffi, tree: Path, *extra: str) -> int | None:
    """Asserts the warm run equals --no-cache; the number of files it re-judged (None: whole check)."""
    warm = run(sffi, tree, *extra)
    truth = run(sffi, tree, "--no-cache", *extra)
    assert warm.out == truth.out
    assert summary(warm.err) == summary(truth.err)
    m = re.search(r"re-checked (\d+) of", warm.err)
    return int(m.group(1)) if m else None


def spl_files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.spl"))


def declared(path: Path) -> list[str]:
    return EXTERN.findall(path.read_text())


def test_random_single_file_edits_equal_a_no_cache_run(tree: Path, sffi) -> None:
    rng = random.Random(14)
    files = spl_files(tree)
    first = run(sffi, tree)
    assert first.out == run(sffi, tree, "--no-cache").out
    assert "SFFI0" in first.out
    all_names = sorted({n for f in files for n in declared(f)})
    incremental = 0

    def edit_random(path: Path) -> str:
        lines = path.read_text().split("\n")
        kind = rng.choice(["blank", "delete", "duplicate", "redeclare", "drop_calls", "suppress", "new_call",
                           "rename_decl"])
        at = rng.randrange(len(lines))
        if kind == "blank":
            lines.insert(at, "")
        elif kind == "delete" and len(lines) > 3:
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "redeclare":  # an existing name, another signature
            lines.append(f"extern fn {rng.choice(all_names)}(a: i64, b: text, c: f64) -> bool")
        elif kind == "drop_calls":  # remove every call of one extern from this file
            names = [n for n in all_names if re.search(rf"\b{n}\(", path.read_text())]
            if names:
                n = rng.choice(names)
                lines = [x for x in lines if not re.search(rf"\b{n}\(", x) or EXTERN.match(x)]
        elif kind == "suppress":
            for k, x in enumerate(lines):
                if EXTERN.match(x):
                    lines[k] = x + "  # sffi: ignore[SFFI001]"
                    break
            else:
                lines.insert(0, "# sffi: ignore-file[SFFI012]")
        elif kind == "new_call":
            lines.append(f"fn added_{rng.randrange(1000)}():\n    {rng.choice(all_names)}(1, 2)")
        else:  # rename a declaration to a name declared elsewhere
            for k, x in enumerate(lines):
                m = EXTERN.match(x)
                if m:
                    lines[k] = x.replace(m.group(1), rng.choice(all_names), 1)
                    break
        path.write_text("\n".join(lines))
        return kind

    for step in range(24):
        path = rng.choice(files)
        kind = edit_random(path)
        got = same_as_no_cache(sffi, tree)
        if got is not None:
            incremental += 1
            assert got < len(files), (step, kind)
    assert incremental >= 12  # most single-file edits did not need a whole check


def test_cross_file_facts(tree: Path, sffi) -> None:
    files = spl_files(tree)
    before = run(sffi, tree).out
    # a name declared in several files: a new declaration of it with another signature
    by_name: dict[str, list[Path]] = {}
    for f in files:
        for n in declared(f):
            by_name.setdefault(n, []).append(f)
    shared = next(n for n, fs in sorted(by_name.items()) if len(set(fs)) >= 2)
    holder = next(f for f in files if shared not in declared(f))
    holder.write_text(holder.read_text() + f"\nextern fn {shared}(x: f64, y: f64, z: f64) -> f64\n")
    assert same_as_no_cache(sffi, tree) is not None
    assert run(sffi, tree).out != before

    # removing the last call of an extern: its declaration (in another file) becomes unused
    decl_file = files[10]
    call_file = next(f for f in files[11:] if re.search(r"^fn \w+\(\):\n    \S", f.read_text(), re.M))
    decl_file.write_text(decl_file.read_text() + "\nextern fn lonely_probe(n: i64) -> i64\n")
    same_as_no_cache(sffi, tree)  # a new name: the stored models kept no calls of it (whole check)
    before = call_file.read_text()
    # the call goes into an existing function (a new `fn` would be a name an extern could have)
    call_file.write_text(re.sub(r"^(fn \w+\(\):\n)", r"\1    lonely_probe(3)\n", before, count=1, flags=re.M))
    assert same_as_no_cache(sffi, tree) is not None
    assert "`lonely_probe` is declared but never called" not in run(sffi, tree).out
    call_file.write_text(before)
    assert same_as_no_cache(sffi, tree) is not None
    assert "`lonely_probe` is declared but never called" in run(sffi, tree).out

    # a suppression added
    f = files[3]
    f.write_text("# sffi: ignore-file\n" + f.read_text())
    assert same_as_no_cache(sffi, tree) is not None

    # the configuration changed: a whole check, still right
    (tree / "sffi.toml").write_text('[rules]\nignore = ["SFFI025"]\n')
    assert same_as_no_cache(sffi, tree) is None
    f = files[5]
    f.write_text(f.read_text() + "\n\n")
    assert same_as_no_cache(sffi, tree) is not None


@pytest.mark.skipif(GCC is None, reason="gcc is needed")
def test_library_rebuilt_then_edit(tree: Path, sffi, tmp_path: Path) -> None:
    files = spl_files(tree)
    name = declared(next(f for f in files if declared(f)))[0]
    lib = tmp_path / "libinc.so"

    def build(body: str) -> None:
        src = tmp_path / f"inc{len(body)}.c"
        src.write_text(body)
        subprocess.run([GCC, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)

    build("long unrelated(void) { return 1; }\n")
    (tree / "sffi.toml").write_text(f'[[libraries]]\npath = "{lib}"\n')
    run(sffi, tree)
    build(f"long {name}(void) {{ return 1; }}\nlong other(void) {{ return 2; }}\n")
    assert same_as_no_cache(sffi, tree) is None  # the library changed: a whole check
    f = files[7]
    f.write_text(f.read_text().replace("\n", "\n\n", 3))
    assert same_as_no_cache(sffi, tree) is not None


def test_full_format_and_damaged_record(tree: Path, sffi) -> None:
    files = spl_files(tree)
    args = ("--output-format", "full")
    sffi(*args, "--exit-zero", cwd=tree)
    files[2].write_text("\n" + files[2].read_text())
    warm = sffi(*args, "--exit-zero", cwd=tree, SFFI_DEBUG="1")
    assert "re-checked" in warm.err
    assert warm.out == sffi(*args, "--exit-zero", "--no-cache", cwd=tree).out
    record = tree / ".sffi_cache" / "incremental.pickle"
    data = record.read_bytes()
    for damaged in (data[: len(data) // 2], b"", b"\x80\x05garbage", data.replace(b"sffi-incremental", b"sffi-incrementaX")):
        record.write_bytes(damaged)
        files[2].write_text("\n" + files[2].read_text())
        warm = sffi(*args, "--exit-zero", cwd=tree, SFFI_DEBUG="1")
        assert "re-checked" not in warm.err and "internal error" not in warm.err
        assert warm.out == sffi(*args, "--exit-zero", "--no-cache", cwd=tree).out


@pytest.mark.skipif(GCC is None, reason="gcc is needed")
def test_full_format_with_a_library_shows_providers(tree: Path, sffi, tmp_path: Path) -> None:
    """`full` shows each finding's provider from the resolutions: a re-judged file's too."""
    files = spl_files(tree)
    names = sorted({n for f in files for n in declared(f)})
    lib = tmp_path / "libfull.so"
    src = tmp_path / "full.c"
    src.write_text("".join(f"long {n}(void) {{ return 1; }}\n" for n in names[::3]))
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    (tree / "sffi.toml").write_text(f'[[libraries]]\npath = "{lib}"\n')
    args = ("--output-format", "full", "--exit-zero")
    first = sffi(*args, cwd=tree)
    assert "= provider: library:" in first.out
    target = next(f for f in files if set(declared(f)) & set(names[::3]))
    target.write_text("\n\n" + target.read_text())
    warm = sffi(*args, cwd=tree, SFFI_DEBUG="1")
    # (no "re-checked" assertion: on a loaded machine the signature worker may leave the
    # providers unsettled, and the run then rightly checks the whole tree)
    assert warm.out == sffi(*args, "--no-cache", cwd=tree).out


def test_touched_file_is_not_rejudged(tree: Path, sffi) -> None:
    """A file touched (or edited back) parses to the same model: nothing is re-judged."""
    files = spl_files(tree)
    run(sffi, tree)
    import os

    os.utime(files[4], ns=(files[4].stat().st_atime_ns, files[4].stat().st_mtime_ns + 5_000_000))
    assert same_as_no_cache(sffi, tree) == 0
    text = files[4].read_text()
    files[4].write_text(text + "\n# a comment\n")
    assert same_as_no_cache(sffi, tree) is not None
    files[4].write_text(text)
    assert same_as_no_cache(sffi, tree) is not None


def test_a_file_edited_while_the_run_reads_the_tree_is_seen_as_changed_next_time(
        tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The record keeps each file's (size, mtime) as the run found it before reading it: an
    edit that lands after the read (here: once the check is done) is a change for the next
    run, never the stale text of the edited file."""
    import os

    from sffi_lsp import cli

    top_level = re.compile(r"^extern\s+fn\s+([A-Za-z_]\w*)", re.M)  # not one quoted in a comment
    victim = next(f for f in spl_files(tree) if top_level.search(f.read_text()))
    name = top_level.search(victim.read_text()).group(1)
    original = cli._analyse

    def edit_after_the_check(*args, **kwargs):
        out = original(*args, **kwargs)
        # a call with a wrong argument count: a new SFFI011 the stale text would lack
        with victim.open("a") as fh:
            fh.write(f"\nfn racing_edit_{name}():\n    {name}(1, 2, 3, 4, 5, 6, 7)\n")
        st = victim.stat()
        os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a coarse clock still moves
        return out

    monkeypatch.chdir(tree)
    monkeypatch.setattr(cli, "_analyse", edit_after_the_check)
    cli.main(["--output-format", "concise", "--exit-zero", "-q", "."])
    capsys.readouterr()
    monkeypatch.setattr(cli, "_analyse", original)
    cli.main(["--output-format", "concise", "--exit-zero", "-q", "."])
    warm = capsys.readouterr().out
    cli.main(["--output-format", "concise", "--exit-zero", "-q", "--no-cache", "."])
    truth = capsys.readouterr().out
    assert warm == truth
    assert any(victim.name in line and "SFFI011" in line for line in truth.splitlines()), truth
