"""What every output format is given: findings, externs, resolutions, and how to show paths."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..check.types import Finding, Resolution
from ..model import ExternDecl


class DisplayPaths:
    """Paths as shown to users: relative to `cwd` when under it, else absolute.

    Relative paths are what CI annotations and editors' "file:line" links
    expect; a file outside the working directory keeps its absolute path
    rather than growing `../../` chains that change with the cwd."""

    def __init__(self, cwd: str | None = None) -> None:
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self._prefix = self.cwd.rstrip(os.sep) + os.sep
        self._shown: dict[str, str] = {}  # thousands of findings share a few hundred paths

    def __call__(self, path: str) -> str:
        shown = self._shown.get(path)
        if shown is None:
            shown = self._shown[path] = self._display(path)
        return shown

    def _display(self, path: str) -> str:
        if not path:
            return path
        absolute = os.path.abspath(path)
        if absolute.startswith(self._prefix):
            absolute = absolute[len(self._prefix):].replace(os.sep, "/")
        # A file name that is not valid UTF-8 (kept by Python as surrogates)
        # cannot be printed as is; show the bad bytes as U+FFFD instead of failing.
        return absolute.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class SourceLines:
    """Reads source lines for `full` output on demand (one read per file)."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self._lines: dict[str, list[str] | None] = {}
        self._overrides = overrides or {}

    def line(self, path: str, line: int) -> str | None:
        if path not in self._lines:
            text = self._overrides.get(path)
            if text is None:
                try:
                    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
                        text = fh.read(8 * 1024 * 1024)
                except (OSError, ValueError):
                    text = None
            self._lines[path] = text.lstrip("\ufeff").splitlines() if text is not None else None
        lines = self._lines[path]
        if lines is None or not 0 <= line < len(lines):
            return None
        return lines[line]


@dataclass(eq=False)  # never compared: no generated __eq__ to build at start-up
class Report:
    """A check result and how to show it (paths, source lines, colour)."""

    findings: Sequence[Finding]
    externs: Sequence[ExternDecl] = ()
    resolutions: dict[tuple[str, str], Resolution] = field(default_factory=dict)
    display: DisplayPaths = field(default_factory=DisplayPaths)
    sources: SourceLines = field(default_factory=SourceLines)
    color: bool = False
    tool_version: str = "0.1.0"
