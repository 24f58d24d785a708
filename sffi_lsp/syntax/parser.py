"""Whole-file entry points: `parse_source`, `parse_file`, and chunk assembly."""

from __future__ import annotations

import gc
import os
import re
from array import array
from collections.abc import Iterable
from dataclasses import replace

from sffi_lsp.model import SourceFile, SyntaxProblem
from sffi_lsp.syntax.chunks import split_chunks
from sffi_lsp.syntax.scanner import scan_chunks
from sffi_lsp.syntax.source import MAX_PROBLEMS, ChunkResult, Source

# line starts kept by a whole-file model (offsets below 4 Gi code points; `codec` stores them so too)
LINE_TABLE_TYPE = "I"


def assemble(path: str, results: list[ChunkResult], line_count: int) -> SourceFile:
    """Join chunk results in order, applying `@when/@else/@end` conditions."""
    out = SourceFile(path=path, line_count=line_count)
    conds: list[str] = []  # active condition per open @when block
    branches: list[list[str]] = []  # per open block: the conditions of its branches so far
    for r in results:
        if r.directives or conds:
            # directives and externs of this result in offset order
            events = sorted([(d[0], 0, d) for d in r.directives] + [(e.span.start, 1, e) for e in r.externs],
                            key=lambda ev: (ev[0], ev[1]))
            for _, is_extern, item in events:
                if not is_extern:
                    _, kind, cond = item
                    if kind == "when" and cond is not None:
                        conds.append(cond)
                        branches.append([cond])
                    elif kind == "elif" and cond is not None and conds:
                        # none of the earlier branches, and this one
                        conds[-1] = " and ".join([f"not ({c})" for c in branches[-1]] + [f"({cond})"])
                        branches[-1].append(cond)
                    elif kind == "else" and conds:
                        conds[-1] = " and ".join(f"not ({c})" for c in branches[-1])
                    elif kind == "end" and conds:
                        conds.pop()
                        branches.pop()
                    continue
                e = item
                if conds:
                    active = " and ".join(conds) if len(conds) > 1 else conds[0]
                    e = replace(e, when=active if e.when is None else f"{active} and {e.when}")
                out.externs.append(e)
        elif r.externs:
            out.externs.extend(r.externs)
        # (an editor's file is hundreds of chunks, most with only calls)
        if r.calls:
            out.calls.extend(r.calls)
        if r.functions:
            out.functions.extend(r.functions)
        if r.extern_blocks:
            out.extern_blocks.extend(r.extern_blocks)
        if r.extern_types:
            out.extern_types.extend(r.extern_types)
        if r.uses:
            out.uses.extend(r.uses)
        if r.suppressions:
            out.suppressions.extend(r.suppressions)
        if r.problems and len(out.problems) < MAX_PROBLEMS:
            out.problems.extend(r.problems[: MAX_PROBLEMS - len(out.problems)])
    return out


def _problem_file(path: str, message: str) -> SourceFile:
    from sffi_lsp.model import Span

    return SourceFile(path=path, problems=[SyntaxProblem(message, Span(0, 0, 0, 0, 0, 0))])


def parse_source(text: str, path: str = "", focus: frozenset[str] | None = None) -> SourceFile:
    """Read Simple source text. Never raises: bad input gives problems, not exceptions.

    `focus`: when given, `calls` and `functions` hold only those named in it
    (everything else is read in full). A whole-tree check that knows every
    name an extern could have (`extern_name_candidates`) asks for just those:
    the checker looks at no other call, and a cold run then builds and moves
    about a fifth of the call objects."""
    # The model is tens of thousands of small acyclic objects (reference
    # counting frees the parser's garbage): the cyclic collector, which would
    # otherwise run every 700 allocations and rescan what earlier files left,
    # is paused while one file is read (measured: 15% of a cold run).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _parse_source(text, path, focus)
    finally:
        if collecting:
            gc.enable()


def _parse_source(text: str, path: str, focus: frozenset[str] | None = None) -> SourceFile:
    try:
        src = Source.of(text, path)
        # the same chunks as the incremental parser, so both give identical models
        # even on broken text (an unclosed bracket is contained by its chunk)
        result = scan_chunks(src, split_chunks(src), focus)
        if result.anchor is not None and (result.calls or result.functions):
            # The lazy calls and functions keep the line table to place themselves: as
            # 4-byte array items it is a tenth of a list of ints (issue-14 tree: 59 MB of
            # the 279 MB of focused models). The scan itself used the list.
            result.anchor.starts = array(LINE_TABLE_TYPE, src.index.starts)  # type: ignore[assignment]
        return assemble(path, [result], src.index.line_count)
    except RecursionError:
        return _problem_file(path, "file nested too deeply to read")
    except Exception as exc:  # a bug must not take the CLI or server down with it
        return _problem_file(path, f"internal error while reading this file: {type(exc).__name__}: {exc}")


def read_text(path: str | os.PathLike[str]) -> str:
    """File text as the editor sees it: UTF-8 (bad bytes replaced), no BOM, `\\n` lines."""
    with open(path, "r", encoding="utf-8", errors="replace", newline=None) as fh:
        text = fh.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def parse_file(path: str | os.PathLike[str], focus: frozenset[str] | None = None) -> SourceFile:
    """Read and parse one `.spl` file. Never raises: an unreadable file gives a problem."""
    p = os.fspath(path)
    try:
        text = read_text(p)
    except (OSError, ValueError) as exc:
        return _problem_file(p, f"cannot read file: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}")
    return parse_source(text, p, focus)


# Every name that follows `extern` (then `fn`, `async fn`, or in an extern
# block any `fn`/`me`) anywhere in a text, comments and strings included: a
# superset of the names `parse_source` can report as externs. `extern` is a
# literal, so `re` skips ahead at C speed (2.3 MB in a few ms).
_EXTERN_NAMES = re.compile(r"extern\s+(?:async\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def extern_name_candidates(texts: Iterable[str]) -> frozenset[str] | None:
    """Names the texts could declare as externs: a superset of the names
    `parse_source` can report as externs. (Still `| None` for callers that
    treat None as "unbounded"; it is always bounded now.)

    An `extern class` / `extern "C":` block declares its members as plain
    `fn`/`me` lines, so a text with such a block adds the name of every
    `fn`/`me` in it: blocks are rare, and the bound stays exact enough (the
    issue-14 tree has one in a tenth of its files)."""
    names: set[str] = set()
    for text in texts:
        if "extern" not in text:
            continue
        found = _EXTERN_NAMES.findall(text)
        names.update(found)
        # `mod__path__fn` may name a Simple function `fn` of the tree (linked by mangled name).
        names.update(n.rsplit("__", 1)[1] for n in found if "__" in n.strip("_"))
        if _EXTERN_BLOCK.search(text):
            names.update(_ANY_FN_NAME.findall(text))
    return frozenset(names)


_EXTERN_BLOCK = re.compile(r"extern\s+(?:class\b|\")")
# every `fn NAME` / `me NAME` (`static fn`, `async fn` included), comments and strings too
_ANY_FN_NAME = re.compile(r"\b(?:fn|me)\s+([A-Za-z_][A-Za-z0-9_]*)")
