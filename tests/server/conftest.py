"""Fixtures for the language server's end-to-end tests: real .so files built by
gcc, a project on disk, and the real `sffi-lsp` process driven by pytest-lsp
with recorded Neovim capabilities (0.7.0 pushes diagnostics, 0.10.0 pulls)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import pytest_asyncio
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
CLIENTS = ["neovim@v0.7.0", "neovim@v0.10.0"]

DEMO_C = """\
#include <stdint.h>
int64_t rt_demo_add(int64_t a, int64_t b) { return a + b; }
double rt_demo_scale(double x, double factor) { return x * factor; }
int32_t rt_demo_version(void) { return 1; }
int64_t rt_demo_counter = 0;
"""


def gcc(source: str, out: Path, *extra: str) -> Path:
    c_file = out.with_suffix(".c")
    c_file.write_text(source)
    tmp = out.with_name(out.name + ".tmp")
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-O0", *extra, "-o", str(tmp), str(c_file)], check=True)
    os.replace(tmp, out)  # atomic, as a build system would
    return out


@pytest.fixture(scope="session")
def native_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build test libraries")
    d = tmp_path_factory.mktemp("native")
    gcc(DEMO_C, d / "libdemo.so")
    return d


MAIN_SPL = """\
# demo project
extern fn rt_demo_add(a: i64, b: i64) -> i64
extern fn rt_demo_ad(a: i64) -> i64
extern fn rt_demo_scale(x: f64, factor: f64) -> f64

fn main():
    val s = rt_demo_add(1, 2)
    print(rt_demo_ad(3))
"""

# An emoji (2 UTF-16 units) before the extern name on the same line.
WIDE_SPL = """\
/* 😀 */ extern fn rt_wide_missing() -> i64
"""


@pytest.fixture
def project(tmp_path: Path, native_dir: Path) -> Path:
    return make_project(tmp_path, native_dir)


def make_project(tmp_path: Path, native_dir: Path) -> Path:
    root = tmp_path / "proj"
    (root / "build").mkdir(parents=True)
    shutil.copy(native_dir / "libdemo.so", root / "build" / "libdemo.so")
    shutil.copy(native_dir / "libdemo.c", root / "build" / "libdemo.c")
    (root / "sffi.toml").write_text(
        textwrap.dedent(
            """\
            libraries = ["build/libdemo.so"]
            [server]
            debounce-ms = 0
            """
        )
    )
    (root / "src").mkdir()
    (root / "src" / "main.spl").write_text(MAIN_SPL)
    (root / "src" / "wide.spl").write_text(WIDE_SPL)
    return root


def server_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["SIMPLE_PLUGIN_MANIFEST"] = str(root / "no-manifest.sdn")
    env["SIMPLE_SFFI_PATH"] = str(root / "build")
    env["HOME"] = str(root)
    return env


def uri(path: Path | str) -> str:
    return from_fs_path(str(path))


async def start_client(
    root: Path, spec: str, settings: dict[str, Any] | None = None, capabilities: lsp.ClientCapabilities | None = None,
    env: dict[str, str] | None = None, server_args: tuple[str, ...] = (),
) -> LanguageClient:
    """A pytest-lsp client on the real server, initialised for `root` (`env`: the server's
    environment instead of `server_env(root)`; `server_args`: more command-line flags)."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "sffi_lsp.server", "--log-level", "INFO", *server_args],
        server_env=server_env(root) if env is None else env,
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    add_refresh_handlers(client)
    client.set_configuration(dict(settings or {"poll_interval_ms": 100}), section="sffi")
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities or client_capabilities(spec),
            root_uri=uri(root),
            workspace_folders=[lsp.WorkspaceFolder(uri=uri(root), name="proj")],
            initialization_options={"sffi": settings or {"poll_interval_ms": 100}},
        )
    )
    return client


def add_refresh_handlers(client: LanguageClient) -> None:
    """Neovim 0.10 answers workspace/inlayHint/refresh; pytest-lsp's client does not."""
    client.inlay_hint_refresh_count = 0  # type: ignore[attr-defined]

    @client.feature(lsp.WORKSPACE_INLAY_HINT_REFRESH)
    def inlay_hint_refresh(params: None) -> None:
        client.inlay_hint_refresh_count += 1  # type: ignore[attr-defined]


@pytest_asyncio.fixture(params=CLIENTS)
async def client(request: pytest.FixtureRequest, project: Path):
    c = await start_client(project, request.param)
    c.spec = request.param  # type: ignore[attr-defined]
    yield c
    await c.shutdown_session()
    await c.stop()


def is_pull(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)


async def diagnostics(client: LanguageClient, path: Path | str) -> list[lsp.Diagnostic]:
    """The current diagnostics of one file, pulled or as last pushed."""
    if is_pull(client):
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri(path)))
        )
        return list(report.items)
    return list(client.diagnostics.get(uri(path), []))


async def wait_for(
    client: LanguageClient,
    path: Path | str,
    predicate: Callable[[list[lsp.Diagnostic]], bool],
    timeout: float = 20.0,
) -> list[lsp.Diagnostic]:
    deadline = time.monotonic() + timeout
    last: list[lsp.Diagnostic] = []
    while time.monotonic() < deadline:
        last = await diagnostics(client, path)
        if predicate(last):
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics never matched for {path}: {[(d.code, d.message) for d in last]}")


def codes(diags: list[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diags)


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    doc_uri = uri(path)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=doc_uri, language_id="simple", version=version, text=path.read_text() if text is None else text
            )
        )
    )
    return doc_uri


def change_doc(client: LanguageClient, doc_uri: str, version: int, text: str, rng: lsp.Range | None = None) -> None:
    change: Any
    if rng is None:
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
    else:
        change = lsp.TextDocumentContentChangePartial(range=rng, text=text)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=doc_uri, version=version), content_changes=[change]
        )
    )


def pos(line: int, character: int) -> lsp.Position:
    return lsp.Position(line=line, character=character)


def find(text: str, needle: str, nth: int = 0) -> lsp.Position:
    """Position (UTF-16 columns, ASCII text) of the nth occurrence of needle."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return pos(line, column)

