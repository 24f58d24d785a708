"""Session lifecycle: initialize, configuration, open documents, file watching,
workspace folders, commands."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from typing import TYPE_CHECKING, Any, Callable

from lsprotocol import types as lsp

from . import backend, native_features

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)

CMD_REINDEX = "sffi.reindex"
CMD_SHOW_EXPORTS = "sffi.showExports"
WATCH_GLOBS = ("**/*.so", "**/*.so.*", "**/sffi.toml", "**/pyproject.toml", "**/*.sdn", "**/*.spl",
               "**/*.wrapper_spec")


class StartupClock:
    """Start-up stages, logged at INFO as seconds since the process started
    (`--log-level INFO` shows where the time to the first diagnostic goes)."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self._after: list[Callable[[], object]] = []
        self.done = False
        self.gc_paused = False

    def begin(self, t0: float, gc_paused: bool = False) -> None:
        self.t0 = t0
        self.gc_paused = gc_paused

    def resume_gc(self) -> None:
        """The cyclic GC, paused by __main__ for start-up, runs again."""
        if self.gc_paused:
            self.gc_paused = False
            gc.enable()

    def mark(self, stage: str) -> None:
        if self.t0 is not None:
            log.info("start-up +%.3f s (cpu %.3f s): %s", time.time() - self.t0, time.process_time(), stage)

    def after_startup(self, job: Callable[[], object]) -> None:
        """Run `job` (in the analysis executor) once the first diagnostics are out and the index is built."""
        self._after.append(job)

    def finish(self, ls: "SffiLanguageServer") -> None:
        if self.done:
            return
        self.done = True
        self.mark("start-up done")
        loop = asyncio.get_running_loop()
        for job in self._after:
            loop.run_in_executor(ls.executor, job)


STARTUP = StartupClock()
GC_PAUSE_MAX_S = 30.0


def _settings_from(value: Any) -> dict[str, Any]:
    """`{"sffi": {...}}` or the section itself."""
    if not isinstance(value, dict):
        return {}
    inner = value.get("sffi")
    return dict(inner) if isinstance(inner, dict) else dict(value)


def _roots(ls: "SffiLanguageServer") -> list[str]:
    folders = list(ls.workspace.folders.values())
    roots = [ls.path_of(f.uri) for f in folders]
    if not roots and ls.workspace.root_uri:
        roots = [ls.path_of(ls.workspace.root_uri)]
    return [r for r in dict.fromkeys(roots) if r and os.path.isdir(r)]


