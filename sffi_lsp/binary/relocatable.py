"""What a static linker sees in one relocatable object (ET_REL): its `.symtab` definitions and references.

A static link binds a reference to a defined GLOBAL or WEAK symbol (or a COMMON one) of a
linked object; LOCAL (`static`) symbols never bind across objects. Visibility does not matter
inside one static link (hidden only keeps a symbol out of a shared object's `.dynsym`).

The object is read in place from any buffer (a mapped `.o`, or a member inside a mapped `.a`):
`base` and `size` bound every offset, so a hostile or truncated file yields an
`ElfFormatError` carrying the reason, never a crash or a hang.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from . import elfspec as S
from .elf_file import ElfFormatError
from .types import LoadProblem, LoadReason, SymbolKind, Target

SHN_LORESERVE = 0xFF00
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF
SHF_EXECINSTR = 0x4
MAX_SECTIONS = 1 << 20  # bounds the loop over section headers (each is 40 or 64 bytes of the file anyway)

_KIND_OF_STT = {S.STT_FUNC: SymbolKind.FUNCTION, S.STT_GNU_IFUNC: SymbolKind.IFUNC, S.STT_OBJECT: SymbolKind.DATA,
                S.STT_COMMON: SymbolKind.DATA, S.STT_TLS: SymbolKind.TLS}


@dataclass(frozen=True, slots=True)
class ObjectSymbol:
    """A symbol one relocatable object defines for other objects of a static link."""

    name: str
    kind: SymbolKind  # an assembler label without `.type` (NOTYPE) in a code section is a function
    binding: str  # "global" | "weak" | "unique"
    common: bool  # a tentative C definition (`int x;` with -fcommon): merged, never a duplicate
    size: int
    value: int

    @property
    def strong(self) -> bool:
        """Two strong definitions of one name are a link error; weak and common ones give way."""
        return self.binding != "weak" and not self.common


@dataclass(frozen=True, slots=True)
class RelocatableObject:
    """One ET_REL object as the static linker sees it (a `.o`, or one member of an archive)."""

    path: str  # the file: the `.o`, or the `.a` holding the member
    member: str | None  # archive member name, None for a plain `.o`
    elf_class: int
    little_endian: bool
    machine: int
    defined: tuple[ObjectSymbol, ...]
    undefined: tuple[str, ...]  # strong references: the link fails ("undefined reference") unless defined
    weak_undefined: tuple[str, ...]  # weak references: resolve to 0 when nothing defines them

    @property
    def shown(self) -> str:
        return f"{self.path}({self.member})" if self.member is not None else self.path

    @property
    def target(self) -> Target:
        return Target(self.elf_class, self.little_endian, self.machine)


def _bad(shown: str, what: str) -> ElfFormatError:
    return ElfFormatError(LoadReason.CORRUPT, f"{shown} {what}")


def _short(shown: str, what: str) -> ElfFormatError:
    return ElfFormatError(LoadReason.TRUNCATED, f"{shown} is truncated ({what} lie past its end)")


def parse_relocatable(buf, base: int, size: int, *, path: str, member: str | None = None) -> RelocatableObject:
    """Read the object at buf[base:base+size]; raise ElfFormatError (with its reason) for anything else."""
    shown = f"{path}({member})" if member is not None else path
    try:
        return _parse(buf, base, size, path, member, shown)
    except ElfFormatError:
        raise
    except (struct.error, ValueError, IndexError, OverflowError, UnicodeError, MemoryError) as e:
        raise _bad(shown, f"has a corrupt symbol table ({e})") from None


def _parse(buf, base: int, size: int, path: str, member: str | None, shown: str) -> RelocatableObject:
    end = base + size
    if size < S.EI_NIDENT or bytes(buf[base:base + 4]) != S.ELFMAG:
        head = bytes(buf[base:base + min(size, 512)])
        if head.startswith(S.ARMAG) or head.startswith(S.THIN_ARMAG):
            raise ElfFormatError(LoadReason.ARCHIVE, f"{shown} is an archive nested in an archive")
        raise ElfFormatError(LoadReason.NOT_ELF, f"{shown} is not an ELF object (bad magic)")
    cls, data = buf[base + S.EI_CLASS], buf[base + S.EI_DATA]
    if cls not in (S.ELFCLASS32, S.ELFCLASS64):
        raise _bad(shown, f"has an invalid ELF class byte ({cls})")
    if data not in (S.ELFDATA2LSB, S.ELFDATA2MSB):
        raise _bad(shown, f"has an invalid ELF data encoding byte ({data})")
    L = S.LAYOUTS[(cls, data == S.ELFDATA2LSB)]
    if size < S.EI_NIDENT + L.ehdr.size:
        raise ElfFormatError(LoadReason.TRUNCATED, f"{shown} is truncated (shorter than an ELF header)")
    (e_type, machine, _v, _entry, _phoff, shoff, _flags, _ehsize, _phentsize, _phnum,
     shentsize, shnum, _shstrndx) = L.ehdr.unpack_from(buf, base + S.EI_NIDENT)
    if e_type != S.ET_REL:
        what = S.E_TYPE_NAMES.get(e_type, f"ELF type {e_type}")
        raise ElfFormatError(LoadReason.NOT_SHARED_OBJECT, f"{shown} is {what}, not a relocatable object")
    elf_class = 64 if cls == S.ELFCLASS64 else 32
    little = data == S.ELFDATA2LSB
    if shoff == 0:  # no section headers: nothing for a static linker to take
        return RelocatableObject(path, member, elf_class, little, machine, (), (), ())
    if shentsize != L.shdr.size:
        raise _bad(shown, f"has a section header size of {shentsize}, expected {L.shdr.size}")
    if shoff > size - L.shdr.size:
        raise _short(shown, "section headers")
    if shnum == 0:  # more than SHN_LORESERVE sections: the real count sits in section 0's sh_size
        shnum = L.shdr.unpack_from(buf, base + shoff)[5]
    if shnum > MAX_SECTIONS or shoff + shnum * shentsize > size:
        raise _short(shown, "section headers")
    headers = list(L.shdr.iter_unpack(buf[base + shoff: base + shoff + shnum * shentsize]))
    symtab = next((h for h in headers if h[1] == S.SHT_SYMTAB), None)
    if symtab is None:
        return RelocatableObject(path, member, elf_class, little, machine, (), (), ())
    _n, _t, _f, _a, sym_off, sym_size, link, first_global, _al, entsize = symtab
    if entsize != L.sym_size:
        raise _bad(shown, f"has a symbol entry size of {entsize}, expected {L.sym_size}")
    if sym_off + sym_size > size:
        raise _short(shown, "its symbols")
    if link >= shnum or headers[link][1] != S.SHT_STRTAB:
        raise _bad(shown, "has a symbol table whose string table is missing")
    str_off, str_size = headers[link][4], headers[link][5]
    if str_off + str_size > size:
        raise _short(shown, "its symbol names")
    strtab = bytes(buf[base + str_off: base + str_off + str_size])
    count = sym_size // L.sym_size
    # sh_info is the index of the first non-LOCAL symbol; a hostile value only costs a wider scan.
    first = first_global if 0 < first_global <= count else 1
    raw = buf[base + sym_off + first * L.sym_size: base + sym_off + count * L.sym_size]
    code_sections = {k for k, h in enumerate(headers) if h[2] & SHF_EXECINSTR}
    defined: list[ObjectSymbol] = []
    undefined: list[str] = []
    weak_undefined: list[str] = []
    is64 = elf_class == 64
    find = strtab.find
    for fields in L.sym.iter_unpack(raw):
        if is64:
            st_name, info, _other, shndx, value, sym_sz = fields
        else:
            st_name, value, sym_sz, info, _other, shndx = fields
        bind = info >> 4
        if bind == S.STB_LOCAL or not st_name:
            continue
        if st_name >= str_size:
            raise _bad(shown, f"names a symbol at string offset {st_name}, past its string table")
        stop = find(b"\0", st_name)
        name = strtab[st_name: stop if stop >= 0 else str_size].decode("utf-8", "surrogateescape")
        if shndx == S.SHN_UNDEF:
            (weak_undefined if bind == S.STB_WEAK else undefined).append(name)
            continue
        stype = info & 0xF
        if stype in (S.STT_SECTION, S.STT_FILE):
            continue
        common = shndx == SHN_COMMON or stype == S.STT_COMMON
        kind = _KIND_OF_STT.get(stype, SymbolKind.OTHER)
        if kind is SymbolKind.OTHER and shndx in code_sections:
            kind = SymbolKind.FUNCTION  # `.globl label` in .text without `.type label, %function`
        defined.append(ObjectSymbol(name, kind, S.BINDING_NAMES.get(bind) or str(bind), common, sym_sz, value))
    return RelocatableObject(path, member, elf_class, little, machine, tuple(defined), tuple(undefined),
                             tuple(weak_undefined))


def machine_problem(obj: RelocatableObject, target: Target) -> LoadProblem | None:
    """What `ld` refuses as "file in wrong format" for this target (None = the same ABI)."""
    shown = obj.shown
    if obj.elf_class != target.elf_class:
        return LoadProblem(LoadReason.WRONG_CLASS,
                           f"{shown} is a {obj.elf_class}-bit ELF object; the target is {target.elf_class}-bit", obj.path)
    if obj.little_endian != target.little_endian:
        e = "little" if obj.little_endian else "big"
        return LoadProblem(LoadReason.WRONG_ENDIANNESS, f"{shown} is {e}-endian; the target is not", obj.path)
    if obj.machine != target.machine:
        have = S.MACHINE_NAMES.get(obj.machine, f"machine {obj.machine}")
        want = S.MACHINE_NAMES.get(target.machine, f"machine {target.machine}")
        return LoadProblem(LoadReason.WRONG_MACHINE, f"{shown} is built for {have}; the target is {want}", obj.path)
    return None
