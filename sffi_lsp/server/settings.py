"""The client's settings: pulled with workspace/configuration, merged with the initialization
options, the server-only keys (poll interval, docs base URL) taken out before the rest
reaches the configuration. A mixin of `SffiLanguageServer`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types as lsp

log = logging.getLogger("sffi_lsp.server.server")  # as before the split: the server's logger

SETTINGS_SECTION = "sffi"
# Server-only settings, taken out of the `sffi` section before it reaches the config.
SERVER_ONLY_SETTINGS = ("poll_interval_ms", "pollIntervalMs")
DOCS_BASE_SETTINGS = ("docsBaseUrl", "docs_base_url")  # where diagnostics link their rule's page
DEFAULT_POLL_MS = 1000


class ClientSettings:
    async def pull_client_settings(self) -> None:
        """workspace/configuration for the `sffi` section (when the client has it)."""
        if not self.can_pull_configuration:
            return
        try:
            items = [lsp.ConfigurationItem(section=SETTINGS_SECTION)]
            values = await asyncio.wait_for(
                self.workspace_configuration_async(lsp.ConfigurationParams(items=items)), timeout=10
            )
            value = values[0] if values else None
            self.client_settings = dict(value) if isinstance(value, dict) else {}
        except Exception:  # noqa: BLE001 - a client that cannot answer keeps the old settings
            log.warning("workspace/configuration failed", exc_info=True)

    def effective_settings(self) -> dict[str, Any]:
        settings = dict(self.initialization_settings)
        settings.update(self.client_settings)
        poll = None
        for key in SERVER_ONLY_SETTINGS:
            if key in settings:
                poll = settings.pop(key)
        try:
            self.poll_interval_ms = max(50, int(poll)) if poll is not None else DEFAULT_POLL_MS
        except (TypeError, ValueError):
            self.poll_interval_ms = DEFAULT_POLL_MS
        base = None
        for key in DOCS_BASE_SETTINGS:
            if key in settings:
                base = settings.pop(key)
        self.docs_base_url = base.strip() if isinstance(base, str) and base.strip() else None
        return settings

    def settings_unchanged(self) -> bool:
        """The client settings and the config files are those of the last load."""
        return (
            self._loaded_settings is not None
            and self.effective_settings() == self._loaded_settings
            and list(self.roots) == self._loaded_roots
            and not self.config_files_changed()
        )
