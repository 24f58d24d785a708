"""File helpers for the on-disk caches (models, results, exports, signatures, answers):
atomic replacement, and the stat identity a cache entry is checked against."""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable


def replace_atomically(path: str, write: Callable[[BinaryIO], object], *, suffix: str = ".tmp") -> bool:
    """Write `path` through a temp file in the same directory renamed over it.

    Readers (another run, another server) see the old file or the new one,
    never half of one. Returns False when the directory cannot be written (a
    read-only or full cache only costs speed); other errors from `write`
    propagate after the temp file is removed."""
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
        return True
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            return False
        raise


def stat_identity(path: str) -> list | None:
    """(size, mtime_ns, inode, device) of a file or directory, or None when it is absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev]
