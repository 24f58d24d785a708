"""What `dlopen(spec, RTLD_LAZY | RTLD_LOCAL)` would do, decided by reading bytes only.

Follows glibc's elf/dl-load.c: the search order for a name without '/', the skipping of
candidates built for another class or machine, DT_NEEDED loaded breadth-first into the
handle's search list, DT_VERNEED checked against the providers' DT_VERDEF, and undefined
symbols: with lazy binding only PLT (JUMP_SLOT) references may stay unresolved; any other
relocation against a symbol nobody defines makes the load fail.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import elfspec as S
from .elf import ElfImage
from .elf_file import ElfFormatError, file_identity
from .ldcache import LdCache
from .types import Library, LoadProblem, LoadReason, Target

# glibc's DL_DST_LIB and the default system directories of a Debian-style multiarch build.
_MULTIARCH = {(S.EM_X86_64, 64): "x86_64-linux-gnu", (S.EM_386, 32): "i386-linux-gnu",
              (S.EM_AARCH64, 64): "aarch64-linux-gnu", (S.EM_X86_64, 32): "x86_64-linux-gnux32",
              (S.EM_ARM, 32): "arm-linux-gnueabihf", (S.EM_RISCV, 64): "riscv64-linux-gnu"}
_PLATFORM = {S.EM_X86_64: "x86_64", S.EM_386: "i686", S.EM_AARCH64: "aarch64", S.EM_RISCV: "riscv64"}
DT_BIND_NOW = 24
DF_BIND_NOW = 0x8
DF_1_NOW = 0x1
DT_RELACOUNT = 0x6FFFFFF9
DT_RELCOUNT = 0x6FFFFFFA
MAX_CLOSURE = 4096  # a bound: no real process maps more objects than this


def default_dirs(target: Target) -> tuple[str, ...]:
    triple = _MULTIARCH.get((target.machine, target.elf_class))
    dirs = [f"/lib/{triple}", f"/usr/lib/{triple}"] if triple else []
    return tuple(dirs + ["/lib", "/usr/lib"])


def expand_dst(path: str, origin_dir: str, target: Target) -> str:
    """$ORIGIN, $LIB and $PLATFORM as ld.so expands them (both $X and ${X})."""
    if "$" not in path:
        return path
    triple = _MULTIARCH.get((target.machine, target.elf_class))
    lib = f"lib/{triple}" if triple else "lib"
    for key, val in (("ORIGIN", origin_dir), ("LIB", lib), ("PLATFORM", _PLATFORM.get(target.machine, ""))):
        path = path.replace("${" + key + "}", val).replace("$" + key, val)
    return path


def split_path_list(value: str | None) -> list[str]:
    if not value:
        return []
    # ld.so treats an empty element as the current directory.
    return [p or "." for p in value.replace(";", ":").split(":")]


@dataclass
class LoadedObject:
    path: str  # the path it was opened by (what $ORIGIN is taken from)
    real: str
    image: ElfImage
    names: set[str]  # names it answers to: requested names and its DT_SONAME
    loader: "LoadedObject | None"
    requested_as: str


@dataclass
class LoadOutcome:
    library: Library
    objects: list[LoadedObject] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # real path -> real path of who needed it
    watched: list[tuple[str, tuple | None]] = field(default_factory=list)  # every path consulted, with its identity


class Loader:
    """Shared state for resolving libraries: the target, the search environment, open images."""

    def __init__(self, target: Target, search_paths: Sequence[str], ld_library_path: Sequence[str],
                 image_for: Callable[[str, str], tuple[ElfImage | None, LoadProblem | None, tuple | None]]) -> None:
        self.target = target
        self.search_paths = [os.path.abspath(p) for p in search_paths]
        self.ld_library_path = list(ld_library_path)
        self.ld_cache = LdCache(target)
        self.system_dirs = default_dirs(target)
        self._image_for = image_for

    # ------------------------------------------------------------------ finding one file
    def _try(self, path: str, out: LoadOutcome, *, explicit: bool) -> tuple[ElfImage | None, LoadProblem | None, bool]:
        """(image, problem, skip): skip=True when ld.so would go on to the next directory."""
        img, problem, ident = self._image_for(path, path)
        out.watched.append((path, ident))
        if problem is not None:
            if not explicit and problem.reason in (LoadReason.NOT_FOUND, LoadReason.DANGLING_SYMLINK,
                                                   LoadReason.UNREADABLE):
                return None, problem, True  # open() failed: ld.so tries the next directory
            return None, problem, False
        assert img is not None
        hp = img.header_problem(self.target)
        if hp is not None and not explicit and hp.reason in (LoadReason.WRONG_CLASS, LoadReason.WRONG_MACHINE):
            return None, hp, True  # open_verify skips objects for another class or machine
        return img, hp, False

    def _search(self, name: str, dirs: list[tuple[str, str]], out: LoadOutcome):
        """Try dir/name for each (dir, what-it-came-from); the first acceptable file wins."""
        skipped: list[LoadProblem] = []
        seen: set[str] = set()
        for d, _source in dirs:
            path = os.path.join(d, name)
            if path in seen:
                continue
            seen.add(path)
            img, problem, skip = self._try(path, out, explicit=False)
            if skip:
                if problem is not None and problem.reason in (LoadReason.WRONG_CLASS, LoadReason.WRONG_MACHINE):
                    skipped.append(problem)
                continue
            return path, img, problem
        return None, None, skipped[0] if skipped else None

    def search_dirs(self, requester: LoadedObject | None, out: LoadOutcome) -> tuple[list[tuple[str, str]], bool]:
        """The directory list for a DT_NEEDED of `requester` (None: the dlopen call itself)."""
        dirs: list[tuple[str, str]] = []
        nodeflib = False
        if requester is None or requester.image.runpath is None:
            obj = requester
            while obj is not None:  # DT_RPATH of the requester, then of its loader, and on up
                if obj.image.runpath is None and obj.image.rpath:
                    origin = os.path.dirname(obj.path)
                    dirs += [(expand_dst(p, origin, self.target), "DT_RPATH") for p in split_path_list(obj.image.rpath)]
                obj = obj.loader
        dirs += [(p, "LD_LIBRARY_PATH") for p in self.ld_library_path]
        if requester is not None and requester.image.runpath:
            origin = os.path.dirname(requester.path)
            dirs += [(expand_dst(p, origin, self.target), "DT_RUNPATH") for p in split_path_list(requester.image.runpath)]
        dirs += [(p, "search path") for p in self.search_paths]
        if requester is not None:
            nodeflib = bool(requester.image.flags_1 & S.DF_1_NODEFLIB)
        return dirs, nodeflib

    def find(self, name: str, requester: LoadedObject | None, out: LoadOutcome, origin: str | None = None):
        """(path, image, problem) for a DT_NEEDED entry or the dlopen argument."""
        if "/" in name:
            base = os.path.dirname(requester.path) if requester is not None else (origin or os.getcwd())
            path = expand_dst(name, base, self.target)
            if not os.path.isabs(path):
                # dlopen resolves a relative path against the process's directory; we take `origin`.
                path = os.path.join(origin or os.getcwd(), path)
            img, problem, _skip = self._try(path, out, explicit=True)
            return path, img, problem
        dirs, nodeflib = self.search_dirs(requester, out)
        path, img, problem = self._search(name, dirs, out)
        if path is not None:
            return path, img, problem
        if not nodeflib:
            cache_ident = self.ld_cache.identity()
            out.watched.append((self.ld_cache.path, cache_ident))
            cached = self.ld_cache.find(name)
            if cached is not None:
                c_img, c_problem, skip = self._try(cached, out, explicit=False)
                if not skip:
                    return cached, c_img, c_problem
            sys_path, sys_img, sys_problem = self._search(name, [(d, "default") for d in self.system_dirs], out)
            if sys_path is not None:
                return sys_path, sys_img, sys_problem
            if sys_problem is not None:
                problem = sys_problem
        for d, _s in dirs:
            out.watched.append((d, _dir_identity(d)))  # a new file there changes the answer
        return None, None, problem

    def not_found_message(self, spec: str, origin: str | None) -> str:
        """"NAME was not found: searched ..." naming the places a bare name was looked for
        (the dlopen call's own list), and a file of that name in `origin` or the working
        directory, which a bare name never means (as for dlopen: write a path)."""
        if "/" in spec:
            return f"{spec}: no such file"
        dirs, _ = self.search_dirs(None, LoadOutcome(Library(spec=spec, path=None, problem=None)))
        places: list[str] = []
        for d, source in dirs:
            entry = f"{d} ({source})"
            if entry not in places:
                places.append(entry)
        places.append(self.ld_cache.path)
        places.extend(d for d in self.system_dirs if d not in places)
        message = f"{spec} was not found: searched {', '.join(places)}"
        for base in dict.fromkeys([origin or os.getcwd(), os.getcwd()]):
            local = os.path.join(base, spec)
            if os.path.isfile(local):
                shown = "./" + spec if base == os.getcwd() else local
                message += f"; {shown} exists (a bare name is searched for as the dynamic linker does: " \
                           f"give it as a path to use that file)"
                break
        return message

    # ------------------------------------------------------------------ dlopen
    def load(self, spec: str, origin: str | None = None) -> LoadOutcome:
        out = LoadOutcome(Library(spec=spec, path=None, problem=None))
        try:
            return self._load(spec, origin, out)
        except (ElfFormatError, struct.error, ValueError, IndexError, OverflowError, KeyError) as e:
            msg = e.message if isinstance(e, ElfFormatError) else f"{spec}: corrupt dynamic information ({e})"
            reason = e.reason if isinstance(e, ElfFormatError) else LoadReason.CORRUPT
            out.library = Library(spec=spec, path=out.library.path, problem=LoadProblem(reason, msg, out.library.path))
            return out

    def _load(self, spec: str, origin: str | None, out: LoadOutcome) -> LoadOutcome:
        path, img, problem = self.find(spec, None, out, origin)
        if img is None or problem is not None:
            if problem is None:
                problem = LoadProblem(LoadReason.NOT_FOUND, self.not_found_message(spec, origin), None)
            out.library = Library(spec=spec, path=_real(path) if path else None, problem=problem,
                                  identity=_identity_of(path, img))
            return out
        img.parse_dynamic()
        root_real = _real(path)
        top = LoadedObject(path, root_real, img, {spec, os.path.basename(path)}, None, spec)
        if img.soname:
            top.names.add(img.soname)
        lib_common = dict(spec=spec, path=root_real, soname=img.soname, needed=img.needed, identity=img.identity)
        if img.flags_1 & S.DF_1_PIE:
            out.library = Library(**lib_common, problem=LoadProblem(
                LoadReason.NOT_SHARED_OBJECT, f"{path} is a position-independent executable; dlopen refuses it", path))
            return out
        if not img.has_dynamic:
            out.library = Library(**lib_common, problem=LoadProblem(
                LoadReason.NOT_SHARED_OBJECT, f"{path} has no dynamic section; it cannot be loaded", path))
            return out
        objects = [top]
        by_ident = {(img.identity[3], img.identity[0]): top}
        chain_to: dict[str, tuple[str, ...]] = {root_real: (spec,)}
        q = 0
        while q < len(objects):
            obj = objects[q]
            q += 1
            obj.image.parse_dynamic()
            for name in obj.image.needed:
                if any(name in o.names for o in objects):
                    continue
                d_path, d_img, d_problem = self.find(name, obj, out)
                chain = chain_to[obj.real] + (name,)
                if d_img is None or d_problem is not None:
                    out.library = Library(**lib_common, problem=_dependency_problem(spec, name, obj, d_path, d_problem, chain))
                    return out
                d_img.parse_dynamic()
                real = _real(d_path)
                key = (d_img.identity[3], real)
                known = by_ident.get(key)
                if known is not None:
                    known.names.add(name)
                    continue
                if len(objects) >= MAX_CLOSURE:
                    raise ElfFormatError(LoadReason.CORRUPT, f"{spec}: dependency closure exceeds {MAX_CLOSURE} objects")
                new = LoadedObject(d_path, real, d_img, {name}, obj, name)
                if d_img.soname:
                    new.names.add(d_img.soname)
                by_ident[key] = new
                objects.append(new)
                chain_to[real] = chain
                out.parents[real] = obj.real
        out.objects = objects
        for o in objects:
            o.image.prepare_dynsym()
        problem = self._check_versions(spec, objects, chain_to)
        unresolved: tuple[str, ...] = ()
        if problem is None:
            problem, unresolved = self._check_symbols(spec, objects, chain_to)
        out.library = Library(**lib_common, problem=problem, closure=tuple(o.real for o in objects),
                              unresolved_functions=unresolved)
        return out

    def _check_versions(self, spec: str, objects: list[LoadedObject], chain_to) -> LoadProblem | None:
        """DT_VERNEED: every required (non-weak) version must be defined by the named provider."""
        for obj in objects:
            for need in obj.image.version_needs():
                provider = next((o for o in objects if need.file in o.names), None)
                if provider is None:
                    continue  # ld.so only checks providers that are loaded
                defined = {name for name, _f in provider.image.versions().values()}
                for vname, flags, _other in need.versions:
                    if vname not in defined and not flags & S.VER_FLG_WEAK:
                        return LoadProblem(
                            LoadReason.MISSING_VERSION,
                            f"{obj.path} requires version {vname} of {need.file}, which {provider.path} does not define",
                            obj.path, chain_to.get(obj.real, (spec,)))
        return None

    def _check_symbols(self, spec: str, objects: list[LoadedObject], chain_to) -> tuple[LoadProblem | None, tuple[str, ...]]:
        unresolved: dict[str, list[tuple[LoadedObject, int]]] = {}
        for obj in objects:
            for i, name, name_b, gh in strong_undefined(obj.image):
                if any(_defines(o.image, name, name_b, gh) for o in objects):
                    continue
                unresolved.setdefault(name, []).append((obj, i))
        if not unresolved:
            return None, ()
        lazy: list[str] = []
        for name, refs in unresolved.items():
            for obj, idx in refs:
                if _eager_reference(obj.image, idx):
                    return LoadProblem(
                        LoadReason.UNDEFINED_SYMBOL,
                        f"{obj.path} refers to {name}, which no object loaded with {spec} defines "
                        "(a data or address reference is bound at load time, so the load fails)",
                        obj.path, chain_to.get(obj.real, (spec,))), ()
            lazy.append(name)
        return None, tuple(sorted(lazy))


def strong_undefined(img: ElfImage) -> list[tuple[int, str, bytes, int]]:
    """(index, name, name bytes, GNU hash) of the GLOBAL undefined references; memoised on the image.

    With DT_GNU_HASH every undefined symbol sits before symoffset, so only that prefix is read.
    """
    memo = img._strong_undefined
    if memo is not None:
        return memo
    from .hashes import gnu_hash_cached  # noqa: PLC0415

    out: list[tuple[int, str, bytes, int]] = []
    img.prepare_dynsym()
    end = img.symoffset if img.gnu is not None else img.nsyms
    for i, st_name, info, _other, shndx, _value, _size in img.iter_dynsym(1, end):
        if shndx != S.SHN_UNDEF or info >> 4 != S.STB_GLOBAL or st_name == 0:
            continue  # weak undefined references may stay NULL
        name_b = img.dynstr_bytes(st_name)
        out.append((i, name_b.decode("utf-8", "surrogateescape"), name_b, gnu_hash_cached(name_b)))
    img._strong_undefined = out
    return out


def _defines(img: ElfImage, name: str, name_b: bytes, gh: int) -> bool:
    hit = img.lookup(name, name_b, gh)
    return hit[0] == "found" or hit[1] == "compat-only"  # a versioned reference may bind a compat version


def _eager_reference(img: ElfImage, sym_index: int) -> bool:
    """Is symbol `sym_index` referenced by a relocation ld.so processes at load time?"""
    dyn, L, mm = img.dyn, img.L, img.mm
    bind_now = bool(dyn.get(S.DT_FLAGS, 0) & DF_BIND_NOW or DT_BIND_NOW in dyn or img.flags_1 & DF_1_NOW)
    jump_slot = S.R_X86_64_JUMP_SLOT if img.e_machine == S.EM_X86_64 else S.R_386_JMP_SLOT
    tables = []
    if S.DT_RELA in dyn:
        tables.append((dyn[S.DT_RELA], dyn.get(S.DT_RELASZ, 0), L.rela, dyn.get(DT_RELACOUNT, 0), False))
    if S.DT_REL in dyn:
        tables.append((dyn[S.DT_REL], dyn.get(S.DT_RELSZ, 0), L.rel, dyn.get(DT_RELCOUNT, 0), False))
    if S.DT_JMPREL in dyn:
        ent = L.rela if dyn.get(S.DT_PLTREL, S.DT_RELA) == S.DT_RELA else L.rel
        tables.append((dyn[S.DT_JMPREL], dyn.get(S.DT_PLTRELSZ, 0), ent, 0, True))
    for addr, size, ent, skip, is_plt in tables:
        if size <= 0:
            continue
        off = img.vaddr_to_offset(addr, size)
        start = off + min(skip, size // ent.size) * ent.size
        end = off + (size // ent.size) * ent.size
        if start >= end:
            continue
        blob = mm[start:end]
        # Fast path: in-memory search for r_info's symbol half is awkward; unpack and compare.
        for rec in ent.iter_unpack(blob):
            r_info = rec[1]
            if L.r_sym(r_info) != sym_index:
                continue
            rtype = L.r_type(r_info)
            if rtype == 0:
                continue
            if not is_plt or bind_now or rtype != jump_slot:
                return True
    return False


def _dependency_problem(spec: str, name: str, requester: LoadedObject, path: str | None,
                        problem: LoadProblem | None, chain: tuple[str, ...]) -> LoadProblem:
    if problem is None or problem.reason in (LoadReason.NOT_FOUND, LoadReason.DANGLING_SYMLINK):
        why = f"{name}, needed by {requester.path}, was not found"
    elif problem.reason in (LoadReason.WRONG_CLASS, LoadReason.WRONG_MACHINE):
        why = f"{name}, needed by {requester.path}, was found only for another ABI ({problem.message})"
    else:
        why = f"{name}, needed by {requester.path}, cannot be loaded: {problem.message}"
    return LoadProblem(LoadReason.MISSING_DEPENDENCY, f"{spec} cannot be loaded: {why}",
                       path or requester.path, chain)


def _real(path: str | None) -> str:
    return os.path.realpath(path) if path else ""


def _identity_of(path: str | None, img: ElfImage | None) -> tuple:
    if img is not None:
        return img.identity
    if path is None:
        return ()
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return file_identity(os.path.realpath(path), st)


def _dir_identity(d: str) -> tuple | None:
    try:
        st = os.stat(d)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)
