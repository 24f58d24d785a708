"""Every symbol `dlsym` can return from one object: a fast raw decode and a persistent cache.

The listing is kept as columns (names, st_info, st_other, version, size, value) and turned
into `ExportedSymbol` objects only when asked: completion needs 60k names in milliseconds,
a hover needs one symbol.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import os
import json
import struct
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

from . import elfspec as S
from ..atomic_file import replace_atomically
from .elf import ElfImage
from .types import ExportedSymbol, Found, SymbolKind


KIND_OF_STT = {S.STT_FUNC: SymbolKind.FUNCTION, S.STT_GNU_IFUNC: SymbolKind.IFUNC, S.STT_OBJECT: SymbolKind.DATA,
               S.STT_COMMON: SymbolKind.DATA, S.STT_TLS: SymbolKind.TLS}


def kind_of(info: int) -> SymbolKind:
    return KIND_OF_STT.get(info & 0xF, SymbolKind.OTHER)


def _slot_setters(cls: type, names: tuple[str, ...]):
    return tuple(cls.__dict__[n].__set__ for n in names)


# A frozen dataclass's __init__ goes through object.__setattr__ per field; these set the slots
# directly (same object, same equality and hash), which halves the cost of building answers.
_SYM_SET = _slot_setters(ExportedSymbol, ("name", "kind", "binding", "visibility", "version", "size", "address"))
_FOUND_SET = _slot_setters(Found, ("symbol", "provider", "via"))
_new = object.__new__


def make_symbol(name: str, info: int, other: int, version: str | None, size: int, value: int) -> ExportedSymbol:
    s_name, s_kind, s_bind, s_vis, s_ver, s_size, s_addr = _SYM_SET
    sym = _new(ExportedSymbol)
    s_name(sym, name)
    s_kind(sym, KIND_OF_STT.get(info & 0xF, SymbolKind.OTHER))
    b = info >> 4
    s_bind(sym, S.BINDING_NAMES.get(b) or str(b))
    s_vis(sym, S.VISIBILITY_NAMES[other & 3])
    s_ver(sym, version)
    s_size(sym, size)
    s_addr(sym, value)
    return sym


def make_found(symbol: ExportedSymbol, provider: str, via: tuple[str, ...]) -> Found:
    f = _new(Found)
    s_sym, s_prov, s_via = _FOUND_SET
    s_sym(f, symbol)
    s_prov(f, provider)
    s_via(f, via)
    return f


class ExportTable(Sequence[ExportedSymbol]):
    """A read-only sequence of ExportedSymbol stored column-wise.

    The raw columns cover every `.dynsym` row decoded; `rows` selects the exported ones and
    `names` holds their names, in the same order.
    """

    __slots__ = ("names", "rows", "infos", "others", "versyms", "version_names", "sizes", "values", "_by_name")

    def __init__(self, names: list[str], rows: array, infos: bytes, others: bytes, versyms: array,
                 version_names: list[str | None], sizes: array, values: array) -> None:
        self.names = names
        self.rows = rows
        self.infos = infos
        self.others = others
        self.versyms = versyms  # empty when the object is unversioned
        self.version_names = version_names  # indexed by version index (versym & 0x7fff)
        self.sizes = sizes
        self.values = values
        self._by_name: dict[str, int] | None = None

    @classmethod
    def empty(cls) -> "ExportTable":
        return cls([], array("I"), b"", b"", array("H"), [], array("Q"), array("Q"))

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, i: int) -> ExportedSymbol: ...
    @overload
    def __getitem__(self, i: slice) -> list[ExportedSymbol]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        r = self.rows[i]
        version = None
        if self.versyms:
            ndx = self.versyms[r] & S.VERSYM_VERSION
            if ndx >= 2 and ndx < len(self.version_names):
                version = self.version_names[ndx]
        return make_symbol(self.names[i], self.infos[r], self.others[r], version, self.sizes[r], self.values[r])

    def __iter__(self) -> Iterator[ExportedSymbol]:
        for i in range(len(self.names)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((len(self.names), tuple(self.names[:8])))

    def __repr__(self) -> str:
        return f"ExportTable({len(self)} symbols)"

    def function_names(self) -> list[str]:
        """Names of the exported functions (STT_FUNC, STT_GNU_IFUNC), in table order, without
        building a symbol object per row (callers that only want names: "did you mean")."""
        infos = self.infos
        flags = bytes(map(infos.__getitem__, self.rows)).translate(_IS_FUNCTION_INFO)
        return list(itertools.compress(self.names, flags))

    def get(self, name: str) -> ExportedSymbol | None:
        if self._by_name is None:
            self._by_name = {n: i for i, n in enumerate(self.names)}
        i = self._by_name.get(name)
        return None if i is None else self[i]

    # --- persistence: a plain binary layout (no pickle: a cache file is data, never code)
    def to_bytes(self, identity: tuple) -> bytes:
        meta = json.dumps({"identity": list(identity), "count": len(self.names),
                           "versions": self.version_names}, ensure_ascii=True).encode()
        blobs = ["\0".join(self.names).encode("utf-8", "surrogateescape"), self.rows.tobytes(), bytes(self.infos),
                 bytes(self.others), self.versyms.tobytes(), self.sizes.tobytes(), self.values.tobytes()]
        head = _MAGIC + _U32.pack(len(meta)) + meta + struct.pack(f"<{len(blobs)}Q", *(len(b) for b in blobs))
        return head + b"".join(blobs)

    @classmethod
    def from_bytes(cls, data: bytes, identity: tuple) -> "ExportTable":
        if not data.startswith(_MAGIC):
            raise ValueError("not a listing cache file")
        pos = len(_MAGIC)
        (meta_len,) = _U32.unpack_from(data, pos)
        pos += _U32.size
        meta = json.loads(data[pos: pos + meta_len])
        pos += meta_len
        if [*identity] != meta["identity"]:
            raise ValueError("cache entry for another file")
        lens = struct.unpack_from("<7Q", data, pos)
        pos += 56
        if pos + sum(lens) != len(data):
            raise ValueError("truncated cache file")
        blobs = []
        for n in lens:
            blobs.append(data[pos: pos + n])
            pos += n
        count = meta["count"]
        names = blobs[0].decode("utf-8", "surrogateescape").split("\0") if count else []
        rows, vs, sizes, values = array("I"), array("H"), array("Q"), array("Q")
        rows.frombytes(blobs[1])
        vs.frombytes(blobs[4])
        sizes.frombytes(blobs[5])
        values.frombytes(blobs[6])
        vnames = [v if isinstance(v, str) else None for v in meta["versions"]]
        nraw = len(blobs[2])
        if not (len(names) == count == len(rows) and len(blobs[3]) == len(sizes) == len(values) == nraw
                and (not vs or len(vs) == nraw) and (not count or max(rows) < nraw)):
            raise ValueError("inconsistent cached listing")
        return cls(names, rows, blobs[2], blobs[3], vs, vnames, sizes, values)


_IS_FUNCTION_INFO = bytes(1 if KIND_OF_STT.get(i & 0xF) in (SymbolKind.FUNCTION, SymbolKind.IFUNC) else 0
                          for i in range(256))
_MAGIC = b"SFFIEXP3"
_U32 = struct.Struct("<I")
# st_info values dlsym accepts: type NOTYPE/OBJECT/FUNC/COMMON/TLS/IFUNC, binding GLOBAL/WEAK/UNIQUE.
_INFO_OK = bytes(1 if (1 << (i & 0xF)) & S.ALLOWED_STT and (i >> 4) in (S.STB_GLOBAL, S.STB_WEAK, S.STB_GNU_UNIQUE)
                 else 0 for i in range(256))
_HIDDEN_VERSIONED = S.VERSYM_HIDDEN | 2  # versym >= this: a hidden non-base version (name@V, compat only)
_VERSYM_HI_OK = bytes(1 if b < 0x80 else 2 if b == 0x80 else 0 for b in range(256))


def _columns(img: ElfImage, first: int):
    """The raw .dynsym columns from row `first` on, decoded at C speed by strided array slices."""
    L = img.L
    blob = img.mm[img.symtab_off + first * L.sym_size: img.symtab_end]
    foreign = img.little != (sys.byteorder == "little")
    a16, a32, a64 = array("H"), array("I"), array("Q")
    a16.frombytes(blob)
    a32.frombytes(blob)
    if L.elf_class == S.ELFCLASS64:
        a64.frombytes(blob)
    for a in (a16, a32, a64):
        if foreign:
            a.byteswap()
    if L.elf_class == S.ELFCLASS64:  # st_name st_info st_other st_shndx st_value st_size
        return a32[0::6], blob[4::24], blob[5::24], a16[3::12], a64[1::3], a64[2::3]
    # Elf32: st_name st_value st_size st_info st_other st_shndx
    return a32[0::4], blob[12::16], blob[13::16], a16[7::8], array("Q", a32[1::4]), array("Q", a32[2::4])


def _strtab_text(img: ElfImage) -> str | None:
    with memoryview(img.mm)[img.strtab_off: img.strtab_end] as view:
        try:
            text = str(view, "ascii")
        except UnicodeDecodeError:
            return None
    return text if text.endswith("\0") else None


def _select_rows(infos: bytes, shndxs: array, values: array, versyms: array) -> array:
    """Rows dlsym can return (glibc check_match + binding), mostly with C-level iterators."""
    ok = bytearray(infos.translate(_INFO_OK))
    for column, test in ((shndxs, None), (values, "value")):
        i = _index_or_none(column, 0, 0)
        while i is not None:  # undefined rows, and rows without an address unless ABS or TLS
            if test is None or not (shndxs[i] == S.SHN_ABS or infos[i] & 0xF == S.STT_TLS):
                ok[i] = 0
            i = _index_or_none(column, 0, i + 1)
    n = len(infos)
    if versyms:
        # versym < 0x8002 (not a hidden non-base version), a byte per row: the high byte decides
        # except for 0x80 (0x8000/0x8001 pass, 0x80xx with xx >= 2 do not).
        raw = versyms.tobytes()
        lo, hi = (raw[0::2], raw[1::2]) if sys.byteorder == "little" else (raw[1::2], raw[0::2])
        visible = bytearray(hi.translate(_VERSYM_HI_OK))
        k = visible.find(2)
        while k >= 0:
            visible[k] = 1 if lo[k] < 2 else 0
            k = visible.find(2, k + 1)
        # Both masks are 0/1 bytes: one big-integer AND combines them at C speed.
        ok = (int.from_bytes(ok, "little") & int.from_bytes(visible, "little")).to_bytes(n, "little")
    return array("I", itertools.compress(range(n), ok))


def _index_or_none(column: array, value: int, start: int) -> int | None:
    try:
        return column.index(value, start)
    except ValueError:
        return None


def decode_exports(img: ElfImage) -> ExportTable:
    """Raw decode of DT_SYMTAB/DT_STRTAB with dlsym's acceptance rules (see ElfImage._lookup)."""
    img.prepare_dynsym()
    if img.nsyms <= 1 or not img.strtab_end:
        return ExportTable.empty()
    first = img.symoffset if img.gnu is not None else 1  # ld.so never sees rows outside the GNU hash
    if first >= img.nsyms:
        return ExportTable.empty()
    name_offs, infos, others, shndxs, values, sizes = _columns(img, first)
    versioned = img.versym_off is not None
    versyms = array("H")
    if versioned:
        versyms.frombytes(img.mm[img.versym_off + 2 * first: img.versym_off + 2 * img.nsyms])
        if img.little != (sys.byteorder == "little"):
            versyms.byteswap()
    rows = _select_rows(infos, shndxs, values, versyms)
    offs = list(map(name_offs.__getitem__, rows))
    names: list[str] | None = None
    text = _strtab_text(img) if offs else None
    if text is not None and max(offs) < len(text):
        # One slice per name out of the ASCII table: measured faster than splitting the whole
        # table and matching offsets (the rows are in hash order, the strings are not).
        find = text.find
        names = [text[o:find("\0", o)] for o in offs]
    if names is None:  # not plain ASCII: decode name by name
        strtab = img.mm[img.strtab_off: img.strtab_end]
        names = []
        kept = array("I")
        for r, o in zip(rows, offs):
            end = strtab.find(b"\0", o) if o < len(strtab) else -1
            if end >= 0:
                names.append(strtab[o:end].decode("utf-8", "surrogateescape"))
                kept.append(r)
        rows = kept
    version_names: list[str | None] = []
    if versioned:
        defs = img.versions()
        top = max(defs, default=1)
        version_names = [None] * (min(top, S.VERSYM_VERSION) + 1)
        for ndx, (vname, _flags) in defs.items():
            if ndx < len(version_names):
                version_names[ndx] = vname
    return ExportTable(names, rows, infos, others, versyms, version_names, sizes, values)


class ListingCache:
    """Listings on disk, keyed by (realpath, size, mtime_ns, inode); atomic writes, corrupt files ignored."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = os.fspath(directory)

    def _file(self, identity: tuple) -> str:
        digest = hashlib.sha256(repr(identity).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.directory, f"{digest}.exports")

    def load(self, identity: tuple) -> ExportTable | None:
        try:
            with open(self._file(identity), "rb") as fh:
                return ExportTable.from_bytes(fh.read(), identity)
        except Exception:  # noqa: BLE001 -- a corrupt or foreign cache file is just a miss
            return None

    def store(self, identity: tuple, table: ExportTable) -> None:
        replace_atomically(self._file(identity), lambda fh: fh.write(table.to_bytes(identity)), suffix=".exports")
