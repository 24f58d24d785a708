"""Satellites: `libspl_<prefix>.so`, the `dlsym` handle for `rt_<prefix>_*` names.

The runtime looks next to the executable, in ../lib, target/*, then
$SIMPLE_SFFI_PATH (`satellite_paths`), then asks the system loader. A
satellite is probed per prefix, on first need (a directory listing answers
hundreds of "is libspl_<p>.so there?" questions).
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections.abc import Iterator, Sequence

from ..types import ProviderKind, ProviderRef
from .protocol import LibraryProblem, Offer, ProviderBase, ProviderContext, ProviderStep

_SATELLITE_RE = re.compile(r"rt_([A-Za-z0-9]+)_")


class Satellites(ProviderBase):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self._steps: dict[str, ProviderStep | None] = {}  # by prefix
        self._dirs: list[str] | None = None

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        if every:
            return []  # none is held: each is probed on first need (see `present` for those on disk)
        prefixes = dict.fromkeys(p for p in (self.prefix_of(n) for n in names) if p)
        return [s for s in (self.step_for(p) for p in prefixes) if s is not None]

    def offers(self) -> Iterator[Offer]:
        for step in self.present():
            if step.library.loadable:
                ref = ProviderRef(step.kind, library=step.library.path, detail=step.detail, source=step.source)
                yield from self.ctx.export_names(step.library, ref, step=step)

    def problems(self) -> list[LibraryProblem]:
        return [(f"satellite {os.path.basename(s.library.path or s.library.spec)}", s.library)
                for s in self.present()]

    def prefix_of(self, name: str) -> str | None:
        """`json` for `rt_json_parse` (the configured prefixes, longest first, when set)."""
        if self.ctx.config.satellite_prefixes:
            best = None
            for p in self.ctx.config.satellite_prefixes:
                if name.startswith(f"rt_{p}_") and (best is None or len(p) > len(best)):
                    best = p
            return best
        m = _SATELLITE_RE.match(name)
        return m.group(1) if m and len(name) > m.end() else None

    def step_for(self, prefix: str) -> ProviderStep | None:
        if prefix in self._steps:
            return self._steps[prefix]
        ctx = self.ctx
        file_name = f"libspl_{prefix}.so"
        step = None
        now = time.monotonic()
        # The runtime's order: next to the executable, ../lib, target/*, then $SIMPLE_SFFI_PATH (build/).
        if self._dirs is None:
            self._dirs = [*ctx.runtime_dirs(), *ctx.config.satellite_paths]
        for d in self._dirs:
            entries = ctx.places.entries(d, now)  # one listing for all prefixes, not a stat each
            if entries is not None and file_name not in entries:
                continue
            path = os.path.join(d, file_name)
            if os.path.exists(path):
                step = ProviderStep(ProviderKind.SATELLITE, ctx.index.library(path),
                                    f"satellite for rt_{prefix}_*", prefix=f"rt_{prefix}_")
                break
        if step is None and not ctx.loader_cannot_find(file_name):
            lib = ctx.index.library(file_name)
            from ...binary.types import LoadReason  # noqa: PLC0415

            if lib.problem is None or lib.problem.reason is not LoadReason.NOT_FOUND:
                step = ProviderStep(ProviderKind.SATELLITE, lib, f"satellite for rt_{prefix}_* (system loader)",
                                    prefix=f"rt_{prefix}_")
        if step is not None and ctx.answers is not None:
            lib = step.library
            if lib.loadable:
                ctx.answers.watch([p for p in (lib.path, *lib.closure) if p])
            else:
                # What would make it loadable (a dependency appearing in its RUNPATH...) is not
                # known here: answers about its names are not kept, nor this run's results.
                ctx.volatile_prefixes.add(f"rt_{prefix}_")
                ctx.unsettled = True
        self._steps[prefix] = step
        return step

    def present(self) -> list[ProviderStep]:
        """Satellite libraries that exist in the search directories (for completion)."""
        out: list[ProviderStep] = []
        for d in [*self.ctx.runtime_dirs(), *self.ctx.config.satellite_paths]:
            for path in sorted(glob.glob(os.path.join(d, "libspl_*.so"))):
                prefix = os.path.basename(path)[len("libspl_"):-len(".so")]
                step = self.step_for(prefix)
                if step is not None and step not in out:
                    out.append(step)
        return out
