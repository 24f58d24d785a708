"""Render a check result for people and machines: full, concise, json, sarif, github.

Every format prints 1-based lines and 1-based columns counted in code points;
`end_column` is exclusive (one past the last character), as in ruff and SARIF.
Paths are shown relative to the current directory when the file lies under
it, absolute otherwise (see `DisplayPaths`).
"""

from __future__ import annotations

from collections.abc import Callable

from .report import DisplayPaths, Report, SourceLines

FORMATS = ("full", "concise", "json", "sarif", "github")


def renderer(name: str) -> Callable[[Report], str]:
    if name == "full":
        from .full import render  # noqa: PLC0415
    elif name == "concise":
        from .concise import render  # noqa: PLC0415
    elif name == "json":
        from .json_format import render  # noqa: PLC0415
    elif name == "sarif":
        from .sarif import render  # noqa: PLC0415
    elif name == "github":
        from .github import render  # noqa: PLC0415
    else:
        raise ValueError(f"unknown output format {name!r} (choose from {', '.join(FORMATS)})")
    return render


def render(report: Report, name: str) -> str:
    return renderer(name)(report)


__all__ = ["FORMATS", "DisplayPaths", "Report", "SourceLines", "render", "renderer"]
