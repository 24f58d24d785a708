"""Work done off the event loop: reading, stamping and parsing workspace files (and wrapper
specs), and the analysis a check runs on the server's worker thread (parse what changed,
check it)."""

from __future__ import annotations

import fnmatch
import gc
import logging
import os
from collections.abc import Iterable
from typing import Any

from ..check.types import CheckResult
from ..model import SourceFile
from . import backend
from .positions import EMPTY_INDEX, LineIndex
from .workspace_index import WorkspaceIndex, line_index_of, read_text

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


def workspace_files(roots: list[str], exclude: Iterable[str]) -> tuple[list[str], list[str]]:
    """The .spl files and the wrapper specs of the workspace folders, sorted, skipping
    excluded paths and the directories never analysed."""
    found: list[str] = []
    specs: list[str] = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            rel_folder = os.path.relpath(folder, root)
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in ALWAYS_SKIPPED_DIRS and not excluded(os.path.normpath(os.path.join(rel_folder, d)) + "/", exclude)
            )
            for name in sorted(files):
                is_spec = name.endswith(backend.SPEC_SUFFIX)
                if not (is_spec or name.endswith(".spl")):
                    continue
                rel = os.path.normpath(os.path.join(rel_folder, name))
                if not excluded(rel, exclude):
                    (specs if is_spec else found).append(os.path.normpath(os.path.join(folder, name)))
    return found, specs


def read_specs(paths: list[str]) -> list[tuple[str, Any, LineIndex]]:
    out = []
    for path in paths:
        text = read_text(path)
        if text is not None:
            out.append((path, backend.read_spec_text(text, path), LineIndex(text)))
    return out


def stamps_of(paths: list[str]) -> dict[str, tuple]:
    """Stamped before reading: a change made while reading shows at the next stat poll."""
    return {path: stamp(path) for path in paths}


def analyse(
    jobs: list[tuple[str, str | None, bool]],
    parsers: dict[str, Any],
    engine: Any,
    current: backend.Backend | None,
    others: dict[str, SourceFile] | None,
    roots: list[str],
    name_indexes: dict[str, backend.NameIndex] | None = None,
    alone: bool = False,
    index: WorkspaceIndex | None = None,
    unopened: list[str] | None = None,
) -> tuple[list[tuple[str, SourceFile | None, LineIndex]], CheckResult | None]:
    """Worker thread: parse what changed, update the engine's workspace, check
    everything (`others` None) or just the parsed files against the others
    (`alone`: against nothing, without the cross-file rules).

    `index`: unopened files are parsed with its focus; a full check first re-reads the
    `unopened` files that mention a newly declarable name, and a quick check holds back
    the cross-file findings about such a name until then (they would be wrong: the
    models of the other files dropped its calls)."""
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
            elif index is not None:
                source = index.parse_unopened(text, path)
            else:
                source = backend.parse_source(text, path)
            if is_open and index is not None:
                index.note_open_text(text)
        except Exception:  # noqa: BLE001
            log.exception("could not parse %s", path)
            continue
        backend.set_file(engine, path, source)
        parsed.append((path, source, LineIndex(text) if is_open else line_index_of(text)))
    if current is None:
        return parsed, None
    if others is None:
        if index is not None and index.pending:
            edited = {path for path, _t, _o in jobs}
            for path, source, line_index in index.grow([p for p in unopened or () if p not in edited]):
                backend.set_file(engine, path, source)
                parsed.append((path, source, line_index))
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
        name_index = indexes.get(path)
        if alone:
            name_index = backend.NameIndex(path, {})
        elif name_index is None or not name_index.fits(path, others):
            if len(indexes) >= 4:
                indexes.clear()
            name_index = indexes[path] = backend.NameIndex(path, others)
        results.append(backend.check_one_file(source, others, roots, current, name_index, skip_cross_file=alone,
                                              specs=() if alone else engine.specs))
    findings = [f for r in results for f in r.findings]
    if index is not None and index.pending and not alone:
        waiting, cross_file = index.pending, backend.cross_file_codes()
        findings = [f for f in findings if not (f.code in cross_file and f.symbol in waiting)]
    merged = CheckResult(findings=findings)
    for r in results:
        merged.resolutions.update(r.resolutions)
        merged.by_decl.update(r.by_decl)
    return parsed, merged


def freeze_long_lived() -> None:
    """After a full check, what is alive (the models of the whole tree, the
    providers' tables, the results: about a million objects on a large tree)
    lives until the next one. Frozen, the cyclic GC stops re-scanning it: full
    collections had cost 100-450 ms pauses in the middle of a keystroke's check.
    Young garbage is collected first so no cycle is frozen with it; the model
    is acyclic, so what the next check replaces is still freed (by refcount)."""
    gc.collect(1)
    gc.freeze()
