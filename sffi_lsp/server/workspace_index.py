"""The models of the workspace's unopened files, on the worker thread: focused, from and
into the model store the CLI shares (`.sffi_cache/models.pickle`).

An unopened file is parsed as `sffi-check` parses it: with the tree's focus (the names
any file could declare as externs, `extern_name_candidates`), so its model keeps only the
calls that can reach an extern (about a quarter of them), and no text. A warm start
decodes the stored models of unchanged files instead of parsing them; the store is
written back once, at the end of the index, from bytes made while parsing (no second
parse, one atomic file).

A name that becomes declarable later (typed in an open buffer, or in a file changed on
disk) was dropped from every model parsed before: `grow` re-reads the unopened files
that mention it (a substring scan of their bytes) before the next full check, and until
then the cross-file findings about that name wait (`pending`).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from ..model import SourceFile
from . import backend
from .positions import EMPTY_INDEX, LineIndex

log = logging.getLogger("sffi_lsp.server.server")
# The store's focus may grow past what the tree can declare (externs renamed or deleted
# over many starts); beyond this many such names the stored models are read afresh.
STALE_FOCUS = 2_000
_TRANSIENT_PROBLEMS = ("cannot read", "internal error", "internal parser error")


def line_index_of(text: str) -> LineIndex:
    """The server's position index of an unopened file: one shared empty index for an
    ASCII text (columns agree in every encoding), else the wide lines."""
    return EMPTY_INDEX if text.isascii() else LineIndex(text)


class WorkspaceIndex:
    """Worker-thread state of the index: the focus every unopened model was parsed with,
    and, while an index runs, the stored tree it reads and the entries it will write."""

    def __init__(self) -> None:
        self.focus: frozenset[str] = frozenset()
        self.pending: frozenset[str] = frozenset()  # declarable names not yet in `focus`
        self.from_store = 0  # models of the last index decoded from the store
        self.parsed = 0  # models of the last index parsed
        self._store: Any = None
        self._stored: Any = None
        self._keys: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        self._wanted: set[str] = set()
        self._entries: dict[str, Any] = {}
        self._late: set[str] = set()

    # --- one index of the workspace --------------------------------------------------
    def begin(self, paths: list[str], cache_dir: str | None) -> None:
        """Load the store and stat every file (before reading it: a change made while
        reading shows as a changed key next time)."""
        self._store = backend.model_store(cache_dir) if cache_dir else None
        self._stored = backend.load_models(self._store)
        self._keys = {p: backend.file_key(p) for p in paths}
        self._fresh = {}
        for path, key in self._keys.items():
            entry = backend.fresh_entry(self._stored, key)
            if entry is not None:
                self._fresh[path] = entry
        self._wanted = set()
        for entry in self._fresh.values():
            self._wanted |= entry.candidates
        self._entries = {}
        self._late = set()
        self.from_store = self.parsed = 0

    def candidates_of(self, paths: list[str]) -> None:
        """The declarable names of files that must be parsed (their texts are read and let go)."""
        for path in paths:
            if path in self._fresh:
                continue
            text = read_text(path)
            if text is not None:
                self._wanted |= backend.extern_candidates(text)

    def settle_focus(self) -> int:
        """The focus of this index; stored models that lack a new name's calls are
        demoted to a parse. Returns how many were."""
        wanted = frozenset(self._wanted)
        stored_focus = self._stored.focus if self._stored is not None else None
        demoted = 0
        if stored_focus is None or not self._fresh or len(stored_focus - wanted) > STALE_FOCUS:
            demoted = len(self._fresh)
            self._fresh = {}
            self.focus = wanted
        else:
            self.focus = stored_focus | wanted
            new = wanted - stored_focus
            if new:
                mentioning = files_mentioning(list(self._fresh), new)
                for path in mentioning:
                    del self._fresh[path]
                demoted = len(mentioning)
        self.pending = frozenset()
        return demoted

    def read_batch(self, paths: list[str], open_paths: set[str]) -> list[tuple[str, SourceFile, LineIndex | None]]:
        """Models of `paths` (from the store where fresh, else parsed); open documents are
        skipped (their buffer wins) but keep their stored entry."""
        out: list[tuple[str, SourceFile, LineIndex | None]] = []
        for path in paths:
            entry = self._fresh.get(path)
            if path in open_paths:
                if entry is not None:
                    self._entries[path] = entry
                continue
            if entry is not None:
                model = backend.decode_entry(entry, path)
                if model is not None:
                    self._entries[path] = entry
                    self.from_store += 1
                    out.append((path, model, None))  # no text read: its positions come on demand
                    continue
            parsed = self._parse_for_store(path)
            if parsed is not None:
                out.append(parsed)
        return out

    def finish(self) -> bool:
        """Write the store back when anything changed; forget what the index held."""
        stored = self._stored
        changed = bool(self.parsed) or stored is None or stored.focus != self.focus or (
            set(stored.entries) != set(self._entries))
        saved = False
        if self._store is not None and changed:
            saved = backend.save_models(self._store, self.focus, self._entries)
        if self._late:
            self.pending = frozenset(self._late - self.focus)
        self._store = self._stored = None
        self._keys, self._fresh, self._entries, self._late = {}, {}, {}, set()
        return saved

    def _parse_for_store(self, path: str) -> tuple[str, SourceFile, LineIndex] | None:
        key = self._keys.get(path)
        text = read_text(path)
        if text is None:
            return None
        model = backend.parse_focused(text, path, self.focus)
        self.parsed += 1
        candidates = backend.extern_candidates(text)
        if not candidates <= self.focus:
            self._late |= candidates - self.focus  # changed since its names were read
        elif key is not None and not any(p.message.startswith(_TRANSIENT_PROBLEMS) for p in model.problems):
            blob = backend.encode_model(model)
            if blob is not None:
                self._entries[path] = backend.stored_entry(key, candidates, blob)
        return path, model, line_index_of(text)

    # --- after the index -------------------------------------------------------------
    def parse_unopened(self, text: str, path: str) -> SourceFile:
        """An unopened file read again (changed on disk, or closed): focused like the rest."""
        candidates = backend.extern_candidates(text)
        if not candidates <= self.focus:
            self.pending = self.pending | (candidates - self.focus)
        return backend.parse_focused(text, path, self.focus)

    def note_open_text(self, text: str) -> frozenset[str]:
        """An open buffer's declarable names outside the focus (now pending)."""
        new = backend.extern_candidates(text) - self.focus
        if new:
            self.pending = self.pending | new
        return frozenset(new)

    def grow(self, unopened: list[str]) -> list[tuple[str, SourceFile, LineIndex]]:
        """Take the pending names into the focus: the unopened files that mention one
        are parsed again with it (their earlier models dropped its calls)."""
        new = self.pending - self.focus
        self.pending = frozenset()
        if not new:
            return []
        self.focus = self.focus | new
        out = []
        for path in files_mentioning(unopened, new):
            text = read_text(path)
            if text is not None:
                out.append((path, backend.parse_focused(text, path, self.focus), line_index_of(text)))
        log.info("focus grown by %d name(s): %d unopened file(s) read again", len(new), len(out))
        return out


def files_mentioning(paths: list[str], names: frozenset[str] | set[str]) -> list[str]:
    """The files whose bytes contain one of `names` as a word (comments and strings
    included: a superset of the files that call it)."""
    if not names:
        return []
    pattern = re.compile(rb"(?<![A-Za-z0-9_])(?:" + b"|".join(
        re.escape(n.encode("utf-8")) for n in sorted(names, key=len, reverse=True)) + rb")(?![A-Za-z0-9_])")
    found = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            found.append(path)  # unreadable now: read again (its model then says why)
            continue
        if pattern.search(data):
            found.append(path)
    return found


def read_text(path: str) -> str | None:
    """A file's text (undecodable bytes replaced), or None when it is not a readable file."""
    try:
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
