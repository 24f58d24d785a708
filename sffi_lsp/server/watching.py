"""Watching the disk for a client that does not (or not for everything): libraries, manifest,
built-in lists by the providers' stat checks, configuration files and `.spl` files by stamps.

A mixin of `SffiLanguageServer`: it uses the server's shared state (sources, open
buffers, the backend) and its check requests, and owns only the polling.
"""

from __future__ import annotations

import asyncio
import logging
import os

from . import analysis

log = logging.getLogger("sffi_lsp.server.server")  # as before the split: the server's logger
SPL_WALK_EVERY = 5  # stat polls between walks of the workspace for added or removed .spl files


class DiskWatch:
    def _config_files(self) -> list[str]:
        files = []
        for root in self.roots:
            files += [os.path.join(root, "sffi.toml"), os.path.join(root, "pyproject.toml")]
        config = self.config
        if config.config_file:
            files.append(config.config_file)
        return files

    def _stamp_config_files(self) -> dict[str, tuple]:
        return {path: analysis.stamp(path) for path in self._config_files()}

    def config_files_changed(self) -> bool:
        return any(analysis.stamp(path) != stamp for path, stamp in self._config_stamps.items()) or set(
            self._config_files()
        ) != set(self._config_stamps)

    def start_watching(self) -> None:
        if self._watch_task is None:
            self._watch_task = asyncio.get_running_loop().create_task(self._poll_loop())

    async def _poll_loop(self) -> None:
        """Stat check: libraries, manifest, built-in lists (providers.stale()) and config."""
        loop = asyncio.get_running_loop()
        while True:
            interval = self.poll_interval_ms / 1000.0
            if self._client_watching:
                interval *= 5  # the client tells us about workspace files; still catch the rest
            await asyncio.sleep(interval)
            try:
                await self.check_for_changes(loop)
                if not self._client_watching:
                    await self.check_sources_on_disk(loop)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a watcher must never die
                log.exception("file check failed")

    async def check_sources_on_disk(self, loop: asyncio.AbstractEventLoop | None = None) -> list[str]:
        """Unopened .spl files edited, added or removed on disk, for clients that do
        not watch files: a stat of each known file every poll, and a walk of the
        workspace every few polls for new ones. Returns the paths re-read."""
        loop = loop or asyncio.get_running_loop()
        self._polls += 1
        walk = self._polls % SPL_WALK_EVERY == 0
        tracked = set(self.sources) | set(self.spec_paths)  # wrapper specs are polled like sources
        known = [p for p in tracked if p not in self.open_paths and self._in_roots(p)]

        def scan() -> dict[str, tuple]:
            paths = set(known)
            if walk:
                paths.update(self.spl_files())
            return {path: analysis.stamp(path) for path in paths}

        stamps = await loop.run_in_executor(self.executor, scan)
        changed = []
        for path, stamp in stamps.items():
            if path in self.open_paths:
                continue  # the editor's buffer wins
            before = self._spl_stamps.get(path)
            if before is None and path in tracked:
                self._spl_stamps[path] = stamp  # no baseline yet: this is it
                continue
            if stamp != before:
                self._spl_stamps[path] = stamp
                if stamp or path in tracked:
                    changed.append(path)
        tracked |= set(self.spec_paths)  # the walk may have found new specs
        for path in [p for p in self._spl_stamps if p not in tracked and p not in stamps]:
            del self._spl_stamps[path]  # gone and forgotten
        for path in changed:
            self.file_changed_on_disk(path)
        if changed:
            log.info("%d .spl file(s) changed on disk", len(changed))
        return changed

    async def check_for_changes(self, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        loop = loop or asyncio.get_running_loop()
        if self.config_files_changed():
            await self.reload_backend("configuration file changed")
            return True
        current = self.backend
        if current is not None and await loop.run_in_executor(self.executor, current.stale):
            try:
                changed = await loop.run_in_executor(self.executor, current.refresh)
            except Exception:  # noqa: BLE001 - rebuild from scratch instead
                log.warning("providers.refresh() failed", exc_info=True)
                await self.reload_backend("a library, manifest or built-in list changed")
                return True
            if changed:
                log.info("a library, manifest or built-in list changed: re-checking")
                self._backend_generation += 1
                self._candidate_cache = None
                self._providers_changed = True
                self.request_check()
                self._warm_candidates()
            return changed
        return False
