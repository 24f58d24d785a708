"""Providers' answers kept on disk between runs (`.sffi_cache/providers.json`, safe to delete).

A warm `sffi-check` on an unchanged tree asks the same questions as the last run: how does
each extern name resolve, and what names are near the unresolved ones. Answering them again
means reading the closures of every configured library (libtorch_cpu: 157k exports) for
nothing. This store keeps the answers together with a *fingerprint* of everything they
depend on; when the fingerprint of the current providers matches, answers come from disk.

What the fingerprint covers (see `Providers.fingerprint`): this code itself, the provider
settings of the configuration, the environment variables and working directory that steer
the search, the built-ins lists and the manifest (identity as read), the fresh loader
verdict of every library the providers hold (runtime, manifest plugins, configured,
LD_PRELOAD) plus the stat identity of every object in their closures, and the identity
of every directory a satellite or a bare library name is searched in (a new file changes
its directory). Satellites found by earlier runs are re-validated by the identities of
their closures, kept in the file's `watch` list.

The file is JSON: reading it can never run code, and anything malformed is just a miss.
Written atomically (temp file + rename), so a parallel run sees the old or the new file.
"""

from __future__ import annotations

import json
from typing import Any

from ..binary.types import (Absent, AbsenceReason, ExportedSymbol, Found, Library, LoadProblem, LoadReason,
                            SymbolKind)
from ..atomic_file import replace_atomically, stat_identity
from .types import ProviderKind, ProviderRef, Resolution, ResolutionStatus

FORMAT = "sffi-provider-answers-2"
_REASONS = {r.value: r for r in AbsenceReason}  # a dict lookup, not an Enum call, per absence
_STATUSES = {s.value: s for s in ResolutionStatus}
MAX_ENTRIES = 200_000  # a bound on the file: beyond it, only this run's answers are kept


# ------------------------------------------------------------------------------ encoding
# Compact JSON arrays; decoding rebuilds equal objects (tuples where the types hold tuples).

def _enc_library(lib: Library) -> list:
    p = lib.problem
    problem = None if p is None else [p.reason.value, p.message, p.path, list(p.chain)]
    return [lib.spec, lib.path, problem, lib.soname, list(lib.needed), list(lib.closure),
            list(lib.unresolved_functions), list(lib.identity)]


def _dec_library(raw: list) -> Library:
    spec, path, problem, soname, needed, closure, unresolved, identity = raw
    prob = None
    if problem is not None:
        reason, message, ppath, chain = problem
        prob = LoadProblem(LoadReason(reason), message, ppath, tuple(chain))
    return Library(spec, path, prob, soname, tuple(needed), tuple(closure), tuple(unresolved), tuple(identity))


def _enc_ref(ref: ProviderRef | None) -> list | None:
    if ref is None:
        return None
    return [ref.kind.value, ref.library, ref.version, list(ref.via), ref.detail, ref.source, ref.member,
            ref.decl_path, ref.decl_line]


def _dec_ref(raw: list | None) -> ProviderRef | None:
    if raw is None:
        return None
    kind, library, version, via, detail, source, member, decl_path, decl_line = raw
    return ProviderRef(ProviderKind(kind), library, version, tuple(via), detail, source, member, decl_path, decl_line)


def _enc_found(found: Found | None) -> list | None:
    if found is None:
        return None
    s = found.symbol
    return [s.name, s.kind.value, s.binding, s.visibility, s.version, s.size, s.address, found.provider,
            list(found.via)]


def _dec_found(raw: list | None) -> Found | None:
    if raw is None:
        return None
    name, kind, binding, visibility, version, size, address, provider, via = raw
    return Found(ExportedSymbol(name, SymbolKind(kind), binding, visibility, version, size, address), provider,
                 tuple(via))


