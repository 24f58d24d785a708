"""Work done off the event loop: reading, stamping and parsing workspace files (and wrapper
specs), and the analysis a check runs on the server's worker thread (parse what changed,
check it)."""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterable
from typing import Any

from ..check.types import CheckResult
from ..model import SourceFile
from . import backend
from .positions import EMPTY_INDEX, LineIndex

log = logging.getLogger("sffi_lsp.server.server")  # as before the split: one logger for the check path
ALWAYS_SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__", ".sffi_cache"}
# Above this a first read goes straight to the incremental parser: two models of a
# 10 MB file alive at once (~170 + ~140 MB, and freed memory is not given back)
# would pass the 300 MB bound; its first answer is slower, but it is not typed in.
WHOLE_FIRST_READ_MAX_CHARS = 2_000_000


def stamp(path: str) -> tuple:
    try:
        st = os.stat(path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        return ()


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    rel = rel.replace(os.sep, "/")
    for pattern in patterns:
        if fnmatch.fnmatch(rel, pattern) or (pattern.endswith("/**") and rel.startswith(pattern[:-2])):
            return True
    return False


def read_text(path: str) -> str | None:
    try:
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def read_specs(paths: list[str]) -> list[tuple[str, Any, LineIndex]]:
    out = []
    for path in paths:
        text = read_text(path)
        if text is not None:
            out.append((path, backend.read_spec_text(text, path), LineIndex(text)))
    return out


def stamp_and_parse(paths: list[str]) -> tuple[dict[str, tuple], list[tuple[str, SourceFile | None, LineIndex]]]:
    """Stamped before reading: a change made while reading shows at the next stat poll."""
    stamps = {path: stamp(path) for path in paths}
    return stamps, parse_files(paths)


def parse_files(paths: list[str]) -> list[tuple[str, SourceFile | None, LineIndex]]:
    out = []
    for path in paths:
        text = read_text(path)
        if text is None:
            continue
        try:
            out.append((path, backend.parse_source(text, path), LineIndex(text)))
        except Exception:  # noqa: BLE001 - one bad file must not stop indexing
            log.exception("could not parse %s", path)
    return out


def analyse(
    jobs: list[tuple[str, str | None, bool]],
    parsers: dict[str, Any],
    engine: Any,
    current: backend.Backend | None,
    others: dict[str, SourceFile] | None,
    roots: list[str],
    name_indexes: dict[str, backend.NameIndex] | None = None,
    alone: bool = False,
) -> tuple[list[tuple[str, SourceFile | None, LineIndex]], CheckResult | None]:
    """Worker thread: parse what changed, update the engine's workspace, check
    everything (`others` None) or just the parsed files against the others
    (`alone`: against nothing, without the cross-file rules)."""
    parsed: list[tuple[str, SourceFile | None, LineIndex]] = []
    for path, text, is_open in jobs:
        if text is None:
            engine.remove_file(path)
            parsed.append((path, None, EMPTY_INDEX))
            continue
        try:
            if is_open and backend.is_fresh(parsers[path]) and len(text) <= WHOLE_FIRST_READ_MAX_CHARS:
                # A first read: the whole-file parse is 3x faster than building the
                # incremental parser's chunk table (1 MB: 0.5 s vs 1.4 s), which is
                # built after the first answer (see _prime_parsers).
                source = backend.parse_source(text, path)
            elif is_open:
                source = backend.parse_incremental(parsers[path], text, path)
            else:
                source = backend.parse_source(text, path)
        except Exception:  # noqa: BLE001
            log.exception("could not parse %s", path)
            continue
        backend.set_file(engine, path, source)
        parsed.append((path, source, LineIndex(text)))
    if current is None:
        return parsed, None
    if others is None:
        result = backend.run_check(engine, current)
        current.save_answers()  # written only when the check asked something new
        return parsed, result
    others = dict(others)
    for path, source, _index in parsed:
        if source is not None:
            others[path] = source
    results = []
    indexes = name_indexes if name_indexes is not None else {}
    for path, source, _index in parsed:
        if source is None:
            continue
        index = indexes.get(path)
        if alone:
            index = backend.NameIndex(path, {})
        elif index is None or not index.fits(path, others):
            if len(indexes) >= 4:
                indexes.clear()
            index = indexes[path] = backend.NameIndex(path, others)
        results.append(backend.check_one_file(source, others, roots, current, index, skip_cross_file=alone,
                                              specs=() if alone else engine.specs))
    merged = CheckResult(findings=[f for r in results for f in r.findings])
    for r in results:
        merged.resolutions.update(r.resolutions)
        merged.by_decl.update(r.by_decl)
    return parsed, merged
