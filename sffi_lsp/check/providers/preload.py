"""`LD_PRELOAD` libraries (configured, and the environment's when `use_env_ld_preload`): the last handles."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from ..types import ProviderKind
from .protocol import LibraryProblem, ProviderBase, ProviderContext, ProviderStep


class Preloaded(ProviderBase):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        preload = list(cfg.ld_preload)
        if cfg.use_env_ld_preload:
            preload += [p for p in re.split(r"[\s:]+", os.environ.get("LD_PRELOAD", "")) if p]
        self.steps = [
            ProviderStep(ProviderKind.LIBRARY, ctx.index.library(p), "LD_PRELOAD") for p in dict.fromkeys(preload)
        ]

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        return self.steps

    def problems(self) -> list[LibraryProblem]:
        return [("LD_PRELOAD", step.library) for step in self.steps]
