"""Edits shared by the rules about suppression comments (SFFI029, SFFI030)."""

from __future__ import annotations

from ...model import Span, Suppression
from ..types import Applicability, Fix, TextEdit


def rewrite(path: str, s: Suppression, kept: list[str], title: str) -> Fix | None:
    """The suppression with only `kept` codes (removed altogether when none is kept)."""
    span = s.span
    if span is None:
        return None
    if not kept:
        new = ""
    else:
        directive = f"sffi: {'ignore-file' if s.file_wide else 'ignore'}[{', '.join(kept)}]"
        if s.whole_comment:
            lead = "" if span.start_column == 0 else "  "
            tail = "\n" if span.end_line > span.start_line else ""
            new = f"{lead}# {directive}{tail}"
        else:
            new = directive
    return Fix(title, (TextEdit(path, Span(span.start, span.end, span.start_line, span.start_column,
                                            span.end_line, span.end_column), new),),
               applicability=Applicability.SAFE)
