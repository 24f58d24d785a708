""".spl files that are not open, edited, added or removed on disk while the
client does not watch files (neither Neovim profile registers watchers): the
server's stat poll notices and the diagnostics follow."""

from __future__ import annotations

import pytest

from .conftest import MAIN_SPL, codes, wait_for

pytestmark = pytest.mark.asyncio


def unresolved(diags):
    return [d for d in diags if d.code == "SFFI001"]


async def test_unopened_files_changed_on_disk(client, project):
    main = project / "src" / "main.spl"
    await wait_for(client, main, lambda ds: len(unresolved(ds)) == 1)
    # Edited on disk (never opened): the typo fixed.
    main.write_text(MAIN_SPL.replace("extern fn rt_demo_ad(a: i64) -> i64", "extern fn rt_demo_add(a: i64, b: i64) -> i64"))
    await wait_for(client, main, lambda ds: not unresolved(ds) and "SFFI010" in codes(ds))
    # A new file appears.
    added = project / "src" / "sub" / "added.spl"
    added.parent.mkdir()
    added.write_text("extern fn rt_added_missing() -> i64\n")
    await wait_for(client, added, lambda ds: len(unresolved(ds)) == 1)
    # And goes away: its diagnostics are cleared.
    added.unlink()
    await wait_for(client, added, lambda ds: not ds)
