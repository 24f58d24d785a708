"""The language server: one LanguageServer subclass owning the state the
features share (configuration, providers, parsed files, the last check).

Analysis runs on one worker thread so the event loop keeps answering (hover,
completion, cancellations) while a large file is parsed or libraries are read.
The loop owns the state; the worker only produces new values that the loop
installs.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ..check.types import CheckResult, Finding, Resolution
from ..config_types import Config
from ..model import CallSite, ExternDecl, SourceFile
from . import analysis, backend, config_problems
from .diagnostics import diagnostics_changed
from .documents import SffiProtocol
from .exports import ExportPager
from .positions import EMPTY_INDEX, LineIndex
from .settings import DEFAULT_POLL_MS, ClientSettings
from .watching import DiskWatch
from .workspace_index import WorkspaceIndex, line_index_of

log = logging.getLogger(__name__)

SERVER_NAME = "sffi-lsp"
STATUS_NOTIFICATION = "sffi/status"
FULL_CHECK_AFTER_S = 0.4  # idle time after an edit before the whole workspace is re-checked
# The analysis thread is pure Python: with the default 5 ms GIL switch interval a
# hover or completion arriving during a re-check waits up to 5 ms per switch.
GIL_SWITCH_INTERVAL_S = 0.0002
GC_THRESHOLDS = (20_000, 20, 10)


def _version() -> str:
    """From the installed dist-info's name, found directly: importing importlib.metadata
    costs 40-80 ms of CPU on the way to the first diagnostic."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("sffi_lsp-") and name.endswith(".dist-info"):
                return name[len("sffi_lsp-") : -len(".dist-info")]
    return "0.1.0"  # not installed: running from a checkout


