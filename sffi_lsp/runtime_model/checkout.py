"""Where a Simple checkout is (os only: asked on every check, so it imports nothing heavy)."""

from __future__ import annotations

import os

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
