"""`sffi-check rules [--output-format text|json]`: every rule with its code, name,
default severity, whether it is on by default, fixability and page (ruff's
`ruff rule --all`); `--explain` with no code prints every rule's explanation."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from ..check.rules import ALL_RULES


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{prog} rules", description="List every rule (codes, names, default severity).")
    p.add_argument("--output-format", choices=("text", "json"), default="text", help="text table or JSON")
    return p


def rule_rows() -> list[dict]:
    from ..output.json_format import rule_url  # noqa: PLC0415

    return [
        {"code": r.code, "name": r.name, "severity": r.severity.value, "default_enabled": r.default_enabled,
         "summary": r.summary, "url": rule_url(r.code)}
        for r in ALL_RULES
    ]


def render_rules(as_json: bool) -> str:
    rows = rule_rows()
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    width = max(len(r["name"]) for r in rows)
    lines = []
    for r in rows:
        sev = r["severity"] + ("" if r["default_enabled"] else " (opt-in)")
        lines.append(f"{r['code']}  {r['name']:<{width}}  {sev:<18}  {r['summary']}")
    lines.append("")
    lines.append("`sffi-check --explain CODE` explains one rule; `--explain` alone, every rule.")
    return "\n".join(lines) + "\n"


def explain_all() -> str:
    return "\n".join(r.explain() for r in ALL_RULES)


def run(prog: str, argv: Sequence[str]) -> tuple[str, int]:
    args = build_parser(prog).parse_args(argv)
    return render_rules(args.output_format == "json"), 0
