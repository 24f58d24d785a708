"""`concise`: one line a finding, `path:line:col: CODE [severity] message`."""

from __future__ import annotations

from .report import Report


def line_for(report: Report, f) -> str:
    return (
        f"{report.display(f.path)}:{f.span.start_line + 1}:{f.span.start_column + 1}: "
        f"{f.code} [{f.severity.value}] {f.message}"
    )


def render(report: Report) -> str:
    # `line_for` inlined: thousands of findings, one f-string each.
    display = report.display
    return "".join([
        f"{display(f.path)}:{f.span.start_line + 1}:{f.span.start_column + 1}: "
        f"{f.code} [{f.severity.value}] {f.message}\n"
        for f in report.findings
    ])
