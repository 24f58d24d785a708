"""Features that rest on native wheels, and saying once which are off.

The VS Code bundle carries rapidfuzz, tree-sitter and tree-sitter-rust as
binary wheels built for one platform and Python; on another one their import
fails (ImportError, or an OSError from a foreign `.so`). The server never
imports them at start-up, each feature falls back or reports on first use,
and this module probes them once the first diagnostics are out (off the
critical path) so the user is told in one message what is missing and why,
instead of finding a silent gap later."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Callable

from lsprotocol import types as lsp

from . import backend

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)


def _rapidfuzz() -> str | None:
    try:
        import rapidfuzz.distance  # noqa: F401, PLC0415
        import rapidfuzz.fuzz  # noqa: F401, PLC0415
    except Exception as exc:  # noqa: BLE001 - ImportError, or a wheel built for another platform
        return f"{type(exc).__name__}: {exc}"
    return None


# (what is off or degraded, the packages it needs, the probe: None when usable, else why not)
PROBES: tuple[tuple[str, str, Callable[[], str | None]], ...] = (
    ("reading a Simple checkout's Rust runtime sources ([runtime] source) is off",
     "tree-sitter and tree-sitter-rust", backend.rust_source_reader_problem),
    ('"did you mean" suggestions use a slower pure-Python scorer (same suggestions)',
     "rapidfuzz", _rapidfuzz),
)


def unavailable() -> list[tuple[str, str, str]]:
    """(feature, packages, why) for every probe that fails; never raises."""
    out = []
    for feature, packages, probe in PROBES:
        try:
            why = probe()
        except Exception as exc:  # noqa: BLE001 - a probe must not take the server down
            why = f"{type(exc).__name__}: {exc}"
        if why:
            out.append((feature, packages, why))
    return out


def message(missing: list[tuple[str, str, str]]) -> str:
    parts = [f"{feature} ({packages} cannot be imported here)" for feature, packages, _ in missing]
    return ("sffi: native packages missing on this platform: " + "; ".join(parts)
            + ". Install them into the server's Python, or use a .vsix built for this platform.")


async def announce(ls: "SffiLanguageServer") -> None:
    """Probe in a pool thread, then one warning message and one log line per feature."""
    if getattr(ls, "_native_features_announced", False):
        return
    ls._native_features_announced = True  # type: ignore[attr-defined]
    try:
        # Not ls.executor: a huge document's parse may hold that one worker for seconds.
        missing = await asyncio.get_running_loop().run_in_executor(None, unavailable)
    except Exception:  # noqa: BLE001
        log.debug("probing the native packages failed", exc_info=True)
        return
    for feature, packages, why in missing:
        log.warning("%s: %s cannot be imported (%s)", feature, packages, why)
    if missing:
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message(missing)))
