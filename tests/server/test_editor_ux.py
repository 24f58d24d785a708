"""Issue 12 item 7 through the real server (pytest-lsp, recorded Neovim capabilities):
completion without `completionItem/resolve`, call-site completion, code actions for any
range touching a diagnostic's line, and "Declare" into the binding file."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
import time
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from .conftest import change_doc, find, open_doc, pos, start_client, uri, wait_for

BINDING_SPL = """\
# the demo library's API, for the app to call
extern fn rt_demo_add(a: i64, b: i64) -> i64
extern fn rt_demo_scale(x: f64, factor: f64) -> f64
"""

APP_SPL = """\
use lib.demo.ffi.*

fn main():
    val s = rt_demo_add(1, 2)
    print(rt_demo_version())
    rt_demo_sc
"""


@pytest.fixture
def binding_project(tmp_path: Path, native_dir: Path) -> Path:
    root = tmp_path / "proj"
    (root / "build").mkdir(parents=True)
    shutil.copy(native_dir / "libdemo.so", root / "build" / "libdemo.so")
    (root / "sffi.toml").write_text(textwrap.dedent("""\
        libraries = ["build/libdemo.so"]
        [server]
        debounce-ms = 0
        """))
    (root / "src" / "lib" / "demo").mkdir(parents=True)
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "lib" / "demo" / "ffi.spl").write_text(BINDING_SPL)
    (root / "src" / "app" / "main.spl").write_text(APP_SPL)
    return root


async def _session(root: Path, spec: str = "neovim@v0.7.0"):
    return await start_client(root, spec)


async def _close(client) -> None:
    await client.shutdown_session()
    await client.stop()


async def _indexed(client, root: Path) -> None:
    """The binding file is analysed (its unused `rt_demo_scale` hint is out): the whole tree is."""
    await wait_for(client, root / "src" / "lib" / "demo" / "ffi.spl", _has("SFFI012"))


def _has(code: str):
    return lambda ds: any(d.code == code for d in ds)


async def test_neovim_07_completion_carries_the_declaration_without_resolve(binding_project):
    client = await _session(binding_project, "neovim@v0.7.0")
    try:
        assert client.capabilities.text_document.completion.completion_item.resolve_support is None
        path = binding_project / "src" / "lib" / "demo" / "ffi.spl"
        text = BINDING_SPL + "extern fn rt_demo_v"
        doc = open_doc(client, path, text)
        await wait_for(client, path, _has("SFFI015"))  # `extern fn rt_demo_v`, unfinished
        params = lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=doc),
                                      position=pos(3, len("extern fn rt_demo_v")))
        # The DWARF signature is read in the background the first time; an incomplete list
        # makes the client ask again as the user types, and that answer has it. No resolve.
        deadline = time.monotonic() + 20
        while True:
            result = await client.text_document_completion_async(params)
            item = next(i for i in result.items if i.label == "rt_demo_version")
            if item.text_edit.new_text != "rt_demo_version" or time.monotonic() > deadline:
                break
            assert result.is_incomplete  # the client must be told to ask again
            await asyncio.sleep(0.1)
        assert item.text_edit.new_text == "rt_demo_version() -> i32"
        assert item.text_edit.range.start == pos(3, len("extern fn "))
        assert item.insert_text_format in (None, lsp.InsertTextFormat.PlainText)  # 0.7 has no snippets
    finally:
        await _close(client)


async def test_call_site_completion_offers_declared_externs(binding_project):
    client = await _session(binding_project, "neovim@v0.7.0")
    try:
        path = binding_project / "src" / "app" / "main.spl"
        doc = open_doc(client, path)
        await _indexed(client, binding_project)
        at = find(APP_SPL, "rt_demo_sc")
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(at.line, at.character + len("rt_demo_sc"))))
        [item] = result.items
        assert item.label == "rt_demo_scale"
        assert item.detail == "extern fn rt_demo_scale(x: f64, factor: f64) -> f64"
        assert item.text_edit.new_text == "rt_demo_scale" and item.text_edit.range.start == at
        # Only declared externs: the library's undeclared rt_demo_version is not offered at a call.
        at2 = find(APP_SPL, "rt_demo_add(1")
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(at2.line, at2.character + len("rt_demo_"))))
        assert sorted(i.label for i in result.items) == ["rt_demo_add", "rt_demo_scale"]
        # Not where a name is being declared, nor after a `.`.
        for version, line in enumerate(("fn rt_demo_", "    x.rt_demo_"), start=2):
            change_doc(client, doc, version, APP_SPL + line)
            result = await client.text_document_completion_async(lsp.CompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(6, len(line))))
            assert result is None or result.items == [], line
    finally:
        await _close(client)


async def test_call_site_completion_snippet_for_snippet_clients(binding_project):
    caps = lsp.ClientCapabilities(text_document=lsp.TextDocumentClientCapabilities(
        completion=lsp.CompletionClientCapabilities(
            completion_item=lsp.ClientCompletionItemOptions(snippet_support=True))))
    client = await start_client(binding_project, "neovim@v0.7.0", capabilities=caps)
    try:
        path = binding_project / "src" / "app" / "main.spl"
        doc = open_doc(client, path)
        await _indexed(client, binding_project)
        at = find(APP_SPL, "rt_demo_sc")
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(at.line, at.character + len("rt_demo_sc"))))
        [item] = result.items
        assert item.text_edit.new_text == "rt_demo_scale(${1:x}, ${2:factor})$0"
        assert item.insert_text_format == lsp.InsertTextFormat.Snippet
    finally:
        await _close(client)


async def test_code_actions_for_any_range_on_the_diagnostics_line(binding_project):
    client = await _session(binding_project, "neovim@v0.10.0")
    try:
        path = binding_project / "src" / "lib" / "demo" / "ffi.spl"
        text = BINDING_SPL + "extern fn rt_demo_ad(a: i64, b: i64) -> i64  # typo\n"
        doc = open_doc(client, path, text)
        await wait_for(client, path, _has("SFFI001"))
        line = 3
        # The cursor at the start of the line and at its end, far from the name's span.
        for character in (0, len(text.splitlines()[line])):
            actions = await client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=doc),
                range=lsp.Range(start=pos(line, character), end=pos(line, character)),
                context=lsp.CodeActionContext(diagnostics=[])))
            titles = [a.title for a in actions]
            assert "Rename to `rt_demo_add`" in titles, titles
            assert any(t.startswith("Suppress SFFI001") for t in titles), titles
        # A line without a finding gets none of them.
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), range=lsp.Range(start=pos(0, 0), end=pos(0, 0)),
            context=lsp.CodeActionContext(diagnostics=[])))
        assert not [a for a in actions or [] if "SFFI001" in a.title or "Rename" in a.title]
    finally:
        await _close(client)


async def test_binding_file_api_is_a_hint_without_remove_and_dead_code_is_greyed(binding_project):
    client = await _session(binding_project, "neovim@v0.10.0")
    try:
        ffi = binding_project / "src" / "lib" / "demo" / "ffi.spl"
        tool = binding_project / "src" / "app" / "tool.spl"
        tool.write_text("extern fn rt_demo_scale(x: f64, factor: f64) -> f64\nextern fn rt_tool_gone()\n")
        await _indexed(client, binding_project)
        diags = await wait_for(client, tool, lambda ds: sum(d.code == "SFFI012" for d in ds) == 2)
        assert all(list(d.tags or ()) == [lsp.DiagnosticTag.Unnecessary] for d in diags if d.code == "SFFI012")
        [api] = [d for d in await wait_for(client, ffi, _has("SFFI012")) if d.code == "SFFI012"]
        assert api.severity == lsp.DiagnosticSeverity.Hint and not api.tags
        assert "src/app/main.spl:1" in api.message
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(ffi)), range=api.range,
            context=lsp.CodeActionContext(diagnostics=[api])))
        titles = [a.title for a in actions or []]
        assert "Remove the unused declaration" not in titles and any(t.startswith("Suppress SFFI012") for t in titles)
    finally:
        await _close(client)


async def test_declare_goes_into_the_binding_file(binding_project):
    client = await _session(binding_project, "neovim@v0.10.0")
    try:
        path = binding_project / "src" / "app" / "main.spl"
        doc = open_doc(client, path)
        await _indexed(client, binding_project)
        call = find(APP_SPL, "rt_demo_version")
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), range=lsp.Range(start=pos(call.line, 0), end=pos(call.line, 0)),
            context=lsp.CodeActionContext(diagnostics=[])))
        [declare] = [a for a in actions if a.title.startswith("Declare")]
        assert declare.title == "Declare `extern fn rt_demo_version() -> i32` in ffi.spl"
        binding = uri(binding_project / "src" / "lib" / "demo" / "ffi.spl")
        assert list(declare.edit.changes) == [binding]
        [edit] = declare.edit.changes[binding]
        assert edit.new_text == "extern fn rt_demo_version() -> i32\n"
        assert edit.range.start == pos(3, 0)  # after the library's last declared extern
    finally:
        await _close(client)


async def test_declare_by_prefix_when_no_extern_of_the_library_is_declared(tmp_path, native_dir):
    root = tmp_path / "proj"
    (root / "build").mkdir(parents=True)
    shutil.copy(native_dir / "libdemo.so", root / "build" / "libdemo.so")
    (root / "sffi.toml").write_text('libraries = ["build/libdemo.so"]\n[server]\ndebounce-ms = 0\n')
    (root / "src").mkdir()
    # The family's other extern is declared (unresolved, so no library to group by), in ffi.spl.
    (root / "src" / "ffi.spl").write_text("extern fn rt_demo_future() -> i64\n\nfn helper():\n    pass\n")
    app = "fn main():\n    rt_demo_version()\n"
    (root / "src" / "app.spl").write_text(app)
    client = await _session(root, "neovim@v0.10.0")
    try:
        path = root / "src" / "app.spl"
        doc = open_doc(client, path)
        await wait_for(client, root / "src" / "ffi.spl", _has("SFFI001"))
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), range=lsp.Range(start=pos(1, 4), end=pos(1, 4)),
            context=lsp.CodeActionContext(diagnostics=[])))
        [declare] = [a for a in actions if a.title.startswith("Declare")]
        [(target, [edit])] = declare.edit.changes.items()
        assert target == uri(root / "src" / "ffi.spl") and edit.range.start == pos(1, 0)
    finally:
        await _close(client)


async def _messages(client, needle: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m.message for m in client.messages if needle in m.message]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_unknown_client_setting_is_reported_once_and_the_rest_applies(binding_project):
    settings = {"poll_interval_ms": 100, "debounceMs": 0, "bogusKey": 1, "rules": {"ignore": ["SFFI012"]}}
    client = await start_client(binding_project, "neovim@v0.7.0", settings=settings)
    try:
        main = binding_project / "src" / "app" / "main.spl"
        open_doc(client, main, APP_SPL + "extern fn rt_zz_nothing()\n")
        # `rules.ignore` applied despite the unknown key: the unused rt_zz_nothing is no SFFI012.
        diags = await wait_for(client, main, _has("SFFI001"))
        assert not [d for d in diags if d.code == "SFFI012"]
        [message] = await _messages(client, "bogusKey")
        assert "unknown key" in message and "other settings apply" in message
        # The same settings again (a re-pull): not a second message.
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"sffi": settings}))
        await asyncio.sleep(1.0)
        assert len([m for m in client.messages if "bogusKey" in m.message]) == 1
    finally:
        await _close(client)


@pytest.mark.parametrize("spec", ["neovim@v0.7.0", "neovim@v0.10.0"])
async def test_broken_config_file_is_a_diagnostic_there_and_the_last_good_one_stays(binding_project, spec):
    toml = binding_project / "sffi.toml"
    good = toml.read_text()
    client = await start_client(binding_project, spec, settings={"poll_interval_ms": 100})
    try:
        async def all_diags(path):
            if client.capabilities.text_document.diagnostic is not None:
                report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
                return [d for item in report.items if item.uri == uri(path) for d in item.items]
            return list(client.diagnostics.get(uri(path), []))

        async def until(path, predicate, timeout=20.0):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                ds = await all_diags(path)
                if predicate(ds):
                    return ds
                await asyncio.sleep(0.1)
            raise AssertionError(f"never matched: {[(d.code, d.message) for d in await all_diags(path)]}")

        # The binding file's externs resolve only while libdemo.so is configured.
        ffi = binding_project / "src" / "lib" / "demo" / "ffi.spl"
        await _indexed(client, binding_project)  # start-up done, with the good file
        assert not [d for d in await all_diags(ffi) if d.code == "SFFI001"]
        toml.write_text(good.replace('libraries = ["build/libdemo.so"]', 'libraries = ["build/libdemo.so"\n'))
        [problem] = await until(toml, lambda ds: any(d.code == "config-error" for d in ds))
        assert problem.severity == lsp.DiagnosticSeverity.Error and "invalid TOML" in problem.message
        assert "last configuration that loaded stays in force" in problem.message
        assert 0 <= problem.range.start.line <= 2
        await asyncio.sleep(0.5)
        assert not [d for d in await all_diags(ffi) if d.code == "SFFI001"]  # not painted red
        toml.write_text(good)
        await until(toml, lambda ds: not any(d.code == "config-error" for d in ds))
    finally:
        toml.write_text(good)
        await _close(client)


async def test_no_suppression_comment_offered_where_it_would_suppress_nothing(binding_project):
    build = binding_project / "build"
    (build / "libscript.so").write_text("/* GNU ld script */\nGROUP ( libdemo.so )\n")
    toml = binding_project / "sffi.toml"
    toml.write_text('libraries = ["build/libdemo.so", "build/libscript.so"]\n[server]\ndebounce-ms = 0\n')
    client = await _session(binding_project, "neovim@v0.10.0")
    try:
        await _indexed(client, binding_project)
        report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
        [d] = [d for item in report.items if item.uri == uri(toml) for d in item.items if d.code == "SFFI002"]
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(toml)), range=d.range,
            context=lsp.CodeActionContext(diagnostics=[d])))
        assert not [a for a in actions or [] if a.title.startswith("Suppress")]
    finally:
        await _close(client)
