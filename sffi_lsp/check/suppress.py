"""Suppression comments: `# sffi: ignore[CODE, name]` and `# sffi: ignore-file[CODE]`.

The parser records them (`SourceFile.suppressions`); this module decides which
findings they hide. A line comment covers findings whose span starts or ends
on its line (so a trailing comment after a multi-line parameter list works);
a file-wide one covers the whole file. Codes may be written as codes, code
prefixes or rule names; no list means every code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model import Suppression
from .types import Finding

if TYPE_CHECKING:
    from .types import Workspace


def covers(suppression: Suppression, finding: Finding) -> bool:
    if not suppression.codes:
        return True
    for code in suppression.codes:
        c = code.strip()
        if not c:
            continue
        if finding.code.upper().startswith(c.upper()) or finding.name == c.lower():
            return True
    return False


def is_suppressed(finding: Finding, suppressions: Iterable[Suppression]) -> bool:
    lines = {finding.span.start_line, finding.span.end_line}
    for s in suppressions:
        if (s.file_wide or s.line in lines) and covers(s, finding):
            return True
    return False


def apply_suppressions(findings: Iterable[Finding], workspace: "Workspace") -> tuple[list[Finding], int]:
    """(findings kept, number suppressed)."""
    kept: list[Finding] = []
    hidden = 0
    for f in findings:
        source = workspace.get(f.path)
        if source is not None and source.suppressions and is_suppressed(f, source.suppressions):
            hidden += 1
        else:
            kept.append(f)
    return kept, hidden
