"""Issue 14, server: an opened file answers from itself at once while a large
workspace is indexed, cross-file findings follow the full index (never a wrong
one first), and a file with too many findings shows a bounded number."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from .conftest import CLIENTS, is_pull, open_doc, start_client, uri, wait_for

pytestmark = pytest.mark.asyncio

CROSS_FILE_CODES = {"SFFI009", "SFFI011", "SFFI012"}
OTHER_FILES = 1500  # enough that indexing them takes far longer than checking one file

OPENED = """\
extern fn rt_demo_add(a: i64, b: i64) -> i64
extern fn rt_open_missing() -> i64
extern fn rt_demo_scale(x: f64, factor: f64) -> f64
"""
# Calls rt_demo_add and rt_open_missing (so they are used), not rt_demo_scale; another
# arity for rt_demo_add: a call-arity finding here needs this file's declaration.
CALLER = """\
fn use_them() -> i64:
    rt_open_missing()
    rt_demo_add(1, 2)
"""


def big_workspace(project: Path) -> Path:
    (project / "src" / "main.spl").unlink()
    (project / "src" / "wide.spl").unlink()
    opened = project / "src" / "opened.spl"
    opened.write_text(OPENED)
    (project / "src" / "caller.spl").write_text(CALLER)
    for n in range(OTHER_FILES):
        sub = project / "src" / f"pkg{n % 30}"
        sub.mkdir(exist_ok=True)
        (sub / f"m{n}.spl").write_text(
            f"extern fn rt_filler_{n}(a: i64) -> i64\n\nfn filler_{n}(x: i64) -> i64:\n    rt_filler_{n}(x)\n"
        )
    return opened


@pytest.mark.parametrize("spec", CLIENTS)
async def test_opened_file_answers_before_the_index_and_is_refined_after(project: Path, spec: str) -> None:
    opened = big_workspace(project)
    client = await start_client(project, spec)
    statuses: list[float] = []

    @client.feature("sffi/status")
    def status(params: Any) -> None:  # sent after each full check
        statuses.append(time.monotonic())

    try:
        open_doc(client, opened)
        first = await wait_for(client, opened, lambda ds: any(d.code == "SFFI001" for d in ds), timeout=60)
        first_at = time.monotonic()
        assert not statuses, "the opened file waited for the whole workspace"
        assert {d.code for d in first} == {"SFFI001"}  # checked alone: no cross-file rule ran
        assert sorted(d.message.split("`")[1] for d in first) == ["rt_open_missing"]
        # After the index: "never called" for rt_demo_scale only (rt_open_missing is called
        # in caller.spl, which the file alone could not know), the rest unchanged.
        full = await wait_for(client, opened, lambda ds: any(d.code == "SFFI012" for d in ds), timeout=120)
        for _ in range(200):  # the status follows the full check's diagnostics
            if statuses:
                break
            await asyncio.sleep(0.02)
        assert statuses and statuses[0] > first_at
        assert [d.message for d in full if d.code == "SFFI012"] == [
            "`rt_demo_scale` is declared but never called in the checked tree"
        ]
        assert [d for d in full if d.code == "SFFI001"] == [d for d in first if d.code == "SFFI001"]
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_edit_during_the_index_is_checked_alone_too(project: Path) -> None:
    opened = big_workspace(project)
    client = await start_client(project, "neovim@v0.7.0")
    statuses: list[float] = []

    @client.feature("sffi/status")
    def status(params: Any) -> None:
        statuses.append(time.monotonic())

    try:
        doc = open_doc(client, opened)
        await wait_for(client, opened, lambda ds: any(d.code == "SFFI001" for d in ds), timeout=60)
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=doc, version=2),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=OPENED + "extern fn rt_typed_now() -> i64\n")],
            )
        )
        edited = await wait_for(client, opened, lambda ds: any("rt_typed_now" in d.message for d in ds), timeout=60)
        assert not statuses, "the edit waited for the whole workspace"
        assert {d.code for d in edited} == {"SFFI001"}
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.parametrize("spec", CLIENTS)
async def test_findings_per_file_are_capped_with_one_note(project: Path, spec: str) -> None:
    (project / "sffi.toml").write_text(
        'libraries = ["build/libdemo.so"]\nmax-findings-per-file = 5\n[server]\ndebounce-ms = 0\n'
    )
    flood = project / "src" / "flood.spl"
    # 12 unresolved externs (errors), each also never called (info): 24 findings.
    flood.write_text("".join(f"extern fn rt_flood_{i}() -> i64\n" for i in range(12)))
    client = await start_client(project, spec)
    try:
        open_doc(client, flood)
        # Checked alone first (12 unresolved: 7 more), then with the cross-file rules (19 more).
        diags = await wait_for(client, flood, lambda ds: any(d.message.startswith("19 more") for d in ds), timeout=60)
        assert len(diags) == 6
        note = diags[0]
        assert note.message.startswith("19 more findings in this file are not shown (at most 5 a file")
        assert note.severity == lsp.DiagnosticSeverity.Information
        shown = diags[1:]
        assert {d.code for d in shown} == {"SFFI001"}  # the most severe first
        assert [d.range.start.line for d in shown] == [0, 1, 2, 3, 4]
        # Other files are not capped by it.
        main = await wait_for(client, project / "src" / "main.spl", lambda ds: len(ds) >= 1)
        assert not any("more findings" in d.message for d in main)
        if is_pull(client):
            report = await client.text_document_diagnostic_async(
                lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri(flood)))
            )
            assert len(report.items) == 6
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_reading_a_huge_file_does_not_hold_up_requests_on_others(project: Path) -> None:
    # 2.5 MB: past the whole-file first read, so the slower incremental build is timed.
    block = "extern fn rt_huge_{n}(a: i64) -> i64\n# filler line for the reader to skip over, {n}\nfn huge_{n}(x: i64) -> i64:\n    rt_huge_{n}(x)\n\n"
    huge = project / "src" / "huge.spl"
    text = "".join(block.format(n=n) for n in range(24_000))
    assert len(text) > 2_000_000
    client = await start_client(project, "neovim@v0.7.0")
    try:
        main = project / "src" / "main.spl"
        await wait_for(client, main, lambda ds: any(d.code == "SFFI001" for d in ds))
        main_uri = open_doc(client, main)
        huge.write_text(text)
        open_doc(client, huge)
        latencies: list[float] = []
        deadline = time.monotonic() + 120
        while not client.diagnostics.get(uri(huge)) and time.monotonic() < deadline:
            t0 = time.monotonic()
            hover = await client.text_document_hover_async(
                lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=main_uri), position=lsp.Position(line=1, character=12))
            )
            latencies.append(time.monotonic() - t0)
            assert hover is not None and "rt_demo_add" in str(hover.contents)
            await asyncio.sleep(0.05)
        diags = client.diagnostics.get(uri(huge))
        assert diags, "the huge file got no diagnostics"
        assert len(diags) == 1001  # 24,000 unresolved externs: 1,000 and the note
        assert len(latencies) >= 3, "the huge file was read too fast to show anything"
        assert max(latencies) < 2.0, latencies
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_server_shares_the_projects_cache(project: Path) -> None:
    # The export listings and provider answers go to .sffi_cache/ (the CLI's), so a second
    # start reads them instead of the libraries.
    client = await start_client(project, "neovim@v0.7.0")
    try:
        await wait_for(client, project / "src" / "main.spl", lambda ds: any(d.code == "SFFI012" for d in ds))
        answers = project / ".sffi_cache" / "providers.json"
        deadline = time.monotonic() + 20
        while not answers.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert answers.exists()
        assert "rt_demo_add" in answers.read_text()
        assert (project / ".sffi_cache" / "elf").is_dir()
    finally:
        await client.shutdown_session()
        await client.stop()
    stamp = answers.stat().st_mtime_ns
    client = await start_client(project, "neovim@v0.7.0")
    try:
        await wait_for(client, project / "src" / "main.spl", lambda ds: any(d.code == "SFFI012" for d in ds))
        await asyncio.sleep(0.5)
        assert answers.stat().st_mtime_ns == stamp  # nothing new to ask: answered from the file
    finally:
        await client.shutdown_session()
        await client.stop()
