"""Baselines: adopt the checker on a project with many findings and see only new ones.

A baseline file (JSON) holds one fingerprint per finding: a hash of the code,
the path (relative to the baseline file, '/'-separated), the symbol and the
message with line numbers masked and absolute paths cut to file names (so a
baseline written on a laptop holds in CI). Line and column are left out on purpose, so
findings survive code moving up or down; a finding whose message changes
(a different library, another arity) is new. Fingerprints are counted: if two
identical findings were baselined and a third appears, one is reported.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

from .types import Finding

BASELINE_VERSION = 1
# hashlib, json and the two patterns are only needed with --baseline/--write-baseline:
# they are imported and compiled on first use, not at every start-up.
_PATTERNS: tuple | None = None


def _patterns():
    """(line references, absolute paths) as compiled regexes."""
    global _PATTERNS
    if _PATTERNS is None:
        import re  # noqa: PLC0415

        line_ref = re.compile(r"(\.\w+:\d+)(:\d+)?|\bline \d+")
        # Absolute paths differ between a developer's machine and CI: keep the file name.
        abs_path = re.compile(r"(?<![\w.])/(?:[^\s`'\"():,;/]+/)+([^\s`'\"():,;/]+)")
        _PATTERNS = (line_ref, abs_path)
    return _PATTERNS


class BaselineError(Exception):
    """The baseline file cannot be read (the CLI exits 2 with the message)."""


def _relative(path: str, base_dir: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), base_dir)
    except ValueError:  # another drive (Windows)
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def fingerprint(finding: Finding, base_dir: str) -> str:
    import hashlib  # noqa: PLC0415

    line_ref, abs_path = _patterns()
    message = abs_path.sub(r"\1", finding.message)
    message = line_ref.sub(lambda m: (m.group(1).rsplit(":", 1)[0] + ":N") if m.group(1) else "line N", message)
    key = "\0".join((finding.code, _relative(finding.path, base_dir), finding.symbol or "", message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Write every finding's fingerprint to `path` (atomically); returns the count."""
    import json  # noqa: PLC0415

    base_dir = os.path.dirname(os.path.abspath(path))
    entries = sorted(
        (
            {"code": f.code, "path": _relative(f.path, base_dir), "symbol": f.symbol, "fingerprint": fingerprint(f, base_dir)}
            for f in findings
        ),
        key=lambda e: (e["path"], e["code"], e["symbol"] or "", e["fingerprint"]),
    )
    doc = {"version": BASELINE_VERSION, "tool": "sffi-check", "findings": entries}
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)
    return len(entries)


def load_baseline(path: str) -> Counter[str]:
    import json  # noqa: PLC0415

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: baseline is not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("version") != BASELINE_VERSION or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not an sffi-check baseline (expected {{\"version\": 1, \"findings\": [...]}})")
    counts: Counter[str] = Counter()
    for entry in doc["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            counts[entry["fingerprint"]] += 1
    return counts


def filter_baselined(findings: Iterable[Finding], path: str) -> tuple[list[Finding], int]:
    """(new findings, number hidden by the baseline at `path`)."""
    remaining = load_baseline(path)
    base_dir = os.path.dirname(os.path.abspath(path))
    kept: list[Finding] = []
    hidden = 0
    for f in findings:
        fp = fingerprint(f, base_dir)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            hidden += 1
        else:
            kept.append(f)
    return kept, hidden
