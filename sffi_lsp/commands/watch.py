"""`--watch`: check, then check again whenever a checked file, the configuration or
a provider changes; the screen is cleared before each run (as ruff does).

Poll-based (no inotify dependency): the stat identities of the discovered files,
the configuration and every provider file a check consulted are compared every
`interval` seconds, and the interval grows with the time one poll takes (a
10-times margin), so a huge tree costs at most a tenth of a core. Ctrl-C stops
it with status 0 (stopping is how a watch ends).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from . import UsageError, settings

CLEAR_SCREEN = "\x1b[2J\x1b[3J\x1b[H"
MIN_INTERVAL = 0.3  # seconds between polls


def _snapshot(args: argparse.Namespace, discover: Callable) -> dict[str, tuple | None]:
    """Stat identity of every file a check of `args` depends on that can be listed cheaply
    (`discover` is the CLI's file discovery)."""
    from ..atomic_file import stat_identity  # noqa: PLC0415

    paths = args.paths or ["."]
    state: dict[str, tuple | None] = {}
    try:
        config = settings.load(args, paths)
    except UsageError:
        config = None
    candidates: list[str] = []
    if config is not None:
        if config.config_file:
            candidates.append(config.config_file)
        try:
            candidates += discover(paths, config)
        except UsageError:
            pass
        for spec in config.libraries:
            if os.path.isabs(spec.spec):
                candidates.append(spec.spec)
        candidates += list(config.builtin_lists)
        if config.manifest:
            candidates.append(config.manifest)
        candidates += list(config.satellite_paths)
    for path in [*(os.path.abspath(p) for p in paths), *candidates]:
        ident = stat_identity(path)
        state[path] = tuple(ident) if ident is not None else None
    return state


def watch(args: argparse.Namespace, check_once: Callable[[argparse.Namespace], int], prog: str,
          discover: Callable, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    out, err = sys.stdout, sys.stderr
    err.write(f"{prog}: watching for changes (Ctrl-C stops)\n")
    try:
        while True:
            out.write(CLEAR_SCREEN)
            out.flush()
            try:
                code = check_once(args)
            except UsageError as exc:  # a broken sffi.toml mid-watch: say so and wait for the fix
                err.write(f"{prog}: error: {exc}\n")
                code = 2
            out.flush()
            err.write(f"[{time.strftime('%H:%M:%S')}] {'no errors' if code == 0 else 'errors found' if code == 1 else 'check failed'}"
                      f"; watching for file changes\n")
            err.flush()
            started = clock()
            before = _snapshot(args, discover)
            interval = max(MIN_INTERVAL, 10 * (clock() - started))
            while True:
                sleep(interval)
                started = clock()
                now = _snapshot(args, discover)
                interval = max(MIN_INTERVAL, 10 * (clock() - started))
                if now != before:
                    break
    except KeyboardInterrupt:
        err.write(f"{prog}: stopped watching\n")
        return 0
