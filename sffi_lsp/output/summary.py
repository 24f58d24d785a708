"""The lines that sum a run up: `--statistics` counts and the stderr summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..check.types import Finding

PROG = "sffi-check"


def statistics(findings: Sequence[Finding], as_json: bool = False) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
    if as_json:
        import json  # noqa: PLC0415

        return json.dumps([{"code": c, "name": n, "count": k} for (c, n), k in rows], indent=2) + "\n"
    return "".join(f"{n:>5}  {code}  {name}\n" for (code, name), n in rows)


def summary(findings: Sequence[Finding], files: int, suppressed: int, baselined: int, seconds: float,
            unchecked: int | None = None) -> str:
    return summary_of_counts(Counter(f.severity.value for f in findings), files, suppressed, baselined, seconds,
                             unchecked)


def summary_of_counts(by: dict[str, int], files: int, suppressed: int, baselined: int, seconds: float,
                      unchecked: int | None = None) -> str:
    """`summary` from the number of findings per severity value (a stored answer keeps only those)."""
    by = Counter(by)
    parts = [f"{by[s]} {s}{'s' if by[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info", "hint") if by[s]]
    found = ", ".join(parts) if parts else "no findings"
    extra = []
    if suppressed:
        extra.append(f"{suppressed} suppressed")
    if baselined:
        extra.append(f"{baselined} in baseline")
    if unchecked:  # never silently: externs nothing could check (SFFI025 lists them)
        extra.append(f"{unchecked} extern{'s' if unchecked != 1 else ''} whose signature could not be checked")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{PROG}: {files} file{'s' if files != 1 else ''} checked in {seconds:.2f}s: {found}{tail}\n"
