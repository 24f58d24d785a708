"""Library-level problems and where to report them (shared by SFFI002 and SFFI018).

Placement (documented in the README): a library configured in a config file
that lies inside the checked tree is reported on that config line. Otherwise
(a `--library` flag, a config outside the tree, a manifest or satellite
library) the finding goes on the first extern of each checked file that the
library was asked for and nothing else resolved (for a library that loads but
has unresolved references: the first extern it serves), since that is where
the broken library is felt; when there is no such extern, the finding is
attached to the library path itself (line 1), so CI still sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...config_types import LibrarySpec
from ...model import Span
from ..types import zero_span

if TYPE_CHECKING:
    from ...binary.types import Library


_FILE_LINE = re.compile(r"\((/[^()]*?):(\d+)\)\s*$")


@dataclass(frozen=True, eq=False)  # never compared
class LibraryIssue:
    """A library with a problem, with where it was configured."""

    library: Library
    spec: LibrarySpec | None
    origin: str | None  # "sffi.toml:12", "--library", "/abs/manifest.sdn:4", ...
    label: str | None = None  # how the providers describe it: "manifest plugin 'demo' (...)", "LD_PRELOAD"


def library_issues(ctx) -> list[LibraryIssue]:
    """Every library the providers know about that has a problem, normalised (once per check:
    SFFI001, SFFI002 and SFFI018 all ask)."""
    shared = getattr(ctx, "shared", None)
    if shared is None:
        return _library_issues(ctx)
    issues = shared.get("library_issues")
    if issues is None:
        issues = shared["library_issues"] = _library_issues(ctx)
    return issues


def unloadable_names(ctx) -> frozenset[str]:
    """Spec and real path of every library SFFI002 reports as not loadable."""
    return frozenset(n for i in library_issues(ctx) if i.library.problem is not None for n in _names(i))


def _library_issues(ctx) -> list[LibraryIssue]:
    out: dict[str, LibraryIssue] = {}
    try:
        items = list(ctx.providers.library_problems() or ())
    except Exception:  # a provider bug must not hide the other findings
        items = []
    for item in items:
        issue = _normalise(ctx, item)
        if issue is not None:
            out.setdefault(issue.library.spec + (issue.origin or ""), issue)
    # Loadable libraries with unresolved references show up through resolutions too.
    for _, decl in ctx.externs():
        lib = ctx.resolve(decl).library
        if lib is not None and (lib.problem is not None or lib.unresolved_functions):
            spec = ctx.library_spec_for(lib.spec, lib.path)
            if not any(i.library.spec == lib.spec for i in out.values()):
                out[lib.spec] = LibraryIssue(lib, spec, spec.origin if spec else None)
    return sorted(out.values(), key=lambda i: (i.origin or "", i.library.spec))


def _normalise(ctx, item) -> LibraryIssue | None:
    from ...binary.types import Library  # noqa: PLC0415  (only for a library with a problem)

    spec: LibrarySpec | None = None
    origin: str | None = None
    label: str | None = None
    if isinstance(item, Library):
        lib = item
    elif isinstance(item, tuple) and len(item) >= 2:
        first, lib = item[0], item[1]
        if isinstance(first, LibrarySpec):
            spec = first
        elif isinstance(first, str):
            label = first
            m = _FILE_LINE.search(first)  # "manifest plugin 'demo' (/x/manifest.sdn:4)"
            if m:
                origin = f"{m.group(1)}:{m.group(2)}"
    else:
        lib = getattr(item, "library", None)
        spec = getattr(item, "spec", None) if isinstance(getattr(item, "spec", None), LibrarySpec) else None
        origin = getattr(item, "origin", None)
        label = getattr(item, "label", None)
    if not isinstance(lib, Library):
        return None
    if spec is None:
        spec = ctx.library_spec_for(lib.spec, lib.path)
    if origin is None and spec is not None:
        origin = spec.origin or None
    return LibraryIssue(lib, spec, origin, label)


def _names(issue: LibraryIssue) -> set[str]:
    lib = issue.library
    return {x for x in (lib.spec, lib.path) if x}


def affected_by_unloadable(issue: LibraryIssue):
    """Externs the broken library was asked for (the providers list it among the absences)."""
    from ...binary.types import AbsenceReason  # noqa: PLC0415

    names = _names(issue)

    def test(decl, res) -> bool:
        return not res.resolved and any(
            lib in names and a.reason is AbsenceReason.LIBRARY_NOT_LOADABLE for lib, a in res.absences
        )

    return test


def waiting_on(ctx, issue: LibraryIssue):
    """Externs the broken library was asked for that nothing else explains: an extern with a
    "did you mean" among the providers that do load is more likely a typo than the broken
    library's, and keeps its own SFFI001."""
    asked = affected_by_unloadable(issue)

    def test(decl, res) -> bool:
        return asked(decl, res) and not ctx.suggestions(decl.name)

    return test


def served_by(issue: LibraryIssue):
    """Externs the library (or its dependency tree) answers."""
    names = _names(issue)

    def test(decl, res) -> bool:
        return res.library is not None and bool(_names(LibraryIssue(res.library, None, None)) & names)

    return test


def affected_externs(ctx, issue: LibraryIssue, affected) -> list:
    """The declarations of the files the library serves that `affected` picks, in file order."""
    return [decl for source in ctx.files_served_by(issue.spec) for decl in source.externs
            if affected(decl, ctx.resolve(decl))]


def placements(ctx, issue: LibraryIssue, affected) -> Iterator[tuple[str, Span, str | None]]:
    """(path, span, symbol) for each place the issue is reported.

    On the configuration line when that file is in the checked tree; else on
    the first affected extern of each file the library serves; else on the
    library itself."""
    at_config = ctx.config_location(issue.origin)
    if at_config is not None:
        yield at_config[0], at_config[1], None
        return
    placed = False
    for source in ctx.files_served_by(issue.spec):
        for decl in source.externs:
            if affected(decl, ctx.resolve(decl)):
                yield decl.path, decl.name_span, decl.name
                placed = True
                break
    if not placed:
        yield issue.library.path or issue.library.spec, zero_span(), None


def display_name(issue: LibraryIssue) -> str:
    return issue.library.spec


def lead(issue: LibraryIssue) -> str:
    """Who configured the library, for the start of a message."""
    return f"{issue.label}: " if issue.label else ""
