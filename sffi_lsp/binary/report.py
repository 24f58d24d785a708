"""The user-facing view behind `sffi-check symbols LIB [NAME...]`: exports as ld.so sees them."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from .index import ExportIndex
from .types import Absent, ExportedSymbol, Found, Library


def _symbol_row(sym: ExportedSymbol, provider: str) -> dict:
    return {"name": sym.name, "kind": sym.kind.value, "binding": sym.binding, "visibility": sym.visibility,
            "version": sym.version, "size": sym.size, "provider": provider}


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _library_head(lib: Library) -> list[str]:
    out = [f"library: {lib.spec}"]
    if lib.path:
        out.append(f"file: {lib.path}" + (f" (soname {lib.soname})" if lib.soname else ""))
    if lib.problem is not None:
        out.append(f"NOT LOADABLE [{lib.problem.reason.value}]: {lib.problem.message}")
    else:
        if len(lib.closure) > 1:
            out.append("searched by dlsym: " + ", ".join(os.path.basename(p) for p in lib.closure))
        if lib.unresolved_functions:
            out.append("unresolved functions (fail only when called): " + ", ".join(lib.unresolved_functions))
    return out


def render_symbols(index: ExportIndex, spec: str, names: Sequence[str], *, as_json: bool = False) -> str:
    """Either every export of LIB (no names) or, per name, where dlsym finds it or why it cannot."""
    lib = index.library(spec)
    if names:
        answers = index.lookup(lib, names)
        if as_json:
            items = []
            for n in names:
                r = answers[n]
                if isinstance(r, Found):
                    items.append({**_symbol_row(r.symbol, r.provider), "found": True, "via": list(r.via)})
                else:
                    items.append({"name": n, "found": False, "reason": r.reason.value, "detail": r.detail,
                                  "object": r.object})
            return json.dumps({"library": _library_json(lib), "names": items}, indent=2, ensure_ascii=False)
        rows = []
        for n in names:
            r = answers[n]
            if isinstance(r, Found):
                s = r.symbol
                where = os.path.basename(r.provider) + ("" if r.direct else " (dependency)")
                rows.append([n, s.kind.value, s.binding, s.version or "-", str(s.size), f"found in {where}"])
            else:
                assert isinstance(r, Absent)
                rows.append([n, "-", "-", "-", "-", f"absent [{r.reason.value}]: {r.detail}"])
        return "\n".join(_library_head(lib) + ["", _table(rows, ["NAME", "KIND", "BINDING", "VERSION", "SIZE", "RESULT"])])
    listing = index.exports(lib) if lib.path else None
    symbols = sorted(listing.symbols, key=lambda s: s.name) if listing is not None else []
    if as_json:
        provider = listing.path if listing is not None else None
        return json.dumps({"library": _library_json(lib),
                           "symbols": [_symbol_row(s, provider or "") for s in symbols]}, indent=2, ensure_ascii=False)
    rows = [[s.name, s.kind.value, s.binding, s.visibility, s.version or "-", str(s.size)] for s in symbols]
    funcs = sum(1 for s in symbols if s.kind.is_function)
    summary = f"{len(symbols)} exported symbols ({funcs} functions, {len(symbols) - funcs} data/other) in this object"
    return "\n".join(_library_head(lib) + [summary, "",
                                           _table(rows, ["NAME", "KIND", "BINDING", "VISIBILITY", "VERSION", "SIZE"])])


def _library_json(lib: Library) -> dict:
    return {"spec": lib.spec, "path": lib.path, "soname": lib.soname, "loadable": lib.loadable,
            "problem": None if lib.problem is None else {"reason": lib.problem.reason.value,
                                                         "message": lib.problem.message,
                                                         "path": lib.problem.path, "chain": list(lib.problem.chain)},
            "needed": list(lib.needed), "closure": list(lib.closure),
            "unresolved_functions": list(lib.unresolved_functions)}
