"""Each diagnostic links its rule's page (`codeDescription.href`): the page
generated from the rule's doc (docs/rules/, shipped in the wheel), or the
client's `docsBaseUrl` when set."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from sffi_lsp.check.rules import ALL_RULES

from .conftest import REPO, start_client, wait_for

pytestmark = pytest.mark.asyncio

SUMMARIES = {r.code: r.summary for r in ALL_RULES}


def page_of(href: str) -> Path:
    parsed = urlparse(href)
    assert parsed.scheme == "file", href
    return Path(unquote(parsed.path))


async def test_diagnostics_link_the_installed_rule_page(client, project):
    diags = await wait_for(client, project / "src" / "main.spl", lambda ds: any(d.code == "SFFI001" for d in ds))
    for d in diags:
        page = page_of(d.code_description.href)
        assert page.name == f"{d.code}.md" and page.is_file()
        text = page.read_text()
        assert f"({d.code})" in text and SUMMARIES[d.code] in text


async def test_docs_base_url_setting(project):
    settings = {"poll_interval_ms": 100, "docsBaseUrl": "https://docs.example/sffi/{code}.html"}
    client = await start_client(project, "neovim@v0.10.0", settings=settings)
    try:
        diags = await wait_for(client, project / "src" / "main.spl", lambda ds: any(d.code == "SFFI001" for d in ds))
        assert {d.code_description.href for d in diags if d.code == "SFFI001"} == {"https://docs.example/sffi/SFFI001.html"}
    finally:
        await client.shutdown_session()
        await client.stop()


def test_wheel_ships_the_pages_and_the_server_finds_them(tmp_path):
    hatchling = pytest.importorskip("hatchling.builders.wheel")
    wheel = next(iter(hatchling.WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"])))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    for rule in ALL_RULES:
        shipped = site / "sffi_lsp" / "docs" / "rules" / f"{rule.code}.md"
        assert shipped.read_text() == (REPO / "docs" / "rules" / f"{rule.code}.md").read_text()
    # The installed package (not the checkout) answers with its own page.
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run(
        [sys.executable, "-c", "from sffi_lsp.server.backend import rule_doc_url; print(rule_doc_url('SFFI009'))"],
        capture_output=True, text=True, env=env, cwd=str(tmp_path), check=True,
    ).stdout.strip()
    assert page_of(out) == site / "sffi_lsp" / "docs" / "rules" / "SFFI009.md"
