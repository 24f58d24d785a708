"""Fix edits, shared by the CLI (`--fix`, `--unsafe-fixes`, `--diff`, `--add-noqa`)
and the language server's quick fixes, so both make the same edit.

Pure: functions of a finding and the text it was found in (the text as the
parser read it: no BOM, `\\n` line ends); positions are 0-based lines and
code-point columns, as in the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..model import Span
from .types import Applicability, Finding, Fix, TextEdit

SUPPRESSION = re.compile(r"#\s*sffi:\s*ignore\[([^\]]*)\]")


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _renamed_to(fix: Fix) -> str | None:
    return fix.edits[0].new_text if fix.title.startswith("Rename to") and fix.edits else None


def chosen_fix(finding: Finding, *, unsafe: bool = False) -> Fix | None:
    """The fix a command-line run applies for `finding`, or None.

    The preferred fix (or the only one). A rename is chosen only when one
    suggested name is strictly nearer (in edits) to the declared one than the
    others: between two equally near names a person must choose. Unsafe fixes
    only with `unsafe`."""
    fixes = finding.fixes
    if not fixes:
        return None
    fix = next((f for f in fixes if f.preferred), fixes[0] if len(fixes) == 1 else None)
    if fix is None:
        return None
    target = _renamed_to(fix)
    if target is not None and finding.symbol:
        mine = _edit_distance(finding.symbol, target)
        others = [_renamed_to(f) for f in fixes if f is not fix]
        if any(o is not None and _edit_distance(finding.symbol, o) <= mine for o in others):
            return None
    if fix.applicability is not Applicability.SAFE and not unsafe:
        return None
    return fix


def fix_entry(fix: Fix, display=str) -> dict:
    """A fix as JSON shows it (ruff's shape, with 1-based lines and columns)."""
    return {
        "applicability": fix.applicability.value,
        "message": fix.title,
        "edits": [
            {
                "path": display(e.path),
                "content": e.new_text,
                "location": {"line": e.span.start_line + 1, "column": e.span.start_column + 1},
                "end_location": {"line": e.span.end_line + 1, "column": e.span.end_column + 1},
            }
            for e in fix.edits
        ],
    }


class _Lines:
    """Offsets of line starts in a text, for (line, column) -> offset."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())
        self.length = len(text)

    def offset(self, line: int, column: int) -> int | None:
        if not 0 <= line < len(self.starts):
            return self.length if line == len(self.starts) and column == 0 else None
        end = self.starts[line + 1] if line + 1 < len(self.starts) else self.length + 1
        at = self.starts[line] + column
        return at if at < end or (line + 1 == len(self.starts) and at <= self.length) else None


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str | None:
    """`text` with the edits made, or None when an edit lies outside it or two overlap."""
    lines = _Lines(text)
    placed: list[tuple[int, int, str]] = []
    for e in edits:
        a = lines.offset(e.span.start_line, e.span.start_column)
        b = lines.offset(e.span.end_line, e.span.end_column)
        if a is None or b is None or b < a:
            return None
        placed.append((a, b, e.new_text))
    placed.sort()
    for (a1, b1, _), (a2, _b2, _) in zip(placed, placed[1:]):
        if a2 < b1 or (a2 == a1 and a2 == b1):
            return None
    out = text
    for a, b, new in reversed(placed):
        out = out[:a] + new + out[b:]
    return out


def apply_fixes(text: str, path: str, fixes: Sequence[Fix]) -> tuple[str, int]:
    """(new text, number of fixes applied): each fix whole or not at all; a fix whose
    edits overlap one applied before it waits for the next pass (the caller re-checks)."""
    taken: list[TextEdit] = []
    applied = 0
    for fix in fixes:
        mine = [e for e in fix.edits if e.path == path]
        if len(mine) != len(fix.edits):
            continue  # edits in other files: not applied file by file
        if apply_edits(text, taken + mine) is None:
            continue
        taken.extend(mine)
        applied += 1
    if not applied:
        return text, 0
    new = apply_edits(text, taken)
    return (new, applied) if new is not None else (text, 0)


def suppression_edit(text: str, finding: Finding) -> TextEdit | None:
    """The edit that adds `finding`'s code to a `# sffi: ignore[...]` comment on its
    first line (or appends one): the server's "Suppress" quick fix and `--add-noqa`."""
    lines = text.split("\n")
    line_no = finding.span.start_line
    if line_no >= len(lines):
        return None
    line = lines[line_no].rstrip("\r")
    existing = SUPPRESSION.search(line)
    if existing:
        codes = [c.strip() for c in existing.group(1).split(",") if c.strip()]
        if finding.code in codes:
            return None
        new = f"# sffi: ignore[{', '.join(codes + [finding.code])}]"
        start, end = existing.span()
    else:
        new = f"  # sffi: ignore[{finding.code}]"
        start = end = len(line)
    return TextEdit(finding.path, Span(0, 0, line_no, start, line_no, end), new)


def suppressions_for(text: str, path: str, findings: Sequence[Finding]) -> tuple[str, int]:
    """`text` with a suppression comment for each finding of `path` (`--add-noqa`):
    (new text, number of findings now suppressed). Codes of one line share a comment."""
    count = 0
    for f in sorted((f for f in findings if f.path == path), key=lambda f: (f.span.start_line, f.code)):
        edit = suppression_edit(text, f)
        if edit is None:
            continue
        new = apply_edits(text, [edit])
        if new is not None:
            text, count = new, count + 1
    return text, count
