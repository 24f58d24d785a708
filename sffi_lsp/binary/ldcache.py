"""/etc/ld.so.cache as ld.so reads it (glibc dl-cache.h, "glibc-ld.so.cache1.1").

Layout: an optional old-format block ("ld.so-1.7.0", nlibs, 12-byte entries), then, aligned
to 8, the new block: magic "glibc-ld.so.cache" + version "1.1", nlibs, len_strings, flags,
extension_offset, 24-byte entries {int32 flags; uint32 key, value, osversion; uint64 hwcap}.
String offsets in the new block are relative to the new header.
"""

from __future__ import annotations

import os
import struct

from . import elfspec as S
from .types import Target

DEFAULT_CACHE = "/etc/ld.so.cache"

_NEW_HEADER = struct.Struct("<17s3sIIB3xI12x")  # magic version nlibs len_strings flags extension_offset
_NEW_ENTRY = struct.Struct("<iIIIQ")  # flags key value osversion hwcap
_OLD_HEADER = struct.Struct("<11sxI")  # magic nlibs
_OLD_ENTRY_SIZE = 12


def required_flags(target: Target) -> int | None:
    """The exact cache entry flags ld.so accepts for a target (None: any libc6 entry)."""
    if target.machine == S.EM_X86_64:
        return S.FLAG_ELF_LIBC6 | (S.FLAG_X8664_LIB64 if target.elf_class == 64 else S.FLAG_X8664_LIBX32)
    if target.machine == S.EM_386:
        return S.FLAG_ELF_LIBC6
    if target.machine == S.EM_AARCH64:
        return S.FLAG_ELF_LIBC6 | S.FLAG_AARCH64_LIB64
    return None


def _accepts(flags: int, want: int | None) -> bool:
    if want is None:
        return flags & S.FLAG_TYPE_MASK == S.FLAG_ELF_LIBC6
    return flags == want


def parse_ld_cache(data: bytes, target: Target) -> dict[str, str]:
    """soname -> path for the entries this target's ld.so would use (first one wins)."""
    out: dict[str, str] = {}
    start = 0
    if data.startswith(S.LDCACHE_OLD_MAGIC):
        _m, nlibs = _OLD_HEADER.unpack_from(data, 0)
        start = _OLD_HEADER.size + nlibs * _OLD_ENTRY_SIZE
        start = (start + 7) & ~7
    if len(data) < start + _NEW_HEADER.size:
        return out
    magic, version, nlibs, _len_strings, _flags, _ext = _NEW_HEADER.unpack_from(data, start)
    if magic != S.LDCACHE_NEW_MAGIC or version != S.LDCACHE_NEW_VERSION:
        return out
    want = required_flags(target)
    base = start + _NEW_HEADER.size
    nlibs = min(nlibs, (len(data) - base) // _NEW_ENTRY.size)
    for flags, key, value, _osv, hwcap in _NEW_ENTRY.iter_unpack(data[base: base + nlibs * _NEW_ENTRY.size]):
        if not _accepts(flags, want) or hwcap & S.DL_CACHE_HWCAP_EXTENSION or hwcap:
            continue  # glibc-hwcaps subdirectory entries and legacy hwcap entries: not the baseline
        k, v = start + key, start + value
        ke, ve = data.find(b"\0", k), data.find(b"\0", v)
        if ke < 0 or ve < 0:
            continue
        name = data[k:ke].decode("utf-8", "surrogateescape")
        if name not in out:
            out[name] = data[v:ve].decode("utf-8", "surrogateescape")
    return out


class LdCache:
    """The parsed cache, re-read when the file's stat identity changes."""

    def __init__(self, target: Target, path: str = DEFAULT_CACHE) -> None:
        self.target = target
        self.path = path
        self._identity: tuple | None = None
        self._entries: dict[str, str] = {}

    def identity(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def entries(self) -> dict[str, str]:
        ident = self.identity()
        if ident != self._identity:
            self._identity = ident
            self._entries = {}
            if ident is not None:
                try:
                    with open(self.path, "rb") as fh:
                        self._entries = parse_ld_cache(fh.read(64 << 20), self.target)
                except (OSError, struct.error, ValueError):
                    self._entries = {}
        return self._entries

    def find(self, name: str) -> str | None:
        return self.entries().get(name)
