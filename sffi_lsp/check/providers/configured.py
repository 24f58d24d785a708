"""`Providers`: the providers a configuration describes, answering per extern name.

`Providers.resolve(name)` answers what the runtime configured by `Config`
would do with `extern fn name` (the order is `resolution.ORDER`). All ELF
questions go to the `ExportIndex`, batched and memoised per name;
`stale()`/`refresh()` notice rebuilt libraries, edited lists and manifests.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from ...config_types import Config, LibrarySpec
from ..types import Candidate, ProviderRef, Resolution
from . import fingerprint as fingerprints
from . import resolution
from .builtin_table import BuiltinTable
from .deferred_index import index_for_config
from .libraries import ConfiguredLibraries
from .listings import Listings
from .manifest import ManifestEntryCheck, ManifestPlugins
from .protocol import LibraryProblem, ProviderBase, ProviderContext, ProviderStep, SymbolProvider
from .runtime_source import RuntimeSource
from .satellites import Satellites
from .signatures import SignatureReader
from .simple_functions import SimpleFunctions
from .static_objects import StaticObjects
from .suggest import NameSuggester

# The binary layer (ELF reader, loader, hashlib, json) and the answers store are imported
# where they are used: a check of a tree without libraries and without a cache needs
# neither (they are most of a cold start's import time).
if TYPE_CHECKING:
    from ...binary import ExportIndex
    from ...binary.types import CSignature, Library, NoSignature
    from ...model import ExternDecl
    from ..builtins import BuiltinEntry, BuiltinList, ListProblem


class Providers:
    """The providers a configuration describes, answering per extern name."""

    def __init__(self, config: Config, index: ExportIndex, answers_file: str | None = None):
        """`answers_file`: keep answers on disk between runs (see `check.answers`); None: memory only."""
        self.config = config
        self.index = index
        self._ctx = ProviderContext(config, index, Listings())
        self._answers_file = answers_file
        self._workspace_files: list | None = None
        self._load()

    @classmethod
    def from_config(cls, config: Config, index: ExportIndex | None = None,
                    answers_file: str | None = None) -> Providers:
        return cls(config, index if index is not None else index_for_config(config), answers_file)

    @property
    def unsettled(self) -> bool:
        """True once an answer was given that a later run might not repeat (a DWARF worker
        timeout, an unloadable satellite): results of this run must then not be kept."""
        return self._ctx.unsettled

    @unsettled.setter
    def unsettled(self, value: bool) -> None:
        self._ctx.unsettled = value

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        ctx = self._ctx
        ctx.reset()
        self.providers: list[SymbolProvider] = [kind(ctx) for kind in resolution.ORDER]
        kinds = {type(p): p for p in self.providers}
        self._scoped = [p for p in self.providers if type(p).scope_key is not ProviderBase.scope_key]
        # The kinds other layers ask about by name (lists for the server's watch, manifest checks).
        self._table: BuiltinTable = kinds[BuiltinTable]
        self._manifest: ManifestPlugins = kinds[ManifestPlugins]
        self._libraries: ConfiguredLibraries = kinds[ConfiguredLibraries]
        self._satellites: Satellites = kinds[Satellites]
        self._runtime_source: RuntimeSource = kinds[RuntimeSource]
        self._static: StaticObjects = kinds[StaticObjects]
        self._simple: SimpleFunctions = kinds[SimpleFunctions]
        if self._workspace_files is not None:
            self._simple.use_files(self._workspace_files)
        self._resolutions: dict[tuple[str, tuple[int, ...]], Resolution] = {}
        self._candidates: list[Candidate] | None = None
        self._suggester: NameSuggester | None = None
        self._signatures = SignatureReader(ctx)
        self._checked_at = time.monotonic()
        self._fingerprint: str | None = None
        if self._answers_file:
            from ..answers import AnswerStore  # noqa: PLC0415

            ctx.answers = AnswerStore(self._answers_file, self.fingerprint(), self._held_libraries())

    @property
    def _answers(self):  # noqa: ANN202  (AnswerStore | None; tests look at its hits)
        return self._ctx.answers

    # Views of what was loaded (callers and tests read these).
    @property
    def builtin_lists(self) -> list[BuiltinList]:
        return self._table.lists

    @property
    def builtins(self) -> dict[str, BuiltinEntry]:
        return self._table.entries

    @property
    def families(self) -> tuple[str, ...]:
        return self._table.families

    @property
    def unsupported(self) -> tuple[str, ...]:
        return self._table.unsupported

    @property
    def builtin_runtime(self) -> Library | None:
        return self._table.runtime

    @property
    def manifest(self):  # noqa: ANN201  (Manifest | None)
        return self._manifest.manifest

    @property
    def manifest_error(self):  # noqa: ANN201  (SdnError | None)
        return self._manifest.error

    @property
    def manifest_steps(self) -> list[ProviderStep]:
        return self._manifest.steps

    @property
    def library_steps(self) -> list[ProviderStep]:
        return self._libraries.steps

    # ------------------------------------------------------------------ answers kept between runs
    def _held_libraries(self) -> list[Library]:
        return fingerprints.held_libraries(self.providers)

    def fingerprint(self) -> str:
        """A digest of everything the answers depend on (see `check.answers`), as loaded."""
        if self._fingerprint is None:
            self._fingerprint = fingerprints.fingerprint(self._ctx, self.providers)
        return self._fingerprint

    def watch_state(self) -> dict[str, list | None]:
        """Satellite files answers depend on beyond the fingerprint: path -> identity when seen."""
        return self._answers.watched() if self._answers is not None else {}

    def save_answers(self) -> None:
        """Write the answers of this run for the next one (no-op without an answers file)."""
        if self._answers is not None:
            self._answers.save()

    @property
    def answers_loaded(self) -> bool:
        """True when answers of an earlier run matched the current fingerprint."""
        return self._answers is not None and self._answers.loaded

    # ------------------------------------------------------------------ staleness
    def stale(self) -> bool:
        """True when a library, a built-ins list or the manifest changed on disk."""
        if any(p.stale() for p in self.providers):
            return True
        try:
            return bool(self.index.stale())
        except Exception:  # noqa: BLE001  (an index that cannot tell is treated as fresh)
            return False

    def refresh(self) -> bool:
        """Reload what changed; True when something did (memoised answers are dropped)."""
        if not self.stale():
            return False
        self._load()
        return True

    # ------------------------------------------------------------------ resolution
    def satellite_prefix(self, name: str) -> str | None:
        """`json` for `rt_json_parse` (the configured prefixes, longest first, when set)."""
        return self._satellites.prefix_of(name)

    def _satellite_step(self, prefix: str) -> ProviderStep | None:
        return self._satellites.step_for(prefix)

    def runtime_source(self) -> RuntimeSource:
        """The runtime-source provider (its model, verdicts and modes), for the gap rules and hovers."""
        return self._runtime_source

    def resolve(self, name: str, source_path: str | None = None) -> Resolution:
        return self.resolve_many([name], source_path)[name]

    def resolve_many(self, names: Iterable[str], source_path: str | None = None) -> dict[str, Resolution]:
        """Resolutions for many names at once (one index lookup per library)."""
        key = resolution.scope_key(self._scoped, source_path)
        out: dict[str, Resolution] = {}
        todo: list[str] = []
        memo = self._resolutions
        for name in dict.fromkeys(names):
            hit = memo.get((name, key))
            if hit is not None:
                out[name] = hit
            else:
                todo.append(name)
        if todo:
            for name, res in self._resolve_uncached(todo, source_path, key).items():
                memo[(name, key)] = res
                out[name] = res
        return out

    def resolve_decls(self, pairs: Iterable[tuple[str, str | None]]) -> dict[tuple[str | None, str], Resolution]:
        """Resolutions for many (name, source path) pairs, batched by the libraries serving each
        file (one index lookup per library for the whole tree instead of one per extern)."""
        groups: dict[tuple[int, ...], tuple[str | None, list[str]]] = {}
        keyed: list[tuple[str, str | None, tuple[int, ...]]] = []
        for name, path in pairs:
            key = resolution.scope_key(self._scoped, path)
            keyed.append((name, path, key))
            groups.setdefault(key, (path, []))[1].append(name)
        answers = {key: self.resolve_many(names, path) for key, (path, names) in groups.items()}
        return {(path, name): answers[key][name] for name, path, key in keyed}

    def _resolve_uncached(self, names: list[str], source_path: str | None,
                          key: tuple[int, ...]) -> dict[str, Resolution]:
        out, dynamic_names = resolution.resolve_table(self.providers, names, source_path)
        # the dynamic path (answers of an earlier run when nothing they depend on changed)
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
            fresh = self._resolve_dynamic(dynamic_names, source_path)
            out.update(fresh)
            if store is not None:
                volatile = tuple(self._ctx.volatile_prefixes)
                for name, res in fresh.items():
                    if not (volatile and name.startswith(volatile)):
                        store.put_resolution(key, res)
        return out

    def _resolve_dynamic(self, names: list[str], source_path: str | None) -> dict[str, Resolution]:
        """The dlsym handles' answers (what they would answer, in `builtin-only` mode)."""
        steps = resolution.handles(self.providers, names, source_path)
        return resolution.resolve_handles(steps, self.index, names, self.config.runtime_mode == "builtin-only",
                                          lambda: resolution.handles(self.providers, every=True))

    def dynamic_steps(self, library_steps: Sequence[ProviderStep] | None = None,
                      names: Iterable[str] = ()) -> list[ProviderStep]:
        """The dlsym handles in the runtime's order (satellites for the prefixes of `names`;
        `library_steps`: the configured libraries to use instead of all of them)."""
        names = list(names)
        steps: list[ProviderStep] = []
        for p in self.providers:
            if p is self._libraries and library_steps is not None:
                steps += library_steps
            elif p.phase is resolution.Phase.HANDLE:
                steps += p.handles(names, every=isinstance(p, ConfiguredLibraries))
        return steps

    def library_spec(self, resolution: Resolution) -> LibrarySpec | None:
        """The configured library an answer came from (for `linked`), if any."""
        return self._libraries.spec_of(resolution)

    def use_workspace(self, files: Sequence) -> None:
        """The checked tree's source files: their functions link by mangled name (kind "simple")."""
        self._workspace_files = list(files)
        changed = self._simple.use_files(self._workspace_files)
        if changed:  # forget only the answers for names that appeared, went or moved
            for key in [k for k in self._resolutions if k[0] in changed]:
                del self._resolutions[key]

    @property
    def static_specs(self) -> list[LibrarySpec]:
        """The configured libraries that are objects or archives (linked statically)."""
        return self._static.specs

    def static_links(self, source_paths: Sequence[str | None], names_of) -> list:  # noqa: ANN001
        """Each distinct static link of the checked files (see `StaticObjects.links`)."""
        if not self._static.specs:
            return []
        return self._static.links(source_paths, names_of)

    # ------------------------------------------------------------------ candidates and suggestions
    def _offered(self) -> Iterator[tuple[list[str], ProviderRef]]:
        """(function names, provider) for each object whose exports are offered, first provider first
        (in `builtin-only` mode only the built-in table's)."""
        table_only = self.config.runtime_mode == "builtin-only"
        for p in self.providers:
            if not table_only or p.phase is resolution.Phase.TABLE:
                yield from p.offers()

    def candidates(self) -> list[Candidate]:
        """Every name some provider offers, first provider first (cached)."""
        if self._candidates is not None:
            return self._candidates
        seen: dict[str, Candidate] = dict(self._table.listed())
        for names, ref in self._offered():
            for name in names:
                if name not in seen:
                    seen[name] = Candidate(name, ref)
        self._candidates = list(seen.values())
        return self._candidates

    def candidate_names(self) -> list[str]:
        """The names of `candidates()`, without building a Candidate per name ("did you mean")."""
        if self._candidates is not None:
            return [c.name for c in self._candidates]
        seen: dict[str, None] = dict.fromkeys(self._table.entries)
        for names, _ref in self._offered():
            seen.update(dict.fromkeys(names))
        return list(seen)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Offered names closest to `name` ("did you mean"), best first."""
        store = self._answers
        if store is not None:
            kept = store.get_suggestions(name, limit)
            if kept is not None:
                return kept
        if self._suggester is None:
            self._suggester = NameSuggester(self.candidate_names())
        out = self._suggester.suggest(name, limit)
        if store is not None and not self._ctx.volatile_prefixes:
            store.put_suggestions(name, limit, out)
        return out

    # ------------------------------------------------------------------ libraries, lists and manifest
    def library_problems(self) -> list[LibraryProblem]:
        """Libraries the configuration names that cannot be loaded, or that have
        unresolved function references (loadable with lazy binding: a warning)."""
        out: list[LibraryProblem] = []
        seen: set[tuple[str, str]] = set()
        for p in self.providers:
            for origin, lib in p.problems():
                key = (origin.spec if isinstance(origin, LibrarySpec) else origin, lib.path or lib.spec)
                if key in seen:
                    continue
                seen.add(key)
                if not lib.loadable or lib.unresolved_functions:
                    out.append((origin, lib))
        return out

    def manifest_entries(self) -> list[ManifestEntryCheck]:
        """Each function each manifest plugin lists, checked against that plugin's library."""
        return self._manifest.entries()

    def list_problems(self) -> list[ListProblem]:
        """Lines of the built-ins lists that could not be read."""
        return self._table.list_problems()

    def manifest_problems(self) -> list[tuple[str | None, int, int, str]]:
        """(manifest, 0-based line, column, message): a malformed manifest or unusable entries."""
        return self._manifest.manifest_problems()

    # ------------------------------------------------------------------ signatures
    def wrapper_library(self, spec, symbols: Iterable[str]):  # noqa: ANN001, ANN201  (WrapperSpec -> WrapperLibrary)
        """The built library serving a wrapper spec (see `wrapper_libraries`)."""
        from .wrapper_libraries import find_wrapper_library  # noqa: PLC0415

        return find_wrapper_library(spec, self.config, self.index, symbols)

    def wrapper_crate_signatures(self, spec, found) -> dict[str, CSignature]:  # noqa: ANN001
        """The C-ABI functions of a spec's tier-1 crate sources (see `wrapper_libraries.crate_sources`)."""
        from .wrapper_libraries import crate_sources  # noqa: PLC0415

        return self._signatures.crate_functions(crate_sources(spec, self.config, found, self._signatures))

    def signature_for(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | ExternDecl | None:
        """The signature to check a declaration against: a built-in list's, or DWARF's (lazily)."""
        return self._signatures.signature_for(resolution, timeout)

    def signature_answer(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | NoSignature | None:
        """DWARF's answer for a library-provided name, including why there is none."""
        return self._signatures.signature_answer(resolution, timeout)

    def known_signature(self, resolution: Resolution) -> tuple[bool, CSignature | ExternDecl | None]:
        """The signature when it is at hand without reading DWARF (see `SignatureReader.known`)."""
        return self._signatures.known(resolution)

    def prefetch_signatures(self, resolutions: Iterable[Resolution], timeout: float = 10.0) -> None:
        """Read DWARF for every library-provided name of `resolutions`, one batch per library
        (see `signatures.SignatureReader.prefetch`)."""
        self._signatures.prefetch(resolutions, timeout)


__all__ = ["Providers"]
