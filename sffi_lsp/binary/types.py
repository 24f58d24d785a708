"""What the binary layer answers: plain data about shared libraries.

This layer knows nothing of Simple syntax, of the checker or of LSP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, slots=True)
class Target:
    """The ABI a library must match to be loadable: ELF class, byte order, machine."""

    elf_class: int  # 32 or 64
    little_endian: bool
    machine: int  # e_machine, e.g. 62 = EM_X86_64

    @classmethod
    def host(cls) -> "Target":
        return host_target()


def host_target() -> Target:
    """The ABI of this Python process (its own executable's ELF header)."""
    import struct  # noqa: PLC0415  (start-up: the server imports these types, rarely the host)
    import sys  # noqa: PLC0415

    from . import elfspec as S  # noqa: PLC0415

    for exe in ("/proc/self/exe", sys.executable):
        try:
            with open(exe, "rb") as fh:
                h = fh.read(20)
            if h[:4] == S.ELFMAG:
                little = h[S.EI_DATA] == S.ELFDATA2LSB
                machine = struct.unpack_from("<H" if little else ">H", h, 18)[0]
                return Target(64 if h[S.EI_CLASS] == S.ELFCLASS64 else 32, little, machine)
        except OSError:
            continue
    return Target(64 if sys.maxsize > 2**32 else 32, sys.byteorder == "little", S.EM_X86_64)


class LoadReason(str, Enum):
    """Why a library cannot be loaded (each has its own precise message)."""

    NOT_FOUND = "not-found"
    DANGLING_SYMLINK = "dangling-symlink"
    DIRECTORY = "directory"
    FIFO = "fifo"
    NOT_REGULAR_FILE = "not-regular-file"  # device, socket
    UNREADABLE = "unreadable"  # permission denied, I/O error
    EMPTY = "empty"
    LINKER_SCRIPT = "linker-script"  # text starting with GROUP/INPUT/OUTPUT_FORMAT/comment
    ARCHIVE = "archive"  # "!<arch>\n"
    NOT_ELF = "not-elf"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    WRONG_CLASS = "wrong-class"
    WRONG_ENDIANNESS = "wrong-endianness"
    WRONG_MACHINE = "wrong-machine"
    NOT_SHARED_OBJECT = "not-shared-object"  # ET_REL, ET_CORE, or ET_EXEC where a library is needed
    MISSING_DEPENDENCY = "missing-dependency"  # a DT_NEEDED (transitively) could not be found/loaded
    MISSING_VERSION = "missing-version"  # a DT_VERNEED version (e.g. GLIBC_2.99) no provider defines
    UNDEFINED_SYMBOL = "undefined-symbol"  # a data/address reference nothing defines: fails even with RTLD_LAZY


@dataclass(frozen=True, slots=True)
class LoadProblem:
    reason: LoadReason
    message: str  # a full sentence naming the file, e.g. "libfoo.so is a linker script (GROUP ( ... )), not an ELF object"
    path: str | None = None  # the file the problem is about (may be a dependency)
    chain: tuple[str, ...] = ()  # for MISSING_DEPENDENCY: requested lib -> ... -> missing soname


@dataclass(frozen=True, slots=True)
class Library:
    """One library as the dynamic linker would see it after `dlopen(spec)`."""

    spec: str  # what was asked for: a path or a bare name ("libm.so.6")
    path: str | None  # real path of the file found, None when not found
    problem: LoadProblem | None  # None = loadable
    soname: str | None = None
    needed: tuple[str, ...] = ()  # DT_NEEDED entries as written
    closure: tuple[str, ...] = ()  # real paths, breadth-first, self first (what dlsym on the handle searches)
    unresolved_functions: tuple[str, ...] = ()  # undefined FUNC refs no object of the closure defines (lazy: warn only)
    identity: tuple = ()  # (realpath, size, mtime_ns, inode) of the file; changes when it is rebuilt

    @property
    def loadable(self) -> bool:
        return self.problem is None


class SymbolKind(str, Enum):
    FUNCTION = "function"  # STT_FUNC
    IFUNC = "ifunc"  # STT_GNU_IFUNC: a function too
    DATA = "data"  # STT_OBJECT, STT_COMMON
    TLS = "tls"
    OTHER = "other"  # STT_NOTYPE and the rest

    @property
    def is_function(self) -> bool:
        return self in (SymbolKind.FUNCTION, SymbolKind.IFUNC)


@dataclass(frozen=True, slots=True)
class ExportedSymbol:
    """A `.dynsym` entry that `dlsym` can return."""

    name: str
    kind: SymbolKind
    binding: str  # "global" | "weak" | "unique"
    visibility: str  # "default" | "protected"
    version: str | None  # default version name, e.g. "GLIBC_2.14"; None if unversioned
    size: int
    address: int = 0


@dataclass(frozen=True, slots=True)
class Found:
    """`dlsym(handle, name)` would return this symbol."""

    symbol: ExportedSymbol
    provider: str  # real path of the object defining it
    via: tuple[str, ...] = ()  # real paths from the requested library down to provider (empty = the library itself)

    @property
    def direct(self) -> bool:
        return not self.via


class AbsenceReason(str, Enum):
    NOT_PRESENT = "not-present"
    COMPAT_ONLY = "compat-only"  # only name@VERSION (hidden/non-default version) exists
    HIDDEN = "hidden"  # visibility hidden/internal
    LOCAL = "local"  # binding LOCAL
    UNDEFINED = "undefined"  # the library imports it, does not define it
    LIBRARY_NOT_LOADABLE = "library-not-loadable"


@dataclass(frozen=True, slots=True)
class Absent:
    """`dlsym(handle, name)` would return NULL, and why when the file knows."""

    name: str
    reason: AbsenceReason
    detail: str = ""  # e.g. "only pthread_atfork@GLIBC_2.2.5 (compat) exists"
    object: str | None = None  # the object in which the telling entry was seen


@dataclass(frozen=True, slots=True)
class CType:
    """A C type read from DWARF."""

    text: str  # C spelling, e.g. "const char *", "int64_t", "void (*)(int)"
    kind: str  # "base" | "pointer" | "struct" | "union" | "enum" | "array" | "function" | "void" | "unknown"
    base_name: str | None = None  # underlying base type after typedefs/const, e.g. "long int", "_Bool"
    size: int | None = None  # byte size of the value as passed (pointer: pointer size)
    encoding: str | None = None  # "signed" | "unsigned" | "float" | "bool" | "signed_char" | "unsigned_char" | None
    pointer_depth: int = 0
    is_const: bool = False
    typedefs: tuple[str, ...] = ()  # typedef names seen, outermost first


@dataclass(frozen=True, slots=True)
class CParam:
    name: str | None
    type: CType


@dataclass(frozen=True, slots=True)
class CSignature:
    name: str
    params: tuple[CParam, ...]
    returns: CType | None  # None = void
    variadic: bool = False
    file: str | None = None  # declaring source file (absolute when DWARF says so)
    line: int | None = None  # 1-based
    library: str | None = None
    # Where it was read: DWARF here; a reader of source text (a crate's `extern "C" fn`)
    # names itself, so a hover does not call a signature from sources "DWARF".
    origin: str = "DWARF"

    def text(self) -> str:
        ps = [_declarator(p.type.text, p.name or "") for p in self.params]
        if self.variadic:
            ps.append("...")
        ret = self.returns.text if self.returns is not None else "void"
        return _declarator(ret, f"{self.name}({', '.join(ps) or 'void'})")


def _declarator(type_text: str, name: str) -> str:
    """C spelling of `type name`: "char *s", "int (*cb)(int)", "void *f(void)"."""
    if "(*)" in type_text:
        return type_text.replace("(*)", f"(*{name})", 1)
    if not name:
        return type_text
    return f"{type_text}{'' if type_text.endswith('*') else ' '}{name}"


@dataclass(frozen=True, slots=True)
class NoSignature:
    name: str
    reason: str  # "no debug information", "compressed debug sections (zstd) cannot be read", "timed out", ...


@dataclass(frozen=True, slots=True)
class SymbolListing:
    """Every exported symbol of one object (not its dependencies)."""

    path: str
    symbols: tuple[ExportedSymbol, ...] = field(default=())
