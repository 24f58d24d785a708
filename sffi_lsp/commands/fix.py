"""`--fix`, `--unsafe-fixes`, `--diff` and `--add-noqa`: the checker's fixes made
to the files on disk (the edits are `check.fixes`', the same as the server's
quick fixes).

A file is edited as the parser read it (no BOM, `\\n` lines) and written back
with its own BOM and line ends; a file that is not valid UTF-8, or that changed
since it was checked, is left alone and named on stderr.
"""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..check.fixes import apply_edits, chosen_fix, suppressions_for
from ..check.types import Finding, TextEdit

BOM = "\ufeff"


@dataclass
class FileText:
    """A source file's text as the parser saw it, and how to write it back the same way."""

    path: str
    text: str
    bom: bool
    crlf: bool
    stat: tuple[int, int]

    @classmethod
    def read(cls, path: str) -> "FileText | str":
        """The file, or why it cannot be edited."""
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            st = os.stat(path)
        except OSError as exc:
            return f"cannot read it: {exc.strerror or exc}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "it is not valid UTF-8 (bytes would be lost)"
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        crlf = "\r\n" in text
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return "it has lone carriage returns (line ends would change)"
        return cls(path, text, bom, crlf, (st.st_size, st.st_mtime_ns))

    def encoded(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")

    def write(self, text: str) -> str | None:
        """Write `text` (None, or why not)."""
        try:
            st = os.stat(self.path)
            if (st.st_size, st.st_mtime_ns) != self.stat:
                return "it changed since it was checked"
            with open(self.path, "wb") as fh:
                fh.write(self.encoded(text))
        except OSError as exc:
            return f"cannot write it: {exc.strerror or exc}"
        return None


@dataclass
class FixOutcome:
    applied: int = 0  # fixes made (or that --diff would make)
    files: int = 0
    diff: str = ""
    problems: list[str] = field(default_factory=list)  # "path: why it was left alone"
    available_unsafe: int = 0  # fixes not made because they are unsafe (a hint, as ruff gives)


def _by_file(findings: Sequence[Finding], sources: set[str]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.path in sources:
            out[f.path].append(f)
    return out


def fix_files(findings: Sequence[Finding], sources: set[str], *, unsafe: bool, write: bool,
              display=str) -> FixOutcome:
    """Make (or with `write=False`, show as a diff) the chosen fix of each finding in `sources`.

    A fix is made whole or not at all: a rename touches the calls in other files too,
    and a fix whose edits overlap one taken before it waits for the next pass."""
    outcome = FixOutcome()
    chosen: list = []
    for f in sorted((f for f in findings if f.path in sources), key=Finding.sort_key):
        fix = chosen_fix(f, unsafe=unsafe)
        if fix is not None:
            if fix not in chosen:
                chosen.append(fix)
        elif not unsafe and chosen_fix(f, unsafe=True) is not None:
            outcome.available_unsafe += 1
    texts: dict[str, FileText] = {}
    edits: dict[str, list[TextEdit]] = defaultdict(list)
    refused: set[str] = set()
    for fix in chosen:
        paths = sorted({e.path for e in fix.edits})
        for path in paths:
            if path not in texts and path not in refused:
                current = FileText.read(path) if path in sources else "it is not a checked source file"
                if isinstance(current, str):
                    outcome.problems.append(f"{display(path)}: not fixed: {current}")
                    refused.add(path)
                else:
                    texts[path] = current
        if any(p in refused for p in paths):
            continue
        mine = {p: [e for e in fix.edits if e.path == p] for p in paths}
        if any(apply_edits(texts[p].text, edits[p] + mine[p]) is None for p in paths):
            continue
        for p in paths:
            edits[p].extend(mine[p])
        outcome.applied += 1
    diffs: list[str] = []
    for path in sorted(edits):
        current = texts[path]
        new = apply_edits(current.text, edits[path])
        if new is None or new == current.text:
            continue
        if write:
            problem = current.write(new)
            if problem is not None:
                outcome.problems.append(f"{display(path)}: not fixed: {problem}")
                continue
        else:
            shown = display(path)
            diff = "".join(difflib.unified_diff(current.text.splitlines(keepends=True),
                                                new.splitlines(keepends=True),
                                                fromfile=f"a/{shown}", tofile=f"b/{shown}"))
            diffs.append(diff if diff.endswith("\n") else diff + "\n")
        outcome.files += 1
    outcome.diff = "".join(diffs)
    return outcome


def add_suppressions(findings: Sequence[Finding], sources: set[str], display=str) -> FixOutcome:
    """A `# sffi: ignore[CODE]` comment for every finding in `sources` (ruff's --add-noqa)."""
    outcome = FixOutcome()
    for path, found in sorted(_by_file(findings, sources).items()):
        current = FileText.read(path)
        if isinstance(current, str):
            outcome.problems.append(f"{display(path)}: no suppression added: {current}")
            continue
        new, count = suppressions_for(current.text, path, found)
        if not count:
            continue
        problem = current.write(new)
        if problem is not None:
            outcome.problems.append(f"{display(path)}: no suppression added: {problem}")
            continue
        outcome.applied += count
        outcome.files += 1
    return outcome


def report(outcome: FixOutcome, quiet: bool, done: str, prog: str = "sffi-check") -> None:
    """The outcome on stderr: files left alone, what was done, unsafe fixes not made."""
    import sys  # noqa: PLC0415

    for problem in outcome.problems:
        sys.stderr.write(f"{prog}: {problem}\n")
    if quiet:
        return
    if done:
        sys.stderr.write(f"{prog}: {done.format(n=outcome.applied)} in {outcome.files} file(s)\n")
    if outcome.available_unsafe:
        sys.stderr.write(f"{prog}: {outcome.available_unsafe} more fix(es) available with --unsafe-fixes\n")
