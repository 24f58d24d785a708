"""What GNU ld resolves when a program is linked statically against objects and archives.

`StaticReader` reads `.o` and `.a` files (memoised in process and on disk by file identity,
like shared-library listings). `link(...)` models ld's resolution for one ordered set of
inputs and the names a program refers to:

- The program's references come first (as `ld main.o inputs...`), then the inputs in the
  configured order. A `.o` is always linked. An archive is scanned when ld reaches it: a
  member is pulled when the index names a symbol that is undefined at that moment (a weak
  reference does not pull; a COMMON symbol is replaced by a member's real definition), and the
  scan repeats until a pass pulls nothing, so members needing members of the same archive
  are found. References that appear only later never go back to an earlier archive -- unless
  the archives are in one group (`--start-group ... --end-group`: `groups`, or `group=True`
  for all the inputs): when ld reaches the group's end, the group's archives are rescanned
  until a whole round pulls nothing, before any later input is read.
- A name defined strongly (GLOBAL, not COMMON) by two linked objects is ld's "multiple
  definition" error; a strong definition overrides weak and COMMON ones; the first weak wins.
- References of linked objects that no linked object defines (and ld does not define itself)
  are "undefined reference" errors; weak references resolve to 0.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..atomic_file import replace_atomically
from . import elfspec as S
from .archive import Archive
from .elf_file import ElfFormatError, classify_not_elf, stat_problem
from .relocatable import ObjectSymbol, RelocatableObject, machine_problem, parse_relocatable
from .types import LoadProblem, LoadReason, SymbolKind, Target

CACHE_FORMAT = "sffi-static-1"

# Defined by GNU ld itself (its default scripts, PROVIDE, or on demand), so never "undefined".
LINKER_DEFINED = frozenset({
    "_GLOBAL_OFFSET_TABLE_", "_DYNAMIC", "_PROCEDURE_LINKAGE_TABLE_", "__ehdr_start", "__executable_start",
    "__bss_start", "_edata", "edata", "_end", "end", "_etext", "etext", "__etext", "__dso_handle",
    "__init_array_start", "__init_array_end", "__fini_array_start", "__fini_array_end",
    "__preinit_array_start", "__preinit_array_end", "__global_pointer$", "_gp", "__bss_start__", "__bss_end__",
    "_bss_end__", "__end__", "__data_start", "data_start", "__tls_get_addr_opt",
})


def linker_defines(name: str) -> bool:
    """ld defines `__start_SEC`/`__stop_SEC` for any section whose name is a C identifier."""
    return name in LINKER_DEFINED or name.startswith(("__start_", "__stop_"))


def file_kind(head: bytes) -> str | None:
    """"archive" or "object" (ELF, any type) by magic; None for anything else."""
    if head.startswith(S.ARMAG) or head.startswith(S.THIN_ARMAG):
        return "archive"
    if head.startswith(S.ELFMAG):
        return "object"
    return None


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One input of a static link: a `.o` (one object) or a `.a` (its members and index)."""

    path: str  # as given
    real: str
    archive: bool
    problem: LoadProblem | None = None  # the file as a whole cannot be used
    members: tuple[str, ...] = ()  # archive member names, in archive order
    objects: tuple[RelocatableObject | None, ...] = ()  # aligned with members (a .o: one, member None)
    member_problems: tuple[LoadProblem | None, ...] = ()
    index: tuple[tuple[str, int], ...] = ()  # (symbol, member ordinal) in the archive index's order
    has_index: bool = False
    thin: bool = False
    watched: tuple[tuple[str, tuple | None], ...] = ()  # the file (and a thin archive's members) by identity

    @property
    def usable(self) -> bool:
        return self.problem is None


