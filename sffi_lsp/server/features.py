"""Builds the server with every feature module wired in."""

from __future__ import annotations

from . import code_actions, code_lens, completion, diagnostics, hover, inlay_hints, lifecycle, navigation
from .server import SffiLanguageServer

FEATURES = (lifecycle, diagnostics, hover, completion, navigation, code_actions, inlay_hints, code_lens)


def create_server() -> SffiLanguageServer:
    server = SffiLanguageServer()
    for feature in FEATURES:
        feature.setup(server)
    return server