def setup(ls: "SffiLanguageServer") -> None:
    @ls.feature(lsp.INITIALIZE)
    def initialize(ls: "SffiLanguageServer", params: lsp.InitializeParams) -> None:
        STARTUP.mark("initialize")
        ls.checks_held = True  # released once the workspace is indexed (see `initialized`)
        # The GC paused for start-up comes back after the first check, or after
        # GC_PAUSE_MAX_S whatever happens (a client that never sends `initialized`).
        asyncio.get_running_loop().call_later(GC_PAUSE_MAX_S, STARTUP.resume_gc)
        ls.initialization_settings = _settings_from(params.initialization_options)
        ls.roots = _roots(ls)

    @ls.feature(lsp.INITIALIZED)
    async def initialized(ls: "SffiLanguageServer", params: lsp.InitializedParams) -> None:
        # The first check waits for the configuration and the workspace index, and
        # nothing else: the open documents checked alone would show wrong cross-file
        # findings (a call to an extern declared in another file, "never called"),
        # so checks are held (initialize) until the index is in. File watchers are
        # registered meanwhile (a client round trip, slow in a busy VS Code).
        STARTUP.mark("initialized")
        watchers: asyncio.Task | None = None
        try:
            await ls.pull_client_settings()
            STARTUP.mark("client settings")
            await ls.reload_backend("startup")
            STARTUP.mark("configuration and providers loaded")
            await ls.check_open_documents_alone()  # before the index: see there
            if ls.checked_alone:
                STARTUP.mark(f"{len(ls.checked_alone)} open document(s) checked alone")
            ls.start_watching()
            watchers = asyncio.get_running_loop().create_task(register_watchers(ls))
            count = await ls.index_workspace()
            STARTUP.mark(f"{count} workspace file(s) indexed")
        finally:
            ls.checks_held = False
            ls.request_check()
        try:
            await ls.analysed()
            STARTUP.mark(f"first check done ({len(ls.open_paths)} open document(s))")
        finally:
            ls.started.set()  # even after a failure: pulls must not wait forever
            STARTUP.resume_gc()
        try:
            if watchers is not None:
                await watchers
        finally:
            STARTUP.finish(ls)
        await native_features.announce(ls)  # after the first diagnostics: it imports native code

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: "SffiLanguageServer", params: lsp.DidChangeConfigurationParams) -> None:
        if ls.can_pull_configuration:
            await ls.pull_client_settings()
        else:
            settings = _settings_from(params.settings)
            if settings:
                ls.client_settings = settings
        if ls._loaded_settings is None:
            return  # start-up has not loaded yet: it will read these settings
        if ls.settings_unchanged():
            log.info("configuration unchanged: not reloaded")
            return
        await ls.reload_backend("client settings changed")

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(ls: "SffiLanguageServer", params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        ls.roots = _roots(ls)
        await ls.reload_backend("workspace folders changed")
        await ls.index_workspace()

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: "SffiLanguageServer", params: lsp.DidOpenTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        ls.open_paths.add(path)
        ls.document_changed(path)
        ls._last_edit = 0.0  # opening is not typing: check now, without the keystroke debounce
        if not STARTUP.done:
            STARTUP.mark(f"didOpen {os.path.basename(path)}")

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: "SffiLanguageServer", params: lsp.DidChangeTextDocumentParams) -> None:
        ls.document_changed(ls.path_of(params.text_document.uri))

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: "SffiLanguageServer", params: lsp.DidCloseTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        ls.open_paths.discard(path)
        ls.parsers.pop(path, None)
        ls.file_changed_on_disk(path)  # the disk version (or nothing) replaces the buffer

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: "SffiLanguageServer", params: lsp.DidChangeWatchedFilesParams) -> None:
        other = False
        for change in params.changes:
            path = ls.path_of(change.uri)
            if path.endswith((".spl", backend.SPEC_SUFFIX)):
                ls.file_changed_on_disk(path)
            else:
                other = True
        if other:
            await ls.check_for_changes()

    @ls.command(CMD_REINDEX)
    async def reindex(ls, *args: Any) -> dict[str, Any]:  # no annotation: pygls evaluates them
        await ls.reload_backend("re-index command")
        count = await ls.index_workspace()
        await ls.analysed()
        return {"files": count, "externs": sum(len(s.externs) for s in ls.sources.values())}

    @ls.command(CMD_SHOW_EXPORTS)
    async def show_exports(ls, *args: Any) -> dict[str, Any]:
        from .exports import show_exports as exports_page  # noqa: PLC0415 - paged, see exports.py

        return await exports_page(ls, args)


async def register_watchers(ls: "SffiLanguageServer") -> None:
    """Ask the client to watch libraries, config, manifest, lists and sources."""
    caps = ls.client_capabilities.workspace if ls.client_capabilities else None
    watched = caps.did_change_watched_files if caps else None
    if not (watched and watched.dynamic_registration):
        return  # the stat check in the poll loop does the job
    globs = list(WATCH_GLOBS)
    config = ls.config
    for extra in (*config.builtin_lists, config.manifest, config.runtime_library):
        if extra:
            globs.append(extra)
    for lib in config.libraries:
        if os.path.isabs(lib.spec):
            globs.append(lib.spec)
    watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in dict.fromkeys(globs)]
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="sffi-watch",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                        )
                    ]
                )
            ),
            timeout=10,
        )
        ls._client_watching = True
    except Exception:  # noqa: BLE001
        log.info("client refused file watchers; polling instead", exc_info=True)
