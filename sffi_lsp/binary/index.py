"""ExportIndex: the binary layer's one entry point.

It answers, without running any library code, what `dlopen(spec, RTLD_LAZY|RTLD_LOCAL)`
followed by `dlsym(handle, name)` would give. Answers are memoised and re-validated by
`os.stat` identity, so a rebuilt file is read again and an unchanged one costs a stat.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..atomic_file import replace_atomically
from .elf import ElfImage, open_image
from .elf_file import ElfFormatError
from .hashes import gnu_hash_cached
from .listing import ExportTable, ListingCache, decode_exports, make_found, make_symbol
from .loader import Loader, LoadOutcome
from .sigcache import SignatureCache
from .types import (Absent, AbsenceReason, CSignature, Found, Library, LoadProblem, NoSignature,
                    SymbolListing, Target)


VERDICT_FORMAT = "sffi-library-2"


def _stat_ident(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


class _StatWindow:
    """Each file's stat identity is reused for STAT_WINDOW seconds after it was taken.

    One check of a workspace asks library() for several libraries whose closures share files
    (libc, libstdc++, ld.so.cache): within the window each file is statted once, however the
    check's calls are spread or interrupted (every path has its own timestamp; nothing expires
    all at once). An answer therefore reflects the files as they were at most STAT_WINDOW ago,
    well under what any edit-build-check cycle can observe.
    """

    MAX_PATHS = 1 << 16

    def __init__(self, window: float) -> None:
        self.window = window
        self._memo: dict[str, tuple[float, tuple | None]] = {}

    def unchanged(self, watched: tuple[tuple[str, tuple | None], ...]) -> bool:
        """True when every (path, identity) still holds."""
        now = time.monotonic()  # taken before any stat: a reuse never outlives the window
        oldest = now - self.window
        memo = self._memo
        for path, ident in watched:
            held = memo.get(path)
            if held is None or held[0] < oldest:
                if len(memo) >= self.MAX_PATHS:
                    memo.clear()
                cur = _stat_ident(path)
                memo[path] = (now, cur)
            else:
                cur = held[1]
            if cur != ident:
                return False
        return True


STAT_WINDOW = 0.002


@dataclass
class _LibraryEntry:
    library: Library
    outcome: LoadOutcome | None
    watched: tuple[tuple[str, tuple | None], ...]  # re-statted on every library() call
    reals: tuple[str, ...]  # real paths of the closure, breadth-first (dlsym's search order)
    images: list[ElfImage | None]  # opened on first need: most names are found in the first objects
    via: dict[str, tuple[str, ...]]
    results: dict[str, Found | Absent]


class ExportIndex:
    def __init__(self, *, target: Target | None = None, cache_dir: str | os.PathLike | None = None,
                 search_paths: Sequence[str] = (), ld_library_path: Sequence[str] | None = None) -> None:
        self.target = target or Target.host()
        if ld_library_path is None:
            from .loader import split_path_list  # noqa: PLC0415

            ld_library_path = split_path_list(os.environ.get("LD_LIBRARY_PATH"))
        self._listing_cache = ListingCache(cache_dir) if cache_dir is not None else None
        self._images: dict[str, tuple[tuple | None, ElfImage | None, LoadProblem | None]] = {}
        self._libraries: dict[tuple[str, str | None], _LibraryEntry] = {}
        self._listings: dict[str, tuple[tuple, SymbolListing]] = {}
        self._signatures: dict[tuple, CSignature | NoSignature] = {}
        self._sig_cache = SignatureCache(cache_dir) if cache_dir is not None else None
        self._worker = None  # DwarfWorker, created on the first signatures() call
        self._worker_lock = threading.Lock()
        self._open_lock = threading.RLock()
        self._seen: dict[str, tuple | None] = {}
        self._stats = _StatWindow(STAT_WINDOW)
        self._loader = Loader(self.target, search_paths, ld_library_path, self._image_for)

    # ------------------------------------------------------------------ images, memoised by identity
    def _image_for(self, path: str, shown: str, real: str | None = None
                   ) -> tuple[ElfImage | None, LoadProblem | None, tuple | None]:
        with self._open_lock:
            return self._image_for_locked(path, shown, real)

    def _image_for_locked(self, path: str, shown: str, real: str | None
                          ) -> tuple[ElfImage | None, LoadProblem | None, tuple | None]:
        try:
            st: os.stat_result | None = os.stat(path)
        except OSError:
            st = None
        ident = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev) if st is not None else None
        if real is None:
            real = os.path.realpath(path) if ident is not None else path
        cached = self._images.get(real)
        if cached is not None and ident is not None and cached[0] == ident:
            return cached[1], cached[2], ident
        # os.stat follows symlinks: `st` describes `real` too, so open_image need not stat again.
        img, problem, _st = open_image(real if ident is not None else path, shown, st)
        if problem is not None and problem.path == real and path != real:
            problem = LoadProblem(problem.reason, problem.message, path)
        if ident is not None:
            if cached is not None and cached[1] is not None:
                cached[1].close()
            self._images[real] = (ident, img, problem)
            self._seen[real] = ident
        return img, problem, ident

    # ------------------------------------------------------------------ library()
    def library(self, spec: str, origin: str | None = None) -> Library:
        key = (spec, origin)
        entry = self._libraries.get(key)
        if entry is not None and self._stats.unchanged(entry.watched):
            return entry.library
        restored = self._restore_verdict(key)
        if restored is not None:
            self._libraries[key] = restored
            return restored.library
        outcome = self._loader.load(spec, origin)
        lib = outcome.library
        if lib.loadable:
            # Loadable: the answer changes when one of its objects (or the cache) changes.
            keep = {o.path for o in outcome.objects} | {self._loader.ld_cache.path}
            watched = tuple((p, _stat_ident(p)) for p in keep)
        else:
            # Not loadable: also watch every place searched, so a newly built file is noticed.
            watched = tuple(dict.fromkeys((p, _stat_ident(p)) for p, _i in outcome.watched))
        images: list[ElfImage | None] = [o.image for o in outcome.objects]
        reals = tuple(o.real for o in outcome.objects)
        via: dict[str, tuple[str, ...]] = {}
        for o in outcome.objects[1:]:
            chain = [o.real]
            p = outcome.parents.get(o.real)
            while p is not None and len(chain) < 4096:
                chain.append(p)
                p = outcome.parents.get(p)
            via[o.real] = tuple(reversed(chain))
        for p, i in watched:
            if i is not None and os.path.isfile(p):
                self._seen.setdefault(os.path.realpath(p), i)
        self._libraries[key] = _LibraryEntry(lib, outcome, watched, reals, images, via, {})
        if lib.loadable:
            self._store_verdict(key, lib, watched, reals, via)
        return lib

    # ------------------------------------------------------------------ persisted verdicts
    # Deciding loadability reads every undefined reference of the whole closure (libtorch_cpu:
    # ~1,300 names against 11 objects). The verdict is kept on disk with the identity of every
    # file it depends on, so a new process re-validates it with a few stats.
    def _verdict_file(self, key: tuple[str, str | None]) -> str | None:
        if self._listing_cache is None:
            return None
        env = (key, self.target.elf_class, self.target.little_endian, self.target.machine,
               tuple(self._loader.ld_library_path), tuple(self._loader.search_paths), os.getcwd() if key[1] is None else "")
        digest = hashlib.sha256(repr(env).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self._listing_cache.directory, f"{digest}.library")

    def _store_verdict(self, key, lib: Library, watched, object_paths: tuple[str, ...], via) -> None:
        path = self._verdict_file(key)
        if path is None:
            return
        record = {"format": VERDICT_FORMAT, "key": list(key), "watched": [[p, list(i) if i else None] for p, i in watched],
                  "objects": object_paths, "via": {k: list(v) for k, v in via.items()},
                  "library": {"spec": lib.spec, "path": lib.path, "soname": lib.soname, "needed": list(lib.needed),
                              "closure": list(lib.closure), "unresolved_functions": list(lib.unresolved_functions),
                              "identity": list(lib.identity)}}
        payload = json.dumps(record).encode()
        replace_atomically(path, lambda fh: fh.write(payload), suffix=".library")

    def _restore_verdict(self, key) -> _LibraryEntry | None:
        path = self._verdict_file(key)
        if path is None:
            return None
        try:
            with open(path) as fh:
                rec = json.load(fh)
            if rec.get("format") != VERDICT_FORMAT or rec["key"] != list(key):
                return None
            watched = tuple((p, tuple(i) if i else None) for p, i in rec["watched"])
            for p, i in watched:
                if _stat_ident(p) != i:
                    return None
            reals = tuple(rec["objects"])  # real paths; opened lazily by lookups
            if not reals or not all(isinstance(p, str) for p in reals):
                return None
            L = rec["library"]
            lib = Library(spec=L["spec"], path=L["path"], problem=None, soname=L["soname"], needed=tuple(L["needed"]),
                          closure=tuple(L["closure"]), unresolved_functions=tuple(L["unresolved_functions"]),
                          identity=tuple(L["identity"]))
            via = {k: tuple(v) for k, v in rec["via"].items()}
            return _LibraryEntry(lib, None, watched, reals, [None] * len(reals), via, {})
        except Exception:  # noqa: BLE001 -- a corrupt verdict file is just a miss
            return None

    def stale(self) -> bool:
        """True when a library file seen so far changed on disk (for watchers)."""
        stats = self._stats  # each file statted once, however many closures hold it
        if not stats.unchanged(tuple(self._seen.items())):
            return True
        return not all(stats.unchanged(entry.watched) for entry in list(self._libraries.values()))

    def _entry_for(self, library: Library) -> _LibraryEntry | None:
        for key in ((library.spec, None),):
            e = self._libraries.get(key)
            if e is not None and e.library is library:
                return e
        for e in self._libraries.values():
            if e.library is library or e.library == library:
                return e
        return None

    # ------------------------------------------------------------------ lookup()
    def lookup(self, library: Library, names: Iterable[str]) -> dict[str, Found | Absent]:
        out: dict[str, Found | Absent] = {}
        if not library.loadable:
            problem = library.problem
            detail = problem.message if problem else "the library cannot be loaded"
            for n in names:
                out[n] = Absent(n, AbsenceReason.LIBRARY_NOT_LOADABLE, detail, library.path)
            return out
        entry = self._entry_for(library)
        if entry is None:  # a Library from elsewhere: resolve its path afresh
            lib = self.library(library.path or library.spec)
            entry = self._entry_for(lib)
            if entry is None or not lib.loadable:
                return self.lookup(lib, names)
        results = entry.results
        if not isinstance(names, (list, tuple)):
            names = list(names)
        try:  # everything answered before (a repeated check): build the answer at C speed
            return dict(zip(names, map(results.__getitem__, names)))
        except KeyError:
            pass
        for n in names:
            r = results.get(n)
            if r is None:
                r = results[n] = self._resolve(entry, n)
            out[n] = r
        return out

    def _object(self, entry: _LibraryEntry, k: int) -> ElfImage | None:
        """The k-th object of the closure, opened on first need (None: it cannot be opened now)."""
        img = entry.images[k]
        if img is None:
            with self._open_lock:  # the server's threads may look up in the same closure at once
                img = entry.images[k]
                if img is None:
                    real = entry.reals[k]
                    img, problem, _ident = self._image_for(real, real, real)
                    if problem is not None:
                        img = None
                    entry.images[k] = img
        return img

    def _resolve(self, entry: _LibraryEntry, name: str) -> Found | Absent:
        name_b = name.encode("utf-8", "surrogateescape")
        gh = gnu_hash_cached(name_b)
        first_hint: tuple | None = None
        images = entry.images
        for k in range(len(images)):
            img = images[k]
            if img is None:
                img = self._object(entry, k)
            if img is None:
                first_hint = first_hint or ("not-present", f"{entry.reals[k]} could not be searched (it changed)",
                                            entry.reals[k])
                continue
            try:
                hit = img.lookup(name, name_b, gh)
            except (ElfFormatError, struct.error, ValueError, IndexError, OverflowError) as e:
                first_hint = first_hint or ("not-present", f"{img.path} could not be searched ({e})", img.path)
                continue
            if hit[0] == "found":
                _kind, i, f, v = hit
                _n, info, other, _shndx, value, size = f
                sym = make_symbol(name, info, other, img.version_name(v), size, value)
                real = entry.library.path if k == 0 else entry.reals[k]
                return make_found(sym, real or img.path, entry.via.get(real, ()))
            if hit[1] is not None and first_hint is None:
                first_hint = (hit[1], hit[2], img.path)
        if first_hint is None and entry.reals:
            # Only the requested object is asked why (its imports, locals, .symtab): that is what
            # the user named, and the dependencies' tables can be huge.
            top = self._object(entry, 0)
            why = top.explain_absence(name_b) if top is not None else None
            if why is not None:
                first_hint = (why[0], why[1], top.path)  # type: ignore[union-attr]
        if first_hint is not None:
            reason, detail, obj = first_hint
            return Absent(name, AbsenceReason(reason), detail, obj)
        n = len(entry.reals) - 1
        deps = f" or its {n} dependenc{'y' if n == 1 else 'ies'}" if n else ""
        return Absent(name, AbsenceReason.NOT_PRESENT, f"{entry.library.path} does not define {name}{deps}",
                      entry.library.path)

    # ------------------------------------------------------------------ exports()
    def exports(self, library_or_path: Library | str) -> SymbolListing:
        path = library_or_path.path if isinstance(library_or_path, Library) else library_or_path
        if not path:
            return SymbolListing(path="", symbols=ExportTable.empty())
        ident = _stat_ident(path)
        real = os.path.realpath(path)
        held = self._listings.get(real)
        if held is not None and held[0] == ident:
            return held[1]
        img, problem, _i = self._image_for(path, path)
        if img is None or problem is not None:
            return SymbolListing(path=real, symbols=ExportTable.empty())
        table: ExportTable | None = None
        cache_key = (real, img.size, img.identity[2], img.identity[3])
        if self._listing_cache is not None:
            table = self._listing_cache.load(cache_key)
        if table is None:
            try:
                table = decode_exports(img)
            except (ElfFormatError, struct.error, ValueError, IndexError, OverflowError):
                table = ExportTable.empty()  # a corrupt object exports nothing ld.so could use
            else:
                if self._listing_cache is not None:
                    self._listing_cache.store(cache_key, table)
        listing = SymbolListing(path=real, symbols=table)
        self._listings[real] = (ident, listing)
        return listing

    # ------------------------------------------------------------------ signatures()
    def _dwarf_worker(self):
        from .dwarf import DwarfWorker  # noqa: PLC0415 -- only when signatures are asked for

        with self._worker_lock:
            if self._worker is None:
                self._worker = DwarfWorker()  # the process itself starts on the first request
            return self._worker

    def close(self) -> None:
        """Stop the DWARF worker process, if one was started (it is also stopped at exit)."""
        with self._worker_lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def compile_units(self, library: Library, timeout: float = 10.0) -> list[tuple[str, str]]:
        """(name, comp_dir) of the compile units its DWARF lists (read in a child process)."""
        if not library.path or self.dwarf_absence(library.path) is not None:
            return []  # nothing to read: no child started
        from .dwarf_units import compile_units  # noqa: PLC0415

        return compile_units(library.path, timeout)

    def dwarf_absence(self, path: str) -> str | None:
        """Why `path` certainly has no DWARF (the worker's words), told from its section headers
        in this process; None when the worker must look (see `debug_sections`)."""
        from .debug_sections import dwarf_absence  # noqa: PLC0415

        img, problem, _i = self._image_for(path, path)
        if img is None or problem is not None:
            return None  # not an ELF file we can map (an archive member, say): the worker judges
        return dwarf_absence(img)

    def signatures(self, library: Library, names: Iterable[str], timeout: float = 10.0
                   ) -> dict[str, CSignature | NoSignature]:
        names = list(names)
        out: dict[str, CSignature | NoSignature] = {}
        if not library.path:
            return {n: NoSignature(n, "the library was not found") for n in names}
        ident = library.identity or (library.path,)
        todo = [n for n in dict.fromkeys(names) if (ident, n) not in self._signatures]
        if todo:
            found = self.lookup(library, todo) if library.loadable else {}
            targets: dict[str, tuple[str, int]] = {}
            for n in todo:
                r = found.get(n)
                if isinstance(r, Found):
                    targets[n] = (r.provider, r.symbol.address)
                else:
                    targets[n] = (library.path, -1)
            by_provider: dict[str, list[str]] = {}
            for n, (provider, _addr) in targets.items():
                by_provider.setdefault(provider, []).append(n)
            for provider in list(by_provider):
                # A stripped object answers here: no worker, no DWARF module imported for it.
                why = self.dwarf_absence(provider)
                if why is not None:
                    for n in by_provider.pop(provider):
                        self._signatures[(ident, n)] = NoSignature(n, why)
                        del targets[n]
        if todo and targets:
            from .dwarf import WorkerFailure, _from_json  # noqa: PLC0415
            from .sigcache import lasting, library_identity  # noqa: PLC0415

            raw: dict[str, object] = {}
            identities = {p: library_identity(p) for p in by_provider}
            if self._sig_cache is not None:
                for provider, ns in by_provider.items():
                    pid = identities[provider]
                    if pid is not None:
                        raw.update(self._sig_cache.load(pid, ns))
            ask = {n: t for n, t in targets.items() if n not in raw}
            if ask:  # one request for every name still unknown, whatever object provides it
                try:
                    answer = self._dwarf_worker().request(ask, timeout)
                except WorkerFailure as e:
                    for n in ask:
                        self._signatures[(ident, n)] = NoSignature(n, str(e))
                    answer = None
                if answer is not None:
                    fresh = {n: answer.get(n) for n in ask}
                    raw.update(fresh)
                    if self._sig_cache is not None:
                        for provider, ns in by_provider.items():
                            keep = {n: fresh[n] for n in ns if n in fresh and lasting(fresh[n])}
                            pid = identities[provider]
                            if keep and pid is not None and library_identity(provider) == pid:
                                self._sig_cache.store(pid, keep)
            for n, d in raw.items():
                sig = _from_json(n, d)
                if isinstance(sig, CSignature) and sig.library is None:
                    sig = CSignature(sig.name, sig.params, sig.returns, sig.variadic, sig.file, sig.line, targets[n][0])
                self._signatures[(ident, n)] = sig
        for n in names:
            out[n] = self._signatures.get((ident, n)) or NoSignature(n, "no signature information")
        return out
