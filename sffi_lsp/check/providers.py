"""Where an extern can come from, in the order a Simple runtime asks.

`Providers.resolve(name)` answers what the runtime configured by `Config`
would do with `extern fn name`:

1. its built-in table: the built-ins lists, plus the functions a configured
   runtime binary/library exports (`builtins.runtime`);
2. built-in prefix families (`rt_sdl2_`);
3. families it knows but refuses (a family-specific failure);
4. only in `dynamic` mode, by `dlsym` on each library handle in turn: the
   plugins whose manifest entry lists the name, `libsimple_runtime.so`, the
   satellite `libspl_<prefix>.so` for `rt_<prefix>_*`, the configured
   libraries (those serving the source file), then `LD_PRELOAD` libraries.
   The first handle whose dependency tree defines the name wins, data or not
   (dlsym returns data addresses too).

In `builtin-only` mode step 4 is still evaluated, to say which library *would*
have answered (REFUSED_BUILTIN_ONLY). All ELF questions go to the `ExportIndex`,
batched and memoised per name; `stale()`/`refresh()` notice rebuilt libraries,
edited lists and manifests.
"""

from __future__ import annotations

import glob
import heapq
import os
import re
import time
from itertools import repeat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ..config import path_matches
from ..config_types import Config, LibrarySpec
from .types import Candidate, ProviderKind, ProviderRef, Resolution, ResolutionStatus, slot_constructor

# The binary layer (ELF reader, loader, hashlib, json) and the answers store are imported
# where they are used: a check of a tree without libraries and without a cache needs
# neither (they are most of a cold start's import time).
if TYPE_CHECKING:
    from ..binary import ExportIndex
    from ..binary.types import Absent, CSignature, Found, Library, NoSignature
    from ..model import ExternDecl
    from ..sdn import Manifest, SdnError
    from .answers import AnswerStore
    from .builtins import BuiltinEntry, BuiltinList, ListProblem

RUNTIME_LIBRARY_NAME = "libsimple_runtime.so"
_new_resolution = slot_constructor(Resolution)  # one per unresolved extern of a cold run
_SATELLITE_RE = re.compile(r"rt_([A-Za-z0-9]+)_")


@dataclass(frozen=True, slots=True)
class ManifestEntryCheck:
    """One function a manifest plugin lists, checked against its library."""

    plugin: str
    function: str
    manifest: str | None  # the manifest file
    line: int  # 0-based line of the function name in the manifest
    column: int
    library: str  # the plugin's library path
    exported: bool  # dlsym on the plugin library would return it as a function
    reason: str  # why not (or how: "through dependency ...")
    plugin_line: int = 0  # 0-based line of the plugin entry

    # Views for rules written against a per-plugin shape (one entry, several functions).
    @property
    def name(self) -> str:
        return self.plugin

    @property
    def source(self) -> str | None:
        return self.manifest

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.function,)

    @property
    def missing(self) -> tuple[tuple[str, str], ...]:
        return () if self.exported else ((self.function, self.reason),)

    @property
    def function_lines(self) -> dict[str, int]:
        """1-based line of the function name, keyed by name."""
        return {self.function: self.line + 1}


@dataclass(frozen=True, slots=True)
class ProviderStep:
    """One `dlsym` handle of the dynamic path, with what it may answer."""

    kind: ProviderKind
    library: Library
    detail: str
    source: str | None = None  # config/manifest file that made it known
    spec: LibrarySpec | None = None  # configured libraries only
    only: frozenset[str] | None = None  # manifest: the functions its entry lists
    prefix: str | None = None  # satellite: `rt_<prefix>_` names only

    def answers(self, name: str) -> bool:
        if self.only is not None and name not in self.only:
            return False
        return self.prefix is None or name.startswith(self.prefix)


@dataclass(slots=True, eq=False)  # internal, never compared
class _Memo:
    """Answers memoised until the providers are refreshed."""

    resolutions: dict[tuple[str, tuple[int, ...]], Resolution] = field(default_factory=dict)
    candidates: list[Candidate] | None = None
    suggester: "_NameSuggester | None" = None
    signatures: dict[tuple[str, str], CSignature | NoSignature] = field(default_factory=dict)
    satellites: dict[str, ProviderStep | None] = field(default_factory=dict)
    manifest_checks: list[ManifestEntryCheck] | None = None


