"""`github`: GitHub Actions workflow commands (`::error file=...::message`)."""

from __future__ import annotations

from .report import Report

_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    out = []
    for f in report.findings:
        s = f.span
        out.append(
            f"::{_LEVEL[f.severity.value]} file={_prop(report.display(f.path))},line={s.start_line + 1},"
            f"col={s.start_column + 1},endLine={s.end_line + 1},endColumn={s.end_column + 1},"
            f"title={_prop(f.code)}::{_data(f'{f.name}: {f.message}')}\n"
        )
    return "".join(out)
