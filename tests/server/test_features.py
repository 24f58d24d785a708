"""Every feature of the server, end to end, with a push client (Neovim 0.7)
and a pull client (Neovim 0.10)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from .conftest import (
    CLIENTS,
    MAIN_SPL,
    make_project,
    start_client,
    change_doc,
    codes,
    diagnostics,
    find,
    is_pull,
    open_doc,
    pos,
    uri,
    wait_for,
)

# One server per client kind for the whole module (starting one costs ~1 s):
# tests that edit a buffer close it again, which restores the file on disk.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def project(tmp_path_factory, native_dir):
    return make_project(tmp_path_factory.mktemp("features"), native_dir)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=CLIENTS)
async def client(request, project):
    c = await start_client(project, request.param)
    yield c
    await c.shutdown_session()
    await c.stop()


def close_doc(client, path: Path) -> None:
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path))))


def has_unresolved(diags: list[lsp.Diagnostic]) -> bool:
    return any(d.code == "SFFI001" for d in diags)


def main_path(project: Path) -> Path:
    return project / "src" / "main.spl"


async def test_indexed_files_get_diagnostics_without_opening(client, project):
    diags = await wait_for(client, main_path(project), has_unresolved)
    unresolved = [d for d in diags if d.code == "SFFI001"]
    assert len(unresolved) == 1
    d = unresolved[0]
    assert d.range.start == find(MAIN_SPL, "rt_demo_ad(a")
    assert d.source == "sffi"
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert d.code_description is not None and d.code_description.href.endswith("/docs/rules/SFFI001.md")
    assert "rt_demo_ad" in d.message


async def test_push_xor_pull(client, project):
    await wait_for(client, main_path(project), has_unresolved)
    if is_pull(client):
        # A pulling client never gets pushed diagnostics.
        assert client.diagnostics == {}
    else:
        assert uri(main_path(project)) in client.diagnostics


async def test_result_ids_and_workspace_diagnostics(client, project):
    if not is_pull(client):
        pytest.skip("pull only")
    await wait_for(client, main_path(project), has_unresolved)
    ident = lsp.TextDocumentIdentifier(uri=uri(main_path(project)))
    first = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=ident))
    assert first.result_id
    again = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id)
    )
    assert again.kind == "unchanged" and again.result_id == first.result_id
    report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {item.uri: item for item in report.items}
    assert uri(main_path(project)) in by_uri
    assert uri(project / "src" / "wide.spl") in by_uri
    assert has_unresolved(by_uri[uri(main_path(project))].items)
    unchanged = await client.workspace_diagnostic_async(
        lsp.WorkspaceDiagnosticParams(
            previous_result_ids=[lsp.PreviousResultId(uri=i.uri, value=i.result_id) for i in report.items]
        )
    )
    assert all(i.kind == "unchanged" for i in unchanged.items)


async def test_edit_updates_diagnostics(client, project):
    path = main_path(project)
    doc = open_doc(client, path)
    await wait_for(client, path, has_unresolved)
    fixed = MAIN_SPL.replace("rt_demo_ad(a: i64)", "rt_demo_version()").replace("rt_demo_ad(3)", "rt_demo_version()")
    change_doc(client, doc, 2, fixed)
    await wait_for(client, path, lambda d: not has_unresolved(d))
    # An incremental edit that breaks it again.
    start = find(fixed, "rt_demo_version()")
    rng = lsp.Range(start=start, end=pos(start.line, start.character + len("rt_demo_version")))
    change_doc(client, doc, 3, "rt_demo_nope", rng)
    diags = await wait_for(client, path, has_unresolved)
    assert [d.range.start for d in diags if d.code == "SFFI001"] == [start]
    close_doc(client, path)
    await wait_for(client, path, lambda ds: [d.range.start for d in ds if d.code == "SFFI001"] == [find(MAIN_SPL, "rt_demo_ad(a")])


async def test_emoji_before_name_uses_utf16_columns(client, project):
    path = project / "src" / "wide.spl"
    diags = await wait_for(client, path, has_unresolved)
    d = next(d for d in diags if d.code == "SFFI001")
    # "/* " (3) + emoji (2 UTF-16 units) + " */ " (4) + "extern fn " (10) = 19; 18 code points.
    assert d.range.start == pos(0, 19)
    assert d.range.end == pos(0, 19 + len("rt_wide_missing"))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=pos(0, 20))
    )
    assert hover is not None and "rt_wide_missing" in hover.contents.value
    assert hover.range.start == pos(0, 19)


async def hover_at(client, path: Path, position: lsp.Position) -> str:
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position)
    )
    assert result is not None
    return result.contents.value


async def test_hover_declaration_call_and_unresolved(client, project):
    path = main_path(project)
    await wait_for(client, path, has_unresolved)
    text = await hover_at(client, path, find(MAIN_SPL, "rt_demo_add"))
    assert "extern fn rt_demo_add(a: i64, b: i64) -> i64" in text
    assert "libdemo.so" in text
    assert "rt_demo_add(int64_t a, int64_t b)" in text  # DWARF
    assert "libdemo.c:2" in text
    assert "`a: i64` → (i64)" in text  # ABI mapping
    on_call = await hover_at(client, path, find(MAIN_SPL, "rt_demo_add(1"))
    assert "extern fn rt_demo_add" in on_call and "libdemo.so" in on_call
    missing = await hover_at(client, path, find(MAIN_SPL, "rt_demo_ad(a"))
    assert "Unresolved" in missing and "`rt_demo_add`" in missing
    nothing = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=find(MAIN_SPL, "main"))
    )
    assert nothing is None


async def test_completion_after_extern_fn(client, project):
    path = main_path(project)
    text = MAIN_SPL + "extern fn rt_demo_"
    doc = open_doc(client, path, text)
    await wait_for(client, path, has_unresolved)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(8, len("extern fn rt_demo_")))
    )
    labels = [i.label for i in result.items]
    assert "rt_demo_version" in labels
    assert "rt_demo_add" not in labels  # already declared
    assert all(label.startswith("rt_demo_") for label in labels)
    item = next(i for i in result.items if i.label == "rt_demo_version")
    resolved = await client.completion_item_resolve_async(item)
    assert resolved.text_edit.new_text == "rt_demo_version() -> i32"
    assert resolved.text_edit.range.start == pos(8, len("extern fn "))
    # Not after `extern fn`: nothing.
    none = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(6, 8))
    )
    assert none is None or none.items == []
    close_doc(client, path)


async def test_definition(client, project, native_dir):
    path = main_path(project)
    await wait_for(client, path, has_unresolved)
    ident = lsp.TextDocumentIdentifier(uri=uri(path))
    from_call = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=ident, position=find(MAIN_SPL, "rt_demo_add(1"))
    )
    assert [loc.range.start for loc in from_call] == [find(MAIN_SPL, "rt_demo_add")]
    to_native = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=ident, position=find(MAIN_SPL, "rt_demo_add"))
    )
    assert to_native[0].uri == uri(native_dir / "libdemo.c")  # where gcc compiled it
    assert to_native[0].range.start.line == 1


async def test_references_symbols_rename(client, project):
    path = main_path(project)
    await wait_for(client, path, has_unresolved)
    ident = lsp.TextDocumentIdentifier(uri=uri(path))
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=ident,
            position=find(MAIN_SPL, "rt_demo_add"),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == [(1, 10), (6, 12)]
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=ident))
    assert [s.name for s in symbols] == ["rt_demo_add", "rt_demo_ad", "rt_demo_scale"]
    ws = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="wide"))
    assert [s.name for s in ws] == ["rt_wide_missing"]
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=ident, position=find(MAIN_SPL, "rt_demo_add(1"), new_name="rt_demo_plus")
    )
    edits = edit.changes[uri(path)]
    assert sorted((e.range.start.line, e.range.start.character, e.new_text) for e in edits) == [
        (1, 10, "rt_demo_plus"),
        (6, 12, "rt_demo_plus"),
    ]


async def test_code_actions(client, project):
    path = main_path(project)
    diags = await wait_for(client, path, has_unresolved)
    d = next(d for d in diags if d.code == "SFFI001")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(path)),
            range=d.range,
            context=lsp.CodeActionContext(diagnostics=[d]),
        )
    )
    titles = [a.title for a in actions]
    replace = [a for a in actions if "rt_demo_add" in a.title]
    assert replace, titles
    new_texts = [e.new_text for e in replace[0].edit.changes[uri(path)]]
    assert "rt_demo_add" in new_texts
    suppress = next(a for a in actions if a.title.startswith("Suppress SFFI001"))
    (edit,) = suppress.edit.changes[uri(path)]
    assert edit.new_text == "  # sffi: ignore[SFFI001]"
    assert edit.range.start == pos(2, len("extern fn rt_demo_ad(a: i64) -> i64"))


async def test_add_missing_declaration_action(client, project):
    path = main_path(project)
    text = MAIN_SPL + "    rt_demo_version()\n"
    doc = open_doc(client, path, text)
    await wait_for(client, path, has_unresolved)
    call = find(text, "rt_demo_version")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc),
            range=lsp.Range(start=call, end=call),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    declare = [a for a in actions if "extern fn rt_demo_version" in a.title]
    assert declare, [a.title for a in actions]
    (edit,) = declare[0].edit.changes[doc]
    assert "extern fn rt_demo_version() -> i32" in edit.new_text
    close_doc(client, path)


async def test_inlay_hints_and_code_lens(client, project):
    path = main_path(project)
    await wait_for(client, path, has_unresolved)
    ident = lsp.TextDocumentIdentifier(uri=uri(path))
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(text_document=ident, range=lsp.Range(start=pos(0, 0), end=pos(100, 0)))
    )
    labels = {h.position.line: h.label for h in hints}
    assert labels == {1: "→ libdemo.so", 2: "→ unresolved", 3: "→ libdemo.so"}
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=ident))
    if client.capabilities.text_document.inlay_hint is None:
        assert sorted(lens.command.title for lens in lenses) == ["→ libdemo.so", "→ libdemo.so", "→ unresolved"]
    else:
        assert not lenses


async def test_commands(client, project):
    await wait_for(client, main_path(project), has_unresolved)
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="sffi.reindex"))
    assert result["files"] == 2 and result["externs"] == 4
    exports = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="sffi.showExports", arguments=[str(project / "build" / "libdemo.so")])
    )
    names = [e["name"] for e in exports["exports"]]
    assert {"rt_demo_add", "rt_demo_scale", "rt_demo_version"} <= set(names)
    bad = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="sffi.showExports", arguments=[str(project / "nope.so")])
    )
    assert "error" in bad


async def test_progress_reported_while_indexing(client, project):
    await wait_for(client, main_path(project), has_unresolved)
    if client.capabilities.window and client.capabilities.window.work_done_progress:
        kinds = [getattr(p, "kind", None) or p.value.kind for reports in client.progress_reports.values() for p in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end"
    else:
        assert client.progress_reports == {}


async def test_fix_signature_action(client, project):
    path = main_path(project)
    text = MAIN_SPL.replace("rt_demo_scale(x: f64, factor: f64) -> f64", "rt_demo_scale(x: i64, factor: f64) -> f64")
    doc = open_doc(client, path, text)
    diags = await wait_for(client, path, lambda ds: any(d.code == "SFFI008" for d in ds))
    d = next(d for d in diags if d.code == "SFFI008")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), range=d.range, context=lsp.CodeActionContext(diagnostics=[d])
        )
    )
    fixes = [a for a in actions if not a.title.startswith("Suppress")]
    assert fixes, [a.title for a in actions]
    new_texts = [e.new_text for a in fixes for e in a.edit.changes[doc]]
    assert any("f64" in t for t in new_texts), new_texts
    close_doc(client, path)
