"""A client that misbehaves, a huge file, hostile libraries: the server keeps
answering."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from lsprotocol import types as lsp

from .conftest import MAIN_SPL, change_doc, find, open_doc, pos, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio


def has_unresolved(diags):
    return any(d.code == "SFFI001" for d in diags)


async def still_answers(client, project) -> None:
    main = project / "src" / "main.spl"
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(main)), position=find(MAIN_SPL, "rt_demo_add"))
        ),
        timeout=30,
    )
    assert hover is not None and "rt_demo_add" in hover.contents.value


def send_raw(client, body: bytes) -> None:
    """Bytes straight to the server's stdin, past the client's type checks."""
    client._server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def test_garbage_requests(client, project):
    await wait_for(client, project / "src" / "main.spl", has_unresolved)
    send_raw(client, b"{this is not json")
    send_raw(client, b'{"jsonrpc": "2.0", "id": 900001, "method": "textDocument/hover", "params": {"textDocument": 42, "position": "here"}}')
    send_raw(client, b'{"jsonrpc": "2.0", "id": 900002, "method": "textDocument/completion", "params": null}')
    send_raw(client, b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///nope.spl", "version": 3}, "contentChanges": [{"text": "x"}]}}')
    send_raw(client, b'[1, 2, 3]')
    send_raw(client, "\u00e9\u00e9 not utf-8 \xff".encode("latin-1"))
    with pytest.raises(Exception):
        await client.protocol.send_request_async("sffi/noSuchMethod", {"x": 1})
    # Unknown document, position far outside it, unknown command.
    unknown = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri="file:///nope/x.spl"), position=pos(10**6, 10**6))
    )
    assert unknown is None
    with pytest.raises(Exception):
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="sffi.nothing"))
    client.protocol.notify("sffi/garbageNotification", {"a": [1, 2, 3]})
    await still_answers(client, project)


async def test_cancelled_requests(client, project):
    await wait_for(client, project / "src" / "main.spl", has_unresolved)
    main = project / "src" / "main.spl"
    params = lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(main)), position=find(MAIN_SPL, "rt_demo_add"))
    pending = [asyncio.ensure_future(client.text_document_hover_async(params)) for _ in range(30)]
    await asyncio.sleep(0)
    for request_id in list(client.protocol._request_futures):
        client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=request_id))
    # Ids the server never saw.
    for request_id in range(10000, 10020):
        client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=request_id))
    outcomes = await asyncio.gather(*pending, return_exceptions=True)
    assert len(outcomes) == 30  # each one answered: a result or a cancellation error
    await still_answers(client, project)


async def test_thousands_of_edits_in_a_burst(client, project):
    main = project / "src" / "main.spl"
    doc = open_doc(client, main)
    text = MAIN_SPL
    line = len(MAIN_SPL.splitlines())
    version = 1
    for i in range(3000):
        version += 1
        insert = "x" if i % 50 else "\n"
        end = pos(line, 0)
        change_doc(client, doc, version, insert, lsp.Range(start=end, end=end))
        text = text + insert
    # Finally fix the unresolved name with an incremental edit: the last state wins.
    start = find(text, "rt_demo_ad(a")
    version += 1
    change_doc(client, doc, version, "rt_demo_add", lsp.Range(start=start, end=pos(start.line, start.character + 10)))
    await wait_for(client, main, lambda ds: not has_unresolved(ds), timeout=60)
    await still_answers(client, project)


@pytest.mark.slow
async def test_five_megabyte_file(project):
    # One client is enough: the point is the size, not the diagnostics transport.
    client = await start_client(project, "neovim@v0.10.0")
    try:
        await wait_for(client, project / "src" / "main.spl", has_unresolved)
        big = project / "src" / "big.spl"
        body = "".join(f"    val v{k} = compute({k}) + {k}  # {'filler ' * 6}\n" for k in range(30))
        chunk = "".join(f"extern fn rt_big_{i}(a: i64) -> i64\nfn use_{i}():\n{body}    rt_big_{i}(1)\n\n" for i in range(20))
        text = chunk * (5_000_000 // len(chunk) + 1)
        assert len(text) >= 5_000_000
        open_doc(client, big, text)
        started = time.monotonic()
        await still_answers(client, project)  # answers while the big file is analysed
        assert time.monotonic() - started < 5
        await wait_for(client, big, has_unresolved, timeout=120)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_hostile_library_files(project):
    build = project / "build"
    os.mkfifo(build / "libfifo.so")
    data = (build / "libdemo.so").read_bytes()
    (build / "libtrunc.so").write_bytes(data[:200])
    (build / "libempty.so").write_bytes(b"")
    (build / "libscript.so").write_text("/* GNU ld script */\nGROUP ( libdemo.so )\n")
    (build / "libdir.so").mkdir()
    (project / "sffi.toml").write_text(
        'libraries = ["build/libfifo.so", "build/libtrunc.so", "build/libempty.so", "build/libscript.so",'
        ' "build/libdir.so", "build/libdemo.so", "/dev/zero"]\n[server]\ndebounce-ms = 0\n'
    )
    client = await start_client(project, "neovim@v0.10.0")
    try:
        main = project / "src" / "main.spl"
        await wait_for(client, main, has_unresolved, timeout=60)
        await still_answers(client, project)
        toml = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
        all_codes = {str(d.code) for item in toml.items for d in item.items}
        assert "SFFI002" in all_codes  # library-not-loadable, reported somewhere
    finally:
        await client.shutdown_session()
        await client.stop()
