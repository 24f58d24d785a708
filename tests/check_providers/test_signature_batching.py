"""Signature checks on hundreds of externs ask DWARF once per library, not once per name.

The regression this guards: the signature-mismatch rule asked `Providers.signature_for` name by
name, each a DWARF worker round trip and a rewrite of the whole on-disk signature cache
(quadratic: ~190 s on a large -g library). Counts are taken with spies on the real worker and
the real cache, never with timings. Findings are compared with declarations deliberately made
wrong, and with the one-by-one path (no prefetch) as an oracle.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sffi_lsp import cli
from sffi_lsp.binary.dwarf import DwarfWorker
from sffi_lsp.binary.sigcache import SignatureCache
from sffi_lsp.check.providers import Providers

GCC = shutil.which("gcc") or shutil.which("cc")
pytestmark = pytest.mark.skipif(GCC is None, reason="gcc is needed to build the test libraries")

# C type -> the Simple type a correct `native` declaration uses
C_TO_SIMPLE = {"int": "i32", "long": "i64", "double": "f64", "float": "f32", "unsigned int": "u32",
               "short": "i16", "signed char": "i8", "long long": "i64", "uint64_t": "u64"}
LIBRARIES = {"libmany_a.so": 300, "libmany_b.so": 100}  # ~400 functions in all, two libraries


def _wrong(kind: str, params: list[str], ret: str) -> tuple[list[str], str]:
    """A declaration made wrong in one way the rule must report."""
    if kind == "return":
        return params, "f64" if ret != "f64" else "i32"
    if kind == "width":
        return ["i8" if params[0] != "i8" else "i64", *params[1:]], ret
    return params + ["i64"], ret  # "arity": one parameter too many


def _write_tree(root: Path) -> set[str]:
    """C sources, Simple sources and sffi.toml; the names whose declaration is wrong."""
    rnd = random.Random(8)
    (root / "c").mkdir(parents=True)
    (root / "src").mkdir()
    wrong: set[str] = set()
    spl: dict[int, list[str]] = {}
    for lib, count in LIBRARIES.items():
        stem = lib.removeprefix("lib").removesuffix(".so")
        lines = ["#include <stdint.h>"]
        for i in range(count):
            name = f"{stem}_fn{i}"
            ret = rnd.choice(list(C_TO_SIMPLE))
            cparams = [rnd.choice(list(C_TO_SIMPLE)) for _ in range(rnd.randint(1, 4))]
            args = ", ".join(f"{t} a{j}" for j, t in enumerate(cparams))
            lines.append(f"{ret} {name}({args}) {{ return ({ret})0; }}")
            params, sret = [C_TO_SIMPLE[t] for t in cparams], C_TO_SIMPLE[ret]
            if i % 37 == 5:
                params, sret = _wrong(("return", "width", "arity")[len(wrong) % 3], params, sret)
                wrong.add(name)
            decl = ", ".join(f"a{j}: {t}" for j, t in enumerate(params))
            spl.setdefault(i % 10, []).append(f"extern fn {name}({decl}) -> {sret}")
        (root / "c" / f"{stem}.c").write_text("\n".join(lines) + "\n")
    for k, decls in spl.items():
        (root / "src" / f"part{k}.spl").write_text("\n".join(decls) + "\n")
    (root / "sffi.toml").write_text("".join(f'[[libraries]]\npath = "{root / "lib" / lib}"\n' for lib in LIBRARIES))
    return wrong


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[Path, set[str]]:
    root = tmp_path_factory.mktemp("many-externs")
    wrong = _write_tree(root)
    (root / "lib").mkdir()

    def build(lib: str):
        stem = lib.removeprefix("lib").removesuffix(".so")
        return subprocess.run([GCC, "-g", "-O0", "-shared", "-fPIC", "-o", str(root / "lib" / lib),
                               str(root / "c" / f"{stem}.c")], check=False, capture_output=True, text=True)

    with ThreadPoolExecutor(2) as pool:
        for proc in pool.map(build, LIBRARIES):
            assert proc.returncode == 0, proc.stderr
    assert len(wrong) >= 9
    return root, wrong


class Spies:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[int] = []  # names per DWARF worker request
        self.stores: list[int] = []  # names per signature-cache store
        real_request, real_store = DwarfWorker.request, SignatureCache.store

        def request(worker, targets, *args, **kwargs):
            if kwargs.get("op", "signatures") == "signatures":
                self.requests.append(len(targets))
            return real_request(worker, targets, *args, **kwargs)

        def store(cache, identity, answers):
            self.stores.append(len(answers))
            return real_store(cache, identity, answers)

        monkeypatch.setattr(DwarfWorker, "request", request)
        monkeypatch.setattr(SignatureCache, "store", store)


def run_check(root: Path, capsys, monkeypatch, *extra: str) -> dict[str, str]:
    """`sffi-check` in this process on `root`: SFFI008 symbol -> message."""
    monkeypatch.setenv("HOME", str(root))
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = cli.main(["--output-format", "json", "--exit-zero", "--jobs", "1", "--select", "SFFI008", *extra, "."])
    out = capsys.readouterr().out
    assert code == 0, out
    diags = json.loads(out)["diagnostics"]
    found = {d["message"].split("`")[1]: d["message"] for d in diags if d["code"] == "SFFI008"}
    assert len(found) == len(diags)
    return found


def test_hundreds_of_externs_ask_dwarf_once_per_library(many, capsys, monkeypatch) -> None:
    root, wrong = many
    shutil.rmtree(root / ".sffi_cache", ignore_errors=True)
    spies = Spies(monkeypatch)
    cold = run_check(root, capsys, monkeypatch)

    # (a) exactly the deliberately wrong declarations, each against its real C signature
    assert set(cold) == wrong
    for name, message in cold.items():
        lib = "libmany_a.so" if name.startswith("many_a_") else "libmany_b.so"
        assert f" {name}(" in message and f"in {lib} (DWARF)" in message, message
    # (b) one worker request and one cache write per library, every name in it
    assert sorted(spies.requests) == sorted(LIBRARIES.values())
    assert sorted(spies.stores) == sorted(LIBRARIES.values())

    # Signatures now on disk, findings and answers not: no worker request, no write at all.
    for kept in ("results.pickle", "providers.json"):
        (root / ".sffi_cache" / kept).unlink()
    spies.requests.clear()
    spies.stores.clear()
    assert run_check(root, capsys, monkeypatch) == cold
    assert spies.requests == [] and spies.stores == []


def test_batched_answers_equal_the_one_by_one_answers(many, capsys, monkeypatch) -> None:
    root, wrong = many
    batched = run_check(root, capsys, monkeypatch, "--no-cache")
    spies = Spies(monkeypatch)
    monkeypatch.delattr(Providers, "prefetch_signatures")  # the rule falls back to asking name by name
    one_by_one = run_check(root, capsys, monkeypatch, "--no-cache")
    assert len(spies.requests) == sum(LIBRARIES.values())  # the spy sees the slow path it guards against
    assert one_by_one == batched and set(batched) == wrong


def test_signature_cache_store_merges_without_rereading(tmp_path: Path, monkeypatch) -> None:
    """Repeated stores write the held record (no parse of its own file), yet keep what
    another process added in between."""
    ident = ("/x/libq.so", 1, 2, 3)
    mine, other = SignatureCache(tmp_path), SignatureCache(tmp_path)
    mine.store(ident, {"a": {"no": "the debug information has no function named a"}})
    reads: list[str] = []
    real_load = json.load
    monkeypatch.setattr(json, "load", lambda fh, *a, **k: reads.append(fh.name) or real_load(fh, *a, **k))
    for i in range(50):
        mine.store(ident, {f"n{i}": {"no": "x"}})
    assert mine.load(ident, ["a", "n49"]).keys() == {"a", "n49"}
    assert reads == []  # nothing re-read: the file is the one this object wrote
    other.store(ident, {"theirs": {"no": "y"}})  # another process replaces the file
    reads.clear()
    mine.store(ident, {"last": {"no": "z"}})
    assert len(reads) == 1  # seen as replaced: read once, merged
    fresh = SignatureCache(tmp_path).load(ident, ["a", "n0", "n49", "theirs", "last"])
    assert sorted(fresh) == ["a", "last", "n0", "n49", "theirs"]
