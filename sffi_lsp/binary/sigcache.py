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
    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = os.fspath(directory)

    def _file(self, identity: tuple) -> str:
        digest = hashlib.sha256(repr(identity).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.directory, f"{digest}.signatures")

    def _read(self, identity: tuple) -> dict[str, Any]:
        try:
            with open(self._file(identity), encoding="utf-8", errors="surrogateescape") as fh:
                rec = json.load(fh)
            if rec.get("format") != FORMAT or rec.get("identity") != list(identity):
                return {}
            names = rec.get("names")
            return names if isinstance(names, dict) else {}
        except Exception:  # noqa: BLE001 -- missing, corrupt or foreign: a miss
            return {}

    def load(self, identity: tuple, names: list[str]) -> dict[str, Any]:
        """name -> the worker's raw answer, for the names known and still valid."""
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
        if not answers:
            return
        merged = self._read(identity)  # another process may have added names: keep them
        for n, raw in answers.items():
            debug = raw.get("debug_file") if isinstance(raw, dict) else None
            merged[n] = {"answer": raw, "debug_file": [debug, _ident(debug)] if isinstance(debug, str) else None}
        record = {"format": FORMAT, "identity": list(identity), "names": merged}
        payload = json.dumps(record).encode("utf-8", "surrogateescape")
        replace_atomically(self._file(identity), lambda fh: fh.write(payload), suffix=".signatures")


def lasting(raw: Any) -> bool:
    """Whether a worker answer may be kept on disk (a missing debug-link file may appear later)."""
    if not isinstance(raw, dict):
        return False
    reason = raw.get("no")
    return reason is None or "debuglink" not in str(reason)
