"""Static archives (`ar`) read in place, as GNU ld reads them.

Formats: System V / GNU (`!<arch>\\n`) with the symbol index `/` (32-bit offsets) or `/SYM64/`
(64-bit), the GNU long-name table `//` (member names `/123`), BSD names (`#1/LEN`, the name
after the header) with the BSD index `__.SYMDEF`, and GNU thin archives (`!<thin>\\n`) whose
members are files beside the archive, named relative to it. Nothing is extracted to disk.

ld decides which members a link pulls from the symbol index alone (an archive without one is
refused: "archive has no index; run ranlib to add one"), so the index is kept as written.
Every offset and size is bounded by the file; a hostile file gives an `ElfFormatError`.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from dataclasses import dataclass

from . import elfspec as S
from .elf_file import ElfFormatError, stat_problem
from .relocatable import RelocatableObject, parse_relocatable
from .types import LoadReason

AR_HEADER = struct.Struct("16s12s6s6s8s10s2s")  # ar_name ar_date ar_uid ar_gid ar_mode ar_size ar_fmag
AR_FMAG = b"`\n"
SYSV_INDEX = b"/"
SYM64_INDEX = b"/SYM64/"
GNU_LONG_NAMES = b"//"
BSD_INDEX_NAMES = (b"__.SYMDEF", b"__.SYMDEF SORTED")
BSD_LONG_NAME_PREFIX = b"#1/"
MAX_NAME = 4096


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    name: str
    header_offset: int  # where its ar header sits: what the symbol index points at
    data_offset: int  # in the archive, or 0 in the external file of a thin archive
    size: int
    external: str | None = None  # thin archives: the member's own file (absolute path)


def _corrupt(shown: str, what: str) -> ElfFormatError:
    return ElfFormatError(LoadReason.CORRUPT, f"{shown} {what}")


def _decimal(field: bytes, shown: str, what: str) -> int:
    text = field.strip()
    if not text.isdigit():
        raise _corrupt(shown, f"has an archive member header with a bad {what} field ({field!r})")
    return int(text)


class Archive:
    """One `.a` mapped read-only: its members, its symbol index, and each member's object on demand."""

    def __init__(self, path: str, st: os.stat_result | None = None) -> None:
        self.path = path
        st, problem = stat_problem(path, path, st)
        if problem is not None:
            raise ElfFormatError(problem.reason, problem.message)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode) or fst.st_size == 0:
                raise ElfFormatError(LoadReason.NOT_REGULAR_FILE, f"{path} is not a regular, non-empty file")
            self.size = fst.st_size
            self.identity = (fst.st_size, fst.st_mtime_ns, fst.st_ino, fst.st_dev)
            self.mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self.members: list[ArchiveMember] = []
        self.index: list[tuple[str, int]] = []  # (symbol, member header offset), in the index's order
        self.has_index = False
        self._objects: dict[int, RelocatableObject | ElfFormatError] = {}
        try:
            self._read()
        except ElfFormatError:
            self.close()
            raise
        except (struct.error, ValueError, IndexError, OverflowError, UnicodeError) as e:
            self.close()
            raise _corrupt(path, f"is a corrupt archive ({e})") from None
        self._by_header = {m.header_offset: m for m in self.members}

    def close(self) -> None:
        try:
            self.mm.close()
        except (BufferError, AttributeError):
            pass

    # ------------------------------------------------------------------ the member list
    def _read(self) -> None:
        mm, size, shown = self.mm, self.size, self.path
        magic = mm[:8]
        if magic not in (S.ARMAG, S.THIN_ARMAG):
            raise ElfFormatError(LoadReason.NOT_ELF, f"{shown} is not an archive (bad magic)")
        self.thin = magic == S.THIN_ARMAG
        base_dir = os.path.dirname(os.path.abspath(self.path))
        long_names = b""
        pos = 8
        while pos < size:
            if pos + AR_HEADER.size > size:
                raise ElfFormatError(LoadReason.TRUNCATED,
                                     f"{shown} is truncated (an archive member header at {pos} lies past its end)")
            raw_name, _date, _uid, _gid, _mode, raw_size, fmag = AR_HEADER.unpack_from(mm, pos)
            if fmag != AR_FMAG:
                raise _corrupt(shown, f"has a damaged archive member header at offset {pos}")
            msize = _decimal(raw_size, shown, "size")
            data = pos + AR_HEADER.size
            name = raw_name.rstrip(b" ")
            special = name in (SYSV_INDEX, SYM64_INDEX, GNU_LONG_NAMES) or name in BSD_INDEX_NAMES
            # Thin archives keep only their index and long-name table inline; members live beside them.
            inline = special or not self.thin
            if inline and data + msize > size:
                raise ElfFormatError(LoadReason.TRUNCATED,
                                     f"{shown} is truncated (member at offset {pos} needs {msize} bytes)")
            if name == SYSV_INDEX:
                self._read_sysv_index(data, msize, 4)
            elif name == SYM64_INDEX:
                self._read_sysv_index(data, msize, 8)
            elif name == GNU_LONG_NAMES:
                long_names = mm[data:data + msize]
            elif name in BSD_INDEX_NAMES:
                self._read_bsd_index(data, msize)
            else:
                shown_name, skip = self._member_name(name, long_names, data, msize)
                if self.thin:
                    if "\0" in shown_name:
                        raise _corrupt(shown, f"names a thin member with a NUL byte at offset {pos}")
                    external = os.path.normpath(os.path.join(base_dir, shown_name))
                    self.members.append(ArchiveMember(shown_name, pos, 0, msize, external))
                else:
                    self.members.append(ArchiveMember(shown_name, pos, data + skip, msize - skip))
            step = data + (msize if inline else 0)
            pos = step + (step & 1)  # members start on even offsets

    def _member_name(self, name: bytes, long_names: bytes, data: int, msize: int) -> tuple[str, int]:
        if name.startswith(BSD_LONG_NAME_PREFIX) and name[3:].isdigit():
            n = int(name[3:])
            if n > msize or n > MAX_NAME:
                raise _corrupt(self.path, f"has a BSD member name longer than its member ({n} bytes)")
            return self.mm[data:data + n].rstrip(b"\0").decode("utf-8", "surrogateescape"), n
        if name.startswith(b"/") and name[1:].isdigit():
            off = int(name[1:])
            if off >= len(long_names):
                raise _corrupt(self.path, f"names a member at offset {off} past its long-name table")
            end = long_names.find(b"\n", off)
            text = long_names[off: end if end >= 0 else len(long_names)]
            return text.rstrip(b"/").decode("utf-8", "surrogateescape"), 0
        return name.rstrip(b"/").decode("utf-8", "surrogateescape"), 0

    def _read_sysv_index(self, data: int, msize: int, width: int) -> None:
        """Big-endian count, `count` member header offsets, then the NUL-terminated names."""
        if msize < width:
            raise _corrupt(self.path, "has a symbol index too short for its count")
        code = ">I" if width == 4 else ">Q"
        (count,) = struct.unpack_from(code, self.mm, data)
        if count > (msize - width) // width:
            raise _corrupt(self.path, f"has a symbol index of {count} entries that does not fit in it")
        offsets = struct.unpack_from(f">{count}{code[1]}", self.mm, data + width)
        names = self.mm[data + width + count * width: data + msize].split(b"\0")
        if len(names) < count:
            raise _corrupt(self.path, "has a symbol index with fewer names than entries")
        self.index.extend(zip((n.decode("utf-8", "surrogateescape") for n in names[:count]), offsets))
        self.has_index = True

    def _read_bsd_index(self, data: int, msize: int) -> None:
        """4-byte size of the ranlib array, (ran_strx, ran_off) pairs, 4-byte string size, strings."""
        if msize < 8:
            raise _corrupt(self.path, "has a BSD symbol index too short for its header")
        (nbytes,) = struct.unpack_from("<I", self.mm, data)
        if nbytes % 8 or nbytes + 8 > msize:
            raise _corrupt(self.path, "has a BSD symbol index that does not fit in it")
        pairs = struct.unpack_from(f"<{nbytes // 4}I", self.mm, data + 4)
        (str_size,) = struct.unpack_from("<I", self.mm, data + 4 + nbytes)
        strings = self.mm[data + 8 + nbytes: data + 8 + nbytes + min(str_size, msize - 8 - nbytes)]
        for strx, off in zip(pairs[0::2], pairs[1::2]):
            if strx < len(strings):
                end = strings.find(b"\0", strx)
                self.index.append((strings[strx: end if end >= 0 else len(strings)].decode("utf-8", "surrogateescape"),
                                   off))
        self.has_index = True

    # ------------------------------------------------------------------ members' objects
    def member_at(self, header_offset: int) -> ArchiveMember | None:
        """The member an index entry points at (None: the index points nowhere)."""
        return self._by_header.get(header_offset)

    def object(self, member: ArchiveMember) -> RelocatableObject:
        """The member's symbols (memoised); ElfFormatError when it is no usable ELF object."""
        held = self._objects.get(member.header_offset)
        if held is None:
            try:
                held = self._parse_member(member)
            except ElfFormatError as e:
                held = e
            self._objects[member.header_offset] = held
        if isinstance(held, ElfFormatError):
            raise held
        return held

    def _parse_member(self, member: ArchiveMember) -> RelocatableObject:
        if member.external is None:
            return parse_relocatable(self.mm, member.data_offset, member.size, path=self.path, member=member.name)
        shown = f"{self.path}({member.name})"
        st, problem = stat_problem(member.external, f"{shown}: {member.external}")
        if problem is not None:
            raise ElfFormatError(problem.reason, problem.message)
        fd = os.open(member.external, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode) or fst.st_size == 0:
                raise ElfFormatError(LoadReason.NOT_REGULAR_FILE, f"{shown}: {member.external} is not a regular file")
            with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mm:
                return parse_relocatable(mm, 0, fst.st_size, path=self.path, member=member.name)
        finally:
            os.close(fd)
