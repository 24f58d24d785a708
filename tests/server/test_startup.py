"""Start-up as real editors drive it: eglot's didChangeConfiguration right after
`initialized`, VS Code's first diagnostic pull racing the first check, the
`sffi/status` notification, bare library names in client settings."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .conftest import add_refresh_handlers, open_doc, server_env, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio
CROSS_FILE_CODES = {"SFFI009", "SFFI011", "SFFI012"}  # rules marked cross_file


def has_unresolved(diags: list[lsp.Diagnostic]) -> bool:
    return any(d.code == "SFFI001" for d in diags)


def loads(log: Path) -> int:
    return log.read_text().count("configuration loaded") if log.exists() else 0


async def test_unchanged_configuration_is_loaded_once(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "sffi_lsp.server", "--log-file", str(log), "--log-level", "INFO"],
        server_env=server_env(project),
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    add_refresh_handlers(client)
    settings: dict[str, Any] = {"poll_interval_ms": 100}
    client.set_configuration(settings, section="sffi")
    try:
        await client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities("neovim@v0.10.0"),
                root_uri=uri(project),
                workspace_folders=[lsp.WorkspaceFolder(uri=uri(project), name="proj")],
            )
        )
        # What eglot does right after `initialized`: nothing actually changed.
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await wait_for(client, project / "src" / "main.spl", has_unresolved)
        await asyncio.sleep(1.0)
        assert loads(log) == 1, log.read_text()
        # A real change still reloads.
        client.set_configuration({**settings, "debounce_ms": 5}, section="sffi")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        deadline = time.monotonic() + 20
        while loads(log) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert loads(log) == 2
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_first_pull_answers_alone_then_one_refresh_brings_cross_file_findings(project: Path) -> None:
    # VS Code opens, then pulls at once: the answer is the document checked alone (no
    # wait for the index, no refresh pre-empting the pending pull), then the full check
    # adds what needs the other files, announced by one refresh.
    caps = client_capabilities("neovim@v0.10.0")
    caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    client = await start_client(project, "neovim@v0.10.0", capabilities=caps)
    try:
        main = project / "src" / "main.spl"
        doc = open_doc(client, main)
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=doc))
        )
        assert client.diagnostic_refresh_count == 0
        first = list(report.items)
        assert has_unresolved(first)
        assert not [d for d in first if d.code in CROSS_FILE_CODES], first
        deadline = time.monotonic() + 20
        while client.diagnostic_refresh_count == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert client.diagnostic_refresh_count == 1
        full = await wait_for(client, main, lambda ds: any(d.code == "SFFI012" for d in ds))
        assert [d.message for d in full if d.code == "SFFI012"] == [
            "`rt_demo_scale` is declared but never called in the checked tree"
        ]
        assert [d for d in full if d.code != "SFFI012"] == first  # refined, nothing stale
        await asyncio.sleep(1.0)  # start-up is over: nothing changed since, nothing more to refresh
        assert client.diagnostic_refresh_count == 1
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_status_notification_after_full_check(project: Path) -> None:
    statuses: list[Any] = []
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "sffi_lsp.server"], server_env=server_env(project)
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)

    @client.feature("sffi/status")
    def status(params: Any) -> None:
        statuses.append(params)

    client.set_configuration({"poll_interval_ms": 100}, section="sffi")
    try:
        await client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities("neovim@v0.10.0"),
                root_uri=uri(project),
                workspace_folders=[lsp.WorkspaceFolder(uri=uri(project), name="proj")],
            )
        )
        await wait_for(client, project / "src" / "main.spl", has_unresolved)
        for _ in range(100):
            if statuses and getattr(statuses[-1], "files", 0) == 2:
                break
            await asyncio.sleep(0.05)
        last = statuses[-1]
        # main.spl: rt_demo_add and rt_demo_scale bind, rt_demo_ad does not; wide.spl: one missing.
        assert (last.resolved, last.unresolved, last.files) == (2, 2, 2)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_bare_library_name_in_client_settings_is_searched_like_ld_so(project: Path) -> None:
    # sffi.toml names no library; the editor names one without a `/`, found in a search path.
    (project / "sffi.toml").write_text("libraries = []\n[server]\ndebounce-ms = 0\n")
    settings = {"poll_interval_ms": 100, "libraries": ["libdemo.so"], "searchPaths": [str(project / "build")]}
    client = await start_client(project, "neovim@v0.10.0", settings=settings)
    try:
        diags = await wait_for(
            client, project / "src" / "main.spl", lambda ds: has_unresolved(ds) and len([d for d in ds if d.code == "SFFI001"]) == 1
        )
        assert "rt_demo_ad" in next(d for d in diags if d.code == "SFFI001").message
    finally:
        await client.shutdown_session()
        await client.stop()
