"""`json`: `{"version": 1, "externs": [...], "diagnostics": [...]}` (shape pinned by issue 4)."""

from __future__ import annotations

import json

from ..check.types import Resolution
from ..model import ExternDecl, TypeKind
from .report import Report

JSON_VERSION = 1


def _provider(res: Resolution | None):
    if res is None or not res.resolved or res.provider is None:
        return None
    p = res.provider
    return {
        "kind": p.kind.value,
        "library": p.library,
        "version": p.version,
        "via": " -> ".join(p.via) if p.via else None,
    }


def extern_entry(report: Report, decl: ExternDecl) -> dict:
    res = report.resolutions.get((decl.path, decl.name))
    return {
        "name": decl.name,
        "path": report.display(decl.path),
        "line": decl.name_span.start_line + 1,
        "column": decl.name_span.start_column + 1,
        "params": [{"name": p.name, "type": p.type.text if p.type is not None else None} for p in decl.params],
        "returns": decl.returns.text if decl.returns is not None and decl.returns.kind is not TypeKind.UNIT else None,
        "resolved": bool(res is not None and res.resolved),
        "provider": _provider(res),
    }


def diagnostic_entry(report: Report, f) -> dict:
    s = f.span
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.value,
        "path": report.display(f.path),
        "line": s.start_line + 1,
        "column": s.start_column + 1,
        "end_line": s.end_line + 1,
        "end_column": s.end_column + 1,
        "message": f.message,
    }


def document(report: Report) -> dict:
    return {
        "version": JSON_VERSION,
        "externs": [extern_entry(report, d) for d in report.externs],
        "diagnostics": [diagnostic_entry(report, f) for f in report.findings],
    }


def render(report: Report) -> str:
    """One entry a line: readable, and fast (json's C encoder only runs without `indent`)."""
    doc = document(report)

    def entries(items: list) -> str:
        if not items:
            return "[]"
        return "[\n    " + ",\n    ".join(json.dumps(e, ensure_ascii=False) for e in items) + "\n  ]"

    return (
        f'{{\n  "version": {doc["version"]},\n  "externs": {entries(doc["externs"])},\n'
        f'  "diagnostics": {entries(doc["diagnostics"])}\n}}\n'
    )
