"""Names and layouts from the ELF and glibc specifications (gABI, LSB, glibc elf.h).

Every magic number the raw readers use lives here, so the readers read like the spec.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# --- e_ident -----------------------------------------------------------------------------
ELFMAG = b"\x7fELF"
EI_CLASS = 4
EI_DATA = 5
EI_VERSION = 6
EI_OSABI = 7
EI_NIDENT = 16
ELFCLASS32 = 1
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFDATA2MSB = 2
EV_CURRENT = 1
ELFOSABI_SYSV = 0
ELFOSABI_GNU = 3

# --- e_type ------------------------------------------------------------------------------
ET_NONE = 0
ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4
E_TYPE_NAMES = {ET_NONE: "ET_NONE", ET_REL: "a relocatable object (ET_REL)", ET_EXEC: "an executable (ET_EXEC)",
                ET_DYN: "a shared object (ET_DYN)", ET_CORE: "a core dump (ET_CORE)"}

# --- e_machine (the ones we name in messages; any value is compared exactly) --------------
EM_386 = 3
EM_ARM = 40
EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243
EM_PPC64 = 21
EM_S390 = 22
MACHINE_NAMES = {EM_386: "i386", EM_ARM: "ARM", EM_X86_64: "x86-64", EM_AARCH64: "AArch64",
                 EM_RISCV: "RISC-V", EM_PPC64: "PowerPC64", EM_S390: "S/390", 8: "MIPS", 2: "SPARC"}

# --- program headers -----------------------------------------------------------------------
PT_NULL = 0
PT_LOAD = 1
PT_DYNAMIC = 2
PT_INTERP = 3

# --- section headers -----------------------------------------------------------------------
SHN_UNDEF = 0
SHN_ABS = 0xFFF1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_NOBITS = 8
SHF_COMPRESSED = 0x800

# --- dynamic tags --------------------------------------------------------------------------
DT_NULL = 0
DT_NEEDED = 1
DT_PLTRELSZ = 2
DT_HASH = 4
DT_STRTAB = 5
DT_SYMTAB = 6
DT_RELA = 7
DT_RELASZ = 8
DT_RELAENT = 9
DT_STRSZ = 10
DT_SYMENT = 11
DT_SONAME = 14
DT_RPATH = 15
DT_REL = 17
DT_RELSZ = 18
DT_RELENT = 19
DT_PLTREL = 20
DT_JMPREL = 23
DT_FLAGS = 30
DT_RUNPATH = 29
DT_GNU_HASH = 0x6FFFFEF5
DT_VERSYM = 0x6FFFFFF0
DT_FLAGS_1 = 0x6FFFFFFB
DT_VERDEF = 0x6FFFFFFC
DT_VERDEFNUM = 0x6FFFFFFD
DT_VERNEED = 0x6FFFFFFE
DT_VERNEEDNUM = 0x6FFFFFFF
DF_1_NODEFLIB = 0x00000800
DF_1_PIE = 0x08000000

# --- symbols ---------------------------------------------------------------------------------
STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2
STB_GNU_UNIQUE = 10
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3
STT_FILE = 4
STT_COMMON = 5
STT_TLS = 6
STT_GNU_IFUNC = 10
STV_DEFAULT = 0
STV_INTERNAL = 1
STV_HIDDEN = 2
STV_PROTECTED = 3
# glibc dl-lookup.c check_match: only these types are code/data definitions.
ALLOWED_STT = (1 << STT_NOTYPE) | (1 << STT_OBJECT) | (1 << STT_FUNC) | (1 << STT_COMMON) | (1 << STT_TLS) | (
    1 << STT_GNU_IFUNC)
BINDING_NAMES = {STB_LOCAL: "local", STB_GLOBAL: "global", STB_WEAK: "weak", STB_GNU_UNIQUE: "unique"}
VISIBILITY_NAMES = {STV_DEFAULT: "default", STV_INTERNAL: "internal", STV_HIDDEN: "hidden", STV_PROTECTED: "protected"}

# --- symbol versioning -------------------------------------------------------------------------
VER_NDX_LOCAL = 0
VER_NDX_GLOBAL = 1
VERSYM_HIDDEN = 0x8000
VERSYM_VERSION = 0x7FFF
VER_FLG_BASE = 0x1
VER_FLG_WEAK = 0x2

# --- relocations (x86-64 and i386 types that are lazily bound) ---------------------------------
R_X86_64_JUMP_SLOT = 7
R_386_JMP_SLOT = 7

# --- sizes ----------------------------------------------------------------------------------------
ELF32_EHDR_SIZE = 52
ELF64_EHDR_SIZE = 64

# --- glibc /etc/ld.so.cache ------------------------------------------------------------------------
LDCACHE_OLD_MAGIC = b"ld.so-1.7.0"
LDCACHE_NEW_MAGIC = b"glibc-ld.so.cache"
LDCACHE_NEW_VERSION = b"1.1"
FLAG_TYPE_MASK = 0x00FF
FLAG_ELF_LIBC6 = 0x0003
FLAG_REQUIRED_MASK = 0xFF00
FLAG_X8664_LIB64 = 0x0300
FLAG_AARCH64_LIB64 = 0x0A00
FLAG_X8664_LIBX32 = 0x0800
FLAG_RISCV_FLOAT_ABI_DOUBLE = 0x1000  # riscv64 lp64d
FLAG_POWERPC_LIB64 = 0x0500
FLAG_S390_LIB64 = 0x0400
DL_CACHE_HWCAP_EXTENSION = 1 << 62

# Archive and linker-script signatures (what a non-ELF "library" usually is).
ARMAG = b"!<arch>\n"
THIN_ARMAG = b"!<thin>\n"
LINKER_SCRIPT_WORDS = (b"GROUP", b"INPUT", b"OUTPUT_FORMAT", b"OUTPUT_ARCH", b"SEARCH_DIR", b"AS_NEEDED", b"/*",
                       b"OUTPUT", b"TARGET", b"ENTRY", b"SECTIONS", b"INCLUDE")


@dataclass(frozen=True, slots=True)
class Layout:
    """The struct formats of one ELF class and byte order (names follow elf.h fields)."""

    elf_class: int
    little: bool
    ehdr: struct.Struct  # e_type e_machine e_version e_entry e_phoff e_shoff e_flags e_ehsize e_phentsize e_phnum e_shentsize e_shnum e_shstrndx
    phdr: struct.Struct  # normalised in the reader: p_type p_offset p_vaddr p_filesz p_memsz
    shdr: struct.Struct  # sh_name sh_type sh_flags sh_addr sh_offset sh_size sh_link sh_info sh_addralign sh_entsize
    dyn: struct.Struct  # d_tag d_val
    sym: struct.Struct  # raw Elf_Sym
    word: struct.Struct  # ElfW(Addr)-sized unsigned
    u16: struct.Struct
    u32: struct.Struct
    rela: struct.Struct  # r_offset r_info r_addend
    rel: struct.Struct  # r_offset r_info
    verdef: struct.Struct  # vd_version vd_flags vd_ndx vd_cnt vd_hash vd_aux vd_next
    verdaux: struct.Struct  # vda_name vda_next
    verneed: struct.Struct  # vn_version vn_cnt vn_file vn_aux vn_next
    vernaux: struct.Struct  # vna_hash vna_flags vna_other vna_name vna_next
    gnu_hash_header: struct.Struct  # nbuckets symoffset bloom_size bloom_shift
    sym_size: int
    word_bits: int

    def sym_fields(self, raw: tuple) -> tuple[int, int, int, int, int, int]:
        """(st_name, st_info, st_other, st_shndx, st_value, st_size) whatever the class."""
        if self.elf_class == ELFCLASS64:
            return raw  # type: ignore[return-value]
        name, value, size, info, other, shndx = raw
        return name, info, other, shndx, value, size

    def r_sym(self, r_info: int) -> int:
        return r_info >> 32 if self.elf_class == ELFCLASS64 else r_info >> 8

    def r_type(self, r_info: int) -> int:
        return r_info & 0xFFFFFFFF if self.elf_class == ELFCLASS64 else r_info & 0xFF


def _layout(elf_class: int, little: bool) -> Layout:
    e = "<" if little else ">"
    if elf_class == ELFCLASS64:
        return Layout(
            elf_class, little,
            ehdr=struct.Struct(e + "HHIQQQIHHHHHH"),
            phdr=struct.Struct(e + "IIQQQQQQ"),  # p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align
            shdr=struct.Struct(e + "IIQQQQIIQQ"),
            dyn=struct.Struct(e + "qQ"),
            sym=struct.Struct(e + "IBBHQQ"),
            word=struct.Struct(e + "Q"),
            u16=struct.Struct(e + "H"), u32=struct.Struct(e + "I"),
            rela=struct.Struct(e + "QQq"), rel=struct.Struct(e + "QQ"),
            verdef=struct.Struct(e + "HHHHIII"), verdaux=struct.Struct(e + "II"),
            verneed=struct.Struct(e + "HHIII"), vernaux=struct.Struct(e + "IHHII"),
            gnu_hash_header=struct.Struct(e + "IIII"),
            sym_size=24, word_bits=64)
    return Layout(
        elf_class, little,
        ehdr=struct.Struct(e + "HHIIIIIHHHHHH"),
        phdr=struct.Struct(e + "IIIIIIII"),  # p_type p_offset p_vaddr p_paddr p_filesz p_memsz p_flags p_align
        shdr=struct.Struct(e + "IIIIIIIIII"),
        dyn=struct.Struct(e + "iI"),
        sym=struct.Struct(e + "IIIBBH"),
        word=struct.Struct(e + "I"),
        u16=struct.Struct(e + "H"), u32=struct.Struct(e + "I"),
        rela=struct.Struct(e + "IIi"), rel=struct.Struct(e + "II"),
        verdef=struct.Struct(e + "HHHHIII"), verdaux=struct.Struct(e + "II"),
        verneed=struct.Struct(e + "HHIII"), vernaux=struct.Struct(e + "IHHII"),
        gnu_hash_header=struct.Struct(e + "IIII"),
        sym_size=16, word_bits=32)


LAYOUTS = {(c, le): _layout(c, le) for c in (ELFCLASS32, ELFCLASS64) for le in (True, False)}


def gnu_hash(name: bytes) -> int:
    """The DT_GNU_HASH function (djb2 variant), independent of the library."""
    h = 5381
    for c in name:
        h = (h * 33 + c) & 0xFFFFFFFF
    return h


def sysv_hash(name: bytes) -> int:
    """The DT_HASH (System V ABI) function."""
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h
