"""`sffi-check runtime`: audit a Simple runtime from its Rust sources (see
`output.runtime_report` for what it prints). `discover` is the CLI's file discovery."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

PROG = "sffi-check"


class RuntimeCommandError(Exception):
    """A usage problem (the CLI exits 2 with it)."""


def build_runtime_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{PROG} runtime",
        description="Audit a Simple runtime from its Rust sources: what the interpreter handles, what is registered "
                    "for compiled code, the C-ABI definitions, and the gaps between them.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="Simple sources whose extern fn declarations are matched against the gaps")
    p.add_argument("--source", metavar="DIR", help="the Simple checkout (default: the one holding PATH or the cwd)")
    p.add_argument("--output-format", choices=("text", "json"), default="text")
    p.add_argument("--write-builtins", metavar="FILE",
                   help="write a built-ins list (signatures from the Rust definitions where known) and exit")
    p.add_argument("--feature", action="append", default=[], metavar="NAME",
                   help="a cargo feature that is on beyond the crates' defaults (repeatable)")
    return p


def run_runtime(argv: Sequence[str], discover: Callable[..., list[str]]) -> int:
    args = build_runtime_parser().parse_args(argv)
    from .runtime_model import find_checkout, load_runtime_model  # noqa: PLC0415
    from .rust_source import available  # noqa: PLC0415

    source = os.path.abspath(os.path.expanduser(args.source)) if args.source else None
    if source is not None and not os.path.isdir(source):
        raise RuntimeCommandError(f"--source {args.source}: no such directory")
    if source is None:
        for p in [*args.paths, "."]:
            source = find_checkout(p)
            if source is not None:
                break
    if source is None:
        raise RuntimeCommandError("runtime: no Simple checkout (a directory holding src/compiler_rust/) holds the paths or "
                         "the current directory; give --source DIR")
    problem = available()
    if problem:
        raise RuntimeCommandError(problem)
    from .output.runtime_report import audit, builtins_list, render_json, render_text  # noqa: PLC0415

    model = load_runtime_model(source, os.path.join(source, ".sffi_cache", "runtime"))
    view = model.view(features=set(args.feature) or None)
    if args.write_builtins:
        text = builtins_list(view, source)
        try:
            with open(args.write_builtins, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise RuntimeCommandError(f"--write-builtins {args.write_builtins}: {exc.strerror or exc}") from None
        sys.stderr.write(f"{PROG}: wrote {text.count(chr(10)) - 2} built-ins to {args.write_builtins}\n")
        return 0
    declared: set[str] = set()
    if args.paths:
        from .config import load_config  # noqa: PLC0415
        from .syntax.parser import parse_file  # noqa: PLC0415

        files = discover(args.paths, load_config(paths=args.paths))
        for path in files:
            declared.update(e.name for e in parse_file(path).externs)
    data = audit(view, source, declared)
    sys.stdout.write(render_json(data) if args.output_format == "json" else render_text(data, model.notes))
    return 0


def runtime_source_for(config, option: str | None, paths: Sequence[str] | None) -> dict:
    """The `runtime_source` change `--runtime-source DIR` makes, or the checkout holding a
    checked path (found by itself) when none is configured."""
    if option:
        path = os.path.abspath(os.path.expanduser(option))
        if not os.path.isdir(path):
            raise RuntimeCommandError(f"--runtime-source {option}: no such directory")
        return {"runtime_source": path}
    if config.runtime_source is None and config.runtime_source_auto:
        from .runtime_model.checkout import find_checkout  # noqa: PLC0415  (os only)

        for p in paths or []:
            found = find_checkout(p)
            if found is not None:
                return {"runtime_source": found}
    return {}
