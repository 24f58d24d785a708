"""The only place the server calls into the other layers (syntax, binary,
config, check): one seam, so the features below stay thin adapters."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from ..config_types import Config
from ..model import SourceFile
from ..rule_docs import rule_doc_url, rule_docs_dir  # noqa: F401  (diagnostics link rule pages)

log = logging.getLogger(__name__)

_PATH_LIKE = re.compile(r"[/*?\[]")  # a path or a glob, not a bare library name
# Where the rule pages live on the web, for an installation that lacks them.


def load_config(roots: list[str], settings: dict[str, Any] | None) -> tuple[Config, list[str], Any]:
    """sffi.toml found from the workspace roots, overlaid with client settings.

    Returns the config, the problems met, and the error that made the config file
    unusable (None when it was read). A broken sffi.toml gives the defaults here;
    the server keeps its last good configuration instead when it has one. A bad
    client setting is left out and the other settings apply."""
    from .. import config as config_mod  # noqa: PLC0415

    problems: list[str] = []
    file_error = None
    root = roots[0] if roots else os.getcwd()
    try:
        config = config_mod.load_config(paths=tuple(roots))
        if config.config_file is None and roots:
            # No sffi.toml: the project is the workspace folder, not the server's cwd.
            config = config_mod.default_config(root, dict(os.environ))
    except config_mod.ConfigError as exc:
        problems.append(str(exc))
        file_error = exc
        try:
            config = config_mod.default_config(root, dict(os.environ))
        except Exception:  # noqa: BLE001 - the environment itself may be the problem
            config = Config(root=root)
    if settings:
        bad: list = []
        try:
            config = config_mod.merge_client_settings(config, with_named_libraries(settings), problems=bad)
        except config_mod.ConfigError as exc:  # not a key's problem: the settings as a whole
            problems.append(f"{exc} (client settings ignored)")
        problems += [f"{e} (ignored; the other settings apply)" for e in bad]
    return config, problems, file_error


def build_backend(roots: list[str], settings: dict[str, Any] | None,
                  keep_last_good: bool) -> tuple["Backend | None", str | None, Any]:
    """(new backend or None, the problems as one message, the config file's error).

    None with a broken config file when a last good backend exists: the server keeps it
    (the defaults would paint a half-typed sffi.toml's whole tree red)."""
    config, problems, file_error = load_config(roots, settings)
    error = "; ".join(problems) or None
    if file_error is not None and keep_last_good:
        return None, f"{error}; the last configuration that loaded stays in force", file_error
    try:
        return Backend.build(config), error, file_error
    except Exception as exc:  # noqa: BLE001 - keep serving with what we have
        log.exception("providers could not be built")
        return None, error or f"providers could not be built: {exc}", file_error


def with_named_libraries(settings: dict[str, Any]) -> dict[str, Any]:
    """Editor settings list libraries as plain strings; one without a `/`
    (`"libm.so.6"`) is a name found as ld.so would (`{name = ...}`), as in a
    `dlopen` call, not a file in the project root (write `./libx.so` for that)."""
    libraries = settings.get("libraries")
    if not isinstance(libraries, list):
        return settings
    entries = [{"name": e} if isinstance(e, str) and e and not _PATH_LIKE.search(e) else e for e in libraries]
    return {**settings, "libraries": entries}


@dataclass
class Backend:
    """The providers for one configuration (rebuilt when config or files change)."""

    config: Config
    index: Any
    providers: Any
    checked: Any = None  # the providers as the checker sees them (suggestions memoised)

    def __post_init__(self) -> None:
        if self.checked is None:
            self.checked = MemoisedSuggestions(self.providers)

    @classmethod
    def build(cls, config: Config) -> "Backend":
        """The providers, sharing the CLI's cache (`.sffi_cache/`): export listings and
        signatures under `elf/`, provider answers in `providers.json` (see check.answers),
        so a second start neither re-lists nor re-asks the libraries."""
        from dataclasses import replace  # noqa: PLC0415

        from ..check.providers import Providers, index_for_config  # noqa: PLC0415

        cache = cache_directory(config)
        index = index_for_config(replace(config, cache_dir=os.path.join(cache, "elf")))
        providers = Providers.from_config(config, index, answers_file=os.path.join(cache, "providers.json"))
        return cls(config=config, index=providers.index, providers=providers)

    def save_answers(self) -> None:
        """Provider answers back to the cache (atomic; a read-only tree only costs speed)."""
        try:
            self.providers.save_answers()
        except Exception:  # noqa: BLE001 - a cache is a nicety
            log.warning("provider answers not saved", exc_info=True)

    def stale(self) -> bool:
        try:
            return bool(self.providers.stale())
        except Exception:  # noqa: BLE001 - a watcher must never die
            log.warning("providers.stale() failed", exc_info=True)
            return False

    def runtime_site(self, name: str) -> tuple[str, int] | None:
        """(file, 0-based line) of a runtime name's Rust definition, else of its interpreter
        handler or registration, when the runtime's sources are known (see runtime_source)."""
        getter = getattr(self.providers, "runtime_source", None)
        provider = getter() if callable(getter) else None
        if provider is None or provider.source is None:
            return None
        try:
            v = provider.verdicts(name)
        except Exception:  # noqa: BLE001 - navigation is a nicety
            log.warning("runtime verdicts for %s failed", name, exc_info=True)
            return None
        if v is None:
            return None
        for site in (v.definition.site if v.definition else None,
                     v.interpreter.entry.site if v.interpreter.entry else None,
                     v.interpreter.family.site if v.interpreter.family else None,
                     v.registration.site if v.registration else None):
            if site is not None:
                return os.path.join(provider.source, site.path), site.line
        return None

    def runtime_definition(self, name: str) -> tuple[Any, str] | None:
        """(Definition, absolute file) of a runtime name's Rust C-ABI function, when the
        runtime's sources are known and define it (completion shows it and derives the
        declaration from it)."""
        getter = getattr(self.providers, "runtime_source", None)
        provider = getter() if callable(getter) else None
        if provider is None or provider.source is None:
            return None
        try:
            view = provider.view()
            definition = view.definition(name) if view is not None else None
        except Exception:  # noqa: BLE001 - completion detail is a nicety
            log.warning("runtime definition of %s failed", name, exc_info=True)
            return None
        if definition is None:
            return None
        return definition, os.path.join(provider.source, definition.site.path)

    def refresh(self) -> bool:
        """Reload the libraries, lists and manifest that changed (keeps the rest cached)."""
        changed = bool(self.providers.refresh())
        if changed:
            self.checked = MemoisedSuggestions(self.providers)
        return changed


class MemoisedSuggestions:
    """The providers with "did you mean" answers kept across checks.

    A check asks for suggestions for every unresolved extern; across keystrokes
    the answers do not change until the providers do (a new wrapper then).

    The library problems (loadability, satellites present on disk: a directory
    glob) are kept between full checks too: the per-keystroke check of one file
    reuses those of the last full check, and each full check reads them afresh
    (`forget_library_problems`), so a satellite dropped on disk still shows."""

    def __init__(self, providers: Any) -> None:
        self._providers = providers
        self._suggestions: dict[tuple[str, int], Any] = {}
        self._library_problems: list[Any] | None = None

    def library_problems(self) -> list[Any]:
        if self._library_problems is None:
            self._library_problems = list(self._providers.library_problems() or ())
        return self._library_problems

    def forget_library_problems(self) -> None:
        self._library_problems = None

    def suggest(self, name: str, limit: int = 3) -> Any:
        key = (name, limit)
        answer = self._suggestions.get(key)
        if answer is None:
            answer = self._suggestions[key] = tuple(self._providers.suggest(name, limit=limit))
        return answer

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._providers, attr)


def cache_directory(config: Config) -> str:
    """The project's cache directory, as the CLI uses it."""
    return config.cache_dir or os.path.join(config.root, ".sffi_cache")  # cache.CACHE_DIR_NAME


def new_workspace(roots: list[str]) -> Any:
    from ..check.engine import Workspace  # noqa: PLC0415

    return Workspace(roots=roots)


def set_file(workspace: Any, path: str, source: SourceFile) -> None:
    workspace.set_file(with_path(source, path))


def with_path(source: SourceFile, path: str) -> SourceFile:
    """The file (and its externs) carrying `path`, as findings and lookups expect."""
    if source.path != path or any(e.path != path for e in source.externs):
        return source.with_path(path)
    return source


def abi_mapping_lines(decl: Any, config: Config) -> list[str]:
    """`name: text -> (ptr, u64)` per parameter and for the result."""
    from ..check import abi  # noqa: PLC0415

    profile = abi.profile_for(config)
    native = abi.builtin_profile("native")

    def words(type_ref: Any, result: bool) -> str:
        category = abi.type_category(type_ref)
        table = profile.returns if result else profile.params
        mapping = table.get(category) or (native.returns if result else native.params).get(category)
        return f"({', '.join(mapping.words)})" if mapping is not None else "?"

    lines = [f"`{p.name}: {p.type.text if p.type else '?'}` → {words(p.type, False)}" for p in decl.params]
    ret = decl.returns
    lines.append(f"result `{ret.text if ret else '()'}` → {words(ret, True) if ret else '()'}")
    return lines


def run_check(workspace: Any, backend: Backend) -> Any:
    from ..check.engine import check  # noqa: PLC0415

    forget = getattr(backend.checked, "forget_library_problems", None)
    if forget is not None:
        forget()  # a full check reads loadability and satellites afresh
    return check(workspace, backend.checked, backend.config)


class NameIndex:
    """Which files other than the one being edited mention each name
    (declaration, call, `use`/`export` list).

    Built once for the other files and reused while they are unchanged (the
    same SourceFile objects): a keystroke in one file then looks its names up
    instead of scanning every extern and call of the workspace."""

    def __init__(self, edited: str, others: dict[str, SourceFile]) -> None:
        self.edited = edited
        self.sources = {p: s for p, s in others.items() if p != edited}
        by_name: dict[str, set[str]] = {}
        for path, other in self.sources.items():
            for e in other.externs:
                by_name.setdefault(e.name, set()).add(path)
            for c in other.calls:
                by_name.setdefault(c.name, set()).add(path)
            for u in other.uses:
                for n in u.names:
                    by_name.setdefault(n, set()).add(path)
        self.by_name = by_name

    def fits(self, edited: str, others: dict[str, SourceFile]) -> bool:
        if edited != self.edited or len(others) - (edited in others) != len(self.sources):
            return False
        held = self.sources
        return all(held.get(p) is s for p, s in others.items() if p != edited)

    def files_naming(self, names: set[str]) -> set[str]:
        found: set[str] = set()
        by_name = self.by_name
        for n in names:
            paths = by_name.get(n)
            if paths:
                found |= paths
        return found


def check_one_file(
    source: SourceFile,
    others: dict[str, SourceFile],
    roots: list[str],
    backend: Backend,
    index: NameIndex | None = None,
    skip_cross_file: bool = False,
    specs: Any = (),
) -> Any:
    """Findings for one edited file, fast: the checker sees that file whole and,
    of every other file, only what shares a name with it (declarations, calls,
    use lists), which is all a cross-file rule needs to judge this file."""
    from ..check.engine import Workspace, check  # noqa: PLC0415

    names = {e.name for e in source.externs} | {c.name for c in source.calls}
    if index is None or not index.fits(source.path, others):
        index = NameIndex(source.path, others)
    files = [source]
    sharing = index.files_naming(names)
    for path, other in others.items():
        if path not in sharing:
            continue
        externs = [e for e in other.externs if e.name in names]
        calls = [c for c in other.calls if c.name in names]
        uses = [u for u in other.uses if not names.isdisjoint(u.names)]
        if not (externs or calls or uses):
            continue
        files.append(
            SourceFile(
                path=path,
                externs=externs,
                calls=calls,
                functions=[f for f in other.functions if f.name in names],
                uses=uses,
                suppressions=other.suppressions,
                line_count=other.line_count,
            )
        )
    workspace = Workspace(files, roots=roots)
    for spec in specs:  # the wrapper rules judge a bindings file against its spec
        workspace.set_spec(spec)
    return check(workspace, backend.checked, backend.config, only_paths=[source.path], skip_cross_file=skip_cross_file)


# --------------------------------------------------------------------------- wrapper specs

SPEC_SUFFIX = ".wrapper_spec"


def is_spec(path: str) -> bool:
    return path.endswith(SPEC_SUFFIX)


def read_spec_text(text: str, path: str) -> Any:
    from ..wrapper_spec import read_spec_text as read  # noqa: PLC0415

    return read(text, path)


def wrapper_tiers(workspace: Any, backend: Backend) -> list[Any]:
    """The three tiers of every spec of the workspace (`check.rules._wrapper.SpecTiers`)."""
    from ..check.engine import CheckContext  # noqa: PLC0415
    from ..check.rules._wrapper import spec_tiers  # noqa: PLC0415

    return spec_tiers(CheckContext(workspace, backend.checked, backend.config))


def spec_entry_at(tiers: list[Any], path: str, line: int) -> tuple[Any, Any] | None:
    """(SpecTiers, ExpectedExtern or HandleType) for the spec entry covering `line` of `path`:
    an entry spans from its first line to the next entry's."""
    for t in tiers:
        if t.spec.path != path:
            continue
        marks: list[tuple[int, Any]] = [(_start(e.entry), e) for e in t.expected if e.entry is not None]
        marks += [(h.line, h) for h in t.spec.handle_types]
        marks.sort(key=lambda m: m[0])
        if line == t.spec.name_line:
            return t, t.expected[0] if t.expected else None
        best = None
        for start, item in marks:
            if start <= line:
                best = item
        return (t, best) if best is not None else None
    return None


def _start(entry: Any) -> int:
    return entry.start_line if entry.start_line is not None else entry.line


def is_spec_workspace(ls: Any) -> bool:
    engine = getattr(ls, "engine_workspace", None)
    return bool(engine is not None and engine.specs)


def expected_span(expected: Any) -> Any:
    """Where the spec asks for an expected extern (the entry's name)."""
    from ..model import Span  # noqa: PLC0415

    return Span(0, 0, expected.line, expected.column, expected.line, expected.column + expected.length)


def display_name(path: str | None) -> str:
    return os.path.basename(path) if path else "?"


def spec_of_symbol(tiers: list[Any], name: str) -> tuple[Any, Any] | None:
    for t in tiers:
        e = t.expected_named(name)
        if e is not None:
            return t, e
    return None


def parse_source(text: str, path: str) -> SourceFile:
    from ..syntax import parse_source as parse  # noqa: PLC0415

    return with_path(parse(text, path), path)


def new_parser(path: str) -> Any:
    from ..syntax import IncrementalParser  # noqa: PLC0415

    try:
        return IncrementalParser(path)
    except TypeError:
        return IncrementalParser()


def is_fresh(parser: Any) -> bool:
    """The parser has read nothing yet."""
    return bool(getattr(parser, "fresh", False))


def prime_parser(parser: Any, text: str, path: str, workspace: Any, replaces: SourceFile | None) -> SourceFile | None:
    """Build the parser's chunk table for `text`. Its model, equal to `replaces` (the
    whole-file read of the same text), takes that one's place in `workspace` so only
    one copy stays alive (a 10 MB file's model is ~100 MB); returned when it did."""
    if not parser.fresh:
        return None
    model = with_path(parser.update(text), path)
    if replaces is None or workspace.get(path) is not replaces:
        return None
    workspace.set_file(model)
    return model


def parse_incremental(parser: Any, text: str, path: str) -> SourceFile:
    return with_path(parser.update(text), path)


# --------------------------------------------------------------------------- the model store
# The server reads and writes the CLI's model store (`cache.ModelStore`): see workspace_index.


def model_store(cache_dir: str) -> Any:
    from ..cache import ModelStore  # noqa: PLC0415

    return ModelStore(cache_dir)


def load_models(store: Any) -> Any:
    """The stored tree (an empty one for no store, or an absent, corrupt or outdated file)."""
    from ..cache import StoredTree  # noqa: PLC0415

    return store.load() if store is not None else StoredTree()


def save_models(store: Any, focus: frozenset[str], entries: dict[str, Any]) -> bool:
    try:
        return bool(store.save(focus, entries))
    except Exception:  # noqa: BLE001 - a cache only costs speed
        log.warning("model store not written", exc_info=True)
        return False


def file_key(path: str) -> Any:
    from ..cache import FileKey  # noqa: PLC0415

    return FileKey.of(path)


def fresh_entry(stored: Any, key: Any) -> Any:
    return stored.fresh(key) if key is not None and stored is not None else None


def stored_entry(key: Any, candidates: frozenset[str], blob: bytes) -> Any:
    from ..cache import StoredModel  # noqa: PLC0415

    return StoredModel(key.size, key.mtime_ns, candidates, blob)


def decode_entry(entry: Any, path: str) -> SourceFile | None:
    model = entry.model(path)
    return with_path(model, path) if model is not None else None


def encode_model(model: SourceFile) -> bytes | None:
    from ..syntax.codec import dumps  # noqa: PLC0415

    try:
        return dumps(model)
    except Exception:  # noqa: BLE001 - a model that cannot be stored is parsed next time
        log.warning("model of %s not encoded", model.path, exc_info=True)
        return None


def extern_candidates(text: str) -> frozenset[str]:
    from ..syntax.parser import extern_name_candidates  # noqa: PLC0415

    return extern_name_candidates([text]) or frozenset()


def parse_focused(text: str, path: str, focus: frozenset[str]) -> SourceFile:
    """An unopened file's model: only the calls and functions named in `focus` kept."""
    from ..syntax import parse_source as parse  # noqa: PLC0415

    return with_path(parse(text, path, focus), path)


def cross_file_codes() -> frozenset[str]:
    """The codes of the rules that judge a file by the others."""
    from ..check.rules import ALL_RULES  # noqa: PLC0415

    return frozenset(r.code for r in ALL_RULES if r.cross_file)


def rust_source_reader_problem() -> str | None:
    """None when the Rust source reader (tree-sitter) can run here, else why not."""
    from ..rust_source.reader import available  # noqa: PLC0415 - imports native code: never at start-up

    return available()
