#!/usr/bin/env python3
"""Generate the README's rule table and configuration reference from the code.

    python scripts/gen_docs.py           # rewrite README.md between the markers
    python scripts/gen_docs.py --check   # exit 1 if README.md is out of date (CI, tests)
    python scripts/gen_docs.py --explain # print every rule's --explain text

The tables live between `<!-- rules:start -->`/`<!-- rules:end -->` and
`<!-- config:start -->`/`<!-- config:end -->`; missing markers are appended at
the end of the file. The rule table and `sffi-check --explain` both come from
the `RULE` objects, so they cannot drift apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sffi_lsp.check.rules import ALL_RULES  # noqa: E402

README = ROOT / "README.md"
SECTIONS = ("rules", "config")


def rules_table() -> str:
    rows = [
        "| code | name | default severity | summary |",
        "|---|---|---|---|",
    ]
    for r in ALL_RULES:
        sev = r.severity.value + ("" if r.default_enabled else " (opt-in)")
        rows.append(f"| `{r.code}` | `{r.name}` | {sev} | {r.summary.replace('|', chr(92) + '|')} |")
    rows.append("")
    rows.append("`sffi-check --explain CODE` (or the rule name) prints what a rule does, why, and an example.")
    rows.append("Select rules with `--select`/`--ignore`/`--extend-select` or `[rules]` in `sffi.toml` (codes, code")
    rows.append("prefixes or names); change a severity with `[rules.severity]`. Locations in every output format")
    rows.append("are 1-based lines and 1-based columns counted in code points (`end_column` is one past the last")
    rows.append("character, as in SARIF); paths are relative to the working directory when the file lies under")
    rows.append("it, absolute otherwise. A problem with a library configured in an `sffi.toml` inside the checked")
    rows.append("tree is reported on that line of `sffi.toml`; otherwise on the first unresolved extern of each")
    rows.append("file the library serves (or on the library path when there is none).")
    return "\n".join(rows)


def config_table() -> str:
    from sffi_lsp.config import config_reference_markdown  # noqa: PLC0415

    return config_reference_markdown()


def generated(section: str) -> str:
    return rules_table() if section == "rules" else config_table()


def render(text: str) -> str:
    for section in SECTIONS:
        start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
        body = f"{start}\n{generated(section)}\n{end}"
        if start in text and end in text and text.index(start) < text.index(end):
            before = text[: text.index(start)]
            after = text[text.index(end) + len(end):]
            text = before + body + after
        else:
            text = text.rstrip("\n") + "\n\n" + body + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="fail when README.md is out of date")
    p.add_argument("--explain", action="store_true", help="print every rule's --explain text")
    p.add_argument("--readme", default=str(README))
    args = p.parse_args(argv)
    if args.explain:
        sys.stdout.write("\n".join(r.explain() for r in ALL_RULES))
        return 0
    path = Path(args.readme)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    wanted = render(current)
    if args.check:
        if current != wanted:
            sys.stderr.write(f"{path} is out of date: run python scripts/gen_docs.py\n")
            return 1
        return 0
    if wanted != current:
        path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
