"""The real server on a project inside a Simple checkout (the miniature one of
tests/runtime_source): runtime findings, hover saying where a built-in is
handled, go to definition into the Rust sources, completion of runtime names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from .conftest import CLIENTS, codes, find, open_doc, pos, start_client, uri, wait_for

CHECKOUT = Path(__file__).resolve().parents[1] / "runtime_source" / "checkout"

USES = """\
extern fn rt_env_get(key: text) -> text
extern fn rt_env_vars() -> [text]

fn main():
    rt_env_get("HOME")
    rt_env_vars()
"""


@pytest.fixture
def checkout_project(tmp_path: Path) -> Path:
    root = tmp_path / "simple"
    shutil.copytree(CHECKOUT, root)
    lib = root / "src" / "lib"
    lib.mkdir(parents=True)
    (lib / "uses.spl").write_text(USES)
    return root


@pytest.mark.parametrize("spec", CLIENTS[:1])
async def test_runtime_names_in_the_editor(checkout_project: Path, spec: str) -> None:
    client = await start_client(checkout_project, spec)
    try:
        path = checkout_project / "src" / "lib" / "uses.spl"
        diags = await wait_for(client, path, lambda d: "SFFI020" in codes(d), timeout=60)
        assert "SFFI001" not in codes(diags)
        hover = await client.text_document_hover_async(
            lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=find(USES, "rt_env_get"))
        )
        text = hover.contents.value
        assert "interpreter table" in text and "mod.rs:29" in text
        assert "registered for compiled code" in text
        assert "fn rt_env_get(key_ptr: *const u8, key_len: u64) -> RuntimeValue" in text and "env.rs:5" in text
        where = await client.text_document_definition_async(
            lsp.DefinitionParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)), position=find(USES, "rt_env_get"))
        )
        assert where and where[0].uri.endswith("runtime/src/value/sffi/env.rs") and where[0].range.start.line == 4
        doc = open_doc(client, path, USES + "extern fn rt_tcp_")
        result = await client.text_document_completion_async(
            lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(6, len("extern fn rt_tcp_")))
        )
        items = result.items if isinstance(result, lsp.CompletionList) else (result or [])
        labels = {i.label for i in items}
        assert "rt_tcp_set_read_timeout" in labels, labels
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.parametrize("spec", CLIENTS[:1])
async def test_runtime_completion_carries_the_rust_signature(checkout_project: Path, spec: str) -> None:
    """Neovim 0.7 never asks completionItem/resolve: the Rust C-ABI definition and the
    declaration derived from it must be in the completion response itself."""
    client = await start_client(checkout_project, spec)
    try:
        path = checkout_project / "src" / "lib" / "uses.spl"
        await wait_for(client, path, lambda d: "SFFI020" in codes(d), timeout=60)
        doc = open_doc(client, path, USES + "extern fn rt_env_s")
        result = await client.text_document_completion_async(
            lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=doc), position=pos(6, len("extern fn rt_env_s")))
        )
        items = result.items if isinstance(result, lsp.CompletionList) else (result or [])
        item = next(i for i in items if i.label == "rt_env_set")
        assert item.detail == ("fn rt_env_set(key_ptr: *const u8, key_len: u64, value_ptr: *const u8, "
                               "value_len: u64) -> bool"), item.detail
        assert isinstance(item.documentation, lsp.MarkupContent)
        assert "runtime/src/value/sffi/env.rs:10" in item.documentation.value
        assert "env.rs#L10" in item.documentation.value
        edit = item.text_edit.new_text
        assert edit.startswith("rt_env_set(") and edit.endswith(") -> bool"), edit
        assert "key_len" in edit and "value_len: u64" in edit, edit
    finally:
        await client.shutdown_session()
        await client.stop()
