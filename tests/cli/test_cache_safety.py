"""The model store: a planted file never runs code, a corrupt one is a miss, and stored
models equal fresh ones (the store keeps focused models: calls of possible externs only)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

from sffi_lsp.cache import FileKey, ModelStore, StoredModel
from sffi_lsp.syntax import parse_source
from sffi_lsp.syntax.codec import decode, dumps, encode, loads


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _store_one(store: ModelStore, src: Path) -> None:
    key = FileKey.of(str(src))
    model = parse_source(src.read_text(), str(src))
    store.save(frozenset({"rt_x"}), {key.path: StoredModel(key.size, key.mtime_ns, frozenset({"rt_x"}),
                                                            dumps(model))})


def test_planted_store_is_not_executed(tmp_path):
    src = tmp_path / "a.spl"
    src.write_text("extern fn rt_x() -> i64\n", encoding="utf-8")
    store = ModelStore(str(tmp_path / "cache"), version="v1")
    _store_one(store, src)
    tree = store.load()
    entry = tree.fresh(FileKey.of(str(src)))
    assert entry is not None and [e.name for e in entry.model(str(src)).externs] == ["rt_x"]

    marker = tmp_path / "pwned"
    with open(store.path, "wb") as fh:
        pickle.dump(("sffi-models", 3, "v1", frozenset(), (_Payload(str(marker)),)), fh)
    assert store.load().entries == {}
    assert not marker.exists()
    for junk in (b"\x80garbage", b"", pickle.dumps(("sffi-models", 3, "v1", frozenset(), (("x", 1),)))):
        Path(store.path).write_bytes(junk)
        assert store.load().entries == {}

    _store_one(store, src)
    assert store.load().fresh(FileKey.of(str(src))) is not None
    assert ModelStore(str(tmp_path / "cache"), version="v2").load().entries == {}  # another parser


def test_codec_round_trips_every_sample(tmp_path):
    samples = Path(__file__).resolve().parents[1] / "samples" / "spl"
    bench = Path(__file__).resolve().parents[2] / "bench" / "sample_tree"
    paths = sorted(samples.glob("*.spl")) + sorted(bench.rglob("*.spl"))
    assert len(paths) > 10
    for p in paths:
        text = p.read_text(encoding="utf-8")
        for focus in (None, frozenset({"rt_clock_now_ms", "rt_file_exists", "open"})):
            model = parse_source(text, str(p), focus)
            back = loads(dumps(model), str(p))
            assert decode(encode(model), str(p)).externs == model.externs
            for field in model.__slots__:
                assert getattr(back, field) == getattr(model, field), (p.name, field)
            # lazy spans come back equal too
            assert [c.span for c in back.calls] == [c.span for c in model.calls]
            assert [c.args_span for c in back.calls] == [c.args_span for c in model.calls]
            assert [f.name_span for f in back.functions] == [f.name_span for f in model.functions]
    for bad in ((), (99,), ("x",) * 11, (1, b"\x01\x00\x00\x00", (), (), (), ((1, 2),), (), (), (), (), 0)):
        try:
            decode(bad, "x.spl")
        except ValueError:
            continue
        raise AssertionError(f"decoded {bad!r}")
    marker = tmp_path / "pwned"
    for planted in (pickle.dumps(_Payload(str(marker))), b"\x80junk", b""):
        try:
            loads(planted, "x.spl")
        except ValueError:
            continue
        raise AssertionError("loaded a planted entry")
    assert not marker.exists()


def _run(sffi, tree: Path, *extra: str) -> dict:
    r = sffi("--output-format", "json", "--exit-zero", *extra, tree)
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_store_follows_new_and_removed_extern_names(tmp_path, sffi):
    """A stored model keeps only calls of names some file could declare: a name declared
    later must make the files that call it be read again."""
    tree = tmp_path / "src"
    tree.mkdir()
    (tree / "a.spl").write_text("extern fn rt_a(x: i64) -> i64\nfn f():\n    rt_a(1)\n    rt_late(1, 2)\n")
    for i in range(60):  # enough files for forked workers
        (tree / f"g{i}.spl").write_text(f"fn g{i}():\n    rt_late({i})\n    rt_a({i}, 2)\n")
    for jobs in ("1", "2"):
        cache = tree / ".sffi_cache"
        if cache.exists():
            for p in sorted(cache.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
        first = _run(sffi, tree, "--jobs", jobs)
        assert first == _run(sffi, tree, "--no-cache")
        b = tree / "b.spl"
        b.write_text("extern fn rt_late(x: i64) -> i64\n")  # now 61 calls of rt_late matter
        later = _run(sffi, tree, "--jobs", jobs)
        assert later == _run(sffi, tree, "--no-cache")
        assert sum(d["code"] == "SFFI011" and "rt_late" in d["message"] for d in later["diagnostics"]) == 1
        os.utime(tree / "a.spl")  # re-read one file: the rest from the store
        (tree / ".sffi_cache" / "results.pickle").unlink(missing_ok=True)
        assert _run(sffi, tree, "--jobs", jobs) == later
        b.unlink()
        assert _run(sffi, tree, "--jobs", jobs) == _run(sffi, tree, "--no-cache")
