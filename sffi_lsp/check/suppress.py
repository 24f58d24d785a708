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


def covering_code(suppression: Suppression, finding: Finding) -> str | None:
    """The code of `suppression` that covers `finding` ("" for a comment without codes), or None."""
    if not suppression.codes:
        return ""
    for code in suppression.codes:
        c = code.strip()
        if c and (finding.code.upper().startswith(c.upper()) or finding.name == c.lower()):
            return code
    return None


def apply_suppressions(findings: Iterable[Finding], workspace: "Workspace",
                       used: dict[tuple[str, int], set[str]] | None = None,
                       *, named_only: bool = False, by_path: dict[str, int] | None = None
                       ) -> tuple[list[Finding], int]:
    """(findings kept, number suppressed). With `used`, records for each suppression that
    hid something ((path, its index in the file's suppressions)) the codes that did.
    `named_only`: only comments that name a code hide (a bare `# sffi: ignore` cannot
    hide the finding that says it hides nothing)."""
    if by_path is not None:
        findings = list(findings)  # walked twice
    kept: list[Finding] = []
    hidden = 0
    for f in findings:
        source = workspace.get(f.path)
        if source is None or not source.suppressions:
            kept.append(f)
            continue
        if named_only:
            lines = {f.span.start_line, f.span.end_line}
            if any((s.file_wide or s.line in lines) and s.codes and covering_code(s, f) for s in source.suppressions):
                hidden += 1
            else:
                kept.append(f)
            continue
        if used is None:
            if is_suppressed(f, source.suppressions):
                hidden += 1
            else:
                kept.append(f)
            continue
        lines = {f.span.start_line, f.span.end_line}
        hit = False
        for i, s in enumerate(source.suppressions):
            if s.file_wide or s.line in lines:
                code = covering_code(s, f)
                if code is not None:
                    hit = True
                    used.setdefault((f.path, i), set()).add(code)
        if hit:
            hidden += 1
        else:
            kept.append(f)
    if by_path is not None and hidden:
        kept_ids = {id(f) for f in kept}
        for f in findings:
            if id(f) not in kept_ids:
                by_path[f.path] = by_path.get(f.path, 0) + 1
    return kept, hidden
