"""`sffi-check symbols LIB [NAME ...] [--json]`: what a library exports, as dlsym sees
it (for a `.o` / `.a`, what a static link binds)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

from .settings import library_argument


def build_symbols_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sffi-check symbols", description="Show what a library exports, as dlsym sees it (or, for a .o / .a, what a static link binds).")
    p.add_argument("library", metavar="LIB", help="library file, or a bare name found as ld.so would")
    p.add_argument("names", nargs="*", metavar="NAME", help="symbols to look up (default: list every export)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--search-path", action="append", default=[], metavar="DIR", help="extra library search directory")
    return p


def run_symbols(argv: Sequence[str], emit: Callable[..., None]) -> int:
    """What a library exports (`sffi-check symbols`): 0 found, 1 not loadable or a name absent."""
    args = build_symbols_parser().parse_args(argv)
    from ..binary import ExportIndex  # noqa: PLC0415
    from ..binary.report import render_symbols  # noqa: PLC0415

    spec = library_argument(args.library)
    from ..binary.static_report import is_static_input  # noqa: PLC0415

    if is_static_input(spec):  # a .o or .a: what a static link binds, not what dlsym returns
        from ..binary.static_link import StaticReader  # noqa: PLC0415
        from ..binary.static_report import render_static_symbols  # noqa: PLC0415

        text, ok = render_static_symbols(StaticReader(), spec, list(args.names), as_json=args.json)
        emit(text if text.endswith("\n") else text + "\n", json_like=args.json)
        return 0 if ok else 1
    index = ExportIndex(search_paths=tuple(os.path.abspath(p) for p in args.search_path))
    text = render_symbols(index, spec, list(args.names), as_json=args.json)
    emit(text if text.endswith("\n") else text + "\n", json_like=args.json)
    lib = index.library(spec)
    if not lib.loadable:
        return 1
    if args.names:
        from ..binary.types import Found  # noqa: PLC0415

        answers = index.lookup(lib, list(args.names))
        if not all(isinstance(answers.get(n), Found) for n in args.names):
            return 1
    return 0
