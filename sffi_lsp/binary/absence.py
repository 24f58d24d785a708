"""Why a name the dynamic symbol table does not answer is absent, for a precise message:
imported or LOCAL rows outside the GNU hash table, and hidden or local definitions that only
`.symtab` (when section headers survive) still shows. Read only for a final "absent" answer."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from . import elfspec as S

if TYPE_CHECKING:
    from .elf import ElfImage

SYMTAB_HINT_MAX = 1 << 20  # bytes of .strtab we are willing to search for a "why absent" hint


def scan_unhashed(img: ElfImage) -> dict[bytes, tuple[str, str]]:
    """name -> hint for the undefined and LOCAL rows before symoffset, decoded in one pass."""
    scan: dict[bytes, tuple[str, str]] = {}
    img.prepare_lookup()
    if img.gnu is None:
        return scan
    end = min(img.symoffset, img.sym_limit, 200_000)
    if end <= 1:
        return scan
    L, mm = img.L, img.mm
    blob = mm[img.symtab_off + L.sym_size: img.symtab_off + end * L.sym_size]
    is64 = L.elf_class == S.ELFCLASS64
    lo, hi = img.strtab_off, img.strtab_end
    find = mm.find
    undefined = ("undefined", f"{img.path} imports it (undefined here), it does not define it")
    local = ("local", f"{img.path} has it with binding LOCAL")
    for f in L.sym.iter_unpack(blob):
        if is64:
            st_name, info, _other, shndx = f[0], f[1], f[2], f[3]
        else:
            st_name, info, shndx = f[0], f[3], f[5]
        if shndx == S.SHN_UNDEF:
            why = undefined
        elif info >> 4 == S.STB_LOCAL:
            why = local
        else:
            continue
        start = lo + st_name
        if st_name < 0 or start >= hi:
            continue
        stop = find(b"\0", start, hi)
        if stop < 0:
            continue
        scan.setdefault(mm[start:stop], why)  # the first row (lowest index) tells, as ld.so's order
    return scan


def _symtab_location(img: ElfImage) -> tuple[int, int, int, int] | None:
    """(symtab offset, size, strtab offset, size) of a searchable .symtab; found once per image."""
    loc = img._symtab_loc
    if loc is not None:
        return loc or None
    img._symtab_loc = ()
    L, mm = img.L, img.mm
    if not img.shnum or img.shentsize != L.shdr.size or img.shoff + img.shnum * img.shentsize > img.size:
        return None
    for k in range(min(img.shnum, 4096)):
        (_n, sh_type, _f, _a, off, size, link, _i, _al, entsize) = L.shdr.unpack_from(mm, img.shoff + k * img.shentsize)
        if sh_type != S.SHT_SYMTAB or entsize != L.sym_size or off + size > img.size:
            continue
        if link >= img.shnum:
            return None
        (_n, st_type, _f, _a, soff, ssize, *_r) = L.shdr.unpack_from(mm, img.shoff + link * img.shentsize)
        if st_type != S.SHT_STRTAB or soff + ssize > img.size or ssize > SYMTAB_HINT_MAX:
            return None  # too big to search on a keystroke (libtorch_cpu: 530k entries)
        img._symtab_loc = (off, size, soff, ssize)
        return img._symtab_loc
    return None


def symtab_hint(img: ElfImage, name_b: bytes) -> tuple | None:
    """When section headers survive, .symtab tells whether a missing name is hidden or local."""
    L, mm = img.L, img.mm
    try:
        loc = _symtab_location(img)
        if loc is None:
            return None
        off, size, soff, ssize = loc
        # Find each place the name (NUL-terminated, possibly a merged suffix) sits in .strtab,
        # then the .symtab entry naming that offset (aligned match on st_name).
        needle = name_b + b"\0"
        pos = mm.find(needle, soff, soff + ssize)
        tries = 0
        while pos >= 0 and tries < 64:
            tries += 1
            key = L.u32.pack(pos - soff)  # any position: ld merges a name into a longer one's tail
            p = mm.find(key, off, off + size)
            inner = 0
            while p >= 0 and inner < 4096:
                inner += 1
                if (p - off) % L.sym_size == 0:
                    f = L.sym_fields(L.sym.unpack_from(mm, p))
                    if f[3] != S.SHN_UNDEF:
                        vis = f[2] & 3
                        if vis in (S.STV_HIDDEN, S.STV_INTERNAL):
                            return ("hidden", f"{img.path} defines it with {S.VISIBILITY_NAMES[vis]} visibility (not exported)")
                        if f[1] >> 4 == S.STB_LOCAL:
                            return ("local", f"{img.path} defines it only as a local symbol (static, or hidden visibility), not exported")
                p = mm.find(key, p + 1, off + size)
            pos = mm.find(needle, pos + 1, soff + ssize)
        return None
    except (struct.error, ValueError, IndexError, OverflowError):
        return None
