"""The per-keystroke check of an edited file (before the deferred full check)
sees the other files as they are now: a declaration that appears in another
file, or goes away, changes the edited file's findings at the next keystroke."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from .conftest import change_doc, diagnostics, open_doc, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio

EDITED = "extern fn rt_demo_add(a: i64, b: i64) -> i64\n\nfn main():\n    rt_demo_add(1, 2)\n"


def conflicts(diags):
    return [d for d in diags if d.code == "SFFI009"]


async def test_keystroke_check_follows_other_files(project):
    client = await start_client(project, "neovim@v0.10.0")
    try:
        other = project / "src" / "other.spl"
        other.write_text("fn unrelated():\n    pass\n")
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=uri(other), type=lsp.FileChangeType.Created)])
        )
        edited = project / "src" / "edited.spl"
        edited.write_text(EDITED)
        doc = open_doc(client, edited)
        await wait_for(client, edited, lambda ds: not conflicts(ds))
        change_doc(client, doc, 2, EDITED + "# a first keystroke\n")
        assert not conflicts(await diagnostics(client, edited))
        # Another file now declares the same extern with another signature.
        other.write_text("extern fn rt_demo_add(a: f64) -> i64\n")
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=uri(other), type=lsp.FileChangeType.Changed)])
        )
        await wait_for(client, other, lambda ds: bool(conflicts(ds)))
        # A keystroke in the edited file: its quick check (pulled at once) sees the conflict.
        change_doc(client, doc, 3, EDITED + "# typed\n")
        diags = await diagnostics(client, edited)
        found = conflicts(diags)
        assert found, [(d.code, d.message) for d in diags]
        assert any(r.location.uri == uri(other) for d in found for r in d.related_information or [])
        # The other declaration goes away: the next keystroke's check drops the conflict.
        other.write_text("fn unrelated():\n    pass\n")
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=uri(other), type=lsp.FileChangeType.Changed)])
        )
        await wait_for(client, other, lambda ds: not conflicts(ds))
        change_doc(client, doc, 4, EDITED + "# typed again\n")
        assert not conflicts(await diagnostics(client, edited))
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_diagnostic_columns_follow_wide_characters_on_their_line(project):
    """Same finding, same code-point span, but a wide character now precedes it on
    its line: the client's (UTF-16) column moves; nothing stale is reused."""
    client = await start_client(project, "neovim@v0.10.0")
    try:
        path = project / "src" / "wide_edit.spl"
        text = "/* ab */ extern fn rt_wide_gone() -> i64\n"
        path.write_text(text)
        doc = open_doc(client, path, text)
        diags = await wait_for(client, path, lambda ds: any(d.code == "SFFI001" for d in ds))
        first = next(d for d in diags if d.code == "SFFI001")
        assert first.range.start.character == len("/* ab */ extern fn ")
        # "a" -> an emoji: the same number of code points, one more UTF-16 unit.
        change_doc(client, doc, 2, "/* 😀b */ extern fn rt_wide_gone() -> i64\n")
        diags = await diagnostics(client, path)
        moved = next(d for d in diags if d.code == "SFFI001")
        assert moved.range.start.character == first.range.start.character + 1
        assert moved.range.end.character == first.range.end.character + 1
    finally:
        await client.shutdown_session()
        await client.stop()