def _identity(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in a hostile thin archive's member name
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _problem(e: ElfFormatError, path: str) -> LoadProblem:
    return LoadProblem(e.reason, e.message, path)


def read_static_file(path: str) -> StaticFile:
    """Read a `.o` or `.a` completely (every member's symbols); never raises."""
    try:
        return _read_static_file(path)
    except Exception as e:  # noqa: BLE001 -- the last guard: a file we misread is a reason, not a crash
        return StaticFile(path, path, False, LoadProblem(LoadReason.CORRUPT, f"{path} could not be read ({e!r})", path))


def _read_static_file(path: str) -> StaticFile:
    real = os.path.realpath(path)
    st, problem = stat_problem(path)
    if problem is not None:
        return StaticFile(path, real, path.endswith(".a"), problem, watched=((real, _identity(real)),))
    ident = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
    try:
        with open(real, "rb", buffering=0) as fh:
            head = fh.read(8)
    except OSError as e:
        return StaticFile(path, real, False, LoadProblem(LoadReason.UNREADABLE, f"{path} cannot be read: {e.strerror or e}",
                                                         path), watched=((real, ident),))
    kind = file_kind(head)
    if kind == "archive":
        return _read_archive(path, real, ident)
    if kind is None:
        try:
            with open(real, "rb", buffering=0) as fh:
                e = classify_not_elf(fh.read(512), path)
        except OSError:
            e = ElfFormatError(LoadReason.NOT_ELF, f"{path} is not an ELF object")
        return StaticFile(path, real, False, _problem(e, path), watched=((real, ident),))
    import mmap  # noqa: PLC0415

    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            size = os.fstat(fd).st_size
            with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mm:
                obj = parse_relocatable(mm, 0, size, path=path)
        finally:
            os.close(fd)
    except ElfFormatError as e:
        return StaticFile(path, real, False, _problem(e, path), watched=((real, ident),))
    except (OSError, ValueError) as e:
        return StaticFile(path, real, False, LoadProblem(LoadReason.UNREADABLE, f"{path} cannot be read: {e}", path),
                          watched=((real, ident),))
    return StaticFile(path, real, False, None, ("",), (obj,), (None,), watched=((real, ident),))


def _read_archive(path: str, real: str, ident: tuple) -> StaticFile:
    try:
        ar = Archive(real)
    except ElfFormatError as e:
        msg = e.message.replace(real, path) if real != path else e.message
        return StaticFile(path, real, True, LoadProblem(e.reason, msg, path), watched=((real, ident),))
    except (OSError, ValueError) as e:
        return StaticFile(path, real, True, LoadProblem(LoadReason.UNREADABLE, f"{path} cannot be read: {e}", path),
                          watched=((real, ident),))
    try:
        objects: list[RelocatableObject | None] = []
        problems: list[LoadProblem | None] = []
        ordinal = {}
        watched = [(real, ident)]
        for k, m in enumerate(ar.members):
            ordinal[m.header_offset] = k
            if m.external is not None:
                watched.append((m.external, _identity(m.external)))
            try:
                obj = ar.object(m)
                objects.append(obj if path == real else _renamed(obj, path))
                problems.append(None)
            except ElfFormatError as e:
                objects.append(None)
                problems.append(LoadProblem(e.reason, e.message, path))
        index = tuple((name, ordinal[off]) for name, off in ar.index if off in ordinal)
        problem = None
        if not ar.has_index and ar.members:
            problem = LoadProblem(LoadReason.CORRUPT, f"{path} has no symbol index, so ld refuses it "
                                                      "(\"archive has no index; run ranlib to add one\")", path)
        return StaticFile(path, real, True, problem, tuple(m.name for m in ar.members), tuple(objects), tuple(problems),
                          index, ar.has_index, ar.thin, tuple(watched))
    finally:
        ar.close()


def _renamed(obj: RelocatableObject, path: str) -> RelocatableObject:
    return RelocatableObject(path, obj.member, obj.elf_class, obj.little_endian, obj.machine, obj.defined,
                             obj.undefined, obj.weak_undefined)


class StaticReader:
    """`read_static_file` memoised by file identity in this process and, with a cache_dir, on disk."""

    def __init__(self, cache_dir: str | os.PathLike | None = None) -> None:
        self.directory = os.fspath(cache_dir) if cache_dir is not None else None
        self._memo: dict[str, StaticFile] = {}

    @staticmethod
    def unchanged(sf: StaticFile) -> bool:
        return all(_identity(p) == i for p, i in sf.watched)

    def read(self, path: str) -> StaticFile:
        held = self._memo.get(path)
        if held is not None and self.unchanged(held):
            return held
        sf = self._load(path)
        if sf is None:
            sf = read_static_file(path)
            if sf.watched and sf.watched[0][1] is not None:
                self._store(path, sf)
        self._memo[path] = sf
        return sf

    def stale(self) -> bool:
        """True when a file read so far changed on disk (for the server's live reload)."""
        return not all(self.unchanged(sf) for sf in list(self._memo.values()))

    def _cache_file(self, path: str) -> str | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(repr((CACHE_FORMAT, os.path.abspath(path))).encode("utf-8", "surrogateescape"))
        return os.path.join(self.directory, f"{digest.hexdigest()[:32]}.static")

    def _load(self, path: str) -> StaticFile | None:
        file = self._cache_file(path)
        if file is None:
            return None
        try:
            with open(file, "rb") as fh:
                fmt, sf = _CacheUnpickler(fh).load()
            if fmt != CACHE_FORMAT or not isinstance(sf, StaticFile) or sf.path != path or not self.unchanged(sf):
                return None
            return sf
        except Exception:  # noqa: BLE001 -- a corrupt or foreign cache file is just a miss
            return None

    def _store(self, path: str, sf: StaticFile) -> None:
        file = self._cache_file(path)
        if file is not None:
            payload = pickle.dumps((CACHE_FORMAT, sf), protocol=pickle.HIGHEST_PROTOCOL)
            replace_atomically(file, lambda fh: fh.write(payload), suffix=".static")


class _CacheUnpickler(pickle.Unpickler):
    """Admits only the listing's own data types: a cache directory can come from anywhere, and a
    general unpickler would call whatever a crafted entry names."""

    _ALLOWED = {(c.__module__, c.__name__): c for c in (StaticFile, RelocatableObject, ObjectSymbol, LoadProblem,
                                                        LoadReason, SymbolKind)}
    _BUILTINS = {("builtins", n) for n in ("tuple", "list", "dict", "set", "frozenset")}

    def find_class(self, module: str, name: str):  # noqa: D102
        cls = self._ALLOWED.get((module, name))
        if cls is not None:
            return cls
        if (module, name) in self._BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a static-listing type")


# ---------------------------------------------------------------------------------- the link
@dataclass(frozen=True, slots=True)
class Definition:
    """The definition ld binds a name to: which object (and archive member) and which symbol."""

    symbol: ObjectSymbol
    path: str  # the .o or the .a
    member: str | None  # the archive member, None for a .o

    @property
    def shown(self) -> str:
        return f"{self.path}({self.member})" if self.member is not None else self.path


@dataclass(frozen=True, slots=True)
class DuplicateDefinition:
    """ld's "multiple definition of `name'": two linked objects define it strongly."""

    name: str
    first: Definition
    second: Definition


@dataclass(frozen=True, slots=True)
class UnresolvedReference:
    """ld's "undefined reference to `name'" from linked objects that need it."""

    name: str
    needed_by: tuple[str, ...]  # the objects referring to it, as `file` or `archive(member)`


@dataclass(frozen=True)
class StaticLink:
    target: Target
    linked: tuple[RelocatableObject, ...]  # in the order ld took them
    definitions: dict[str, Definition]
    duplicates: tuple[DuplicateDefinition, ...]
    unresolved: tuple[UnresolvedReference, ...]  # of linked objects, not of the program's own names
    problems: tuple[LoadProblem, ...]  # inputs (or pulled members) ld would refuse
    skipped: dict[str, LoadProblem] = field(default_factory=dict)  # name -> the refused input that defines it

    def resolve(self, name: str) -> Definition | None:
        return self.definitions.get(name)


class _Linker:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.defs: dict[str, Definition] = {}
        self.linked: list[RelocatableObject] = []
        self.duplicates: list[DuplicateDefinition] = []
        self.problems: list[LoadProblem] = []
        self.skipped: dict[str, LoadProblem] = {}
        self.strong_refs: dict[str, list[str]] = {}  # name -> referrers, for every linked object

    def add(self, obj: RelocatableObject) -> None:
        self.linked.append(obj)
        defs = self.defs
        for sym in obj.defined:
            d = Definition(sym, obj.path, obj.member)
            cur = defs.get(sym.name)
            if cur is None:
                defs[sym.name] = d
            elif sym.strong and cur.symbol.strong:
                self.duplicates.append(DuplicateDefinition(sym.name, cur, d))
            elif sym.strong or (sym.common and cur.symbol.common and sym.size > cur.symbol.size):
                defs[sym.name] = d  # strong beats weak and COMMON; COMMONs merge to the largest
        for ref in obj.undefined:
            self.strong_refs.setdefault(ref, []).append(obj.shown)

    def undefined_now(self, name: str) -> bool:
        return name in self.strong_refs and name not in self.defs

    def refuse(self, problem: LoadProblem, objs: Iterable[RelocatableObject | None]) -> None:
        self.problems.append(problem)
        for o in objs:
            if o is not None:
                for s in o.defined:
                    self.skipped.setdefault(s.name, problem)

    def scan_archive(self, sf: StaticFile, included: set[int]) -> bool:
        """One ld visit of an archive: pass over the index until a pass pulls nothing."""
        pulled_any = False
        while True:
            pulled = False
            for name, k in sf.index:
                if k in included:
                    continue
                cur = self.defs.get(name)
                if cur is None:
                    if name not in self.strong_refs:
                        continue
                elif not (cur.symbol.common and _defines_really(sf.objects[k], name)):
                    continue
                included.add(k)
                obj = sf.objects[k]
                problem = sf.member_problems[k] if obj is None else machine_problem(obj, self.target)
                if problem is not None:
                    self.refuse(problem, (obj,))
                    continue
                self.add(obj)
                pulled = pulled_any = True
            if not pulled:
                return pulled_any


def _defines_really(obj: RelocatableObject | None, name: str) -> bool:
    return obj is not None and any(s.name == name and not s.common for s in obj.defined)


def link(inputs: Sequence[StaticFile], wanted: Iterable[str], target: Target, *, group: bool = False,
         groups: Sequence[int | None] | None = None) -> StaticLink:
    """What `ld program.o INPUTS...` binds. `group`: all the inputs inside one
    --start-group/--end-group; `groups`: per input, the group it is in (consecutive
    inputs with the same number form one group) or None."""
    lk = _Linker(target)
    wanted = list(dict.fromkeys(wanted))
    for name in wanted:
        lk.strong_refs.setdefault(name, [])
    if group:
        groups = [0] * len(inputs)
    elif groups is None:
        groups = [None] * len(inputs)
    archives: list[tuple[StaticFile, set[int]]] = []  # the archives of the group being read
    for at, sf in enumerate(inputs):
        if at and groups[at] != groups[at - 1]:
            _end_group(lk, archives)  # the previous input ended a group (or was in none)
            archives = []
        if sf.problem is not None:
            lk.refuse(sf.problem, sf.objects)
            continue
        if not sf.archive:
            obj = sf.objects[0]
            problem = machine_problem(obj, target) if obj is not None else None
            if obj is None or problem is not None:
                lk.refuse(problem or LoadProblem(LoadReason.CORRUPT, f"{sf.path} cannot be read", sf.path), (obj,))
                continue
            lk.add(obj)
            continue
        included: set[int] = set()
        if groups[at] is not None:
            archives.append((sf, included))
        lk.scan_archive(sf, included)
    _end_group(lk, archives)
    wanted_set = set(wanted)
    unresolved = []
    for name, who in lk.strong_refs.items():
        if name in lk.defs or linker_defines(name):
            continue
        referrers = tuple(dict.fromkeys(who))
        if referrers or name not in wanted_set:
            unresolved.append(UnresolvedReference(name, referrers))
    return StaticLink(target, tuple(lk.linked), lk.defs, tuple(lk.duplicates), tuple(unresolved), tuple(lk.problems),
                      lk.skipped)


def _end_group(lk: _Linker, archives: list[tuple[StaticFile, set[int]]]) -> None:
    """`--end-group`: rescan the group's archives while a round pulls anything."""
    while len(archives) > 1 and any([lk.scan_archive(sf, inc) for sf, inc in archives]):
        pass


def target_of(files: Sequence[StaticFile]) -> Target | None:
    """The ABI of the first readable object among the inputs (a library group's own target)."""
    for sf in files:
        for obj in sf.objects:
            if obj is not None:
                return obj.target
    return None
