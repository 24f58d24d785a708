"""`--no-cache` reads calls of possible externs only: its findings must equal a full read's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sffi_lsp.syntax.parser import extern_name_candidates

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "spl"

# calls of externs declared in another file, before their declaration, with
# wrong arity, shadowed by a local function, unused externs, an extern named
# on the next line, `pub`/`@when`, and an extern mentioned only in a comment
FILES = {
    "a.spl": "extern fn rt_a_open(path: text) -> i64\nextern fn rt_a_unused() -> i64\n"
             "pub extern fn\n    rt_a_wrapped(x: i64) -> i64\n",
    "b.spl": "fn use_a():\n    val h = rt_a_open(\"x\", 2)\n    rt_a_wrapped(h)\n    helper(h)\n"
             "# extern fn rt_in_comment() -> i64\n    rt_in_comment()\n",
    "c.spl": "extern fn rt_shadowed(a: i64) -> i64\nfn rt_shadowed(a: i64, b: i64) -> i64:\n    a + b\n"
             "fn g():\n    rt_shadowed(1, 2)\n    rt_c_late(1)\n"
             "@when(os=\"linux\"):\nextern fn rt_c_late(a: i64) -> i64\n@end\n",
}


def _tree(root: Path, with_samples: bool) -> Path:
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    if with_samples:
        for p in SAMPLES.glob("*.spl"):
            shutil.copy(p, root / p.name)
    for i in range(60):  # enough files for the forked workers (cli.SERIAL_BELOW)
        (root / f"gen_{i}.spl").write_text(
            f"extern fn rt_gen_{i}(a: i64) -> i64\nfn call_{i}():\n    rt_gen_{(i + 1) % 60}({i}, 1)\n"
            f"    print(\"rt_gen_{i}(1)\")\n    local_{i}(1)\n", encoding="utf-8")
    return root


def _strip(out: str) -> dict:
    return json.loads(out)


@pytest.mark.parametrize("with_samples", [False, True], ids=["plain", "with-extern-blocks"])
def test_no_cache_findings_equal_a_full_read(tmp_path: Path, sffi, with_samples: bool) -> None:
    (tmp_path / "src").mkdir()
    tree = _tree(tmp_path / "src", with_samples)
    args = ("--exit-zero", "--output-format", "json", "--jobs")
    cold = [sffi("--no-cache", *args, jobs, tree) for jobs in ("1", "2")]
    full = sffi(*args, "2", tree)  # stores models in a cache: reads every call (forked workers too)
    for run in (*cold, full):
        assert run.code == 0, run.err
    assert _strip(cold[0].out) == _strip(full.out)
    assert _strip(cold[1].out) == _strip(full.out)
    found = {(d["code"], Path(d["path"]).name, d["line"]) for d in _strip(full.out)["diagnostics"]}
    assert ("SFFI011", "b.spl", 2) in found  # arity, call in another file
    assert ("SFFI012", "a.spl", 2) in found  # unused
    assert not any(c == "SFFI012" and f == "c.spl" for c, f, _ in found)  # rt_c_late is called before it is declared


def test_candidates_bound_every_extern_name() -> None:
    texts = list(FILES.values()) + [p.read_text() for p in SAMPLES.glob("*.spl")]
    plain = extern_name_candidates(FILES.values())
    assert plain is not None and {"rt_a_open", "rt_a_unused", "rt_a_wrapped", "rt_shadowed", "rt_c_late",
                                  "rt_in_comment"} <= plain
    # extern class / extern "C" blocks declare members as plain `fn`/`me` lines: every fn name of the file
    assert {"open", "rt_m", "grow"} <= extern_name_candidates(
        ["extern class Lib:\n    static fn open() -> Lib\n    fn rt_m() -> i64\n    me grow(n: i64)\n"])
    assert "rt_m" in extern_name_candidates(['extern "C":\n    fn rt_m() -> i64\n'])
    assert "plain_fn" not in extern_name_candidates(["extern fn rt_x() -> i64\nfn plain_fn():\n    0\n"])
    bound = extern_name_candidates(texts)
    assert bound is not None and {e for t in texts for e in _declared(t)} <= bound


def _declared(text: str) -> set[str]:
    from sffi_lsp.syntax import parse_source

    return {e.name for e in parse_source(text, "x.spl").externs}


def test_forked_models_equal_serial_models(tmp_path: Path) -> None:
    """Workers send `syntax.codec` bytes that the parent decodes: the models it ends
    with must be the very models a serial parse gives (lazy calls, functions, spans),
    for our samples and the bench sample tree."""
    from sffi_lsp import tree_parse

    tree = _tree(tmp_path, with_samples=True)
    bench = Path(__file__).resolve().parents[2] / "bench" / "sample_tree"
    files = sorted(str(p) for p in tree.glob("*.spl")) + sorted(str(p) for p in bench.rglob("*.spl"))
    assert len(files) >= tree_parse.SERIAL_BELOW
    serial = tree_parse._parse_focused(files, 1)
    forked = tree_parse._parse_focused(files, 2)
    assert [m.path for m in forked] == files
    for a, b in zip(forked, serial):
        assert a == b, a.path
        assert [c.span for c in a.calls] == [c.span for c in b.calls], a.path
        assert [f.name_span for f in a.functions] == [f.name_span for f in b.functions], a.path
    assert any(m.calls for m in forked) and any(m.externs for m in forked)
