"""DWARF answers on disk, so a new process does not start a worker for what it already knows.

One JSON file per library identity (realpath, size, mtime_ns, inode): a rebuilt library has a
new identity, hence a new file, and its old answers are simply never read again. Writes are
atomic (temporary file + rename); a corrupt, foreign or unreadable file is a miss. Answers that
only say the worker failed (timed out, died) are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import Any

from ..atomic_file import replace_atomically

FORMAT = "sffi-signatures-1"


def library_identity(path: str) -> tuple | None:
    """(realpath, size, mtime_ns, inode) of the file, or None when it cannot be statted."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)


def _ident(path: str) -> list | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class SignatureCache:
    """The answers per library identity, kept in memory as last read or written.

    A file is parsed again only when its own identity (size, mtime_ns, inode) changed, i.e.
    another process replaced it: `load` for one name and `store` of a batch cost no JSON parse
    of what this process already holds (per-name use was quadratic in the number of names).
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = os.fspath(directory)
        self._lock = threading.Lock()
        # library identity -> (identity of the cache file as held, name -> entry)
        self._held: dict[tuple, tuple[tuple | None, dict[str, Any]]] = {}
        self.writes = 0  # files written by this object (tests, diagnostics)

    def _file(self, identity: tuple) -> str:
        digest = hashlib.sha256(repr(identity).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.directory, f"{digest}.signatures")

    def _read(self, identity: tuple) -> dict[str, Any]:
        """The stored names of `identity`, current with the file (call with the lock held)."""
        path = self._file(identity)
        stamp = _file_stamp(path)
        held = self._held.get(identity)
        if held is not None and held[0] == stamp:
            return held[1]
        names: dict[str, Any] = {}
        if stamp is not None:
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                    stamp = _fd_stamp(fh.fileno())  # of the file actually read (it may be replaced meanwhile)
                    rec = json.load(fh)
                if rec.get("format") == FORMAT and rec.get("identity") == list(identity) \
                        and isinstance(rec.get("names"), dict):
                    names = rec["names"]
            except Exception:  # noqa: BLE001 -- missing, corrupt or foreign: a miss
                names = {}
        self._held[identity] = (stamp, names)
        return names

    def load(self, identity: tuple, names: list[str]) -> dict[str, Any]:
        """name -> the worker's raw answer, for the names known and still valid."""
        with self._lock:
            stored = self._read(identity)
            out: dict[str, Any] = {}
            for n in names:
                entry = stored.get(n)
                if not isinstance(entry, dict) or "answer" not in entry:
                    continue
                debug = entry.get("debug_file")
                if debug is not None:  # read from a separate debug file: it must be unchanged too
                    if not (isinstance(debug, list) and len(debug) == 2 and isinstance(debug[0], str)
                            and _ident(debug[0]) == debug[1]):
                        continue
                out[n] = entry["answer"]
            return out

    def store(self, identity: tuple, answers: dict[str, Any]) -> None:
        """Add `answers` to the file of `identity`: one write per call, whatever it holds already."""
        if not answers:
            return
        with self._lock:
            # Re-read only when another process replaced the file since: keep the names it added.
            merged = dict(self._read(identity))
            for n, raw in answers.items():
                debug = raw.get("debug_file") if isinstance(raw, dict) else None
                merged[n] = {"answer": raw, "debug_file": [debug, _ident(debug)] if isinstance(debug, str) else None}
            record = {"format": FORMAT, "identity": list(identity), "names": merged}
            payload = json.dumps(record).encode("utf-8", "surrogateescape")
            written: list[tuple | None] = [None]

            def write(fh: Any) -> None:
                fh.write(payload)
                fh.flush()
                written[0] = _fd_stamp(fh.fileno())  # renaming keeps size, mtime and inode

            ok = replace_atomically(self._file(identity), write, suffix=".signatures")
            self.writes += 1
            # Unwritten (read-only cache): still remember the answers in memory, as a file that
            # never matches, so the next read looks at the disk again.
            self._held[identity] = (written[0] if ok else ("unwritten",), merged)


def _file_stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _fd_stamp(fd: int) -> tuple | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def lasting(raw: Any) -> bool:
    """Whether a worker answer may be kept on disk (a missing debug-link file may appear later)."""
    if not isinstance(raw, dict):
        return False
    reason = raw.get("no")
    return reason is None or "debuglink" not in str(reason)
