"""Where a key is written in a TOML configuration file (config errors name the line).

A line scan, not a TOML parser: `tomllib` gives values without positions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LINE_PATTERNS: tuple[re.Pattern[str], re.Pattern[str]] | None = None  # compiled on first use (a config file)


def _line_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(table header, key assignment) line patterns."""
    global _LINE_PATTERNS
    if _LINE_PATTERNS is None:
        _LINE_PATTERNS = (re.compile(_HEADER_SRC), re.compile(_ASSIGN_SRC))
    return _LINE_PATTERNS


_HEADER_SRC = r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$"
_ASSIGN_SRC = r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+", text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def find_key_line(text: str, path: Sequence[str | int]) -> int | None:
    """1-based line where the key `path` is set (ints index arrays of tables).

    Falls back to the nearest enclosing key or table header; None if nothing
    of it is written in the file (a default)."""
    want: list[str] = []
    want_index: dict[int, int] = {}  # position in `want` -> array-of-tables index
    for part in path:
        if isinstance(part, int):
            if want:
                want_index[len(want) - 1] = part
        else:
            want.append(part)
    target = tuple(want)
    best: tuple[int, int] | None = None  # (matched length, line)
    current: tuple[str, ...] = ()
    aot_counts: dict[tuple[str, ...], int] = {}
    current_index_ok = True
    in_multiline = 0
    header_re, assign_re = _line_patterns()
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if in_multiline:  # inside a multi-line array/inline value: no keys here
            in_multiline += line.count("[") - line.count("]")
            in_multiline = max(in_multiline, 0)
            continue
        header = header_re.match(line)
        if header and not assign_re.match(line):
            current = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                aot_counts[current] = aot_counts.get(current, -1) + 1
            current_index_ok = _indices_ok(current, aot_counts, want_index)
            if current_index_ok and target[: len(current)] == current:
                best = _better(best, len(current), lineno)
            continue
        assign = assign_re.match(line)
        if assign:
            full = current + _split_dotted(assign.group(1))
            if current_index_ok:
                n = _common_prefix(full, target)
                if n == len(full) or n == len(target):
                    best = _better(best, n, lineno)
            rest = line[assign.end():]
            in_multiline = max(rest.count("[") - rest.count("]"), 0)
    return best[1] if best else None


def _indices_ok(current: tuple[str, ...], counts: dict[tuple[str, ...], int], want_index: dict[int, int]) -> bool:
    for pos, idx in want_index.items():
        if len(current) > pos and counts.get(current[: pos + 1], idx) != idx:
            return False
    return True


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _better(best: tuple[int, int] | None, length: int, line: int) -> tuple[int, int]:
    if best is None or length > best[0]:
        return (length, line)
    return best


__all__ = ["find_key_line"]
