"""Code-point columns (the model) <-> the client's negotiated position units.

The model counts columns in code points; LSP clients count in UTF-16 code units
by default (or UTF-8 / UTF-32 when negotiated). Only lines holding non-ASCII
text differ, so a `LineIndex` keeps just those lines: cheap for large trees.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ..model import Span


def _units(text: str, encoding: str) -> int:
    if encoding == lsp.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class LineIndex:
    """The non-ASCII lines of one text, enough to convert columns both ways."""

    __slots__ = ("wide_lines", "line_count")

    def __init__(self, text: str) -> None:
        self.wide_lines: dict[int, str] = {}
        if text.isascii():
            self.line_count = text.count("\n") + 1
            return
        lines = text.split("\n")
        self.line_count = len(lines)
        for number, line in enumerate(lines):
            if not line.isascii():
                self.wide_lines[number] = line.rstrip("\r")

    def line_text(self, line: int) -> str | None:
        """The line's text when it is not plain ASCII (else None: columns agree)."""
        return self.wide_lines.get(line)

    def to_client(self, line: int, column: int, encoding: str) -> lsp.Position:
        text = self.wide_lines.get(line)
        if text is None or encoding == lsp.PositionEncodingKind.Utf32:
            return lsp.Position(line=max(line, 0), character=max(column, 0))
        return lsp.Position(line=line, character=_units(text[:column], encoding))

    def from_client(self, position: lsp.Position, encoding: str) -> tuple[int, int]:
        """(line, code-point column) for a client position."""
        text = self.wide_lines.get(position.line)
        if text is None or encoding == lsp.PositionEncodingKind.Utf32:
            return position.line, position.character
        units = 0
        for column, char in enumerate(text):
            if units >= position.character:
                return position.line, column
            units += _units(char, encoding)
        return position.line, len(text)

    def range(self, span: Span, encoding: str) -> lsp.Range:
        return lsp.Range(
            start=self.to_client(span.start_line, span.start_column, encoding),
            end=self.to_client(span.end_line, span.end_column, encoding),
        )


EMPTY_INDEX = LineIndex("")
