"""A configuration file that cannot be used, as a diagnostic on its own line.

When `sffi.toml` is broken (invalid TOML, an unknown key, a bad value) the
server keeps checking with the last configuration that loaded, and says so in
the file itself: one error diagnostic on the offending line (line 1 when the
problem has no line), published like the findings and cleared once the file
loads again. Client settings problems have no file: they are logged and shown
once as a message instead (see `reload_backend`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from .diagnostics import diagnostics_changed
from .positions import LineIndex

if TYPE_CHECKING:
    from .server import SffiLanguageServer

CODE = "config-error"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def diagnostic(error: Any, encoding: str, kept_last_good: bool) -> tuple[str, lsp.Diagnostic] | None:
    """(file, diagnostic) for a ConfigError that names its file; None otherwise."""
    path = getattr(error, "path", None)
    if not path:
        return None
    path = os.path.normpath(os.path.abspath(path))
    text = _read(path)
    lines = text.split("\n")
    line = max((getattr(error, "line", None) or 1) - 1, 0)
    line = min(line, max(len(lines) - 1, 0))
    line_text = lines[line].rstrip("\r") if lines else ""
    index = LineIndex(text)
    message = str(error)
    for prefix in (f"{error.path}:{error.line}: ", f"{error.path}: "):  # the file is where it is shown
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    if kept_last_good:
        message += " (the last configuration that loaded stays in force until this is fixed)"
    else:
        message += " (checking with the default configuration until this is fixed)"
    return path, lsp.Diagnostic(
        range=lsp.Range(start=index.to_client(line, 0, encoding), end=index.to_client(line, len(line_text), encoding)),
        severity=lsp.DiagnosticSeverity.Error,
        code=CODE,
        source="sffi",
        message=message,
    )


def install(ls: "SffiLanguageServer", error: Any, kept_last_good: bool) -> None:
    """Show `error` (a ConfigError, or None once the file loads) in its file."""
    found = diagnostic(error, ls.encoding, kept_last_good) if error is not None else None
    fresh = {found[0]: [found[1]]} if found is not None else {}
    old = ls.config_diagnostics
    if fresh == old:
        return
    ls.config_diagnostics = fresh
    changed = sorted(set(old) | set(fresh))
    for path in changed:
        ls._result_counter += 1
        ls.result_ids[path] = str(ls._result_counter)
    diagnostics_changed(ls, changed, set(), False)
