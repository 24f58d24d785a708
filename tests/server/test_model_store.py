"""Issue 14, server: the workspace index starts from the model store the CLI shares
(`.sffi_cache/models.pickle`) and writes it back; unopened files hold focused models,
so a name that becomes an extern later must send the server back to the files that
call it before any cross-file finding about it is shown."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, client_capabilities

from sffi_lsp.cache import ModelStore

from .conftest import add_refresh_handlers, change_doc, open_doc, server_env, uri, wait_for

pytestmark = pytest.mark.asyncio

PUSH = "neovim@v0.7.0"
FILES = 40


def workspace(project: Path) -> list[Path]:
    (project / "src" / "main.spl").unlink()
    files = []
    for n in range(FILES):
        path = project / "src" / f"pkg{n % 4}" / f"m{n}.spl"
        path.parent.mkdir(exist_ok=True)
        # one unresolved extern each (SFFI001), called from a function of the file
        path.write_text(f"extern fn rt_store_{n}(a: i64) -> i64\n\nfn use_{n}(x: i64) -> i64:\n    rt_store_{n}(x)\n")
        files.append(path)
    return files


class Started:
    """A push client and the `sffi/status` notifications it receives (one per full check)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.statuses: list[dict] = []

        @client.feature("sffi/status")
        def status(params: Any) -> None:
            keys = ("files", "fromStore", "parsed")
            get = params.get if isinstance(params, dict) else lambda k: getattr(params, k, None)
            self.statuses.append({k: get(k) for k in keys})

    async def full_check(self, files: int, after: int = 0, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for status in self.statuses[after:]:
                if (status.get("files") or 0) >= files:
                    return status
            await asyncio.sleep(0.02)
        raise AssertionError(f"no full check of {files} files: {self.statuses}")

    def messages(self, path: Path) -> list[tuple[str, int, int, str]]:
        return sorted(
            (str(d.code), d.range.start.line, d.range.start.character, d.message)
            for d in self.client.diagnostics.get(uri(path), [])
        )

    async def stop(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()


async def start(project: Path) -> Started:
    """The server with the status handler in place before `initialized` (a small
    workspace is indexed and checked at once)."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "sffi_lsp.server", "--log-level", "INFO"], server_env=server_env(project)
    )
    client = await config.start()
    add_refresh_handlers(client)
    started = Started(client)
    settings = {"poll_interval_ms": 100}
    client.set_configuration(dict(settings), section="sffi")
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(PUSH),
            root_uri=uri(project),
            workspace_folders=[lsp.WorkspaceFolder(uri=uri(project), name="proj")],
            initialization_options={"sffi": settings},
        )
    )
    return started


async def test_warm_start_reads_the_store_and_a_changed_file_is_read_again(project: Path) -> None:
    files = workspace(project)
    wide = project / "src" / "wide.spl"  # a non-ASCII line: its positions need the text
    total = FILES + 1
    first = await start(project)
    try:
        status = await first.full_check(total)
        assert (status["fromStore"], status["parsed"]) == (0, total)
        await wait_for(first.client, files[-1], lambda ds: bool(ds))
        cold = {p: first.messages(p) for p in files + [wide]}
    finally:
        await first.stop()
    assert (project / ".sffi_cache" / "models.pickle").is_file()
    assert all(any(m[0] == "SFFI001" for m in cold[p]) for p in files)
    assert cold[wide][0][1:3] == (0, 19)  # the name at code point 18: the emoji counts 2 UTF-16 units

    # Warm: every model from the store, the same diagnostics at the same positions.
    second = await start(project)
    try:
        status = await second.full_check(total)
        assert (status["fromStore"], status["parsed"]) == (total, 0)
        await wait_for(second.client, files[-1], lambda ds: bool(ds))
        assert {p: second.messages(p) for p in files + [wide]} == cold
    finally:
        await second.stop()

    # One file changed on disk between two starts: that one is parsed again.
    files[3].write_text("extern fn rt_store_changed(a: i64) -> i64\n\nfn use_3(x: i64) -> i64:\n    rt_store_changed(x, 2)\n")
    third = await start(project)
    try:
        status = await third.full_check(total)
        assert (status["fromStore"], status["parsed"]) == (total - 1, 1)
        changed = await wait_for(third.client, files[3], lambda ds: any("rt_store_changed" in d.message for d in ds))
        assert not any("rt_store_3" in d.message for d in changed)
        assert any(d.code == "SFFI011" for d in changed)  # the call's arity is read from the new text
    finally:
        await third.stop()


async def test_a_corrupt_store_is_a_miss(project: Path) -> None:
    files = workspace(project)
    total = FILES + 1
    first = await start(project)
    try:
        await first.full_check(total)
        await wait_for(first.client, files[-1], lambda ds: bool(ds))
        cold = {p: first.messages(p) for p in files}
    finally:
        await first.stop()
    store = project / ".sffi_cache" / "models.pickle"
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2] + b"\x00garbage" * 50)
    second = await start(project)
    try:
        status = await second.full_check(total)
        assert (status["fromStore"], status["parsed"]) == (0, total)
        await wait_for(second.client, files[-1], lambda ds: bool(ds))
        assert {p: second.messages(p) for p in files} == cold
    finally:
        await second.stop()
    tree = ModelStore(str(store.parent)).load()  # written back whole
    assert tree.focus is not None and len(tree.entries) == total


class Recording(dict):
    """Every diagnostics list pushed for each file, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[list[lsp.Diagnostic]]] = {}

    def __setitem__(self, key: str, value: list[lsp.Diagnostic]) -> None:
        self.history.setdefault(key, []).append(list(value))
        super().__setitem__(key, value)


@pytest.mark.parametrize("warm", [False, True])
async def test_a_new_extern_name_called_in_unopened_files_is_not_unused(project: Path, warm: bool) -> None:
    workspace(project)
    # Unopened callers of a name no file declares yet: their focused models drop the call.
    for n in range(3):
        (project / "src" / f"caller{n}.spl").write_text(f"fn later_{n}() -> i64:\n    rt_brand_new({n})\n")
    opened = project / "src" / "opened.spl"
    opened.write_text("extern fn rt_opened_here() -> i64\n\nfn main() -> i64:\n    rt_opened_here()\n")
    total = FILES + 5
    if warm:  # the same with every model from the store
        first = await start(project)
        try:
            await first.full_check(total)
        finally:
            await first.stop()
    started = await start(project)
    recording = Recording()
    started.client.diagnostics = recording
    try:
        status = await started.full_check(total)
        assert status["fromStore"] == (total if warm else 0)
        doc = open_doc(started.client, opened)
        await wait_for(started.client, opened, lambda ds: any("rt_opened_here" in d.message for d in ds))
        checks = len(started.statuses)
        text = opened.read_text() + "extern fn rt_brand_new(a: i64) -> i64\nextern fn rt_nobody_calls() -> i64\n"
        change_doc(started.client, doc, 2, text)
        # The full check after the edit: "never called" for the name nobody calls, and
        # for rt_brand_new never, not even in the quick check before it.
        await started.full_check(total, after=checks)
        final = await wait_for(started.client, opened, lambda ds: any("rt_nobody_calls" in d.message and d.code == "SFFI012" for d in ds))
        assert not [d for d in final if d.code == "SFFI012" and "rt_brand_new" in d.message]
        for pushed in recording.history[uri(opened)]:
            assert not [d for d in pushed if d.code == "SFFI012" and "`rt_brand_new`" in d.message], pushed
        # The callers' arity is judged too: the callers were read again with the new name.
        change_doc(started.client, doc, 3, text.replace("rt_brand_new(a: i64)", "rt_brand_new(a: i64, b: i64)"))
        arity = await wait_for(started.client, project / "src" / "caller1.spl", lambda ds: any(d.code == "SFFI011" for d in ds))
        assert any("rt_brand_new" in d.message for d in arity)
    finally:
        await started.stop()
