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


def capped_with_summaries(findings: Iterable[Finding], limit: int, summarise: bool = True,
                          severity: Severity | None = None) -> list[Finding]:
    """`cap_per_file`, plus one `too-many-findings` (SFFI040) finding at the top of each
    capped file naming how many findings of which rules were left out (the CLI's form of
    the server's note). `summarise` False: the rule is not selected, no summaries;
    `severity`: its configured severity. Findings sorted as `check` returns them stay so."""
    findings = list(findings)
    kept, left_out = cap_per_file(findings, limit)
    if not left_out or not summarise:
        return kept
    from collections import Counter  # noqa: PLC0415
    from dataclasses import replace  # noqa: PLC0415

    from ..model import Span  # noqa: PLC0415
    from .rules import too_many_findings  # noqa: PLC0415

    shown = Counter((f.path, f.code) for f in kept)
    every = Counter((f.path, f.code) for f in findings if f.path in left_out)
    summaries = []
    for path in sorted(left_out):
        dropped = {code: n - shown[(p, code)] for (p, code), n in every.items() if p == path}
        parts = ", ".join(f"{n} {code}" for code, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])) if n)
        n = left_out[path]
        finding = too_many_findings.RULE.finding(
            path, Span(0, 0, 0, 0, 0, 0),
            f"{n} more finding{'s' if n != 1 else ''} in this file not shown "
            f"(max-findings-per-file = {limit}, the most severe first): {parts}")
        summaries.append(replace(finding, severity=severity) if severity is not None else finding)
    # each summary goes before the first kept finding of its file (line 0, column 0)
    out: list[Finding] = []
    pending = {f.path: f for f in summaries}
    for f in kept:
        s = pending.pop(f.path, None)
        if s is not None:
            out.append(s)
        out.append(f)
    out.extend(pending.values())
    return out
