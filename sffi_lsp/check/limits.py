"""Bounds on what one file shows: a generated or pasted 1 MB file can hold tens of
thousands of findings, and an editor handed them all at once freezes."""

from __future__ import annotations

from collections.abc import Iterable

from .types import Finding, Severity

_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.HINT: 3}


def cap_per_file(findings: Iterable[Finding], limit: int) -> tuple[list[Finding], dict[str, int]]:
    """At most `limit` findings per file (0 = no limit): the most severe first, then
    the earliest; kept in their original order. Returns them and, per file that had
    more, how many were left out."""
    findings = list(findings)
    if limit <= 0:
        return findings, {}
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.path] = counts.get(f.path, 0) + 1
    over = {path for path, n in counts.items() if n > limit}
    if not over:
        return findings, {}
    by_path: dict[str, list[tuple[int, Finding]]] = {path: [] for path in over}
    for i, f in enumerate(findings):
        if f.path in by_path:
            by_path[f.path].append((i, f))
    chosen: set[int] = set()
    for mine in by_path.values():
        mine.sort(key=lambda item: (_RANK.get(item[1].severity, 4), item[1].span.start_line, item[1].span.start_column))
        chosen.update(i for i, _f in mine[:limit])
    kept = [f for i, f in enumerate(findings) if f.path not in over or i in chosen]
    return kept, {path: counts[path] - limit for path in over}