class Providers:
    """The providers a configuration describes, answering per extern name."""

    def __init__(self, config: Config, index: "ExportIndex", answers_file: str | None = None):
        """`answers_file`: keep answers on disk between runs (see `check.answers`); None: memory only."""
        self.config = config
        self.index = index
        self._memo = _Memo()
        self._places = _Listings()
        self._satellite_dirs: tuple[Config, list[str]] | None = None  # (for which config, dirs)
        self._answers_file = answers_file
        self._answers: AnswerStore | None = None
        # False once an answer was given that a later run might not repeat (a DWARF worker
        # timeout): results of this run must then not be kept.
        self.unsettled = False
        self._load()

    @classmethod
    def from_config(cls, config: Config, index: "ExportIndex | None" = None,
                    answers_file: str | None = None) -> "Providers":
        return cls(config, index if index is not None else index_for_config(config), answers_file)

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        cfg = self.config
        self.builtin_lists: list[BuiltinList] = []
        if cfg.builtin_lists:
            from .builtins import read_builtin_list  # noqa: PLC0415  (only with lists to read)

            self.builtin_lists = [read_builtin_list(p) for p in cfg.builtin_lists]
        self.builtins: dict[str, BuiltinEntry] = {}
        for lst in self.builtin_lists:
            for name, entry in lst.entries.items():
                self.builtins.setdefault(name, entry)
        self.families = tuple(sorted(cfg.builtin_families, key=len, reverse=True))
        self.unsupported = tuple(sorted(cfg.unsupported_families, key=len, reverse=True))
        self.builtin_runtime: Library | None = self.index.library(cfg.builtin_runtime) if cfg.builtin_runtime else None

        self.manifest: Manifest | None = None
        self.manifest_error: SdnError | None = None
        self._manifest_identity = _identity(cfg.manifest) if cfg.manifest else None
        if cfg.manifest and (cfg.manifest_required or os.path.exists(cfg.manifest)):
            from ..sdn import SdnError, read_manifest  # noqa: PLC0415  (Lark: only when there is a manifest)

            try:
                self.manifest = read_manifest(cfg.manifest)
            except SdnError as exc:
                self.manifest_error = exc

        self.runtime_step = self._runtime_step()
        self.manifest_steps: list[ProviderStep] = []
        if self.manifest is not None:
            for plugin in self.manifest.plugins:
                version = f" {plugin.version}" if plugin.version else ""
                self.manifest_steps.append(ProviderStep(
                    ProviderKind.MANIFEST, self.index.library(plugin.library_path),
                    f"manifest plugin '{plugin.name}'{version}", source=plugin.manifest,
                    only=frozenset(plugin.function_names)))
        self.library_steps = [
            ProviderStep(ProviderKind.LIBRARY, self.index.library(spec.spec), _configured_detail(spec),
                         source=cfg.config_file, spec=spec)
            for spec in cfg.libraries
        ]
        preload = list(cfg.ld_preload)
        if cfg.use_env_ld_preload:
            preload += [p for p in re.split(r"[\s:]+", os.environ.get("LD_PRELOAD", "")) if p]
        self.preload_steps = [
            ProviderStep(ProviderKind.LIBRARY, self.index.library(p), "LD_PRELOAD") for p in dict.fromkeys(preload)
        ]
        # Which configured libraries are limited to some source files (matters for memo keys).
        self._limited = [i for i, s in enumerate(self.library_steps) if s.spec is not None and s.spec.files]
        self._checked_at = time.monotonic()
        self._volatile_prefixes: set[str] = set()
        self._fingerprint: str | None = None
        if self._answers_file:
            from .answers import AnswerStore  # noqa: PLC0415

            self._answers = AnswerStore(self._answers_file, self.fingerprint(), self._held_libraries())

    # ------------------------------------------------------------------ answers kept between runs
    def _held_libraries(self) -> list[Library]:
        """Every library the providers hold a step for (satellites aside: probed per prefix)."""
        steps = [*self.manifest_steps, *([self.runtime_step] if self.runtime_step else []),
                 *self.library_steps, *self.preload_steps]
        libs = [s.library for s in steps]
        if self.builtin_runtime is not None:
            libs.insert(0, self.builtin_runtime)
        return libs

    def _search_dirs(self) -> list[str]:
        """Directories whose listing decides where a satellite or a bare library name is found."""
        from ..binary.loader import default_dirs, split_path_list  # noqa: PLC0415

        cfg = self.config
        dirs = [*self._runtime_dirs(), *cfg.satellite_paths, os.path.join(cfg.root, "build")]
        dirs += split_path_list(os.environ.get("LD_LIBRARY_PATH"))
        dirs += [os.path.abspath(p) for p in cfg.search_paths]
        dirs += default_dirs(self.index.target)
        return list(dict.fromkeys(dirs))

    def fingerprint(self) -> str:
        """A digest of everything the answers depend on (see `check.answers`), as loaded."""
        if self._fingerprint is None:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    def watch_state(self) -> dict[str, list | None]:
        """Satellite files answers depend on beyond the fingerprint: path -> identity when seen."""
        return self._answers.watched() if self._answers is not None else {}

    def _compute_fingerprint(self) -> str:
        from .answers import fingerprint_of, stat_identity  # noqa: PLC0415

        cfg = self.config
        settings = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name not in _NOT_PROVIDER_SETTINGS}
        libraries = [[_library_record(lib), [stat_identity(p) for p in lib.closure]]
                     for lib in self._held_libraries()]
        parts = {
            "code": _code_identity(),
            "settings": repr(sorted(settings.items())),
            "env": {k: os.environ.get(k) for k in _ENV_THAT_MATTERS},
            "cwd": os.getcwd(),
            "target": repr(self.index.target),
            "lists": [[lst.path, list(lst.identity)] for lst in self.builtin_lists],
            "manifest": [cfg.manifest, self._manifest_identity],
            "libraries": libraries,
            "dirs": [[d, stat_identity(d)] for d in self._search_dirs()],
            "ld_cache": stat_identity("/etc/ld.so.cache"),
        }
        return fingerprint_of(parts)

    def save_answers(self) -> None:
        """Write the answers of this run for the next one (no-op without an answers file)."""
        if self._answers is not None:
            self._answers.save()

    @property
    def answers_loaded(self) -> bool:
        """True when answers of an earlier run matched the current fingerprint."""
        return self._answers is not None and self._answers.loaded

    def _runtime_dirs(self) -> list[str]:
        """Where the runtime looks for its library and satellites, before the system loader."""
        dirs: list[str] = []
        if self.config.target:
            exe_dir = os.path.dirname(self.config.target)
            dirs += [exe_dir, os.path.normpath(os.path.join(exe_dir, "..", "lib"))]
        dirs += [os.path.join(self.config.root, "target", d) for d in ("debug", "release", "bootstrap")]
        return dirs

    def _runtime_step(self) -> ProviderStep | None:
        cfg = self.config
        if cfg.runtime_library:
            return ProviderStep(ProviderKind.LIBRARY, self.index.library(cfg.runtime_library),
                                "runtime library", source=cfg.config_file)
        for d in [*self._runtime_dirs(), os.path.join(cfg.root, "build")]:
            path = os.path.join(d, RUNTIME_LIBRARY_NAME)
            if os.path.exists(path):
                return ProviderStep(ProviderKind.LIBRARY, self.index.library(path), "runtime library")
        if self._loader_cannot_find(RUNTIME_LIBRARY_NAME):
            return None
        lib = self.index.library(RUNTIME_LIBRARY_NAME)
        from ..binary.types import LoadReason  # noqa: PLC0415

        if lib.problem is None or lib.problem.reason is not LoadReason.NOT_FOUND:
            return ProviderStep(ProviderKind.LIBRARY, lib, "runtime library (system loader)")
        return None

    def _satellite_step(self, prefix: str) -> ProviderStep | None:
        if prefix in self._memo.satellites:
            return self._memo.satellites[prefix]
        file_name = f"libspl_{prefix}.so"
        step = None
        now = time.monotonic()
        # The runtime's order: next to the executable, ../lib, target/*, then $SIMPLE_SFFI_PATH (build/).
        if self._satellite_dirs is None or self._satellite_dirs[0] is not self.config:
            self._satellite_dirs = (self.config, [*self._runtime_dirs(), *self.config.satellite_paths])
        for d in self._satellite_dirs[1]:
            entries = self._places.entries(d, now)  # one listing for all prefixes, not a stat each
            if entries is not None and file_name not in entries:
                continue
            path = os.path.join(d, file_name)
            if os.path.exists(path):
                step = ProviderStep(ProviderKind.SATELLITE, self.index.library(path),
                                    f"satellite for rt_{prefix}_*", prefix=f"rt_{prefix}_")
                break
        if step is None and not self._loader_cannot_find(file_name):
            lib = self.index.library(file_name)
            from ..binary.types import LoadReason  # noqa: PLC0415

            if lib.problem is None or lib.problem.reason is not LoadReason.NOT_FOUND:
                step = ProviderStep(ProviderKind.SATELLITE, lib, f"satellite for rt_{prefix}_* (system loader)",
                                    prefix=f"rt_{prefix}_")
        if step is not None and self._answers is not None:
            lib = step.library
            if lib.loadable:
                self._answers.watch([p for p in (lib.path, *lib.closure) if p])
            else:
                # What would make it loadable (a dependency appearing in its RUNPATH...) is not
                # known here: answers about its names are not kept, nor this run's results.
                self._volatile_prefixes.add(f"rt_{prefix}_")
                self.unsettled = True
        self._memo.satellites[prefix] = step
        return step

    def _loader_cannot_find(self, name: str) -> bool:
        """True when the system loader certainly cannot find the bare name `name` (see
        `DeferredIndex.cannot_find`): then `index.library(name)` would only say "not found",
        and asking it would open the ELF layer and stat every search directory."""
        probe = getattr(type(self.index), "cannot_find", None)
        return probe is not None and probe(self.index, name)

    def satellite_prefix(self, name: str) -> str | None:
        """`json` for `rt_json_parse` (the configured prefixes, longest first, when set)."""
        if self.config.satellite_prefixes:
            best = None
            for p in self.config.satellite_prefixes:
                if name.startswith(f"rt_{p}_") and (best is None or len(p) > len(best)):
                    best = p
            return best
        m = _SATELLITE_RE.match(name)
        return m.group(1) if m and len(name) > m.end() else None

    # ------------------------------------------------------------------ staleness
    def stale(self) -> bool:
        """True when a library, a built-ins list or the manifest changed on disk."""
        for lst in self.builtin_lists:
            if _identity(lst.path) != (lst.identity or None):
                return True
        if self.config.manifest and _identity(self.config.manifest) != self._manifest_identity:
            return True
        try:
            return bool(self.index.stale())
        except Exception:  # noqa: BLE001  (an index that cannot tell is treated as fresh)
            return False

    def refresh(self) -> bool:
        """Reload what changed; True when something did (memoised answers are dropped)."""
        if not self.stale():
            return False
        self._memo = _Memo()
        self._load()
        return True

    # ------------------------------------------------------------------ resolution
    def _steps_for(self, source_path: str | None) -> tuple[list[ProviderStep], tuple[int, ...]]:
        """Configured library steps serving `source_path`, and the memo key part."""
        if not self._limited:
            return self.library_steps, ()
        chosen = []
        key = []
        src = os.path.abspath(source_path) if source_path else None
        for i, step in enumerate(self.library_steps):
            files = step.spec.files if step.spec else ()
            if not files:
                chosen.append(step)
            elif src is not None and path_matches(src, files):
                chosen.append(step)
                key.append(i)
        return chosen, tuple(key)

    def resolve(self, name: str, source_path: str | None = None) -> Resolution:
        return self.resolve_many([name], source_path)[name]

    def resolve_many(self, names: Iterable[str], source_path: str | None = None) -> dict[str, Resolution]:
        """Resolutions for many names at once (one index lookup per library)."""
        steps_libs, key = self._steps_for(source_path)
        out: dict[str, Resolution] = {}
        todo: list[str] = []
        for name in dict.fromkeys(names):
            hit = self._memo.resolutions.get((name, key))
            if hit is not None:
                out[name] = hit
            else:
                todo.append(name)
        if todo:
            for name, res in self._resolve_uncached(todo, steps_libs, key).items():
                self._memo.resolutions[(name, key)] = res
                out[name] = res
        return out

    def resolve_decls(self, pairs: Iterable[tuple[str, str | None]]) -> dict[tuple[str | None, str], Resolution]:
        """Resolutions for many (name, source path) pairs, batched by the libraries serving each
        file (one index lookup per library for the whole tree instead of one per extern)."""
        groups: dict[tuple[int, ...], tuple[str | None, list[str]]] = {}
        keyed: list[tuple[str, str | None, tuple[int, ...]]] = []
        for name, path in pairs:
            _steps, key = self._steps_for(path)
            keyed.append((name, path, key))
            groups.setdefault(key, (path, []))[1].append(name)
        answers = {key: self.resolve_many(names, path) for key, (path, names) in groups.items()}
        return {(path, name): answers[key][name] for name, path, key in keyed}

    def _resolve_uncached(self, names: list[str], library_steps: list[ProviderStep],
                          key: tuple[int, ...] = ()) -> dict[str, Resolution]:
        out: dict[str, Resolution] = {}
        rest: list[str] = []
        # 1. the built-in table: lists first, then the runtime binary's exports
        for name in names:
            entry = self.builtins.get(name)
            if entry is not None:
                out[name] = Resolution(
                    name, ResolutionStatus.RESOLVED,
                    ProviderRef(ProviderKind.BUILTIN, detail=f"built-in list {entry.origin}", source=entry.path),
                    builtin_signature=entry.signature, note=f"{name} is in the runtime's built-in list {entry.origin}",
                )
            else:
                rest.append(name)
        if rest and self.builtin_runtime is not None and self.builtin_runtime.loadable:
            found = self.index.lookup(self.builtin_runtime, rest)
            from ..binary.types import Found  # noqa: PLC0415

            still = []
            for name in rest:
                ans = found.get(name)
                if isinstance(ans, Found) and ans.symbol.kind.is_function:
                    lib = self.builtin_runtime
                    out[name] = Resolution(
                        name, ResolutionStatus.RESOLVED,
                        ProviderRef(ProviderKind.BUILTIN, library=ans.provider, version=ans.symbol.version,
                                    via=ans.via, detail=f"exported by the runtime {os.path.basename(lib.path or '')}",
                                    source=self.config.config_file),
                        found=ans, library=lib, note=f"the runtime {lib.path} exports {name}",
                    )
                else:
                    still.append(name)
            rest = still
        # 2./3. prefix families
        dynamic_names = []
        if not self.families and not self.unsupported:  # the usual configuration: no family to test
            dynamic_names, rest = rest, []
        for name in rest:
            fam = next((f for f in self.families if name.startswith(f)), None)
            if fam is not None:
                out[name] = Resolution(name, ResolutionStatus.RESOLVED,
                                       ProviderRef(ProviderKind.BUILTIN, detail=f"family {fam}",
                                                   source=self.config.config_file),
                                       note=f"{name} belongs to the built-in family {fam}")
                continue
            bad = next((f for f in self.unsupported if name.startswith(f)), None)
            if bad is not None:
                out[name] = Resolution(
                    name, ResolutionStatus.UNSUPPORTED_FAMILY,
                    ProviderRef(ProviderKind.BUILTIN, detail=f"unsupported family {bad}",
                                source=self.config.config_file),
                    note=f"the runtime knows the {bad} family but does not support it: calling {name} fails "
                         f"with a {bad} family error",
                )
                continue
            dynamic_names.append(name)
        # 4. the dynamic path (answers of an earlier run when nothing they depend on changed)
        store = self._answers
        if dynamic_names and store is not None:
            todo = []
            for name in dynamic_names:
                res = store.get_resolution(name, key)
                if res is None:
                    todo.append(name)
                else:
                    out[name] = res
            dynamic_names = todo
        if dynamic_names:
            fresh = self._resolve_dynamic(dynamic_names, library_steps)
            out.update(fresh)
            if store is not None:
                volatile = tuple(self._volatile_prefixes)
                for name, res in fresh.items():
                    if not (volatile and name.startswith(volatile)):
                        store.put_resolution(key, res)
        return out

    def dynamic_steps(self, library_steps: Sequence[ProviderStep] | None = None,
                      names: Iterable[str] = ()) -> list[ProviderStep]:
        """The dlsym handles in the runtime's order (satellites for the prefixes of `names`)."""
        steps: list[ProviderStep] = list(self.manifest_steps)
        if self.runtime_step is not None:
            steps.append(self.runtime_step)
        prefixes = dict.fromkeys(p for p in (self.satellite_prefix(n) for n in names) if p)
        steps += [s for s in (self._satellite_step(p) for p in prefixes) if s is not None]
        steps += list(self.library_steps if library_steps is None else library_steps)
        steps += self.preload_steps
        return steps

    def _resolve_dynamic(self, names: list[str], library_steps: list[ProviderStep]) -> dict[str, Resolution]:
        builtin_only = self.config.runtime_mode == "builtin-only"
        found_at: dict[str, tuple[ProviderStep, Found]] = {}
        absences: dict[str, list[tuple[str, Absent]]] = {n: [] for n in names}
        remaining = set(names)
        for step in self.dynamic_steps(library_steps, names):
            asked = [n for n in names if n in remaining and step.answers(n)]
            if not asked:
                continue
            from ..binary.types import Absent, AbsenceReason, Found  # noqa: PLC0415

            lib = step.library
            where = lib.path or lib.spec
            if not lib.loadable:
                detail = lib.problem.message if lib.problem else "cannot be loaded"
                for n in asked:
                    absences[n].append((where, Absent(n, AbsenceReason.LIBRARY_NOT_LOADABLE, detail, where)))
                continue
            answers = self.index.lookup(lib, asked)
            for n in asked:
                ans = answers.get(n)
                if isinstance(ans, Found):
                    found_at[n] = (step, ans)
                    remaining.discard(n)
                elif isinstance(ans, Absent):
                    absences[n].append((where, ans))
        out: dict[str, Resolution] = {}
        for name in names:
            absent = tuple(absences[name])
            if name in found_at:
                step, ans = found_at[name]
                out[name] = self._found_resolution(name, step, ans, absent, builtin_only)
            else:
                out[name] = self._absent_resolution(name, absent, builtin_only)
        return out

    def _provider(self, step: ProviderStep, ans: Found) -> ProviderRef:
        return ProviderRef(step.kind, library=ans.provider, version=ans.symbol.version, via=ans.via,
                           detail=step.detail, source=step.source)

    def _found_resolution(self, name: str, step: ProviderStep, ans: Found, absent: tuple[tuple[str, Absent], ...],
                          builtin_only: bool) -> Resolution:
        from ..binary.types import SymbolKind  # noqa: PLC0415

        provider = self._provider(step, ans)
        lib_name = os.path.basename(step.library.path or step.library.spec)
        via = ""
        if ans.via:
            via = f" through its dependency {os.path.basename(ans.provider)} ({' -> '.join(ans.via)})"
        kind = ans.symbol.kind
        if kind in (SymbolKind.DATA, SymbolKind.TLS):
            what = "a thread-local variable" if kind is SymbolKind.TLS else "a data object"
            extra = " (and the runtime is builtin-only)" if builtin_only else ""
            return Resolution(name, ResolutionStatus.DATA_NOT_FUNCTION, provider, ans, step.library, absent,
                              note=f"{lib_name}{via} exports {name} as {what} "
                                   f"({ans.symbol.size} bytes), not a function{extra}")
        if builtin_only:
            return Resolution(name, ResolutionStatus.REFUSED_BUILTIN_ONLY, provider, ans, step.library, absent,
                              note=f"{lib_name}{via} exports {name}, but the runtime is builtin-only: it refuses "
                                   "every extern that is not in its built-in table, even one a loaded library "
                                   "exports")
        note = f"{lib_name}{via} exports {name} ({step.detail})"
        if kind is SymbolKind.OTHER:
            note += "; the symbol has no type (STT_NOTYPE), assumed callable"
        return Resolution(name, ResolutionStatus.RESOLVED, provider, ans, step.library, absent, note=note)

    def _absent_resolution(self, name: str, absent: tuple[tuple[str, Absent], ...], builtin_only: bool) -> Resolution:
        if not absent:  # nobody was asked (no library): the common case of a tree without libraries
            if builtin_only:
                note = f"{name} is not in the runtime's built-in table, and the runtime is builtin-only"
            else:
                note = f"no built-in, manifest plugin, runtime library, satellite or configured library provides {name}"
            return _new_resolution(name, ResolutionStatus.UNRESOLVED, None, None, None, absent, None, note)
        from ..binary.types import AbsenceReason  # noqa: PLC0415

        telling = {AbsenceReason.COMPAT_ONLY: ResolutionStatus.COMPAT_ONLY,
                   AbsenceReason.HIDDEN: ResolutionStatus.HIDDEN, AbsenceReason.LOCAL: ResolutionStatus.HIDDEN}
        if not builtin_only:
            for reason, status in telling.items():
                for where, a in absent:
                    if a.reason is reason:
                        step_lib = self._library_by_path(where)
                        provider = ProviderRef(ProviderKind.LIBRARY, library=a.object or where, detail=a.detail)
                        lib_name = os.path.basename(where)
                        detail = f": {a.detail}" if a.detail else ""
                        if status is ResolutionStatus.COMPAT_ONLY:
                            note = f"{lib_name} has only a non-default (compat) version of {name}, which dlsym " \
                                   f"cannot return{detail}"
                        else:
                            note = f"{lib_name} defines {name} but does not export it ({a.reason.value}){detail}"
                        return Resolution(name, status, provider, None, step_lib, absent, note=note)
        unloadable = [w for w, a in absent if a.reason is AbsenceReason.LIBRARY_NOT_LOADABLE]
        if builtin_only:
            note = f"{name} is not in the runtime's built-in table, and the runtime is builtin-only"
        else:
            note = f"no built-in, manifest plugin, runtime library, satellite or configured library provides {name}"
        if unloadable:
            note += f" ({len(unloadable)} librar{'y' if len(unloadable) == 1 else 'ies'} could not be loaded: " \
                    f"{', '.join(os.path.basename(u) for u in unloadable)})"
        return Resolution(name, ResolutionStatus.UNRESOLVED, None, None, None, absent, note=note)

    def _library_by_path(self, path: str) -> Library | None:
        for step in self.dynamic_steps():
            if step.library.path == path or step.library.spec == path:
                return step.library
        return None

    def library_spec(self, resolution: Resolution) -> LibrarySpec | None:
        """The configured library an answer came from (for `linked`), if any."""
        lib = resolution.library
        if lib is None:
            return None
        for step in self.library_steps:
            if step.library is lib or (lib.path and step.library.path == lib.path):
                return step.spec
        return None

    # ------------------------------------------------------------------ candidates and suggestions
    def candidates(self) -> list[Candidate]:
        """Every name some provider offers, first provider first (cached)."""
        if self._memo.candidates is not None:
            return self._memo.candidates
        seen: dict[str, Candidate] = {}
        for name, entry in self.builtins.items():
            seen[name] = Candidate(name, ProviderRef(ProviderKind.BUILTIN, detail=f"built-in list {entry.origin}",
                                                     source=entry.path), entry.signature)
        for names, ref in self._offered():
            for name in names:
                if name not in seen:
                    seen[name] = Candidate(name, ref)
        self._memo.candidates = list(seen.values())
        return self._memo.candidates

    def candidate_names(self) -> list[str]:
        """The names of `candidates()`, without building a Candidate per name ("did you mean")."""
        if self._memo.candidates is not None:
            return [c.name for c in self._memo.candidates]
        seen: dict[str, None] = dict.fromkeys(self.builtins)
        for names, _ref in self._offered():
            seen.update(dict.fromkeys(names))
        return list(seen)

    def _offered(self) -> Iterator[tuple[list[str], ProviderRef]]:
        """(function names, provider) for each object whose exports are offered, first provider first."""
        if self.builtin_runtime is not None and self.builtin_runtime.loadable:
            ref = ProviderRef(ProviderKind.BUILTIN, library=self.builtin_runtime.path, detail="exported by the runtime")
            yield from self._export_names(self.builtin_runtime, ref, direct_only=True)
        if self.config.runtime_mode != "builtin-only":
            steps = list(self.manifest_steps)
            if self.runtime_step is not None:
                steps.append(self.runtime_step)
            steps += self._present_satellites()
            steps += self.library_steps + self.preload_steps
            for step in steps:
                if not step.library.loadable:
                    continue
                ref = ProviderRef(step.kind, library=step.library.path, detail=step.detail, source=step.source)
                yield from self._export_names(step.library, ref, step=step)

    def _export_names(self, lib: Library, ref: ProviderRef, step: ProviderStep | None = None,
                      direct_only: bool = False) -> Iterator[tuple[list[str], ProviderRef]]:
        objects = [lib.path] if direct_only or not lib.closure else list(lib.closure)
        own_dir_is_system = _in_system_dir(lib.path or "")
        for obj in objects:
            if not obj:
                continue
            # dlsym would find libc's names through any library, but offering all of libc
            # for every configured library drowns completion and "did you mean".
            if obj != lib.path and not own_dir_is_system and _in_system_dir(obj):
                continue
            try:
                listing = self.index.exports(obj)
            except Exception:  # noqa: BLE001  (a dependency that vanished offers nothing)
                continue
            table = listing.symbols
            fast = getattr(table, "function_names", None)
            names = fast() if fast is not None else [s.name for s in table if s.kind.is_function]
            if step is not None and (step.only is not None or step.prefix is not None):
                names = [n for n in names if step.answers(n)]
            yield names, ref

    def _present_satellites(self) -> list[ProviderStep]:
        """Satellite libraries that exist in the search directories (for completion)."""
        out: list[ProviderStep] = []
        for d in [*self._runtime_dirs(), *self.config.satellite_paths]:
            for path in sorted(glob.glob(os.path.join(d, "libspl_*.so"))):
                prefix = os.path.basename(path)[len("libspl_"):-len(".so")]
                step = self._satellite_step(prefix)
                if step is not None and step not in out:
                    out.append(step)
        return out

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Offered names closest to `name` ("did you mean"), best first."""
        store = self._answers
        if store is not None:
            kept = store.get_suggestions(name, limit)
            if kept is not None:
                return kept
        if self._memo.suggester is None:
            self._memo.suggester = _NameSuggester(self.candidate_names())
        out = self._memo.suggester.suggest(name, limit)
        if store is not None and not self._volatile_prefixes:
            store.put_suggestions(name, limit, out)
        return out

    # ------------------------------------------------------------------ libraries and manifest
    def library_problems(self) -> list[tuple[LibrarySpec | str, Library]]:
        """Libraries the configuration names that cannot be loaded, or that have
        unresolved function references (loadable with lazy binding: a warning)."""
        out: list[tuple[LibrarySpec | str, Library]] = []
        seen: set[tuple[str, str]] = set()

        def add(origin: LibrarySpec | str, lib: Library) -> None:
            key = (origin.spec if isinstance(origin, LibrarySpec) else origin, lib.path or lib.spec)
            if key in seen:
                return
            seen.add(key)
            if not lib.loadable or lib.unresolved_functions:
                out.append((origin, lib))

        where = self.config.config_file or "configuration"
        if self.builtin_runtime is not None:
            add(f"runtime binary (builtins.runtime in {where})", self.builtin_runtime)
        if self.runtime_step is not None and (self.config.runtime_library_required or
                                              self.runtime_step.library.loadable):
            add(f"runtime library ({'runtime-library in ' + where if self.config.runtime_library else 'found'})",
                self.runtime_step.library)
        if self.manifest is not None:
            for plugin, step in zip(self.manifest.plugins, self.manifest_steps):
                add(f"manifest plugin '{plugin.name}' ({plugin.manifest}:{plugin.library_line + 1})", step.library)
        for step in self._present_satellites():
            add(f"satellite {os.path.basename(step.library.path or step.library.spec)}", step.library)
        for step in self.library_steps:
            add(step.spec if step.spec is not None else step.detail, step.library)
        for step in self.preload_steps:
            add("LD_PRELOAD", step.library)
        return out

    def manifest_entries(self) -> list[ManifestEntryCheck]:
        """Each function each manifest plugin lists, checked against that plugin's library."""
        if self._memo.manifest_checks is not None:
            return self._memo.manifest_checks
        out: list[ManifestEntryCheck] = []
        if self.manifest is not None:
            for plugin, step in zip(self.manifest.plugins, self.manifest_steps):
                lib = step.library
                names = list(dict.fromkeys(plugin.function_names))
                answers: dict[str, Found | Absent] = {}
                if lib.loadable and names:
                    answers = self.index.lookup(lib, names)
                for fn in plugin.functions:
                    exported, reason = _entry_verdict(fn.name, lib, answers.get(fn.name))
                    out.append(ManifestEntryCheck(plugin.name, fn.name, plugin.manifest, fn.line, fn.column,
                                                  plugin.library_path, exported, reason, plugin.line))
        self._memo.manifest_checks = out
        return out

    def list_problems(self) -> list[ListProblem]:
        """Lines of the built-ins lists that could not be read."""
        return [p for lst in self.builtin_lists for p in lst.problems]

    def manifest_problems(self) -> list[tuple[str | None, int, int, str]]:
        """(manifest, 0-based line, column, message): a malformed manifest or unusable entries."""
        if self.manifest_error is not None:
            e = self.manifest_error
            return [(e.path or self.config.manifest, max(e.line - 1, 0), max(e.column - 1, 0), e.message)]
        if self.manifest is None:
            return []
        return [(self.manifest.path, p.line, p.column, p.message) for p in self.manifest.problems]

    # ------------------------------------------------------------------ signatures
    def signature_for(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | ExternDecl | None:
        """The signature to check a declaration against: a built-in list's, or DWARF's (lazily)."""
        if resolution.builtin_signature is not None:
            return resolution.builtin_signature
        answer = self.signature_answer(resolution, timeout)
        if answer is None:
            return None
        from ..binary.types import CSignature  # noqa: PLC0415

        return answer if isinstance(answer, CSignature) else None

    def signature_answer(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | NoSignature | None:
        """DWARF's answer for a library-provided name, including why there is none."""
        found = resolution.found
        if found is None:
            return None
        key = (found.provider, resolution.name)
        if key in self._memo.signatures:
            return self._memo.signatures[key]
        self._ask_signatures(found.provider, self._signature_library(resolution), [resolution.name], timeout)
        return self._memo.signatures[key]

    def prefetch_signatures(self, resolutions: Iterable[Resolution], timeout: float = 10.0) -> None:
        """Read DWARF for every library-provided name of `resolutions` in one `index.signatures`
        call per library (one worker request, one cache write), so that the `signature_for`/
        `signature_answer` calls that follow are answered from memory. Asking name by name
        costs a worker round trip and a cache-file rewrite each: quadratic on hundreds of names.
        `timeout` is per name, as for one-by-one asking; a batch gets a share of it per name."""
        groups: dict[str, tuple[Library, list[str]]] = {}
        for res in resolutions:
            found = res.found
            if res.builtin_signature is not None or found is None:
                continue
            if (found.provider, res.name) in self._memo.signatures:
                continue
            group = groups.get(found.provider)
            if group is None:
                group = groups[found.provider] = (self._signature_library(res), [])
            if res.name not in group[1]:
                group[1].append(res.name)
        for provider, (lib, names) in groups.items():
            self._ask_signatures(provider, lib, names, _batch_timeout(timeout, len(names)))

    def _signature_library(self, resolution: Resolution) -> Library:
        assert resolution.found is not None
        lib = resolution.library
        if lib is None or lib.path != resolution.found.provider:
            lib = self.index.library(resolution.found.provider)
        return lib

    def _ask_signatures(self, provider: str, lib: Library, names: list[str], timeout: float) -> None:
        """Ask the index about `names` of `lib` at once and memoise every answer (under `provider`)."""
        from ..binary.types import NoSignature  # noqa: PLC0415

        try:
            answers: dict[str, CSignature | NoSignature] = dict(self.index.signatures(lib, names, timeout=timeout))
        except Exception as exc:  # noqa: BLE001  (DWARF trouble must not stop a check)
            why = f"debug information could not be read ({type(exc).__name__})"
            answers = {n: NoSignature(n, why) for n in names}
        for name in names:
            answer = answers.get(name)
            if answer is None:
                answer = NoSignature(name, "no debug information")
            if isinstance(answer, NoSignature) and (not answer.reason.startswith(_LASTING_NO_SIGNATURE)
                                                    or "debuglink" in answer.reason):
                self.unsettled = True  # a worker failure or timeout: the next run may answer differently
            self._memo.signatures[(provider, name)] = answer


def _batch_timeout(per_name: float, count: int) -> float:
    """The time one worker request for `count` names may take: a name's timeout, plus a share of
    it for each further name (a batch must not time out where the names asked one by one would
    not, nor one pathological library hold a check for count x per_name)."""
    return per_name + per_name * max(count - 1, 0) / _NAMES_PER_TIMEOUT


_NAMES_PER_TIMEOUT = 50  # names a batch may answer in one name's timeout, beyond the first


def _configured_detail(spec: LibrarySpec) -> str:
    if not spec.origin:
        return "configured library"
    return f"configured in {os.path.basename(spec.origin)}"


def _entry_verdict(name: str, lib: Library, ans: Found | Absent | None) -> tuple[bool, str]:
    from ..binary.types import Absent, AbsenceReason, Found  # noqa: PLC0415

    lib_name = os.path.basename(lib.path or lib.spec)
    if not lib.loadable:
        return (False, f"{lib_name} cannot be loaded: {lib.problem.message if lib.problem else 'unknown reason'}")
    if isinstance(ans, Found):
        if not ans.symbol.kind.is_function:
            return (False, f"{lib_name} exports {name} as data ({ans.symbol.kind.value}), not a function")
        if ans.via:
            return (True, f"exported through the dependency {os.path.basename(ans.provider)}")
        return (True, "")
    if isinstance(ans, Absent):
        detail = f" ({ans.detail})" if ans.detail else ""
        if ans.reason is AbsenceReason.NOT_PRESENT:
            return (False, f"{lib_name} does not export {name}")
        return (False, f"{lib_name} does not export {name}: {ans.reason.value}{detail}")
    return (False, f"{lib_name} does not export {name}")


# Config fields no provider answer depends on (everything else is part of the fingerprint).
_NOT_PROVIDER_SETTINGS = frozenset({"include", "exclude", "abi", "abi_profiles", "rules", "baseline", "cache_dir",
                                    "jobs", "debounce_ms"})
_ENV_THAT_MATTERS = ("LD_LIBRARY_PATH", "LD_PRELOAD", "SIMPLE_SFFI_PATH", "SIMPLE_PLUGIN_MANIFEST", "HOME")
_CODE_IDENTITY: str | None = None
# NoSignature reasons that hold as long as the library file does (anything else may be transient).
_LASTING_NO_SIGNATURE = ("no debug information", "the debug information has no function named",
                         "no signature information", "the library was not found")


def _code_identity() -> str:
    """The provider and binary code as installed (an edit or upgrade invalidates kept answers)."""
    global _CODE_IDENTITY
    if _CODE_IDENTITY is None:
        pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        files = [os.path.join(pkg, n) for n in ("__init__.py", "config.py", "config_types.py", "sdn.py", "model.py")]
        for sub in ("check", "binary"):
            try:
                names = sorted(os.listdir(os.path.join(pkg, sub)))
            except OSError:
                names = []
            files += [os.path.join(pkg, sub, n) for n in names if n.endswith(".py")]
        from .answers import stat_identity  # noqa: PLC0415

        _CODE_IDENTITY = repr([(os.path.relpath(f, pkg), stat_identity(f)) for f in files])
    return _CODE_IDENTITY


def _library_record(lib: Library) -> list:
    p = lib.problem
    return [lib.spec, lib.path, None if p is None else [p.reason.value, p.message, p.path, list(p.chain)],
            lib.soname, list(lib.needed), list(lib.closure), list(lib.unresolved_functions), list(lib.identity)]


_SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/")


def _in_system_dir(path: str) -> bool:
    return path.startswith(_SYSTEM_DIRS)


def _identity(path: str | None) -> tuple | None:
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


# ---------------------------------------------------------------------- "did you mean"

class _Suggester:
    """Near names among tens of thousands, in well under a millisecond per query.

    The answer is defined by brute force (see `suggest_reference`): among the
    names whose length is within a few edits of the query, those whose
    difflib ratio (lowercased, autojunk off, candidate as seq1) reaches
    CUTOFF, the best `max(limit * 4, 12)` by ratio (ties by name) re-ordered
    by edit distance (with transpositions). Only the filtering is fast:
    difflib's ratio is at most its quick_ratio (the character-multiset
    overlap), and that overlap is computed for every name of the length
    window at once. Names are kept sorted by length, one byte column per
    character holds each name's count of it, and the query's overlap with all
    names is the lane-wise sum of `min(column, count in query)` (a byte
    translate per character, summed as big integers: lanes never carry since
    an overlap cannot exceed the query's length, kept below 256). Only names
    whose overlap can reach CUTOFF get a real ratio: a handful per query."""

    CUTOFF = 0.7  # difflib's 0.6 lets `getopt_long` pass for `geo_lenght`
    MAX_FAST_QUERY = 255  # lanes are bytes: longer queries take the brute-force path

    def __init__(self, names: Sequence[str]):
        unique = list(dict.fromkeys(names))
        # By length, then by name: the tie order of equal ratios is then the name order.
        unique.sort(key=lambda n: (len(n), n))
        self.names = unique
        self.lowered = [n.lower() for n in unique]
        self.start: dict[int, int] = {}  # first index of each length
        self.end: dict[int, int] = {}
        for i, n in enumerate(self.lowered):
            ln = len(n)
            if ln not in self.start:
                self.start[ln] = i
            self.end[ln] = i + 1
        self._columns: dict[str, bytes] = {}

    def _column(self, ch: str) -> bytes:
        col = self._columns.get(ch)
        if col is None:
            counts = map(str.count, self.lowered, repeat(ch))
            try:
                col = bytes(counts)
            except ValueError:  # a name holding a character 256+ times
                col = bytes(min(c, 255) for c in map(str.count, self.lowered, repeat(ch)))
            self._columns[ch] = col
        return col

    def _window(self, length: int) -> tuple[int, int, int]:
        slack = max(2, length // 4)
        lo, hi = max(1, length - slack), length + slack
        present = [n for n in range(lo, hi + 1) if n in self.start]
        if not present:
            return lo, hi, -1
        return lo, hi, present[0]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if not query or not self.names or limit <= 0:
            return []
        import difflib  # noqa: PLC0415  (not for an empty candidate list: no provider offers names)

        q = query.lower()
        if len(q) > self.MAX_FAST_QUERY:
            return suggest_reference(self.names, query, limit, self.CUTOFF)
        lo, hi, first = self._window(len(q))
        if first < 0:
            return []
        last = max(n for n in range(lo, hi + 1) if n in self.start)
        a, b = self.start[first], self.end[last]
        acc = 0
        for ch, k in Counter(q).items():
            acc += int.from_bytes(self._column(ch)[a:b].translate(_MIN_TABLES[k]), "little")
        overlap = acc.to_bytes(b - a, "little")
        # Groups of names sharing (length, overlap) share the bound 2*overlap/(len(q)+length) on
        # their ratio. Visiting groups best bound first, the search stops once the bound falls
        # below the ratio of the `keep`-th best name found: nothing after it could rank.
        lq = len(q)
        groups: list[tuple[float, int, int]] = []
        for n in range(first, last + 1):
            s = self.start.get(n)
            if s is None:
                continue
            need = _min_matches(lq + n, self.CUTOFF)
            groups.extend((2.0 * v / (lq + n), n, v) for v in set(overlap[s - a: self.end[n] - a]) if v >= need)
        groups.sort(reverse=True)
        keep = max(limit * 4, 12)
        best: list[float] = []  # min-heap of the best `keep` ratios so far
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(q)
        scored = []
        for bound, n, v in groups:
            if len(best) >= keep and bound < best[0]:
                break
            s = self.start[n]
            flags = overlap[s - a: self.end[n] - a].translate(_EQUAL_TABLES[v])
            k = flags.find(1)
            while k >= 0:
                i = s + k
                name = self.names[i]
                if name != query:
                    matcher.set_seq1(self.lowered[i])
                    ratio = matcher.ratio()
                    if ratio >= self.CUTOFF:
                        scored.append((ratio, name))
                        if len(best) < keep:
                            heapq.heappush(best, ratio)
                        elif ratio > best[0]:
                            heapq.heapreplace(best, ratio)
                k = flags.find(1, k + 1)
        return _rank(scored, q, limit)


def _rank(scored: list[tuple[float, str]], q: str, limit: int) -> list[str]:
    scored.sort(key=lambda item: (-item[0], item[1]))
    best = scored[: max(limit * 4, 12)]
    best.sort(key=lambda item: (_edit_distance(q, item[1].lower()), -item[0], len(item[1]), item[1]))
    return [name for _, name in best[:limit]]


def _min_matches(total: int, cutoff: float) -> int:
    """The fewest matches M with difflib's `2.0 * M / total >= cutoff` (same float arithmetic)."""
    m = max(0, int(cutoff * total / 2.0) - 1)
    while 2.0 * m / total < cutoff:
        m += 1
    return m


class _Tables(dict):
    """256-byte translate tables made on first use (all 512 up front cost 30 ms at import)."""

    def __init__(self, make) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, k: int) -> bytes:
        table = self[k] = bytes(self._make(v, k) for v in range(256))
        return table


_MIN_TABLES = _Tables(lambda v, k: min(v, k))  # lane v -> min(v, k)
_EQUAL_TABLES = _Tables(lambda v, t: 1 if v == t else 0)  # lane v -> v == t


def suggest_reference(names: Sequence[str], query: str, limit: int = 3, cutoff: float = _Suggester.CUTOFF
                      ) -> list[str]:
    """The definition of "did you mean", by brute force (tests compare the fast path with it)."""
    import difflib  # noqa: PLC0415

    if not query or limit <= 0:
        return []
    q = query.lower()
    slack = max(2, len(q) // 4)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(q)
    scored = []
    for name in dict.fromkeys(names):
        if name == query or not (max(1, len(q) - slack) <= len(name) <= len(q) + slack):
            continue
        matcher.set_seq1(name.lower())
        ratio = matcher.ratio()
        if ratio >= cutoff:
            scored.append((ratio, name))
    return _rank(scored, q, limit)


class _NameSuggester:
    """C names and mangled C++ names (`_Z...`) apart: a Simple extern is almost
    never a mangled name, and libtorch has 50k of them, so they are searched
    only for a query that is itself mangled."""

    def __init__(self, names: Sequence[str]):
        self.plain = _Suggester([n for n in names if not n.startswith("_Z")])
        self._mangled_names = [n for n in names if n.startswith("_Z")]
        self._mangled: _Suggester | None = None

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if query.startswith("_Z"):
            if self._mangled is None:
                self._mangled = _Suggester(self._mangled_names)
            return self._mangled.suggest(query, limit)
        return self.plain.suggest(query, limit)


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours counts once)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# ---------------------------------------------------------------------- the index for a config

def index_for_config(config: Config, **kwargs: Any) -> "ExportIndex":
    """An ExportIndex set up as the configuration says (target machine, search paths, cache).

    Without a configured `target` the index is made on first use (`DeferredIndex`): a tree
    whose externs no library can answer never loads the ELF layer."""
    from ..config import ConfigError  # noqa: PLC0415

    if not config.target:
        return DeferredIndex(cache_dir=config.cache_dir, search_paths=tuple(config.search_paths), **kwargs)  # type: ignore[return-value]
    from ..binary import ExportIndex, read_target  # noqa: PLC0415
    from ..binary.types import LoadProblem  # noqa: PLC0415

    answer = read_target(config.target)
    if isinstance(answer, LoadProblem):
        raise ConfigError(f"{config.config_file or 'configuration'}: target: {answer.message}",
                          config.config_file, "target")
    return ExportIndex(target=answer, cache_dir=config.cache_dir, search_paths=tuple(config.search_paths), **kwargs)


# Every directory glibc's ld.so searches by default for any target the binary layer knows
# (`binary.loader.default_dirs`; a test keeps the two in step), and its cache file.
_TRIPLES = ("x86_64-linux-gnu", "i386-linux-gnu", "aarch64-linux-gnu", "x86_64-linux-gnux32",
            "arm-linux-gnueabihf", "riscv64-linux-gnu")
_ANY_DEFAULT_DIRS = (*(f"{root}/{t}" for t in _TRIPLES for root in ("/lib", "/usr/lib")), "/lib", "/usr/lib")
_LD_CACHE = "/etc/ld.so.cache"


_WINDOW = 0.002  # seconds a directory listing or stat is reused (as binary.index.STAT_WINDOW)


class _Listings:
    """Directory listings and ld.so cache names, re-validated by stat identity once their
    `_WINDOW` has passed: one listing answers hundreds of "is libspl_<p>.so there?"
    questions, and a file created since is still seen (the directory's mtime changes)."""

    def __init__(self) -> None:
        self._dirs: dict[str, tuple[float, tuple | None, frozenset[str] | None]] = {}
        self._by_ident: dict[tuple, frozenset[str]] = {}  # listings by directory identity (incl. mtime)
        self._cache: tuple[float, tuple | None, frozenset[bytes]] = (-1.0, None, frozenset())

    def entries(self, directory: str, now: float) -> frozenset[str] | None:
        """The names in `directory` (empty when it does not exist); None when it cannot be listed."""
        held = self._dirs.get(directory)
        if held is not None and now - held[0] < _WINDOW:
            return held[2]
        try:
            st = os.stat(directory)
            ident: tuple | None = (st.st_mtime_ns, st.st_ino, st.st_dev, st.st_size)
        except (FileNotFoundError, NotADirectoryError):
            ident = None
        except OSError:
            self._dirs[directory] = (now, None, None)
            return None
        if held is not None and ident is not None and held[1] == ident:
            names = held[2]
        elif ident is None:
            names = frozenset()
        elif ident in self._by_ident:  # the same directory by another name (/lib -> /usr/lib)
            names = self._by_ident[ident]
        else:
            try:
                names = frozenset(os.listdir(directory))
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()
            except OSError:  # unreadable but perhaps searchable: cannot tell
                names = None
            else:
                if len(self._by_ident) >= 256:  # a long-lived server: forget old directory states
                    self._by_ident.clear()
                self._by_ident[ident] = names
        self._dirs[directory] = (now, ident, names)
        return names

    def cache_may_hold(self, name: str, now: float) -> bool:
        """False when no string of the ld.so cache ends in `name` (so no entry's key is
        `name`: a key is a NUL-terminated string at some offset of the file). Only names
        starting with "lib" are judged (every "lib..." tail of every string is known)."""
        if not name.startswith("lib"):
            return True
        checked, ident, tails = self._cache
        if now - checked >= _WINDOW:
            try:
                st = os.stat(_LD_CACHE)
                now_ident: tuple | None = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                now_ident = None
            if now_ident != ident or checked < 0:
                data = b""
                if now_ident is not None:
                    try:
                        with open(_LD_CACHE, "rb") as fh:
                            data = fh.read(64 << 20)  # as binary.ldcache reads it
                    except OSError:  # the index reads no entries from a cache it cannot read
                        data = b""
                # From every "lib" to the string's end (overlapping: "/usr/lib/libm.so" gives
                # "lib/libm.so" and "libm.so"): a key equal to a lib... name is one of them.
                tails = frozenset(re.findall(rb"(?=(lib[^\0]*))", data))
            self._cache = (now, now_ident, tails)
        return name.encode("utf-8", "surrogateescape") in tails

    def cache_identity(self) -> tuple | None:
        return self._cache[1]


class DeferredIndex:
    """An `ExportIndex` created on first use, with one question it answers without it.

    Every attribute but `cannot_find` and `stale` is the real index's (created then). For a
    tree with no library, runtime library or satellite the real index is never needed: the
    only questions are "does the system loader find libsimple_runtime.so / libspl_<p>.so?",
    and `cannot_find` answers "certainly not" from one listing of each directory the
    loader searches and the ld.so cache's strings, instead of a load attempt per name.
    """

    def __init__(self, *, cache_dir=None, search_paths: Sequence[str] = (),
                 ld_library_path: Sequence[str] | None = None, **kwargs: Any) -> None:
        import _thread  # noqa: PLC0415  (threading itself costs a millisecond to import)

        self._kwargs = dict(kwargs, cache_dir=cache_dir, search_paths=tuple(search_paths),
                            ld_library_path=ld_library_path)
        if ld_library_path is None:  # as ExportIndex: the environment when it is made
            value = os.environ.get("LD_LIBRARY_PATH")
            ld_library_path = [p or "." for p in value.replace(";", ":").split(":")] if value else []
            self._kwargs["ld_library_path"] = list(ld_library_path)
        self._dirs = tuple(dict.fromkeys([*ld_library_path, *(os.path.abspath(p) for p in search_paths),
                                          *_ANY_DEFAULT_DIRS]))
        self._real: Any = None
        self._lock = _thread.allocate_lock()
        self._places = _Listings()
        self._union: tuple[float, frozenset[str] | None] = (-1.0, None)  # (when, names in any searched dir)
        # Names whose load attempt was skipped: a file appearing under one of them in a
        # searched directory, or a new ld.so cache, makes `stale()` true, as the index's
        # own watch of a failed attempt would.
        self._skipped: dict[str, None] = {}
        self._skipped_cache: tuple | None = None

    def _index(self):
        real = self._real
        if real is None:
            with self._lock:
                if self._real is None:
                    from ..binary import ExportIndex  # noqa: PLC0415

                    self._real = ExportIndex(**self._kwargs)
                real = self._real
        return real

    def __getattr__(self, name: str) -> Any:  # only for names not defined here
        if name.startswith("_"):  # own state (also while copy/pickle make one without __init__)
            raise AttributeError(name)
        return getattr(self._index(), name)

    def cannot_find(self, name: str) -> bool:
        """True when `dlopen(name)` of a bare name certainly fails with "not found": no
        directory the loader searches has an entry of that name (a dangling link or an
        unreadable file counts as an entry: the real index then decides) and no ld.so
        cache string ends in it."""
        if "/" in name or not name:
            return False
        now = time.monotonic()
        places = self._places
        held_at, union = self._union
        if now - held_at >= _WINDOW:  # re-validate every directory, then answer from one set
            names: set[str] | None = set()
            for d in self._dirs:
                entries = places.entries(d, now)
                if entries is None:
                    names = None
                    break
                names.update(entries)
            union = frozenset(names) if names is not None else None
            self._union = (now, union)
        if union is None or name in union:
            return False
        if places.cache_may_hold(name, now):
            return False
        if not self._skipped:
            self._skipped_cache = places.cache_identity()
        self._skipped[name] = None
        return True

    def stale(self) -> bool:
        if self._skipped:
            try:
                st = os.stat(_LD_CACHE)
                ident: tuple | None = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                ident = None
            if ident != self._skipped_cache or any(
                    os.path.lexists(os.path.join(d, n)) for n in self._skipped for d in self._dirs):
                return True
        return bool(self._real.stale()) if self._real is not None else False


__all__ = ["DeferredIndex", "ManifestEntryCheck", "ProviderStep", "Providers", "index_for_config"]
