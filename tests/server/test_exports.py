"""`sffi.showExports` answers a page of a library's exports (sorted by name,
optionally filtered server-side), the total, and keeps the old bare-library
call working. The oracle for the names is `nm -D` on the real library."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from .conftest import make_project, start_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

MANY_C = "\n".join(["#include <stdint.h>"] + [f"int64_t rt_page_{i:04d}(int64_t a) {{ return a + {i}; }}" for i in range(1200)])
MANY_C += "\nint64_t RT_Page_Mixed_Case(void) { return 0; }\nint64_t rt_page_counter = 3;\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory, native_dir):
    root = make_project(tmp_path_factory.mktemp("exports"), native_dir)
    c_file = root / "build" / "libmany.c"
    c_file.write_text(MANY_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(root / "build" / "libmany.so"), str(c_file)], check=True)
    return root


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(project):
    c = await start_client(project, "neovim@v0.10.0")
    yield c
    await c.shutdown_session()
    await c.stop()


def nm_names(path) -> list[str]:
    """Defined dynamic symbols as binutils sees them (the oracle)."""
    if shutil.which("nm") is None:
        pytest.skip("nm is needed as the oracle")
    out = subprocess.run(["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True, check=True).stdout
    return sorted({line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()})


async def show(client, *arguments):
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="sffi.showExports", arguments=list(arguments))
    )


async def test_pages_cover_the_sorted_exports(client, project):
    lib = str(project / "build" / "libmany.so")
    expected = nm_names(lib)
    first = await show(client, {"library": lib, "limit": 100})
    assert first["total"] == len(expected) and first["count"] == len(expected)
    assert first["offset"] == 0 and len(first["items"]) == 100
    names = [e["name"] for e in first["items"]]
    offset = 100
    while offset < first["total"]:
        page = await show(client, {"library": lib, "offset": offset, "limit": 450})
        assert page["total"] == first["total"]
        names += [e["name"] for e in page["items"]]
        offset += 450
    assert names == sorted(expected)
    kinds = {e["name"]: e["kind"] for e in first["items"] + page["items"]}
    assert kinds["rt_page_0000"] == "function" and kinds["rt_page_counter"] == "data"
    beyond = await show(client, {"library": lib, "offset": 10_000, "limit": 10})
    assert beyond["items"] == [] and beyond["total"] == len(expected)


async def test_filter_is_case_insensitive_and_paged(client, project):
    lib = str(project / "build" / "libmany.so")
    expected = [n for n in nm_names(lib) if "page_11" in n.lower()]
    assert len(expected) == 100
    result = await show(client, {"library": lib, "filter": "PAGE_11", "limit": 60})
    assert result["total"] == 100 and [e["name"] for e in result["items"]] == expected[:60]
    rest = await show(client, {"library": lib, "filter": "PAGE_11", "offset": 60, "limit": 60})
    assert [e["name"] for e in rest["items"]] == expected[60:]
    mixed = await show(client, {"library": lib, "filter": "mixed_case"})
    assert [e["name"] for e in mixed["items"]] == ["RT_Page_Mixed_Case"]
    none = await show(client, {"library": lib, "filter": "no such name"})
    assert none["total"] == 0 and none["items"] == []


async def test_bare_library_call_still_answers(client, project):
    lib = str(project / "build" / "libmany.so")
    legacy = await show(client, lib)
    assert legacy["count"] == len(nm_names(lib))
    assert len(legacy["exports"]) == legacy["limit"] < legacy["count"]  # a first page, not 1,200 rows
    assert legacy["exports"] == legacy["items"]
    listing = await show(client)
    assert listing["libraries"] == [str(project / "build" / "libdemo.so")]


@pytest.mark.parametrize(
    "arguments",
    [
        [{"library": 5}],
        [{"library": "build/libmany.so", "offset": "x", "limit": -3, "filter": 7}],
        [{"library": "build/libmany.so", "limit": 10**9, "filter": "x" * 100_000}],
        ["build/libmany.so", "1", None, ["a"]],
        [None],
        [{"library": "/no/such/lib.so"}],
    ],
)
async def test_bad_arguments_get_answers(client, project, arguments):
    result = await show(client, *arguments)
    assert isinstance(result, dict)
    assert "items" in result or "error" in result or "libraries" in result
    if "items" in result:
        assert len(result["items"]) <= 5000
    # The server still answers normally afterwards.
    ok = await show(client, {"library": str(project / "build" / "libmany.so"), "limit": 1})
    assert len(ok["items"]) == 1
