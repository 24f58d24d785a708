"""The persistent DWARF worker (restart after a timeout or a crash, threads) and the disk cache."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from sffi_lsp.binary import CSignature, ExportIndex, NoSignature
from sffi_lsp.binary.dwarf import WorkerFailure

from .conftest import Built


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until reaped; the worker reaps it, so this is a live process.
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(") ", 1)[1][0] != "Z"


def _sig(ix: ExportIndex, lib: Path, name: str = "sig_add", timeout: float = 30.0):
    return ix.signatures(ix.library(str(lib)), [name], timeout=timeout)[name]


def test_one_worker_serves_many_requests(built: Built) -> None:
    ix = ExportIndex(ld_library_path=[])
    try:
        assert ix._worker is None  # started lazily
        a = _sig(ix, built["sig"], "sig_add")
        pid = ix._worker.pid
        b = _sig(ix, built["sig"], "sig_strlen")
        c = ix.signatures(ix.library(str(built["sig"])), ["sig_void", "sig_ptr", "not_there"])
        assert a.text() == "int sig_add(int a, int b)" and b.text() == "size_t sig_strlen(const char *s)"
        assert isinstance(c["sig_void"], CSignature) and isinstance(c["not_there"], NoSignature)
        assert ix._worker.starts == 1 and ix._worker.pid == pid and pid is not None
    finally:
        ix.close()
    assert not _alive(pid)


def test_a_request_over_its_time_limit_costs_the_process_not_the_index(built: Built) -> None:
    ix = ExportIndex(ld_library_path=[])
    try:
        assert isinstance(_sig(ix, built["sig"]), CSignature)
        worker = ix._worker
        pid = worker.pid
        t = time.monotonic()
        with pytest.raises(WorkerFailure, match="timed out"):
            worker.request({}, timeout=0.5, op="sleep", arg=30)
        assert time.monotonic() - t < 10
        assert not _alive(pid) and worker.pid is None
        again = _sig(ix, built["sig"], "sig_point")  # a fresh worker answers the next request
        assert again.text() == "double sig_point(struct point *p, const struct point *q)"
        assert worker.starts == 2 and worker.pid not in (None, pid)
    finally:
        ix.close()


@pytest.mark.parametrize("how", ["killed-between-requests", "crash-during-request"])
def test_a_dead_worker_is_replaced(built: Built, how: str) -> None:
    ix = ExportIndex(ld_library_path=[])
    try:
        assert isinstance(_sig(ix, built["sig"]), CSignature)
        worker = ix._worker
        pid = worker.pid
        if how == "killed-between-requests":
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        else:
            with pytest.raises(WorkerFailure, match="failed"):
                worker.request({}, timeout=30, op="crash")
        got = _sig(ix, built["sig"], "sig_printf")
        assert isinstance(got, CSignature) and got.variadic
        assert worker.starts == 2 and worker.pid != pid
    finally:
        ix.close()


def test_threads_share_one_worker(built: Built) -> None:
    ix = ExportIndex(ld_library_path=[])
    names = ["sig_add", "sig_strlen", "sig_void", "sig_bool", "sig_unsigned", "sig_int64", "sig_callback", "sig_ptr"]
    got: dict[str, object] = {}
    errors: list[BaseException] = []

    def ask(n: str) -> None:
        try:
            got[n] = _sig(ix, built["sig"], n)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    try:
        threads = [threading.Thread(target=ask, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and all(isinstance(got[n], CSignature) for n in names)
        assert got["sig_callback"].text() == "int sig_callback(callback_t cb, void *data)"  # type: ignore[union-attr]
        assert ix._worker.starts == 1
    finally:
        ix.close()


def _build(lib: Path, src: Path, body: str) -> None:
    src.write_text(body)
    tmp = lib.with_suffix(".tmp")
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O0", "-o", str(tmp), str(src)], check=True, capture_output=True)
    os.replace(tmp, lib)  # as a build does: a new file (new inode) at the same path


def test_disk_cache_answers_without_a_worker_and_follows_rebuilds(tmp_path: Path) -> None:
    lib, src, cache = tmp_path / "libdisk.so", tmp_path / "disk.c", tmp_path / "cache"
    _build(lib, src, "int disk_fn(int a, int b) { return a + b; }\n")
    first = ExportIndex(ld_library_path=[], cache_dir=cache)
    try:
        assert _sig(first, lib, "disk_fn").text() == "int disk_fn(int a, int b)"
        assert first._worker.starts == 1
    finally:
        first.close()
    assert list(cache.glob("*.signatures"))

    second = ExportIndex(ld_library_path=[], cache_dir=cache)
    t = time.perf_counter()
    assert _sig(second, lib, "disk_fn").text() == "int disk_fn(int a, int b)"
    assert time.perf_counter() - t < 1.0
    assert second._worker is None  # answered from disk: no process started

    time.sleep(0.01)
    _build(lib, src, "double disk_fn(double x) { return x; }\n")  # rebuilt with another signature
    third = ExportIndex(ld_library_path=[], cache_dir=cache)
    try:
        assert _sig(third, lib, "disk_fn").text() == "double disk_fn(double x)"
        assert third._worker.starts == 1
    finally:
        third.close()

    for f in cache.glob("*.signatures"):  # corrupt every entry: a miss, never a wrong answer
        f.write_bytes(b'{"format": "sffi-signatures-1", "identity": [1], "names": {"disk_fn": 3}')
    fourth = ExportIndex(ld_library_path=[], cache_dir=cache)
    try:
        assert _sig(fourth, lib, "disk_fn").text() == "double disk_fn(double x)"
        assert fourth._worker.starts == 1
    finally:
        fourth.close()


def test_worker_failures_are_not_written_to_disk(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sffi_lsp.binary import dwarf

    monkeypatch.setattr(dwarf, "_worker_command", lambda: ["/bin/sleep", "30"])  # never answers
    ix = ExportIndex(ld_library_path=[], cache_dir=tmp_path)
    try:
        got = _sig(ix, built["sig"], "sig_add", timeout=1.0)
        assert isinstance(got, NoSignature) and "timed out" in got.reason
    finally:
        ix.close()
    assert not list(tmp_path.glob("*.signatures"))
    monkeypatch.undo()
    ix2 = ExportIndex(ld_library_path=[], cache_dir=tmp_path)
    try:
        assert isinstance(_sig(ix2, built["sig"], "sig_add"), CSignature)
    finally:
        ix2.close()


def test_a_forked_child_does_not_share_the_parents_worker(built: Built) -> None:
    ix = ExportIndex(ld_library_path=[])
    try:
        assert isinstance(_sig(ix, built["sig"]), CSignature)
        pid = ix._worker.pid
        child = os.fork()
        if child == 0:  # the child: its own worker, and it must leave the parent's alone
            code = 1
            try:
                got = _sig(ix, built["sig"], "sig_int64")
                code = 0 if got.text() == "int64_t sig_int64(int8_t a, int64_t *out)" and ix._worker.pid != pid else 2
                ix.close()
            finally:
                os._exit(code)
        _p, status = os.waitpid(child, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert ix._worker.pid == pid and _alive(pid)
        assert _sig(ix, built["sig"], "sig_ptr").text() == "void *sig_ptr(void **pp)"
        assert ix._worker.starts == 1
    finally:
        ix.close()
