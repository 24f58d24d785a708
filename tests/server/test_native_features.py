"""The server where the bundled native wheels (rapidfuzz, tree-sitter) cannot be
imported, as on a platform the .vsix was not built for: it starts, checks, still
suggests near names, and says once which features are off."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .conftest import open_doc, server_env, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio

# What a foreign binary wheel gives at import time (a manylinux aarch64 .so on x86-64).
FOREIGN_SO = 'raise ImportError("{name}/_native.so: wrong ELF class: ELFCLASS32")\n'


def foreign_wheels(root: Path) -> Path:
    shim = root / "foreign-wheels"
    for name in ("rapidfuzz", "tree_sitter", "tree_sitter_rust"):
        (shim / name).mkdir(parents=True)
        (shim / name / "__init__.py").write_text(FOREIGN_SO.format(name=name))
    return shim


async def test_server_without_native_wheels_starts_and_says_once(project: Path, tmp_path: Path) -> None:
    env = server_env(project)
    env["PYTHONPATH"] = str(foreign_wheels(tmp_path)) + os.pathsep + env["PYTHONPATH"]
    log = tmp_path / "server.log"
    client = await start_client(project, "neovim@v0.10.0", env=env, server_args=("--log-file", str(log)))
    try:
        main = project / "src" / "main.spl"
        open_doc(client, main)
        diags = await wait_for(client, main, lambda ds: any(d.code == "SFFI001" for d in ds))
        unresolved = next(d for d in diags if d.code == "SFFI001")
        # the pure-Python scorer stands in for rapidfuzz: same nearest name
        assert "rt_demo_add" in unresolved.message, unresolved.message
        deadline = time.monotonic() + 20
        while not client.messages and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        warnings = [m for m in client.messages if "native packages missing" in m.message]
        assert len(warnings) == 1, [m.message for m in client.messages]
        text = warnings[0].message
        assert warnings[0].type == lsp.MessageType.Warning
        assert "tree-sitter" in text and "Rust runtime sources" in text, text
        assert "rapidfuzz" in text and "did you mean" in text, text
        # a later reload does not say it again
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0.5)
        assert len([m for m in client.messages if "native packages missing" in m.message]) == 1
        # hover still answers
        hover = await client.text_document_hover_async(
            lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(main)), position=lsp.Position(line=1, character=12))
        )
        assert hover is not None
    finally:
        await client.shutdown_session()
        await client.stop()
    assert "wrong ELF class" in log.read_text()


async def test_server_with_native_wheels_says_nothing(client: LanguageClient, project: Path) -> None:
    main = project / "src" / "main.spl"
    open_doc(client, main)
    await wait_for(client, main, lambda ds: any(d.code == "SFFI001" for d in ds))
    await asyncio.sleep(0.5)
    assert not [m for m in client.messages if "native packages missing" in m.message]
