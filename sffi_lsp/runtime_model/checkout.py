"""Where a Simple checkout is (os only: asked on every check, so it imports nothing heavy)."""

from __future__ import annotations

import os
from dataclasses import replace

COMPILER_DIR = "src/compiler_rust"


def find_checkout(path: str) -> str | None:
    """The nearest ancestor of `path` (itself included) that holds `src/compiler_rust/`."""
    cur = os.path.abspath(path)
    if not os.path.isdir(cur):
        cur = os.path.dirname(cur)
    while True:
        if os.path.isdir(os.path.join(cur, COMPILER_DIR)):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def with_runtime_source(config, paths=()):
    """`config` with `runtime.source` found by itself: the Simple checkout (an ancestor
    holding `src/compiler_rust/`) that holds a checked path or the project root."""
    if config.runtime_source is not None or not config.runtime_source_auto:
        return config
    for start in [*paths, config.root]:
        found = find_checkout(start)
        if found is not None:
            return replace(config, runtime_source=found)
    return config
