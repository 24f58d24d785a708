"""The server's copy of an open buffer follows hundreds of incremental edits
(multi-line ranges, CRLF and LF lines, wide characters, insertions and
deletions): findings land where the client's own text says they should."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types as lsp

from .conftest import open_doc, start_client, wait_for

pytestmark = pytest.mark.asyncio

START = [
    "# start 😀 of the file\r\n",
    "extern fn rt_demo_add(a: i64, b: i64) -> i64\n",
    "fn main():\r\n",
    "    val s = rt_demo_add(1, 2)   # 😀😀\n",
    "    s\n",
]


def ascii_prefix(line: str) -> int:
    """Columns safe to edit at: before the first wide character (UTF-16 = code points)."""
    for i, ch in enumerate(line):
        if ord(ch) > 0x7F or ch in "\r\n":
            return i
    return len(line)


async def test_buffer_follows_many_incremental_edits(project):
    client = await start_client(project, "neovim@v0.10.0")
    try:
        path = project / "src" / "buffer.spl"
        lines = list(START)
        path.write_text("".join(lines))
        doc = open_doc(client, path, "".join(lines))
        rnd = random.Random(11)
        inserts = ["# note\n", "x", "fn f():\r\n    1\n", "", "# 😀\n", "\n"]
        for version in range(2, 300):
            l1 = rnd.randrange(len(lines))
            l2 = min(len(lines) - 1, l1 + rnd.choice([0, 0, 1, 2]))
            c1 = rnd.randrange(ascii_prefix(lines[l1]) + 1)
            c2 = rnd.randrange(ascii_prefix(lines[l2]) + 1)
            if l1 == l2 and c2 < c1:
                c1, c2 = c2, c1
            # Keep the extern line whole: edits elsewhere only.
            if any(lines[k].startswith("extern fn rt_demo_add") for k in range(l1, l2 + 1)):
                continue
            text = rnd.choice(inserts)
            joined = lines[l1][:c1] + text + lines[l2][c2:]
            lines[l1 : l2 + 1] = joined.splitlines(True) or [""]
            lines = [line for line in lines if line != ""] or ["\n"]
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=doc, version=version),
                    content_changes=[
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(
                                start=lsp.Position(line=l1, character=c1), end=lsp.Position(line=l2, character=c2)
                            ),
                            text=text,
                        )
                    ],
                )
            )
        # A last edit declares a missing extern on a line of its own, after the first.
        where = next(i for i, line in enumerate(lines) if line.startswith("extern fn rt_demo_add"))
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=doc, version=400),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(start=lsp.Position(line=where, character=0), end=lsp.Position(line=where, character=0)),
                        text="extern fn rt_zz_missing() -> i64\n",
                    )
                ],
            )
        )
        diags = await wait_for(client, path, lambda ds: any("rt_zz_missing" in d.message for d in ds))
        missing = next(d for d in diags if d.code == "SFFI001" and "rt_zz_missing" in d.message)
        assert (missing.range.start.line, missing.range.start.character) == (where, len("extern fn "))
        assert not any("rt_demo_add" in d.message and d.code == "SFFI001" for d in diags)
    finally:
        await client.shutdown_session()
        await client.stop()
