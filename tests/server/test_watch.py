"""Live reload: a library rebuilt on disk, the config file edited, client
settings changed, client file watchers — diagnostics follow without a restart."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp
from pytest_lsp import client_capabilities

from .conftest import DEMO_C, codes, gcc, open_doc, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio


def has_unresolved(diags):
    return any(d.code == "SFFI001" for d in diags)


async def test_library_rebuilt_while_running(client, project):
    main = project / "src" / "main.spl"
    await wait_for(client, main, has_unresolved)
    # Rebuild libdemo.so with the missing function: the server notices by itself.
    gcc(DEMO_C + "int64_t rt_demo_ad(int64_t a) { return a; }\n", project / "build" / "libdemo.so")
    await wait_for(client, main, lambda ds: not has_unresolved(ds))
    # And back again.
    gcc(DEMO_C, project / "build" / "libdemo.so")
    await wait_for(client, main, has_unresolved)


async def test_config_file_edited(client, project):
    main = project / "src" / "main.spl"
    await wait_for(client, main, lambda ds: codes(ds).count("SFFI001") == 1)
    (project / "sffi.toml").write_text("libraries = []\n[server]\ndebounce-ms = 0\n")
    await wait_for(client, main, lambda ds: codes(ds).count("SFFI001") == 3)


async def test_client_settings_change(client, project):
    main = project / "src" / "main.spl"
    await wait_for(client, main, has_unresolved)
    settings = {"poll_interval_ms": 100, "rules": {"ignore": ["SFFI001"]}}
    client.set_configuration(settings, section="sffi")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"sffi": settings}))
    await wait_for(client, main, lambda ds: not has_unresolved(ds))


async def test_bad_client_settings_keep_serving(client, project):
    main = project / "src" / "main.spl"
    await wait_for(client, main, has_unresolved)
    settings = {"poll_interval_ms": 100, "abi": 42, "rules": "nonsense"}
    client.set_configuration(settings, section="sffi")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"sffi": settings}))
    for _ in range(200):
        if any("ignored" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.05)
    # Each bad key is named and left out; the others apply (see test_editor_ux).
    assert any("abi" in m.message and "rules" in m.message and "ignored" in m.message for m in client.messages)
    # The file's configuration still counts: rt_demo_add stays resolved, rt_demo_ad does not.
    diags = await wait_for(client, main, has_unresolved)
    assert codes(diags).count("SFFI001") == 1


async def test_client_file_watchers_are_used_when_offered(project):
    caps = client_capabilities("neovim@v0.10.0")
    caps.workspace.did_change_watched_files = lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)
    registrations: list[lsp.Registration] = []
    # Poll slowly so that only the client's notification can explain a quick update.
    settings = {"poll_interval_ms": 60000}
    client = await _client_with_registrations(project, caps, settings, registrations)
    try:
        main = project / "src" / "main.spl"
        await wait_for(client, main, has_unresolved)
        assert any(r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in registrations)
        lib = project / "build" / "libdemo.so"
        gcc(DEMO_C + "int64_t rt_demo_ad(int64_t a) { return a; }\n", lib)
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=uri(lib), type=lsp.FileChangeType.Changed)])
        )
        await wait_for(client, main, lambda ds: not has_unresolved(ds), timeout=10)
        # A new .spl file on disk, announced by the client.
        extra = project / "src" / "extra.spl"
        extra.write_text("extern fn rt_extra_missing() -> i64\n")
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=uri(extra), type=lsp.FileChangeType.Created)])
        )
        await wait_for(client, extra, has_unresolved, timeout=10)
    finally:
        await client.shutdown_session()
        await client.stop()


async def _client_with_registrations(project, caps, settings, registrations):
    import sys

    from pytest_lsp import ClientServerConfig, LanguageClient

    from .conftest import server_env

    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "sffi_lsp.server"], server_env=server_env(project)
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    from .conftest import add_refresh_handlers

    add_refresh_handlers(client)

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    client.set_configuration(settings, section="sffi")
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=caps,
            root_uri=uri(project),
            workspace_folders=[lsp.WorkspaceFolder(uri=uri(project), name="proj")],
            initialization_options={"sffi": settings},
        )
    )
    return client


async def test_multi_root_workspace(project, tmp_path):
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.spl").write_text("extern fn rt_second_missing() -> i64\n")
    client = await start_client(project, "neovim@v0.10.0")
    try:
        client.workspace_did_change_workspace_folders(
            lsp.DidChangeWorkspaceFoldersParams(
                event=lsp.WorkspaceFoldersChangeEvent(
                    added=[lsp.WorkspaceFolder(uri=uri(second), name="second")], removed=[]
                )
            )
        )
        await wait_for(client, second / "b.spl", has_unresolved)
        await wait_for(client, project / "src" / "main.spl", has_unresolved)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_conflicting_declaration_has_related_information(client, project):
    other = project / "src" / "other.spl"
    other.write_text("extern fn rt_demo_add(a: i64) -> i64\n")
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="sffi.reindex"))
    diags = await wait_for(client, other, lambda ds: any(d.related_information for d in ds))
    related = [r for d in diags for r in d.related_information or []]
    assert any(r.location.uri == uri(project / "src" / "main.spl") and r.location.range.start.line == 1 for r in related)


async def test_file_outside_workspace_and_close(client, project, tmp_path):
    loose = tmp_path / "loose.spl"
    loose.write_text("extern fn rt_loose_missing() -> i64\n")
    open_doc(client, loose)
    await wait_for(client, loose, has_unresolved)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri(loose))))
    # Closed and outside every workspace folder: its diagnostics go away.
    await wait_for(client, loose, lambda ds: ds == [])


async def test_pull_client_with_refresh_support_is_told_to_re_pull(project):
    caps = client_capabilities("neovim@v0.10.0")
    caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    client = await start_client(project, "neovim@v0.10.0", capabilities=caps)
    try:
        main = project / "src" / "main.spl"
        await wait_for(client, main, has_unresolved)
        before = client.diagnostic_refresh_count
        gcc(DEMO_C + "int64_t rt_demo_ad(int64_t a) { return a; }\n", project / "build" / "libdemo.so")
        for _ in range(200):
            if client.diagnostic_refresh_count > before:
                break
            await asyncio.sleep(0.05)
        assert client.diagnostic_refresh_count > before
        await wait_for(client, main, lambda ds: not has_unresolved(ds))
        assert client.diagnostics == {}  # still never pushed
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.parametrize("encoding, column", [("utf-8", 21), ("utf-32", 18)])
async def test_negotiated_position_encoding(project, encoding, column):
    caps = client_capabilities("neovim@v0.10.0")
    caps.general = lsp.GeneralClientCapabilities(position_encodings=[encoding])
    client = await start_client(project, "neovim@v0.10.0", capabilities=caps)
    try:
        wide = project / "src" / "wide.spl"
        diags = await wait_for(client, wide, has_unresolved)
        assert next(d for d in diags if d.code == "SFFI001").range.start == lsp.Position(line=0, character=column)
    finally:
        await client.shutdown_session()
        await client.stop()