class SffiLanguageServer(ClientSettings, DiskWatch, LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            SERVER_NAME, _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental, protocol_cls=SffiProtocol
        )
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        # A keystroke's parse and check allocate tens of thousands of objects that live
        # until the next one: with the default threshold (700) each check ran dozens of
        # young collections re-scanning them. Short-lived objects die by refcount anyway.
        gc.set_threshold(*GC_THRESHOLDS)
        self.roots: list[str] = []
        self.client_settings: dict[str, Any] = {}
        self.initialization_settings: dict[str, Any] = {}
        self.poll_interval_ms = DEFAULT_POLL_MS
        self.docs_base_url: str | None = None
        self.backend: backend.Backend | None = None
        self.config_error: str | None = None
        self.engine_workspace: Any = None
        self.sources: dict[str, SourceFile] = {}
        self.line_indexes: dict[str, LineIndex] = {}
        self.parsers: dict[str, Any] = {}
        self.open_paths: set[str] = set()
        self.result = CheckResult()
        self.decl_resolutions: dict[str, dict[str, Resolution]] = {}  # path -> extern name -> resolution
        self.findings: dict[str, list[Finding]] = {}
        # path -> ((encoding, docs base), {finding key: Diagnostic}) of the last answer (diagnostics.py)
        self.converted: dict[str, tuple[tuple, dict[tuple, Any]]] = {}
        self.result_ids: dict[str, str] = {}
        self.config_diagnostics: dict[str, list[lsp.Diagnostic]] = {}  # a broken sffi.toml, on its line
        self._result_counter = 0
        self._dirty: dict[str, str | None] = {}  # path -> open-doc text, None = read disk / removed
        self._last_edit = 0.0
        self._analysis: asyncio.Task | None = None
        self._needs_check = False
        self._in_flight: set[str] = set()
        self._full_now = True
        self._full_timer: asyncio.TimerHandle | None = None
        self._providers_changed = True  # resolutions may change: ask clients to refresh hints
        self._watch_task: asyncio.Task | None = None
        self._config_stamps: dict[str, tuple] = {}
        self._client_watching = False
        # Unopened .spl files as last seen on disk (mtime, size, inode): polled when the
        # client does not watch files for us.
        self._spl_stamps: dict[str, tuple] = {}
        self._polls = 0
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sffi-analysis")
        self._candidate_cache: tuple[int, list[Any], list[str]] | None = None
        # Worker thread only: per edited file, which other files share each name (see backend.NameIndex).
        self._name_indexes: dict[str, backend.NameIndex] = {}
        # Worker thread only: the focus of the unopened files' models, the model store.
        self.workspace_index = WorkspaceIndex()
        self.export_pager = ExportPager()  # sffi.showExports: the last library's sorted view
        self.candidate_details: dict[str, str] = {}  # name -> provider line, filled as completion shows them
        self._declared: tuple[Any, int, set[str]] | None = None
        self._sources_version = 0
        self._backend_generation = 0
        self.spec_paths: list[str] = []  # the workspace's wrapper specs, from the last walk
        self._tiers: tuple[tuple[int, int], list[Any]] | None = None
        # Settings of the last (re)load, None before the first: a didChangeConfiguration that
        # brings nothing new (eglot sends one right after `initialized`) does not reload.
        self._loaded_settings: dict[str, Any] | None = None
        self._loaded_roots: list[str] = []
        # Set once start-up (config, index, first full check) is done: diagnostic pulls wait
        # for it, so the first answer is complete and needs no refresh (which VS Code
        # answers by cancelling the pending pull).
        self.started = asyncio.Event()
        # A pull has been answered since the results last changed: only then does the
        # client hold something stale worth a workspace/diagnostic/refresh.
        self.pull_answered = False
        # Start-up holds checks until the workspace is indexed: the open documents
        # checked alone would show wrong cross-file findings (lifecycle releases it).
        self.checks_held = False
        # Start-up, until the index is in: open documents checked alone (cross-file
        # rules left out), so their first diagnostics need not wait for the index.
        self.checked_alone: set[str] = set()

    # --- errors -------------------------------------------------------------
    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log internal errors instead of popping them up in the user's editor."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error, exc_info=error)

    # --- client capabilities ----------------------------------------------
    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16)

    @property
    def pull_diagnostics(self) -> bool:
        caps = self.client_capabilities
        return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)

    @property
    def can_refresh_diagnostics(self) -> bool:
        ws = self.client_capabilities.workspace if self.client_capabilities else None
        return bool(ws and ws.diagnostics and ws.diagnostics.refresh_support)

    @property
    def can_refresh_inlay_hints(self) -> bool:
        ws = self.client_capabilities.workspace if self.client_capabilities else None
        return bool(ws and ws.inlay_hint and ws.inlay_hint.refresh_support)

    @property
    def can_pull_configuration(self) -> bool:
        ws = self.client_capabilities.workspace if self.client_capabilities else None
        return bool(ws and ws.configuration)

    @property
    def supports_progress(self) -> bool:
        window = self.client_capabilities.window if self.client_capabilities else None
        return bool(window and window.work_done_progress)

    @property
    def snippet_support(self) -> bool:
        td = self.client_capabilities.text_document if self.client_capabilities else None
        item = td.completion.completion_item if td and td.completion else None
        return bool(item and item.snippet_support)

    # --- paths and positions ----------------------------------------------
    @staticmethod
    def path_of(uri: str) -> str:
        path = to_fs_path(uri)
        return os.path.normpath(path) if path else uri

    @staticmethod
    def uri_of(path: str) -> str:
        return from_fs_path(path) or path

    def line_index(self, path: str) -> LineIndex:
        """The position index of `path`: an unopened file's model from the store came
        without its text, so its index is made from the disk on first use."""
        index = self.line_indexes.get(path)
        if index is None:
            if path not in self.sources or path in self.open_paths:
                return EMPTY_INDEX
            text = analysis.read_text(path)
            index = self.line_indexes[path] = line_index_of(text) if text is not None else EMPTY_INDEX
        return index

    def range_of(self, path: str, span: Any) -> lsp.Range:
        return self.line_index(path).range(span, self.encoding)

    def location_of(self, path: str, span: Any) -> lsp.Location:
        return lsp.Location(uri=self.uri_of(path), range=self.range_of(path, span))

    def model_position(self, path: str, position: lsp.Position) -> tuple[int, int]:
        return self.line_index(path).from_client(position, self.encoding)

    def document_text(self, path: str) -> str | None:
        """The current text: the editor buffer when open, else the file on disk."""
        if path in self.open_paths:
            try:
                return self.workspace.get_text_document(self.uri_of(path)).source
            except Exception:  # noqa: BLE001
                return None
        return analysis.read_text(path)

    # --- configuration --------------------------------------------------------
    @property
    def config(self) -> Config:
        if self.backend is not None:
            return self.backend.config
        return Config(root=self.roots[0] if self.roots else os.getcwd(), debounce_ms=150)

    async def reload_backend(self, reason: str) -> None:
        """(Re)load the configuration and providers, then re-check everything."""
        settings = self.effective_settings()
        roots = list(self.roots)
        self._loaded_settings = settings
        self._loaded_roots = roots
        # Stamped before reading: an edit made while loading is seen by the next poll.
        before = self._stamp_config_files()
        self._config_stamps = before

        keep_last_good = self.backend is not None

        started = time.perf_counter()
        new_backend, error, file_error = await asyncio.get_running_loop().run_in_executor(
            self.executor, backend.build_backend, roots, settings, keep_last_good)
        log.info("configuration loaded (%s) in %.0f ms", reason, (time.perf_counter() - started) * 1000)
        if error and error != self.config_error:  # once per distinct problem: log and one message
            log.warning("configuration: %s", error)
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"sffi: {error}"))
        self.config_error = error
        config_problems.install(self, file_error, kept_last_good=keep_last_good)
        if self.engine_workspace is not None:
            self.engine_workspace.roots = tuple(self.roots)
        if new_backend is not None:
            self.backend = new_backend
            self._backend_generation += 1
            self._candidate_cache = None
            self.export_pager.clear()
            self._providers_changed = True
        self._config_stamps = {path: before[path] if path in before else analysis.stamp(path) for path in self._config_files()}
        self.request_check()
        self._warm_candidates()

    # --- workspace indexing -----------------------------------------------------
    def spl_files(self) -> list[str]:
        found, self.spec_paths = analysis.workspace_files(self.roots, self.config.exclude)  # specs met on the same walk
        return found

    async def index_workspace(self) -> int:
        """Parse every .spl file of every workspace folder, with progress."""
        loop = asyncio.get_running_loop()
        paths = await loop.run_in_executor(self.executor, self.spl_files)
        token = f"sffi-index-{time.monotonic_ns()}"
        progress = False
        if self.supports_progress and paths:
            try:
                await asyncio.wait_for(self.work_done_progress.create_async(token), timeout=5)
                self.work_done_progress.begin(
                    token, lsp.WorkDoneProgressBegin(title="sffi: indexing", percentage=0, cancellable=False)
                )
                progress = True
            except Exception:  # noqa: BLE001 - progress is a nicety
                log.info("work done progress refused", exc_info=True)
        index = self.workspace_index
        cache_dir = backend.cache_directory(self.config) if self.backend is not None else None
        await loop.run_in_executor(self.executor, index.begin, paths, cache_dir)
        # Names first (texts of the files to parse, read and let go), then models: batches
        # keep the loop answering and let open documents be checked alone meanwhile.
        batch = 500
        for start in range(0, len(paths), batch):
            if not self.started.is_set():
                await self.check_open_documents_alone()
            await loop.run_in_executor(self.executor, index.candidates_of, paths[start : start + batch])
        demoted = await loop.run_in_executor(self.executor, index.settle_focus)
        batch = 100
        for start in range(0, len(paths), batch):
            if not self.started.is_set():
                await self.check_open_documents_alone()  # opened (or edited) meanwhile
            chunk = paths[start : start + batch]
            stamps = await loop.run_in_executor(self.executor, analysis.stamps_of, chunk)
            self._spl_stamps.update(stamps)
            parsed = await loop.run_in_executor(self.executor, index.read_batch, chunk, set(self.open_paths))
            for path, source, line_index in parsed:
                if path in self.open_paths:
                    continue  # the editor's buffer wins over the disk
                self._install_source(path, source, line_index)
            if progress:
                done = min(len(paths), start + batch)
                self.work_done_progress.report(
                    token,
                    lsp.WorkDoneProgressReport(message=f"{done}/{len(paths)} files", percentage=int(100 * done / len(paths))),
                )
        saved = await loop.run_in_executor(self.executor, index.finish)
        log.info("workspace index: %d file(s), %d from the model store, %d parsed (%d re-read for new names); store %s",
                 len(paths), index.from_store, index.parsed, demoted, "written" if saved else "unchanged")
        specs = [p for p in self.spec_paths if p not in self.open_paths]
        read = await loop.run_in_executor(self.executor, analysis.read_specs, specs)
        engine = self._ensure_engine_workspace()
        for gone in [s.path for s in engine.specs if s.path not in self.spec_paths and s.path not in self.open_paths]:
            engine.remove_spec(gone)
        for path, spec, index in read:
            if path not in self.open_paths:
                engine.set_spec(spec)
                self.line_indexes[path] = index
        self._providers_changed = True
        known = set(paths) | self.open_paths
        for gone in [p for p in self.sources if p not in known]:
            self._remove_source(gone)
        if progress:
            self.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=f"{len(paths)} files"))
        self.request_check()
        return len(paths)

    async def check_open_documents_alone(self) -> None:
        """Start-up, before the workspace index is complete: each open document that
        is new or edited is checked by itself, without the rules that judge a file by
        the others (they would flicker), so its first diagnostics do not wait for
        thousands of files. The full check after the index replaces these findings
        whole; until then edits are checked the same way."""
        # specs wait for the full check: they are judged against the whole workspace
        dirty = [p for p in self._dirty if p in self.open_paths and not backend.is_spec(p)]
        current = self.backend
        if not dirty or current is None:
            return
        for path in dirty:
            del self._dirty[path]
        jobs = [(path, self.document_text(path), True) for path in dirty]
        parsers = {path: self.parsers.setdefault(path, backend.new_parser(path)) for path in dirty}
        engine = self._ensure_engine_workspace()
        self._in_flight = set(dirty)
        try:
            parsed, result = await asyncio.get_running_loop().run_in_executor(
                self.executor, functools.partial(
                    analysis.analyse, jobs, parsers, engine, current, {}, list(self.roots), None, True,
                    index=self.workspace_index))
        except Exception:  # noqa: BLE001 - the full check after the index still comes
            log.exception("checking the open documents alone failed")
            return
        finally:
            self._in_flight = set()
        self._sources_version += 1
        for path, source, index in parsed:
            if source is not None:
                self.sources[path] = source
                self.line_indexes[path] = index
        checked = {p for p, source, _i in parsed if source is not None}
        if result is not None:
            self._install_partial(result, checked=checked)
        self.checked_alone |= checked
        self._prime_parsers(checked)

    def _prime_parsers(self, paths: Iterable[str]) -> None:
        """After a first answer read whole: the incremental parsers of those open
        documents build their chunk tables in the background (the next edit, queued
        behind, then re-reads only what it touched)."""
        loop = asyncio.get_running_loop()
        for path in paths:
            parser = self.parsers.get(path)
            if parser is not None and path in self.open_paths and backend.is_fresh(parser):
                text = self.document_text(path)
                if text is None:
                    continue
                replaces = self.sources.get(path)
                primed = loop.run_in_executor(
                    self.executor, backend.prime_parser, parser, text, path, self._ensure_engine_workspace(), replaces
                )
                primed.add_done_callback(functools.partial(self._primed, path, replaces))

    def _primed(self, path: str, replaces: SourceFile | None, primed: "asyncio.Future[SourceFile | None]") -> None:
        model = None if primed.cancelled() or primed.exception() is not None else primed.result()
        if model is not None and self.sources.get(path) is replaces:
            self.sources[path] = model
            self._sources_version += 1

    async def first_answer(self, path: str, timeout: float) -> bool:
        """Start-up: wait until the open document `path` is checked alone (its latest
        text) or the full check is done, whichever comes first. True when the answer
        is the one checked alone; False at once for a document that is not open."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.started.is_set() and path in self.open_paths and loop.time() < deadline:
            if path in self.checked_alone and path not in self._dirty and path not in self._in_flight:
                return True
            await asyncio.sleep(0.005)
        return False

    def _install_spec(self, path: str) -> None:
        engine = self._ensure_engine_workspace()
        text = self.document_text(path) if path in self.open_paths or self._in_roots(path) else None
        if text is None:
            engine.remove_spec(path)
            self.line_indexes.pop(path, None)
            return
        engine.set_spec(backend.read_spec_text(text, path))
        self.line_indexes[path] = LineIndex(text)

    def wrapper_tiers(self) -> list[Any]:
        """The three tiers of each spec (cached until the workspace or the providers change)."""
        engine = self._ensure_engine_workspace()
        key = (engine.generation, self._backend_generation)
        if self._tiers is None or self._tiers[0] != key:
            tiers: list[Any] = []
            if self.backend is not None and engine.specs:
                try:
                    tiers = backend.wrapper_tiers(engine, self.backend)
                except Exception:  # noqa: BLE001 - hover and navigation are niceties
                    log.warning("wrapper tiers failed", exc_info=True)
            self._tiers = (key, tiers)
        return self._tiers[1]

    def _ensure_engine_workspace(self) -> Any:
        if self.engine_workspace is None:
            self.engine_workspace = backend.new_workspace(self.roots)
        return self.engine_workspace

    def _install_source(self, path: str, source: SourceFile | None, index: LineIndex | None) -> None:
        if source is None:
            return
        backend.set_file(self._ensure_engine_workspace(), path, source)
        self.sources[path] = source
        self._sources_version += 1
        if index is None:
            self.line_indexes.pop(path, None)  # read from the store: made on demand
        else:
            self.line_indexes[path] = index

    def _remove_source(self, path: str) -> None:
        if self.engine_workspace is not None and path in self.sources:
            self.engine_workspace.remove_file(path)
        self.sources.pop(path, None)
        self._sources_version += 1
        self.line_indexes.pop(path, None)
        self.parsers.pop(path, None)

    # --- documents ------------------------------------------------------------
    def document_changed(self, path: str) -> None:
        """An open buffer changed: re-parse it after the debounce delay."""
        self._dirty[path] = None
        self._last_edit = time.monotonic()
        self.request_check(full=False)

    def file_changed_on_disk(self, path: str) -> None:
        if path in self.open_paths:
            return
        self._dirty[path] = None
        self.request_check()

    def request_check(self, full: bool = True) -> None:
        """Schedule analysis. `full=False` (an edit): check the edited files
        quickly now and the whole workspace once the user pauses."""
        self._needs_check = True
        if full:
            self._full_now = True
        if self.checks_held:
            return
        if self._analysis is None or self._analysis.done():
            self._analysis = asyncio.get_running_loop().create_task(self._analysis_loop())

    async def analysed(self, path: str | None = None) -> None:
        """Wait until pending edits (of `path`, or all) are parsed and checked.

        Requests about other files do not wait for a slow one (a 5 MB buffer)."""
        if self.checks_held:
            await self.started.wait()  # start-up: the first check follows the workspace index
        while self._analysis is not None and not self._analysis.done():
            if path is not None and path not in self._dirty and path not in self._in_flight:
                return
            await asyncio.shield(self._analysis)

    async def _analysis_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._needs_check:
            delay = self.config.debounce_ms / 1000.0
            while delay > 0 and (wait := self._last_edit + delay - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            self._needs_check = False
            dirty, self._dirty = self._dirty, {}
            self._in_flight = set(dirty)
            jobs: list[tuple[str, str | None, bool]] = []
            spec_edited = False
            for path in [p for p in dirty if backend.is_spec(p)]:
                # a spec reads in a fraction of a millisecond: here, between checks
                self._install_spec(path)
                spec_edited = True
            for path in [p for p in dirty if not backend.is_spec(p)]:
                if path in self.open_paths:
                    jobs.append((path, self.document_text(path), True))
                else:
                    jobs.append((path, analysis.read_text(path) if self._in_roots(path) else None, False))
            full = self._full_now or spec_edited or any(not is_open for _p, _t, is_open in jobs)
            self._full_now = False
            parsers = {path: self.parsers.setdefault(path, backend.new_parser(path)) for path, _t, is_open in jobs if is_open}
            backend_now = self.backend
            engine = self._ensure_engine_workspace()
            others = None if full else dict(self.sources)
            try:
                parsed, result = await loop.run_in_executor(
                    self.executor, functools.partial(
                        analysis.analyse, jobs, parsers, engine, backend_now, others, list(self.roots), self._name_indexes,
                        index=self.workspace_index, unopened=[p for p in self.sources if p not in self.open_paths] if full else None))
            except Exception:  # noqa: BLE001 - an analysis failure must not stop the server
                log.exception("analysis failed")
                self._in_flight = set()
                continue
            self._sources_version += 1
            for path, source, index in parsed:
                if source is None:
                    self.sources.pop(path, None)
                    self.line_indexes.pop(path, None)
                else:
                    self.sources[path] = source
                    self.line_indexes[path] = index
            if result is not None:
                if full:
                    self._install_result(result, edited=set(dirty))
                else:
                    self._install_partial(result, checked={p for p, s_, _i in parsed if s_ is not None})
                    self._schedule_full_check()
            self._in_flight = set()
            self._prime_parsers(path for path, _t, is_open in jobs if is_open)

    def _schedule_full_check(self) -> None:
        """The whole workspace once edits pause (other files may depend on the edit)."""
        if self._full_timer is not None:
            self._full_timer.cancel()

        def due() -> None:
            self._full_timer = None
            self.request_check(full=True)

        self._full_timer = asyncio.get_running_loop().call_later(FULL_CHECK_AFTER_S, due)

    def _in_roots(self, path: str) -> bool:
        return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)

    def _install_result(self, result: CheckResult, edited: set[str]) -> None:
        by_path: dict[str, list[Finding]] = {}
        for finding in result.findings:
            by_path.setdefault(_normpath(finding.path), []).append(finding)
        for gone in [p for p in self.converted if p not in by_path]:
            del self.converted[gone]
        self._install_findings(result, by_path, edited)
        self.send_status()
        analysis.freeze_long_lived()

    def status(self) -> dict[str, int]:
        """Counts for the editor's status bar: distinct extern names by resolution."""
        statuses = [r.status.value for r in self.result.resolutions.values()]
        return {
            "resolved": statuses.count("resolved"),
            "unresolved": statuses.count("unresolved"),
            "externs": sum(len(s.externs) for s in self.sources.values()),
            "files": len(self.sources),
            # how the last workspace index got its models (a warm start reads them all from the store)
            "fromStore": self.workspace_index.from_store,
            "parsed": self.workspace_index.parsed,
        }

    def send_status(self) -> None:
        """`sffi/status` after each full check (the VS Code extension shows it)."""
        try:
            self.protocol.notify(STATUS_NOTIFICATION, self.status())
        except Exception:  # noqa: BLE001 - a status line is a nicety
            log.debug("sffi/status not sent", exc_info=True)

    def _install_findings(self, result: CheckResult, by_path: dict[str, list[Finding]], edited: set[str]) -> None:
        changed = [p for p in set(by_path) | set(self.findings) if by_path.get(p, []) != self.findings.get(p, [])]
        if result is not self.result:  # a full check: its per-declaration resolutions, by file
            per_file: dict[str, dict[str, Resolution]] = {}
            for (path, name), res in (result.by_decl or {}).items():
                per_file.setdefault(path, {})[name] = res
            self.decl_resolutions = per_file
        self.result = result
        self.findings = by_path
        for path in changed:
            self._result_counter += 1
            self.result_ids[path] = str(self._result_counter)
        providers_changed, self._providers_changed = self._providers_changed, False
        if changed or providers_changed:
            diagnostics_changed(self, changed, edited, providers_changed)

    def _install_partial(self, result: CheckResult, checked: set[str]) -> None:
        """Findings and resolutions of the files just edited; the rest stays."""
        findings = dict(self.findings)
        for path in checked:
            findings.pop(path, None)
        for finding in result.findings:
            path = _normpath(finding.path)
            if path in checked:
                findings.setdefault(path, []).append(finding)
        # Only the checked files' entries change: updated in place, not copied
        # (a copy of every resolution of a large tree per keystroke cost milliseconds).
        for path in checked:
            self.decl_resolutions.pop(path, None)
        for (path, name), res in (result.by_decl or {}).items():
            if path in checked:
                self.decl_resolutions.setdefault(path, {})[name] = res
        self.result.resolutions.update(result.resolutions)
        self._install_findings(self.result, findings, edited=checked)

    # --- model lookups ----------------------------------------------------------
    def resolution_for(self, path: str, name: str) -> Resolution | None:
        res = self.decl_resolutions.get(path, {}).get(name)
        return res if res is not None else self.result.resolutions.get(name)

    def resolve_name(self, name: str, path: str | None = None) -> Resolution | None:
        res = self.resolution_for(path, name) if path else self.result.resolutions.get(name)
        if res is not None or self.backend is None:
            return res
        try:
            return self.backend.providers.resolve(name, source_path=path)
        except Exception:  # noqa: BLE001
            log.warning("resolve(%s) failed", name, exc_info=True)
            return None

    def symbol_at(self, path: str, position: lsp.Position) -> tuple[ExternDecl | None, CallSite | None]:
        """The extern declaration or call whose name is under the cursor."""
        source = self.sources.get(path)
        if source is None:
            return None, None
        line, column = self.model_position(path, position)
        for decl in source.externs:
            span = decl.name_span
            if span.start_line == line and span.contains(line, column):
                return decl, None
        for call in source.calls:
            if not call.qualified and call.span.start_line == line and call.span.contains(line, column):
                return None, call
        return None, None

    def declarations_of(self, name: str, prefer_path: str | None = None) -> list[ExternDecl]:
        found = [d for d in self.sources.get(prefer_path, SourceFile("")).externs if d.name == name] if prefer_path else []
        for path, source in self.sources.items():
            if path == prefer_path:
                continue
            found += [d for d in source.externs if d.name == name]
        return [d if d.path else _with_path(d, path) for d in found]  # type: ignore[has-type]

    def calls_of(self, name: str) -> Iterable[tuple[str, CallSite]]:
        for path, source in self.sources.items():
            for call in source.calls:
                if call.name == name and not call.qualified:
                    yield path, call

    def _warm_candidates(self) -> None:
        """Read every provider's names in the background: the first completion is then fast."""
        asyncio.get_running_loop().run_in_executor(self.executor, self.candidates)

    def declared_names(self) -> set[str]:
        """Every extern name declared in the workspace (cached until a file changes)."""
        if self._declared is None or self._declared[0] is not self.sources or self._declared[1] != self._sources_version:
            names = {d.name for source in self.sources.values() for d in source.externs}
            self._declared = (self.sources, self._sources_version, names)
        return self._declared[2]

    def candidates(self) -> tuple[list[Any], list[str]]:
        """Provider names, sorted, cached per providers generation (completion is hot)."""
        if self._candidate_cache is not None and self._candidate_cache[0] == self._backend_generation:
            return self._candidate_cache[1], self._candidate_cache[2]
        items: list[Any] = []
        if self.backend is not None:
            try:
                items = list(self.backend.providers.candidates())
            except Exception:  # noqa: BLE001
                log.warning("candidates() failed", exc_info=True)
        items.sort(key=lambda c: c.name)
        names = [c.name for c in items]
        self._candidate_cache = (self._backend_generation, items, names)
        self.candidate_details = {}
        return items, names

@functools.lru_cache(maxsize=65536)
def _normpath(path: str) -> str:
    """os.path.normpath, memoised: every finding of every check passes here."""
    return os.path.normpath(path)


def _with_path(decl: ExternDecl, path: str) -> ExternDecl:
    from dataclasses import replace  # noqa: PLC0415

    return replace(decl, path=path)
