"""`libsimple_runtime.so`: the runtime's own library, one `dlsym` handle after the plugins."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..types import ProviderKind
from .protocol import LibraryProblem, ProviderBase, ProviderContext, ProviderStep

RUNTIME_LIBRARY_NAME = "libsimple_runtime.so"


class RuntimeLibrary(ProviderBase):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self.step = self._find()

    def _find(self) -> ProviderStep | None:
        ctx = self.ctx
        cfg = ctx.config
        if cfg.runtime_library:
            return ProviderStep(ProviderKind.LIBRARY, ctx.index.library(cfg.runtime_library),
                                "runtime library", source=cfg.config_file)
        for d in [*ctx.runtime_dirs(), os.path.join(cfg.root, "build")]:
            path = os.path.join(d, RUNTIME_LIBRARY_NAME)
            if os.path.exists(path):
                return ProviderStep(ProviderKind.LIBRARY, ctx.index.library(path), "runtime library")
        if ctx.loader_cannot_find(RUNTIME_LIBRARY_NAME):
            return None
        lib = ctx.index.library(RUNTIME_LIBRARY_NAME)
        from ...binary.types import LoadReason  # noqa: PLC0415

        if lib.problem is None or lib.problem.reason is not LoadReason.NOT_FOUND:
            return ProviderStep(ProviderKind.LIBRARY, lib, "runtime library (system loader)")
        return None

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        return [self.step] if self.step is not None else []

    def problems(self) -> list[LibraryProblem]:
        cfg = self.ctx.config
        step = self.step
        if step is None or not (cfg.runtime_library_required or step.library.loadable):
            return []
        where = cfg.config_file or "configuration"
        return [(f"runtime library ({'runtime-library in ' + where if cfg.runtime_library else 'found'})",
                 step.library)]
