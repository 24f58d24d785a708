"""The rule docs are generated from the RULE objects: README, --explain and SARIF agree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sffi_lsp.check.rules import ALL_RULES, RULE_CHECKS, lookup_rule

ROOT = Path(__file__).resolve().parents[2]


def test_readme_tables_are_up_to_date():
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr + " (run: python scripts/gen_docs.py)"
    readme = (ROOT / "README.md").read_text()
    for rule in ALL_RULES:
        assert f"| `{rule.code}` | `{rule.name}` | {rule.severity.value}" in readme


def test_gen_docs_replaces_only_between_markers(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_docs

    text = "intro\n<!-- rules:start -->\nstale\n<!-- rules:end -->\nmiddle\n"
    out = gen_docs.render(text)
    assert out.startswith("intro\n<!-- rules:start -->\n| code |") and "stale" not in out
    assert "\nmiddle\n" in out and out.rstrip().endswith("<!-- config:end -->")  # missing markers appended
    assert gen_docs.render(out) == out


def test_rules_are_well_formed():
    codes = [r.code for r in ALL_RULES]
    assert len(set(codes)) == len(codes) and len({r.name for r in ALL_RULES}) == len(codes)
    for r in ALL_RULES:
        assert re.fullmatch(r"SFFI\d{3}", r.code) and re.fullmatch(r"[a-z]+(-[a-z]+)*", r.name)
        for section in ("## What it does", "## Why is this bad?", "## Example"):
            assert section in r.doc, (r.code, section)
        assert r.code in RULE_CHECKS
        assert lookup_rule(r.code.lower()) is r and lookup_rule(r.name) is r
        assert r.explain().startswith(f"# {r.name} ({r.code})")


def test_every_rule_has_a_test():
    """A rule nobody tests can break silently: each code must appear in a test."""
    tests = "".join(p.read_text() for d in ("check", "cli", "wrapper", "static")
                    for p in (ROOT / "tests" / d).glob("test_*.py"))
    tests = tests.replace(Path(__file__).read_text(), "")
    missing = [r.code for r in ALL_RULES if r.code not in tests and f'"{r.name}"' not in tests]
    assert not missing