class AnswerStore:
    """Resolutions (dynamic path only) and suggestions for one fingerprint, on disk."""

    def __init__(self, path: str, fingerprint: str, live_libraries: list[Library]) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._live = {lib: lib for lib in live_libraries}  # decoded libraries become these objects
        self._resolutions: dict[str, list] = {}
        self._suggestions: dict[str, list[str]] = {}
        self._libraries: list[list] = []
        self._watch: dict[str, list | None] = {}
        self._lib_ids: dict[Library, int] = {}
        self._decoded_libs: dict[int, Library] = {}
        self.dirty = False
        self._loaded: bool | None = None  # read on first use: a run served whole from results needs none
        self.hits = 0

    @property
    def loaded(self) -> bool:
        """True when the file held answers for this fingerprint."""
        self._ensure()
        return bool(self._loaded)

    def _ensure(self) -> None:
        if self._loaded is None:
            self._loaded = False
            self._load()

    # -- file ------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = json.loads(fh.read())
            if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != self.fingerprint:
                return
            watch = data["watch"]
            for path, ident in watch.items():
                if stat_identity(path) != ident:
                    return  # a satellite library found earlier changed
            resolutions, suggestions, libraries = data["resolutions"], data["suggestions"], data["libraries"]
            if not (isinstance(resolutions, dict) and isinstance(suggestions, dict) and isinstance(libraries, list)):
                return
        except Exception:  # noqa: BLE001  (missing, truncated, foreign: recompute)
            return
        self._resolutions, self._suggestions, self._libraries, self._watch = resolutions, suggestions, libraries, watch
        self._loaded = True

    def save(self) -> None:
        if not self.dirty:
            return
        if len(self._resolutions) + len(self._suggestions) > MAX_ENTRIES:
            return  # pathological; a later run starts afresh (the fingerprint changes or the file is deleted)
        data = {"format": FORMAT, "fingerprint": self.fingerprint, "watch": self._watch,
                "libraries": self._libraries, "resolutions": self._resolutions, "suggestions": self._suggestions}
        try:
            payload = json.dumps(data, separators=(",", ":")).encode()
        except (TypeError, ValueError):
            return
        if not replace_atomically(self.path, lambda fh: fh.write(payload), suffix=".json"):
            return  # a read-only or full cache directory only costs speed
        self.dirty = False

    # -- what the answers depend on beyond the fingerprint ----------------------------
    def watched(self) -> dict[str, list | None]:
        self._ensure()
        return dict(self._watch)

    def watch(self, paths: list[str]) -> None:
        """Re-validate these files (a satellite's closure) before trusting the answers next time."""
        self._ensure()
        for p in paths:
            if p not in self._watch:
                self._watch[p] = stat_identity(p)
                self.dirty = True

    # -- resolutions -----------------------------------------------------------------
    @staticmethod
    def _key(name: str, key: tuple[int, ...]) -> str:
        return name if not key else f"{name}\0{','.join(map(str, key))}"

    def get_resolution(self, name: str, key: tuple[int, ...]) -> Resolution | None:
        self._ensure()
        raw = self._resolutions.get(self._key(name, key))
        if raw is None:
            return None
        try:
            res = self._decode(raw)
        except Exception:  # noqa: BLE001  (a malformed entry is a miss)
            return None
        if res.name != name:
            return None
        self.hits += 1
        return res

    def put_resolution(self, key: tuple[int, ...], res: Resolution) -> None:
        if res.builtin_signature is not None:
            return  # built-in list answers are cheap and hold syntax objects: never stored
        self._ensure()
        self._resolutions[self._key(res.name, key)] = self._encode(res)
        self.dirty = True

    def _lib_id(self, lib: Library | None) -> int | None:
        if lib is None:
            return None
        i = self._lib_ids.get(lib)
        if i is None:
            enc = _enc_library(lib)
            try:
                i = self._libraries.index(enc)
            except ValueError:
                i = len(self._libraries)
                self._libraries.append(enc)
            self._lib_ids[lib] = i
        return i

    def _library(self, i: int | None) -> Library | None:
        if i is None:
            return None
        lib = self._decoded_libs.get(i)
        if lib is None:
            lib = _dec_library(self._libraries[i])
            lib = self._live.get(lib, lib)
            self._decoded_libs[i] = lib
        return lib

    def _encode(self, r: Resolution) -> list:
        absences = [[where, a.name, a.reason.value, a.detail, a.object] for where, a in r.absences]
        return [r.name, r.status.value, _enc_ref(r.provider), _enc_found(r.found), self._lib_id(r.library),
                absences, r.note]

    def _decode(self, raw: list) -> Resolution:
        name, status, provider, found, lib_id, absences, note = raw
        reasons = _REASONS
        absent = tuple([(where, Absent(aname, reasons[reason], detail, obj))
                        for where, aname, reason, detail, obj in absences])
        return Resolution(name, _STATUSES[status], _dec_ref(provider), _dec_found(found),
                          self._library(lib_id), absent, None, note)

    # -- suggestions -----------------------------------------------------------------
    def get_suggestions(self, name: str, limit: int) -> list[str] | None:
        self._ensure()
        raw = self._suggestions.get(f"{limit}\0{name}")
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            return None
        self.hits += 1
        return list(raw)

    def put_suggestions(self, name: str, limit: int, names: list[str]) -> None:
        self._ensure()
        self._suggestions[f"{limit}\0{name}"] = list(names)
        self.dirty = True


def fingerprint_of(parts: Any) -> str:
    import hashlib  # noqa: PLC0415

    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


__all__ = ["AnswerStore", "FORMAT", "fingerprint_of", "stat_identity"]
