"""Whether a file has DWARF to read, told from its section headers in this process.

The DWARF worker (pyelftools, a child process) costs ~100 ms to start and a
compile-unit read another child per library; stripped system libraries, the
usual case, have nothing for either. `dwarf_absence` gives the worker's own
answer for such a file ("no debug information", with the same wording) from a
few hundred bytes of section headers, and None whenever the worker must look
(DWARF sections present, a `.gnu_debuglink` file that exists, an archive
member, headers that cannot be read). Never loads or runs the file.
"""

from __future__ import annotations

import os
import struct

from typing import TYPE_CHECKING

from . import elfspec as S

if TYPE_CHECKING:
    from .elf import ElfImage

MAX_SECTIONS = 4096  # section headers looked at; more: let the worker judge
_DWARF_SECTIONS = (b".debug_info", b".zdebug_info")  # pyelftools' has_dwarf_info(strict=True)
_DEBUGLINK = b".gnu_debuglink"
NO_DWARF = "no debug information"
NO_DEBUGLINK_FILE = "no debug information (the .gnu_debuglink file was not found)"


def debug_file_candidates(path: str, name: str) -> list[str]:
    """Where gdb (and the worker) look for a `.gnu_debuglink` file `name` of `path`."""
    d = os.path.dirname(os.path.realpath(path))
    return [os.path.join(d, name), os.path.join(d, ".debug", name), os.path.join("/usr/lib/debug", d.lstrip("/"), name)]


def debug_link_dirs(path: str) -> list[str]:
    """The directories whose listing decides whether a debug-link file of `path` exists
    (watched by the answers' fingerprint: installing a debug file changes one of them)."""
    d = os.path.dirname(os.path.realpath(path))
    return [d, os.path.join(d, ".debug"), os.path.join("/usr/lib/debug", d.lstrip("/"))]


def find_debug_file(path: str, name: str) -> str | None:
    """The first existing candidate for debug-link `name` that is not `path` itself."""
    if not name or "/" in name:
        return None
    real = os.path.realpath(path)
    for cand in debug_file_candidates(path, name):
        if os.path.isfile(cand) and os.path.realpath(cand) != real:
            return cand
    return None


def dwarf_absence(img: ElfImage) -> str | None:
    """The worker's "no debug information" answer for `img` when it certainly has no DWARF,
    else None (the worker must be asked)."""
    try:
        return _absence(img)
    except (struct.error, ValueError, IndexError, OverflowError):
        return None


def _absence(img: ElfImage) -> str | None:
    L, mm, size = img.L, img.mm, img.size
    shnum, shentsize, shoff, shstrndx = img.shnum, img.shentsize, img.shoff, img.shstrndx
    if not shnum or shnum > MAX_SECTIONS or shentsize != L.shdr.size or shoff + shnum * shentsize > size:
        return None  # no readable section table (pyelftools may still make sense of it)
    if shstrndx >= shnum:
        return None
    headers = [L.shdr.unpack_from(mm, shoff + k * shentsize) for k in range(shnum)]
    _n, _t, _f, _a, str_off, str_size, *_r = headers[shstrndx]
    if str_off + str_size > size:
        return None
    names = mm[str_off: str_off + str_size]
    link: tuple | None = None
    for h in headers:
        start = h[0]
        if start >= len(names):
            return None
        name = names[start: names.find(b"\0", start)] if names.find(b"\0", start) >= 0 else names[start:]
        if name in _DWARF_SECTIONS:
            return None
        if name == _DEBUGLINK and link is None:
            link = h
    if link is None:
        return NO_DWARF
    _n, sh_type, _f, _a, off, sz, *_r = link
    if sh_type == S.SHT_NOBITS or off + sz > size:
        return None
    target = bytes(mm[off: off + min(sz, 4096)]).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return None if find_debug_file(img.path, target) is not None else NO_DEBUGLINK_FILE


__all__ = ["NO_DEBUGLINK_FILE", "NO_DWARF", "debug_file_candidates", "debug_link_dirs", "dwarf_absence",
           "find_debug_file"]
