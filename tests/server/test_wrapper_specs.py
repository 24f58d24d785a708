"""A `.wrapper_spec` in the real server: diagnostics on the spec, hover with the three tiers
side by side, go to definition between spec, binding and native source, and the quick fix
that adds a missing binding from the spec."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from .conftest import change_doc, start_client, uri, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "wrapper"))

from wrapper_trees import SHAPES_FFI, SHAPES_SPEC, shapes_tree  # noqa: E402

FFI = SHAPES_FFI.replace("rt_shapes_box_new(", "rt_shapes_box_nwe(")


def _pos(text: str, needle: str, offset: int = 0) -> lsp.Position:
    before = text[: text.index(needle) + offset]
    return lsp.Position(line=before.count("\n"), character=len(before.rsplit("\n", 1)[-1]))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the wrapper library")
    root = shapes_tree(tmp_path / "proj", ffi=FFI, use="fn main():\n    print rt_shapes_box_nwe(1, \"a\")\n")
    (root / "sffi.toml").write_text((root / "sffi.toml").read_text() + "\n[server]\ndebounce-ms = 0\n")
    return root


@pytest.fixture
async def client(tree: Path):
    c = await start_client(tree, "neovim@v0.10.0")
    yield c
    await c.shutdown_session()
    await c.stop()


def _has(code: str):
    return lambda diags: any(d.code == code for d in diags)


async def _hover(client, path: Path, position: lsp.Position) -> str:
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position))
    assert result is not None
    return result.contents.value


async def _definition(client, path: Path, position: lsp.Position) -> list[lsp.Location]:
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=position))
    return list(result or [])


async def test_spec_diagnostics_hover_definition_and_fix(client, tree: Path) -> None:
    spec_path = tree / "shapes.wrapper_spec"
    ffi_path = tree / "src/lib/shapes/ffi.spl"
    diags = await wait_for(client, spec_path, _has("SFFI032"))
    missing = next(d for d in diags if d.code == "SFFI032")
    assert missing.range.start.line == SHAPES_SPEC.splitlines().index("  - name: box_new")
    assert "rt_shapes_box_nwe" in missing.message

    # hover: the three tiers side by side
    merge = await _hover(client, spec_path, _pos(SHAPES_SPEC, "name: merge"))
    assert "| spec | binding (tier 2) | library (tier 1) |" in merge
    assert "extern fn rt_shapes_shapebox_merge(handle: i64, other: i64) -> i64" in merge
    assert "libshapes.so" in merge and "int64_t rt_shapes_shapebox_merge(int64_t handle, int64_t other)" in merge
    box = await _hover(client, spec_path, _pos(SHAPES_SPEC, "type: text"))  # inside the box_new entry
    assert "**missing**" in box and "extern fn rt_shapes_box_new(width: i64, label: text) -> i64" in box
    on_binding = await _hover(client, ffi_path, _pos(FFI, "rt_shapes_shapebox_area"))
    assert "Wrapper spec" in on_binding and "ShapeBox.area" in on_binding

    # definition: spec -> binding + native source; binding -> spec entry
    targets = await _definition(client, spec_path, _pos(SHAPES_SPEC, "name: merge"))
    assert [(t.uri, t.range.start.line) for t in targets][:1] == [
        (uri(ffi_path), FFI.splitlines().index("extern fn rt_shapes_shapebox_merge(handle: i64, other: i64) -> i64"))]
    assert any(t.uri.endswith("libshapes.c") for t in targets)
    back = await _definition(client, ffi_path, _pos(FFI, "rt_shapes_shapebox_merge"))
    assert (uri(spec_path), SHAPES_SPEC.splitlines().index("    name: merge")) in [
        (t.uri, t.range.start.line) for t in back]

    # quick fix: add the missing binding from the spec, in the bindings file
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(spec_path)), range=missing.range,
        context=lsp.CodeActionContext(diagnostics=[missing])))
    add = next(a for a in actions if a.title.startswith("Add `extern fn rt_shapes_box_new"))
    (edit,) = add.edit.changes[uri(ffi_path)]
    assert edit.new_text == "extern fn rt_shapes_box_new(width: i64, label: text) -> i64\n"
    assert edit.range.start.line == len(FFI.splitlines())
    assert any(a.title == "Rename to `rt_shapes_box_new`" for a in actions)

    # editing the open spec re-checks it: naming the function as the binding does clears it
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri(spec_path), language_id="wrapper-spec", version=1, text=SHAPES_SPEC)))
    change_doc(client, uri(spec_path), 2, SHAPES_SPEC.replace("- name: box_new", "- name: box_nwe"))
    await wait_for(client, spec_path, lambda ds: not _has("SFFI032")(ds) and _has("SFFI034")(ds))


async def test_unreadable_spec_is_one_diagnostic(client, tree: Path) -> None:
    spec_path = tree / "shapes.wrapper_spec"
    await wait_for(client, spec_path, _has("SFFI032"))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri(spec_path), language_id="wrapper-spec", version=1, text="wrapper_lib:\n  name: [shapes\n")))
    diags = await wait_for(client, spec_path, _has("SFFI031"))
    assert [d.code for d in diags] == ["SFFI031"] and diags[0].range.start.line == 1


async def test_unopened_spec_edited_on_disk(client, tree: Path) -> None:
    """Neovim registers no file watchers: the server's stat poll notices a spec edited on disk."""
    spec_path = tree / "shapes.wrapper_spec"
    await wait_for(client, spec_path, _has("SFFI032"))
    spec_path.write_text(SHAPES_SPEC.replace("- name: box_new", "- name: box_nwe"))
    await wait_for(client, spec_path, lambda ds: not _has("SFFI032")(ds) and _has("SFFI034")(ds))
