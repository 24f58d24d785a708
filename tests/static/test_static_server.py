"""The real server (pytest-lsp) on a bare-metal-shaped tree: hover on an extern an archive member
provides, go to definition of an extern that a Simple function of the tree provides by its mangled
name, completion of archive names, and the live reload when the archive is rebuilt."""

from __future__ import annotations

import textwrap

from lsprotocol import types as lsp

from tests.server.conftest import change_doc, find, open_doc, start_client, uri, wait_for

from .conftest import build
from .toolchains import TOOLCHAINS

BOOT = textwrap.dedent("""\
    extern fn serial_println(text: text)
    extern fn apps__registry__registry_server__run_registry(port: i64) -> i64
    extern fn k_later_entry()

    fn main():
        serial_println("hi")
        apps__registry__registry_server__run_registry(7)
        k_later_entry()
    """)
SERVER = textwrap.dedent("""\
    # the registry service

    fn run_registry(port: i64) -> i64:
        port
    """)


def _unresolved(name):
    return lambda diags: any(d.code == "SFFI001" and name in d.message for d in diags)


async def test_hover_definition_completion_and_reload(tmp_path):
    tc = TOOLCHAINS["aarch64"]
    tc.require()
    objs = build(tc, tmp_path / "build/o", {"uart": dict(funcs=["serial_println", "serial_putc"])})
    archive = tc.archive(tmp_path / "build/libboot.a", [objs["uart"]])
    (tmp_path / "src/kernel").mkdir(parents=True)
    (tmp_path / "src/apps/registry").mkdir(parents=True)
    boot = tmp_path / "src/kernel/boot.spl"
    boot.write_text(BOOT)
    (tmp_path / "src/apps/registry/registry_server.spl").write_text(SERVER)
    (tmp_path / "sffi.toml").write_text('[[libraries]]\npath = "build/libboot.a"\ntarget = "aarch64"\n')
    client = await start_client(tmp_path, "neovim@v0.10.0")
    try:
        open_doc(client, boot)
        await wait_for(client, boot, _unresolved("k_later_entry"))
        ident = lsp.TextDocumentIdentifier(uri=uri(boot))
        hover = await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=find(BOOT, "serial_println")))
        text = hover.contents.value if hasattr(hover.contents, "value") else str(hover.contents)
        assert "libboot.a(uart.o)" in text, text
        hover = await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=find(BOOT, "apps__registry")))
        text = hover.contents.value if hasattr(hover.contents, "value") else str(hover.contents)
        assert "apps.registry.registry_server.run_registry" in text, text
        target = await client.text_document_definition_async(
            lsp.DefinitionParams(text_document=ident, position=find(BOOT, "apps__registry")))
        assert target and target[0].uri == uri(tmp_path / "src/apps/registry/registry_server.spl")
        assert target[0].range.start.line == 2
        # Completion after `extern fn ` offers the archive's names, with the member they are in.
        typed = BOOT + "extern fn serial_p"
        change_doc(client, uri(boot), 2, typed)
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=ident, position=lsp.Position(line=typed.count("\n"), character=len("extern fn serial_p"))))
        items = result.items if isinstance(result, lsp.CompletionList) else (result or [])
        putc = [i for i in items if i.label == "serial_putc"]
        assert putc, [i.label for i in items]
        shown = " ".join(str(x) for x in (putc[0].detail, putc[0].documentation, putc[0].label_details) if x)
        assert "libboot.a" in shown, shown
        change_doc(client, uri(boot), 3, BOOT)
        # An archive rebuilt with the missing entry: the diagnostic goes without a restart.
        late = build(tc, tmp_path / "build/o2", {"late": dict(funcs=["k_later_entry"])})
        tc.archive(archive, [objs["uart"], late["late"]])
        await wait_for(client, boot, lambda diags: not _unresolved("k_later_entry")(diags), timeout=30)
        hover = await client.text_document_hover_async(
            lsp.HoverParams(text_document=ident, position=find(BOOT, "k_later_entry")))
        text = hover.contents.value if hasattr(hover.contents, "value") else str(hover.contents)
        assert "libboot.a(late.o)" in text, text
    finally:
        await client.shutdown_session()
        await client.stop()
