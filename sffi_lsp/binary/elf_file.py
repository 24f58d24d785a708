"""What a path is before its ELF structures are read: stat first (never open a FIFO, a
device or a directory), and a name for what a non-ELF file is (linker script, archive)."""

from __future__ import annotations

import os
import stat

from . import elfspec as S
from .types import LoadProblem, LoadReason


class ElfFormatError(Exception):
    """The file is not a usable ELF object; carries the LoadReason."""

    def __init__(self, reason: LoadReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def file_identity(path: str, st: os.stat_result) -> tuple:
    return (path, st.st_size, st.st_mtime_ns, st.st_ino)


def classify_not_elf(head: bytes, shown: str) -> ElfFormatError:
    """Name what a non-ELF file is (linker script, archive, other)."""
    if head.startswith(S.ARMAG) or head.startswith(S.THIN_ARMAG):
        return ElfFormatError(LoadReason.ARCHIVE, f"{shown} is a static archive (ar), not a shared object")
    text = head.lstrip()
    if text and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256]):
        for word in S.LINKER_SCRIPT_WORDS:
            if text.startswith(word):
                first = text.split(b"\n", 1)[0][:60].decode("ascii", "replace").strip()
                return ElfFormatError(LoadReason.LINKER_SCRIPT,
                                      f"{shown} is a linker script ({first}), not an ELF object; "
                                      "only the static linker reads it, dlopen cannot")
        return ElfFormatError(LoadReason.NOT_ELF, f"{shown} is a text file, not an ELF object")
    return ElfFormatError(LoadReason.NOT_ELF, f"{shown} is not an ELF object (bad magic)")


def stat_problem(path: str, shown: str | None = None, st: os.stat_result | None = None
                 ) -> tuple[os.stat_result | None, LoadProblem | None]:
    """os.stat first: never open a FIFO, a device or a directory (`st`: a stat already taken)."""
    shown = shown or path
    try:
        if st is None:
            st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return None, LoadProblem(LoadReason.DANGLING_SYMLINK,
                                     f"{shown} is a symbolic link to {os.readlink(path)!r}, which does not exist", path)
        return None, LoadProblem(LoadReason.NOT_FOUND, f"{shown} does not exist", path)
    except PermissionError as e:
        return None, LoadProblem(LoadReason.UNREADABLE, f"{shown} cannot be examined: {e.strerror}", path)
    except OSError as e:
        return None, LoadProblem(LoadReason.UNREADABLE, f"{shown} cannot be examined: {e.strerror or e}", path)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return st, LoadProblem(LoadReason.DIRECTORY, f"{shown} is a directory, not a library", path)
    if stat.S_ISFIFO(mode):
        return st, LoadProblem(LoadReason.FIFO, f"{shown} is a named pipe (FIFO), not a library", path)
    if not stat.S_ISREG(mode):
        return st, LoadProblem(LoadReason.NOT_REGULAR_FILE, f"{shown} is a device or socket, not a regular file", path)
    if st.st_size == 0:
        return st, LoadProblem(LoadReason.EMPTY, f"{shown} is an empty file", path)
    return st, None
