"""`sffi.showExports`: a library's exports, one page at a time.

libtorch_cpu exports ~74,000 symbols: building a row (and JSON) for each at
once cost the server ~100 MB of RSS for a list nobody reads whole. The command
now answers a page of the name-sorted list, optionally filtered (case-insensitive
substring), with the total count so a client can page or filter server-side:

    arguments: [{"library": SPEC, "offset": 0, "limit": 500, "filter": "tensor"}]
    result:    {"library", "path", "total", "offset", "limit", "items": [{name, kind, version}],
                "count": total}                       # `count`: the old name of `total`

A bare library (`arguments: [SPEC]`, the old form) is still accepted and
answers the first page, under `exports` as before (plus the keys above).

One library's sorted view is kept (its sort order: 4 bytes an export) and the
rows of the last filter, far less than a row object per export.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from array import array
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
STARTUP_WAIT_S = 60.0
MAX_FILTER = 200  # characters: a filter is a name fragment, not a document


class ExportsView:
    """The exports of one listing, sorted by name, with a filter index built on demand."""

    def __init__(self, listing: Any) -> None:
        self.listing = listing  # kept: the view is valid while the index hands out this object
        symbols = getattr(listing, "symbols", listing)
        if isinstance(symbols, dict):
            symbols = list(symbols.values())
        self.symbols: Sequence[Any] = symbols
        names = getattr(symbols, "names", None)
        if not isinstance(names, list):
            names = [s if isinstance(s, str) else str(getattr(s, "name", "")) for s in symbols]
        self.names: list[str] = names
        self.order = array("I", sorted(range(len(names)), key=names.__getitem__))
        self._filtered: tuple[str, array] | None = None  # last filter and its matching rows
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.order)

    def rows_matching(self, needle: str) -> Sequence[int]:
        """Sorted-row numbers whose name contains `needle` (case-insensitive).

        A scan (tens of ms on 74,000 names) rather than a lower-cased copy of
        every name kept for searching: that copy cost more memory than it saved
        time for a command the user types into. The last filter's rows are kept
        for paging through them."""
        if not needle:
            return range(len(self.order))
        with self._lock:
            if self._filtered is not None and self._filtered[0] == needle:
                return self._filtered[1]
            names = self.names
            rows = array("I", [row for row, index in enumerate(self.order) if needle in names[index].lower()])
            self._filtered = (needle, rows)
            return rows

    def row(self, row: int) -> dict[str, Any]:
        index = self.order[row]
        sym = self.symbols[index]
        if isinstance(sym, str):
            return {"name": sym}
        return {
            "name": sym.name,
            "kind": getattr(getattr(sym, "kind", None), "value", None),
            "version": getattr(sym, "version", None),
        }


class ExportPager:
    """Keeps the view of the library asked last (paging asks the same one again)."""

    def __init__(self) -> None:
        self._view: ExportsView | None = None

    def view_for(self, listing: Any) -> ExportsView:
        view = self._view
        if view is None or view.listing is not listing:
            view = self._view = ExportsView(listing)
        return view

    def clear(self) -> None:
        self._view = None


def parse_arguments(args: Sequence[Any]) -> tuple[str | None, int, int, str, bool]:
    """(library, offset, limit, filter, legacy) from the command's arguments.

    Accepts `[{"library", "offset", "limit", "filter"}]`, the old `[SPEC]`, and
    `[SPEC, offset, limit, filter]`; anything malformed falls back to defaults."""
    first = args[0] if args else None
    legacy = isinstance(first, str)
    if isinstance(first, dict):
        spec = first.get("library")
        offset, limit, needle = first.get("offset"), first.get("limit"), first.get("filter")
    else:
        spec = first
        rest = list(args[1:4]) + [None] * 3
        offset, limit, needle = rest[0], rest[1], rest[2]
    spec = spec if isinstance(spec, str) and spec else None
    offset = offset if isinstance(offset, int) and not isinstance(offset, bool) and offset > 0 else 0
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        limit = min(limit, MAX_LIMIT)
    else:
        limit = DEFAULT_LIMIT
    needle = needle.strip().replace("\n", "")[:MAX_FILTER].lower() if isinstance(needle, str) else ""
    return spec, offset, limit, needle, legacy


def page_of(current: Any, pager: ExportPager, spec: str, offset: int, limit: int, needle: str) -> dict[str, Any]:
    """Worker thread: one page of `spec`'s exports (or an error message)."""
    try:
        library = current.index.library(spec)
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        return {"library": spec, "error": str(exc)}
    if library.problem is not None:
        return {"library": spec, "path": library.path, "error": library.problem.message}
    try:
        view = pager.view_for(current.index.exports(library.path))
        rows = view.rows_matching(needle)
        total = len(rows)
        items = [view.row(rows[r]) for r in range(min(offset, total), min(offset + limit, total))]
    except Exception as exc:  # noqa: BLE001
        log.warning("exports of %s failed", spec, exc_info=True)
        return {"library": spec, "path": library.path, "error": str(exc)}
    return {
        "library": spec,
        "path": library.path,
        "total": total,
        "count": total,
        "offset": offset,
        "limit": limit,
        "filter": needle,
        "items": items,
    }


async def show_exports(ls: "SffiLanguageServer", args: Sequence[Any]) -> dict[str, Any]:
    spec, offset, limit, needle, legacy = parse_arguments(args)
    if spec is None:
        specs = [lib.spec for lib in ls.config.libraries]
        return {"libraries": specs, "message": "pass a library (path or name) to list its exports"}
    if ls.backend is None and not ls.started.is_set():
        try:  # asked during start-up: answer once the providers are loaded
            await asyncio.wait_for(ls.started.wait(), timeout=STARTUP_WAIT_S)
        except asyncio.TimeoutError:
            pass
    current = ls.backend
    if current is None:
        return {"library": spec, "error": "no providers loaded"}
    if not os.path.isabs(spec) and os.sep in spec:
        spec = os.path.join(ls.config.root, spec)
    pager = getattr(ls, "export_pager", None)
    if pager is None:
        pager = ls.export_pager = ExportPager()  # type: ignore[attr-defined]
    result = await asyncio.get_running_loop().run_in_executor(
        ls.executor, page_of, current, pager, spec, offset, limit, needle
    )
    if legacy and "items" in result:
        result["exports"] = result["items"]  # the old key, for callers written before paging
    return result
