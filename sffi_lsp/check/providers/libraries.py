"""Configured libraries (`sffi.toml`, `--library`): `dlsym` handles, some serving only some files."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ...config_paths import path_matches
from ...config_types import LibrarySpec
from ..types import ProviderKind, Resolution
from .protocol import LibraryProblem, ProviderBase, ProviderContext, ProviderStep
from .static_objects import is_static_spec


class ConfiguredLibraries(ProviderBase):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        # Objects and archives are not dlsym handles: `static_objects` links them.
        self.steps = [
            ProviderStep(ProviderKind.LIBRARY, ctx.index.library(spec.spec), _configured_detail(spec),
                         source=cfg.config_file, spec=spec)
            for spec in cfg.libraries if not is_static_spec(spec)
        ]
        # Which libraries are limited to some source files (matters for memo keys).
        self._limited = [i for i, s in enumerate(self.steps) if s.spec is not None and s.spec.files]

    def _serving(self, source_path: str | None) -> tuple[list[ProviderStep], tuple[int, ...]]:
        """The steps serving `source_path`, and the memo key part."""
        if not self._limited:
            return self.steps, ()
        chosen = []
        key = []
        src = os.path.abspath(source_path) if source_path else None
        for i, step in enumerate(self.steps):
            files = step.spec.files if step.spec else ()
            if not files:
                chosen.append(step)
            elif src is not None and path_matches(src, files):
                chosen.append(step)
                key.append(i)
        return chosen, tuple(key)

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        return self.steps if every else self._serving(source_path)[0]

    def scope_key(self, source_path: str | None) -> tuple[int, ...]:
        return self._serving(source_path)[1]

    def problems(self) -> list[LibraryProblem]:
        return [(step.spec if step.spec is not None else step.detail, step.library) for step in self.steps]

    def spec_of(self, resolution: Resolution) -> LibrarySpec | None:
        """The configured library an answer came from (for `linked`), if any."""
        lib = resolution.library
        if lib is None:
            return None
        for step in self.steps:
            if step.library is lib or (lib.path and step.library.path == lib.path):
                return step.spec
        return None


def _configured_detail(spec: LibrarySpec) -> str:
    if not spec.origin:
        return "configured library"
    return f"configured in {os.path.basename(spec.origin)}"
