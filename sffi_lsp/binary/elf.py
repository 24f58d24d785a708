"""A raw, bounded reader of the parts of an ELF file the dynamic linker uses.

It reads what ld.so reads -- the ELF header, program headers, PT_DYNAMIC and the tables it
points to (DT_SYMTAB, DT_STRTAB, DT_GNU_HASH / DT_HASH, DT_VERSYM, DT_VERDEF, DT_VERNEED) --
through the PT_LOAD mapping, so it works on files without section headers. Every offset,
size and count is bounded by the file size and every loop by a count taken from the file,
so a hostile file yields an ``ElfFormatError`` instead of a crash or a hang.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from . import elfspec as S
from .absence import scan_unhashed, symtab_hint
from .elf_file import ElfFormatError, classify_not_elf, file_identity, stat_problem
from .types import LoadProblem, LoadReason, Target

_HOST_LITTLE = sys.byteorder == "little"


def _corrupt(what: str) -> ElfFormatError:
    return ElfFormatError(LoadReason.CORRUPT, what)


class Segment(NamedTuple):  # a tuple: built for every program header of every object opened
    p_type: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True, slots=True)
class VersionNeed:
    file: str
    versions: tuple[tuple[str, int, int], ...]  # (name, vna_flags, vna_other)


class ElfImage:
    """One ELF file mapped read-only, with its header, segments and dynamic section parsed."""

    def __init__(self, path: str, st: os.stat_result) -> None:
        self.path = path
        self.identity = file_identity(path, st)
        self.size = st.st_size
        self._views: list[memoryview] = []
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            fst = os.fstat(fd)
            if not stat.S_ISREG(fst.st_mode):  # replaced between stat and open
                raise ElfFormatError(LoadReason.NOT_REGULAR_FILE, f"{path} is not a regular file")
            self.size = fst.st_size
            if self.size == 0:
                raise ElfFormatError(LoadReason.EMPTY, f"{path} is an empty file")
            self.mm: mmap.mmap | bytes = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        try:
            self._parse_header()
        except ElfFormatError:
            self.close()
            raise
        except (struct.error, ValueError, IndexError, OverflowError) as e:
            self.close()
            raise _corrupt(f"{path} has a corrupt ELF header ({e})") from None
        self._dyn_parsed = False
        self._dynsym_ready = False
        self._lookup_ready = False
        self._versions: dict[int, tuple[str, int]] | None = None
        self._hidden_scan: dict[bytes, tuple[str, str]] | None = None
        self._lookups: dict[str, tuple] = {}
        self._strong_undefined: list | None = None
        self._explained: dict[bytes, tuple | None] = {}
        self._symtab_loc: tuple | None = None

    def close(self) -> None:
        for view in self._views:
            view.release()
        self._views.clear()
        mm = self.mm
        if isinstance(mm, mmap.mmap):
            try:
                mm.close()
            except BufferError:  # a live memoryview; the GC will unmap it
                pass

    # ---------------------------------------------------------------- header and segments
    def _parse_header(self) -> None:
        mm = self.mm
        head = mm[: S.EI_NIDENT]
        if head[:4] != S.ELFMAG:
            raise classify_not_elf(mm[:512], self.path)
        cls, data = head[S.EI_CLASS], head[S.EI_DATA]
        if cls not in (S.ELFCLASS32, S.ELFCLASS64):
            raise _corrupt(f"{self.path} has an invalid ELF class byte ({cls})")
        if data not in (S.ELFDATA2LSB, S.ELFDATA2MSB):
            raise _corrupt(f"{self.path} has an invalid ELF data encoding byte ({data})")
        self.elf_class = 64 if cls == S.ELFCLASS64 else 32
        self.little = data == S.ELFDATA2LSB
        self.ident_version = head[S.EI_VERSION]
        self.osabi = head[S.EI_OSABI]
        L = self.L = S.LAYOUTS[(cls, self.little)]
        if self.size < L.ehdr.size + S.EI_NIDENT:
            raise ElfFormatError(LoadReason.TRUNCATED, f"{self.path} is truncated (shorter than an ELF header)")
        (self.e_type, self.e_machine, _ver, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
         shentsize, shnum, shstrndx) = L.ehdr.unpack_from(mm, S.EI_NIDENT)
        self.shoff, self.shentsize, self.shnum, self.shstrndx = shoff, shentsize, shnum, shstrndx
        self.segments: list[Segment] = []
        if phnum:
            if phentsize != L.phdr.size:
                raise _corrupt(f"{self.path} has a program header size of {phentsize}, expected {L.phdr.size}")
            if phoff + phnum * phentsize > self.size:
                raise ElfFormatError(LoadReason.TRUNCATED, f"{self.path} is truncated (program headers lie past the end)")
            for i in range(phnum):
                f = L.phdr.unpack_from(mm, phoff + i * phentsize)
                if self.elf_class == 64:
                    p_type, _pf, off, vaddr, _pa, filesz, memsz, _al = f
                else:
                    p_type, off, vaddr, _pa, filesz, memsz, _pf, _al = f
                self.segments.append(Segment(p_type, off, vaddr, filesz, memsz))
        self.loads = [s for s in self.segments if s.p_type == S.PT_LOAD]

    def header_problem(self, target: Target, *, allow_exec: bool = False) -> LoadProblem | None:
        """What ld.so's open_verify would refuse for this target (None = acceptable)."""
        shown = self.path
        if self.elf_class != target.elf_class:
            return LoadProblem(LoadReason.WRONG_CLASS,
                               f"{shown} is a {self.elf_class}-bit ELF object; the target is {target.elf_class}-bit", shown)
        if self.little != target.little_endian:
            e = "little" if self.little else "big"
            return LoadProblem(LoadReason.WRONG_ENDIANNESS, f"{shown} is {e}-endian; the target is not", shown)
        if self.e_machine != target.machine:
            have = S.MACHINE_NAMES.get(self.e_machine, f"machine {self.e_machine}")
            want = S.MACHINE_NAMES.get(target.machine, f"machine {target.machine}")
            return LoadProblem(LoadReason.WRONG_MACHINE, f"{shown} is built for {have}; the target is {want}", shown)
        if self.ident_version != S.EV_CURRENT or self.osabi not in (S.ELFOSABI_SYSV, S.ELFOSABI_GNU):
            return LoadProblem(LoadReason.CORRUPT, f"{shown} has an ELF header ld.so rejects (version/OS ABI)", shown)
        if self.e_type == S.ET_DYN or (allow_exec and self.e_type == S.ET_EXEC):
            return None
        what = S.E_TYPE_NAMES.get(self.e_type, f"ELF type {self.e_type}")
        return LoadProblem(LoadReason.NOT_SHARED_OBJECT, f"{shown} is {what}, not a shared object", shown)

    def vaddr_to_offset(self, addr: int, size: int = 1) -> int:
        for s in self.loads:
            if s.vaddr <= addr and addr + size <= s.vaddr + s.filesz:
                off = s.offset + (addr - s.vaddr)
                if off + size > self.size:
                    break
                return off
        raise _corrupt(f"{self.path}: address {addr:#x} (+{size}) is not backed by the file")

    # ---------------------------------------------------------------- PT_DYNAMIC
    def parse_dynamic(self) -> None:
        if self._dyn_parsed:
            return
        self.dyn: dict[int, int] = {}
        self.dyn_needed_offsets: list[int] = []
        self.needed: tuple[str, ...] = ()
        self.soname = self.rpath = self.runpath = None
        self.flags_1 = 0
        self.strtab_off = self.strtab_end = 0
        self._parse_dynamic()
        self._dyn_parsed = True  # only once complete: a failure is raised again on the next call

    def _parse_dynamic(self) -> None:
        L, mm = self.L, self.mm
        dyns = [s for s in self.segments if s.p_type == S.PT_DYNAMIC]
        self.has_dynamic = bool(dyns)
        if not dyns:
            return
        d = dyns[0]
        if d.offset + d.filesz > self.size:
            raise ElfFormatError(LoadReason.TRUNCATED, f"{self.path} is truncated (PT_DYNAMIC lies past the end)")
        count = d.filesz // L.dyn.size
        needed, dyn_map = self.dyn_needed_offsets, self.dyn
        for tag, val in L.dyn.iter_unpack(mm[d.offset: d.offset + count * L.dyn.size]):
            if tag == S.DT_NULL:
                break
            if tag == S.DT_NEEDED:
                needed.append(val)
            elif tag not in dyn_map:
                dyn_map[tag] = val
        dyn = self.dyn
        if S.DT_RUNPATH in dyn:  # glibc: "If both RUNPATH and RPATH are given, the latter is ignored."
            dyn.pop(S.DT_RPATH, None)
        self.strtab_off = self.strtab_end = 0
        if S.DT_STRTAB in dyn:
            strsz = dyn.get(S.DT_STRSZ, 0)
            if strsz <= 0 or strsz > self.size:
                raise _corrupt(f"{self.path}: DT_STRSZ {strsz} is out of range")
            self.strtab_off = self.vaddr_to_offset(dyn[S.DT_STRTAB], strsz)
            self.strtab_end = self.strtab_off + strsz
        elif self.dyn_needed_offsets or S.DT_SONAME in dyn:
            raise _corrupt(f"{self.path}: PT_DYNAMIC has names but no DT_STRTAB")
        self.needed = tuple(self.dynstr(o) for o in self.dyn_needed_offsets)
        self.soname = self.dynstr(dyn[S.DT_SONAME]) if S.DT_SONAME in dyn else None
        self.rpath = self.dynstr(dyn[S.DT_RPATH]) if S.DT_RPATH in dyn else None
        self.runpath = self.dynstr(dyn[S.DT_RUNPATH]) if S.DT_RUNPATH in dyn else None
        self.flags_1 = dyn.get(S.DT_FLAGS_1, 0)

    def dynstr_bytes(self, off: int) -> bytes:
        start = self.strtab_off + off
        if off < 0 or start >= self.strtab_end:
            raise _corrupt(f"{self.path}: string offset {off} lies outside DT_STRTAB")
        end = self.mm.find(b"\0", start, self.strtab_end)
        if end < 0:
            raise _corrupt(f"{self.path}: unterminated string in DT_STRTAB")
        return self.mm[start:end]

    def dynstr(self, off: int) -> str:
        return self.dynstr_bytes(off).decode("utf-8", "surrogateescape")

    # ---------------------------------------------------------------- dynamic symbols
    # Two depths of preparation. A dlsym lookup needs only the table offsets (O(1), zero-copy
    # views on the mapping): that is all `prepare_lookup` does. Counting the symbols (walking
    # the last GNU hash chain) and the bounds checks that need the count are for whole-table
    # work -- load checks, listings -- and done by `prepare_dynsym`.
    def prepare_lookup(self) -> None:
        if self._lookup_ready:
            return
        self.parse_dynamic()
        self._reset_tables()
        try:
            self._locate_tables()
        except BaseException:
            self._reset_tables()
            raise
        self._lookup_ready = True

    def prepare_dynsym(self) -> None:
        """Locate DT_SYMTAB, the hash tables and DT_VERSYM; count the symbols."""
        if self._dynsym_ready:
            return
        self.prepare_lookup()
        # Counting only adds to what lookups use (never resets it): another thread may be
        # looking names up in this image meanwhile.
        self._count_symbols()
        self._dynsym_ready = True

    def _reset_tables(self) -> None:
        self.gnu_bloom_test: tuple | None = None
        self.nsyms = 0
        self.sym_limit = 0  # symbol indices below this can be read (nsyms once counted)
        self._max_syms = 0
        self.symoffset = 1
        self.gnu = None
        self.sysv = None
        self.versym_off = None
        self.symtab_off = self.symtab_end = 0

    def _locate_tables(self) -> None:
        L, mm, dyn = self.L, self.mm, self.dyn
        if not self.has_dynamic or S.DT_SYMTAB not in dyn:
            return
        syment = dyn.get(S.DT_SYMENT, L.sym_size)
        if syment != L.sym_size:
            raise _corrupt(f"{self.path}: DT_SYMENT is {syment}, expected {L.sym_size}")
        self.symtab_off = self.vaddr_to_offset(dyn[S.DT_SYMTAB], L.sym_size)
        max_syms = self._max_syms = (self.size - self.symtab_off) // L.sym_size
        if S.DT_GNU_HASH in dyn:
            self._locate_gnu_hash(max_syms)
            self.sym_limit = max_syms  # reads past the real table end are bounded by the file
        elif S.DT_HASH in dyn:
            off = self.vaddr_to_offset(dyn[S.DT_HASH], 8)
            nbucket, nchain = struct.unpack_from(("<" if self.little else ">") + "II", mm, off)
            if nbucket == 0 or nchain > max_syms:
                raise _corrupt(f"{self.path}: DT_HASH has {nbucket} buckets and {nchain} chains")
            self.vaddr_to_offset(dyn[S.DT_HASH], 8 + 4 * (nbucket + nchain))
            self.sysv = (nbucket, nchain, off + 8, off + 8 + 4 * nbucket)
            self.symoffset = 1
            self.sym_limit = nchain
        else:
            raise _corrupt(f"{self.path}: PT_DYNAMIC has DT_SYMTAB but no hash table (ld.so cannot look anything up)")
        if S.DT_VERSYM in dyn:
            try:  # checked against the symbol count by _count_symbols
                self.versym_off = self.vaddr_to_offset(dyn[S.DT_VERSYM], 2)
            except ElfFormatError:
                self.versym_off = None

    def _count_symbols(self) -> None:
        """nsyms (GNU hash: walk the last chain to its end bit) and the checks that need it."""
        L, mm, dyn = self.L, self.mm, self.dyn
        if self.gnu is None and self.sysv is None:
            return  # no dynamic symbols
        max_syms = self._max_syms
        if self.gnu is not None:
            _nb, symoffset, _bs, _sh, _bo, _bu, chain_off, buckets = self.gnu
            last = max(buckets)
            if last >= max_syms:
                raise _corrupt(f"{self.path}: DT_GNU_HASH bucket points past the symbol table")
            nsyms = symoffset
            if last >= symoffset:
                # Walk the last chain to its end bit; bounded by the number of symbols that fit.
                i = last
                u32 = L.u32
                while True:
                    pos = chain_off + 4 * (i - symoffset)
                    if pos + 4 > self.size or i >= max_syms:
                        raise _corrupt(f"{self.path}: DT_GNU_HASH chain runs past the end")
                    if u32.unpack_from(mm, pos)[0] & 1:
                        break
                    i += 1
                nsyms = i + 1
        else:
            nsyms = self.sysv[1]  # type: ignore[index]
        if nsyms > max_syms:
            raise ElfFormatError(LoadReason.TRUNCATED, f"{self.path}: the dynamic symbol table lies past the end")
        versym_off = None
        if S.DT_VERSYM in dyn and nsyms:
            versym_off = self.vaddr_to_offset(dyn[S.DT_VERSYM], 2 * nsyms)
        if self.gnu is not None:
            chain_off = self.gnu[6]
            self.gnu_chain = self._u32s(chain_off, nsyms - self.gnu[1])
            self.chain_end = chain_off + 4 * (nsyms - self.gnu[1])
        self.symtab_end = self.symtab_off + nsyms * L.sym_size
        self.versym_off = versym_off
        self.nsyms = nsyms
        self.sym_limit = nsyms

    def _u32s(self, off: int, count: int, code: str = "I"):
        """`count` words at file offset `off`: a zero-copy view when the byte order is the host's."""
        size = array(code).itemsize
        if self.little == _HOST_LITTLE and isinstance(self.mm, mmap.mmap):
            view = memoryview(self.mm)[off: off + size * count].cast(code)
            self._views.append(view)  # released before the mapping is closed
            return view
        return _int_array(code, self.mm[off: off + size * count], self.little)

    def _locate_gnu_hash(self, max_syms: int) -> None:
        """DT_GNU_HASH's header, Bloom filter, buckets and chains, in O(1) (zero-copy views)."""
        L, mm = self.L, self.mm
        addr = self.dyn[S.DT_GNU_HASH]
        off = self.vaddr_to_offset(addr, 16)
        nbuckets, symoffset, bloom_size, bloom_shift = L.gnu_hash_header.unpack_from(mm, off)
        if nbuckets == 0 or bloom_size == 0 or symoffset > max_syms:
            raise _corrupt(f"{self.path}: DT_GNU_HASH header is invalid "
                           f"({nbuckets} buckets, {bloom_size} bloom words, symoffset {symoffset})")
        word = L.word.size
        bloom_off = off + 16
        buckets_off = bloom_off + bloom_size * word
        chain_off = buckets_off + 4 * nbuckets
        self.vaddr_to_offset(addr, 16 + bloom_size * word + 4 * nbuckets)  # all within the file
        buckets = self._u32s(buckets_off, nbuckets)
        self.symoffset = symoffset
        # Until the symbols are counted, every chain walk stops at an end bit or the end of the file.
        chain_count = max(0, min((self.size - chain_off) // 4, max_syms - symoffset))
        self.gnu = (nbuckets, symoffset, bloom_size, bloom_shift, bloom_off, buckets_off, chain_off, buckets)
        self.chain_end = chain_off + 4 * chain_count
        self.gnu_bloom = self._u32s(bloom_off, bloom_size, "Q" if L.word_bits == 64 else "I")
        self.gnu_bloom_test = (L.word_bits, bloom_size - 1, bloom_shift, self.gnu_bloom)
        self.gnu_chain = self._u32s(chain_off, chain_count)

    def raw_symbol(self, i: int) -> tuple[int, int, int, int, int, int]:
        L = self.L
        return L.sym_fields(L.sym.unpack_from(self.mm, self.symtab_off + i * L.sym_size))

    def versym(self, i: int) -> int | None:
        if self.versym_off is None:
            return None
        return self.L.u16.unpack_from(self.mm, self.versym_off + 2 * i)[0]

    def name_at(self, st_name: int, name: bytes) -> bool:
        start = self.strtab_off + st_name
        end = start + len(name)
        return end < self.strtab_end and self.mm[start:end] == name and self.mm[end] == 0

    def candidates(self, name: bytes, gh: int, sh: int | None) -> list[int]:
        """Symbol indices ld.so would compare for `name`, in its order (bloom, bucket, chain)."""
        out: list[int] = []
        mm, L = self.mm, self.L
        if self.gnu is not None:
            nbuckets, symoffset, bloom_size, bloom_shift, _bo, _b, _co, buckets = self.gnu
            bits = L.word_bits
            w = self.gnu_bloom[(gh // bits) & (bloom_size - 1)]
            if not ((w >> (gh & (bits - 1))) & (w >> ((gh >> bloom_shift) & (bits - 1))) & 1):
                return out
            i = buckets[gh % nbuckets]
            if i < symoffset:  # 0: empty bucket
                return out
            chain = self.gnu_chain
            k = i - symoffset
            n = len(chain)
            while k < n:  # bounded by the chain length (prepare_dynsym found its end bit)
                h = chain[k]
                if (h ^ gh) >> 1 == 0:
                    out.append(k + symoffset)
                if h & 1:
                    break
                k += 1
            return out
        if self.sysv is not None:
            nbucket, nchain, b_off, c_off = self.sysv
            if sh is None:
                sh = S.sysv_hash(name)
            u32 = L.u32
            i = u32.unpack_from(mm, b_off + 4 * (sh % nbucket))[0]
            steps = 0
            while i != 0 and i < nchain and steps <= nchain:  # bounded: a cycle cannot hang us
                out.append(i)
                i = u32.unpack_from(mm, c_off + 4 * i)[0]
                steps += 1
        return out

    def versions(self) -> dict[int, tuple[str, int]]:
        """DT_VERDEF: version index -> (name, vd_flags)."""
        if self._versions is not None:
            return self._versions
        self._versions = out = {}
        dyn, L, mm = self.dyn, self.L, self.mm
        if S.DT_VERDEF not in dyn:
            return out
        count = dyn.get(S.DT_VERDEFNUM, 0)
        off = self.vaddr_to_offset(dyn[S.DT_VERDEF], L.verdef.size)
        for _ in range(min(count, 0xFFFF)):
            if off + L.verdef.size > self.size:
                raise _corrupt(f"{self.path}: DT_VERDEF runs past the end")
            _v, flags, ndx, cnt, _h, aux, nxt = L.verdef.unpack_from(mm, off)
            if cnt and off + aux + L.verdaux.size <= self.size:
                vda_name, _n = L.verdaux.unpack_from(mm, off + aux)
                out[ndx & S.VERSYM_VERSION] = (self.dynstr(vda_name), flags)
            if nxt == 0:
                break
            off += nxt
        return out

    def version_needs(self) -> list[VersionNeed]:
        dyn, L, mm = self.dyn, self.L, self.mm
        out: list[VersionNeed] = []
        if S.DT_VERNEED not in dyn:
            return out
        count = dyn.get(S.DT_VERNEEDNUM, 0)
        off = self.vaddr_to_offset(dyn[S.DT_VERNEED], L.verneed.size)
        for _ in range(min(count, 0xFFFF)):
            if off + L.verneed.size > self.size:
                raise _corrupt(f"{self.path}: DT_VERNEED runs past the end")
            _v, cnt, vn_file, vn_aux, vn_next = L.verneed.unpack_from(mm, off)
            vers = []
            a = off + vn_aux
            for _ in range(min(cnt, 0xFFFF)):
                if a + L.vernaux.size > self.size:
                    raise _corrupt(f"{self.path}: DT_VERNEED aux runs past the end")
                _h, flags, other, name, nxt = L.vernaux.unpack_from(mm, a)
                vers.append((self.dynstr(name), flags, other))
                if nxt == 0:
                    break
                a += nxt
            out.append(VersionNeed(self.dynstr(vn_file), tuple(vers)))
            if vn_next == 0:
                break
            off += vn_next
        return out

    def version_name(self, v: int | None) -> str | None:
        if v is None:
            return None
        ndx = v & S.VERSYM_VERSION
        if ndx <= S.VER_NDX_GLOBAL:
            return None
        ent = self.versions().get(ndx)
        return ent[0] if ent else None

    # ---------------------------------------------------------------- dlsym in one object
    def lookup(self, name: str, name_b: bytes, gh: int) -> tuple:
        """glibc's do_lookup_x for one object, for dlsym (DL_LOOKUP_RETURN_NEWEST, no version).

        Returns ("found", index, fields, versym) or ("absent", reason-or-None, detail).
        Memoised per object: the file is immutable while this image lives.
        """
        hit = self._lookups.get(name)
        if hit is not None:
            return hit
        if not self._lookup_ready:
            self.prepare_lookup()
        bloom = self.gnu_bloom_test
        if bloom is not None:
            # The Bloom filter rejects most names a dependency does not define; answered
            # inline, without a memo entry (cheaper than the memo itself).
            bits, mask, shift, words = bloom
            w = words[(gh // bits) & mask]
            if not ((w >> (gh & (bits - 1))) & (w >> ((gh >> shift) & (bits - 1))) & 1):
                return _NOT_HERE
        hit = self._lookup(name_b, gh)
        self._lookups[name] = hit
        return hit

    def _lookup(self, name_b: bytes, gh: int) -> tuple:
        versioned = None
        num_versions = 0
        hint: tuple | None = None
        if self.sym_limit == 0:
            return ("absent", None, "")
        if self.gnu is not None:
            return self._lookup_gnu(name_b, gh)
        for i in self.candidates(name_b, gh, None):
            f = self.raw_symbol(i)
            st_name, info, _other, shndx, value, _size = f
            stt = info & 0xF
            if not self.name_at(st_name, name_b):
                continue
            if value == 0 and shndx != S.SHN_ABS and stt != S.STT_TLS:
                hint = hint or ("undefined", f"{self.path} imports it (undefined here)")
                continue
            if not (1 << stt) & S.ALLOWED_STT:
                continue
            v = self.versym(i)
            if v is not None and (v & S.VERSYM_VERSION) >= 2:
                if not v & S.VERSYM_HIDDEN:
                    if num_versions == 0:
                        versioned = (i, f, v)
                    num_versions += 1
                else:
                    vn = self.version_name(v) or f"index {v & S.VERSYM_VERSION}"
                    hint = hint or ("compat-only", f"only {name_b.decode(errors='replace')}@{vn} (a compat version, not the default) exists in {self.path}")
                continue
            return self._bind(i, f, v)
        if num_versions == 1:
            return self._bind(*versioned)
        return ("absent",) + (hint if hint else (None, ""))

    def _lookup_gnu(self, name_b: bytes, gh: int) -> tuple:
        """_lookup for DT_GNU_HASH, fused into one loop (the hot path: one call per name and object).

        Same rules, same order as `candidates` + `_lookup`; the Bloom filter was tested by `lookup`.
        """
        nbuckets, symoffset = self.gnu[0], self.gnu[1]
        i = self.gnu[7][gh % nbuckets]
        if i < symoffset:  # 0: empty bucket
            return _NOT_HERE
        chain = self.gnu_chain
        k = i - symoffset
        n = len(chain)
        mm, L = self.mm, self.L
        unpack, sym_size, base = L.sym.unpack_from, L.sym_size, self.symtab_off
        is64 = L.elf_class == S.ELFCLASS64
        lo, hi = self.strtab_off, self.strtab_end
        ln = len(name_b)
        versym_off, u16 = self.versym_off, L.u16.unpack_from
        versioned = None
        num_versions = 0
        hint: tuple | None = None
        gh_key = gh >> 1
        while k < n:  # bounded by the chain length (or the file); the end bit stops a real chain
            h = chain[k]
            if h >> 1 == gh_key:
                idx = k + symoffset
                f = unpack(mm, base + idx * sym_size)
                if not is64:
                    f = L.sym_fields(f)
                start = lo + f[0]
                end = start + ln
                if end < hi and mm[start:end] == name_b and mm[end] == 0:
                    info, shndx, value = f[1], f[3], f[4]
                    stt = info & 0xF
                    if value == 0 and shndx != S.SHN_ABS and stt != S.STT_TLS:
                        hint = hint or ("undefined", f"{self.path} imports it (undefined here)")
                    elif (1 << stt) & S.ALLOWED_STT:
                        v = u16(mm, versym_off + 2 * idx)[0] if versym_off is not None else None
                        if v is not None and (v & S.VERSYM_VERSION) >= 2:
                            if not v & S.VERSYM_HIDDEN:
                                if num_versions == 0:
                                    versioned = (idx, f, v)
                                num_versions += 1
                            else:
                                vn = self.version_name(v) or f"index {v & S.VERSYM_VERSION}"
                                hint = hint or ("compat-only", f"only {name_b.decode(errors='replace')}@{vn} "
                                                f"(a compat version, not the default) exists in {self.path}")
                        else:
                            return self._bind(idx, f, v)
            if h & 1:
                break
            k += 1
        if num_versions == 1:
            return self._bind(*versioned)  # type: ignore[misc]
        return ("absent",) + (hint if hint else (None, ""))

    def explain_absence(self, name_b: bytes, *, use_symtab: bool = True) -> tuple | None:
        """(reason, detail) from the entries outside the hash table and .symtab; only for a final answer."""
        key = name_b if use_symtab else b"\0" + name_b
        try:
            return self._explained[key]
        except KeyError:
            pass
        try:
            why = self._unhashed_hint(name_b, use_symtab)
        except (ElfFormatError, struct.error, ValueError, IndexError, OverflowError):
            why = None
        self._explained[key] = why
        return why

    def _bind(self, i: int, f: tuple, v: int | None) -> tuple:
        bind = f[1] >> 4
        if bind in (S.STB_GLOBAL, S.STB_WEAK, S.STB_GNU_UNIQUE):
            return ("found", i, f, v)
        return ("absent", "local", f"{self.path} has it with binding LOCAL")

    def _unhashed_hint(self, name_b: bytes, use_symtab: bool = True) -> tuple | None:
        """Undefined and local entries sit before GNU hash's symoffset: look there, then .symtab."""
        if self._hidden_scan is None:
            self._hidden_scan = scan_unhashed(self)
        why = self._hidden_scan.get(name_b)
        if why is not None:
            return why
        return symtab_hint(self, name_b) if use_symtab else None

    # ---------------------------------------------------------------- bulk decode
    def iter_dynsym(self, first: int = 1, last: int | None = None):
        """(index, st_name, info, other, shndx, value, size) for dynamic symbols first..last-1."""
        self.prepare_dynsym()
        L = self.L
        last = self.nsyms if last is None else min(last, self.nsyms)
        if last <= first:
            return
        lo = self.symtab_off + first * L.sym_size
        blob = self.mm[lo: self.symtab_off + last * L.sym_size]
        if L.elf_class == S.ELFCLASS64:
            for i, (n, info, other, shndx, value, size) in enumerate(L.sym.iter_unpack(blob), first):
                yield i, n, info, other, shndx, value, size
        else:
            for i, (n, value, size, info, other, shndx) in enumerate(L.sym.iter_unpack(blob), first):
                yield i, n, info, other, shndx, value, size

    def versym_array(self):
        """All DT_VERSYM entries as a sequence of ints (None when the object is unversioned)."""
        self.prepare_dynsym()
        if self.versym_off is None:
            return None
        raw = self.mm[self.versym_off: self.versym_off + 2 * self.nsyms]
        if self.little == _HOST_LITTLE:
            return memoryview(raw).cast("H")
        return struct.unpack(f">{self.nsyms}H", raw)


_NOT_HERE = ("absent", None, "")


def _int_array(code: str, raw: bytes, little: bool) -> array:
    a = array(code)
    a.frombytes(raw[: len(raw) - len(raw) % a.itemsize])
    if little != _HOST_LITTLE:
        a.byteswap()
    return a


def open_image(path: str, shown: str | None = None, st: os.stat_result | None = None
               ) -> tuple[ElfImage | None, LoadProblem | None, os.stat_result | None]:
    """stat, then open and parse; every failure becomes a LoadProblem."""
    st, problem = stat_problem(path, shown, st)
    if problem is not None:
        return None, problem, st
    try:
        return ElfImage(path, st), None, st  # type: ignore[arg-type]
    except ElfFormatError as e:
        return None, LoadProblem(e.reason, e.message, path), st
    except PermissionError as e:
        return None, LoadProblem(LoadReason.UNREADABLE, f"{path} cannot be read: {e.strerror}", path), st
    except (OSError, ValueError) as e:
        return None, LoadProblem(LoadReason.UNREADABLE, f"{path} cannot be read: {e}", path), st


@lru_cache(maxsize=1)
def read_target(path: str) -> Target | LoadProblem:
    """The ABI of a runtime binary or library (ET_EXEC and ET_DYN allowed)."""
    img, problem, _st = open_image(path)
    if problem is not None:
        return problem
    assert img is not None
    try:
        if img.e_type not in (S.ET_EXEC, S.ET_DYN):
            what = S.E_TYPE_NAMES.get(img.e_type, f"ELF type {img.e_type}")
            return LoadProblem(LoadReason.NOT_SHARED_OBJECT, f"{path} is {what}, not an executable or shared object", path)
        return Target(img.elf_class, img.little, img.e_machine)
    finally:
        img.close()
