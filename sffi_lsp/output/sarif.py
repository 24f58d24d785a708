"""`sarif`: SARIF 2.1.0 with rule metadata generated from the RULE objects."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..check.rules import ALL_RULES
from .json_format import rule_url
from .report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


def _rule_entry(rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc.strip(), "markdown": rule.doc.strip()},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": _LEVEL[rule.severity.value], "enabled": rule.default_enabled},
        "properties": {"tags": ["sffi"]},
    }


def _artifact(report: Report, path: str) -> dict:
    shown = report.display(path)
    if os.path.isabs(shown):
        return {"uri": Path(shown).as_uri()}
    return {"uri": shown, "uriBaseId": "%SRCROOT%"}


def _fix(report: Report, fix) -> dict:
    """A SARIF fix; its applicability (ruff's safe/unsafe) in its property bag."""
    changes: dict[str, list] = {}
    for e in fix.edits:
        changes.setdefault(e.path, []).append({
            "deletedRegion": {"startLine": e.span.start_line + 1, "startColumn": e.span.start_column + 1,
                              "endLine": e.span.end_line + 1, "endColumn": e.span.end_column + 1},
            "insertedContent": {"text": e.new_text},
        })
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": _artifact(report, path), "replacements": reps}
                            for path, reps in changes.items()],
        "properties": {"applicability": fix.applicability.value},
    }


def document(report: Report) -> dict:
    index = {r.code: i for i, r in enumerate(ALL_RULES)}
    results = []
    for f in report.findings:
        s = f.span
        result = {
            "ruleId": f.code,
            "level": _LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(report, f.path),
                        "region": {
                            "startLine": s.start_line + 1,
                            "startColumn": s.start_column + 1,
                            "endLine": s.end_line + 1,
                            "endColumn": s.end_column + 1,
                        },
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fixes:
            result["fixes"] = [_fix(report, fix) for fix in f.fixes]
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.message},
                    "physicalLocation": {
                        "artifactLocation": _artifact(report, r.path),
                        **(
                            {"region": {"startLine": r.span.start_line + 1, "startColumn": r.span.start_column + 1}}
                            if r.span is not None
                            else {}
                        ),
                    },
                }
                for i, r in enumerate(f.related)
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sffi-check",
                        "informationUri": "https://github.com/sffi-lsp/sffi-lsp",
                        "version": report.tool_version,
                        "rules": [_rule_entry(r) for r in ALL_RULES],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(report.display.cwd).as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
