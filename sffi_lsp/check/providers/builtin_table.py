"""The runtime's built-in table: built-ins lists, the runtime binary's exports, prefix families.

The runtime answers these names itself, before any `dlsym`: names of the
built-ins lists (first list first), the functions a configured runtime binary
or library exports (`builtins.runtime`), built-in prefix families
(`rt_sdl2_`), and families it knows but refuses (a family-specific failure).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ..types import Candidate, ProviderKind, ProviderRef, Resolution, ResolutionStatus
from .protocol import LibraryProblem, Offer, Phase, ProviderBase, ProviderContext, file_identity

if TYPE_CHECKING:
    from ...binary.types import Library
    from ..builtins import BuiltinEntry, BuiltinList, ListProblem


class BuiltinTable(ProviderBase):
    phase = Phase.TABLE

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        self.lists: list[BuiltinList] = []
        if cfg.builtin_lists:
            from ..builtins import read_builtin_list  # noqa: PLC0415  (only with lists to read)

            self.lists = [read_builtin_list(p) for p in cfg.builtin_lists]
        self.entries: dict[str, BuiltinEntry] = {}
        for lst in self.lists:
            for name, entry in lst.entries.items():
                self.entries.setdefault(name, entry)
        self.families = tuple(sorted(cfg.builtin_families, key=len, reverse=True))
        self.unsupported = tuple(sorted(cfg.unsupported_families, key=len, reverse=True))
        self.runtime: Library | None = ctx.index.library(cfg.builtin_runtime) if cfg.builtin_runtime else None
        self._listed: dict[str, Candidate] | None = None
        self._executable_exports = None  # the runtime is an executable: its .dynsym, read (never run)
        if self.runtime is not None and not self.runtime.loadable and _is_executable(self.runtime):
            self._executable_exports = ctx.index.exports(self.runtime.path).symbols

    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        out: dict[str, Resolution] = {}
        rest: list[str] = []
        # the lists first, then the runtime binary's exports
        for name in names:
            entry = self.entries.get(name)
            if entry is not None:
                out[name] = Resolution(
                    name, ResolutionStatus.RESOLVED,
                    ProviderRef(ProviderKind.BUILTIN, detail=f"built-in list {entry.origin}", source=entry.path),
                    builtin_signature=entry.signature, note=f"{name} is in the runtime's built-in list {entry.origin}",
                )
            else:
                rest.append(name)
        if rest and self.runtime is not None and self.runtime.loadable:
            found = self.ctx.index.lookup(self.runtime, rest)
            from ...binary.types import Found  # noqa: PLC0415

            still = []
            for name in rest:
                ans = found.get(name)
                if isinstance(ans, Found) and ans.symbol.kind.is_function:
                    lib = self.runtime
                    out[name] = Resolution(
                        name, ResolutionStatus.RESOLVED,
                        ProviderRef(ProviderKind.BUILTIN, library=ans.provider, version=ans.symbol.version,
                                    via=ans.via, detail=f"exported by the runtime {os.path.basename(lib.path or '')}",
                                    source=self.ctx.config.config_file),
                        found=ans, library=lib, note=f"the runtime {lib.path} exports {name}",
                    )
                else:
                    still.append(name)
            rest = still
        elif rest and self._executable_exports is not None:
            # An executable (ET_EXEC or PIE) cannot be dlopen'ed, but it is the runtime itself:
            # the functions its .dynsym exports (-rdynamic) are built-ins.
            from ...binary.types import Found  # noqa: PLC0415

            lib = self.runtime
            still = []
            for name in rest:
                sym = self._executable_exports.get(name)
                if sym is not None and sym.kind.is_function:
                    out[name] = Resolution(
                        name, ResolutionStatus.RESOLVED,
                        ProviderRef(ProviderKind.BUILTIN, library=lib.path,
                                    detail=f"exported by the runtime executable {os.path.basename(lib.path or '')}",
                                    source=self.ctx.config.config_file),
                        found=Found(sym, lib.path or ""), note=f"the runtime executable {lib.path} exports {name}",
                    )
                else:
                    still.append(name)
            rest = still
        if not self.families and not self.unsupported:  # the usual configuration: no family to test
            return out
        config_file = self.ctx.config.config_file
        for name in rest:
            fam = next((f for f in self.families if name.startswith(f)), None)
            if fam is not None:
                out[name] = Resolution(name, ResolutionStatus.RESOLVED,
                                       ProviderRef(ProviderKind.BUILTIN, detail=f"family {fam}", source=config_file),
                                       note=f"{name} belongs to the built-in family {fam}")
                continue
            bad = next((f for f in self.unsupported if name.startswith(f)), None)
            if bad is not None:
                out[name] = Resolution(
                    name, ResolutionStatus.UNSUPPORTED_FAMILY,
                    ProviderRef(ProviderKind.BUILTIN, detail=f"unsupported family {bad}", source=config_file),
                    note=f"the runtime knows the {bad} family but does not support it: calling {name} fails "
                         f"with a {bad} family error",
                )
        return out

    def listed(self) -> Mapping[str, Candidate]:
        """The built-ins lists' names, each with its own line and signature."""
        if self._listed is None:
            self._listed = {
                name: Candidate(name, ProviderRef(ProviderKind.BUILTIN, detail=f"built-in list {entry.origin}",
                                                  source=entry.path), entry.signature)
                for name, entry in self.entries.items()}
        return self._listed

    def offers(self) -> Iterator[Offer]:
        if self._executable_exports is not None:
            ref = ProviderRef(ProviderKind.BUILTIN, library=self.runtime.path, detail="exported by the runtime executable")
            yield self._executable_exports.function_names(), ref
            return
        if self.runtime is not None and self.runtime.loadable:
            ref = ProviderRef(ProviderKind.BUILTIN, library=self.runtime.path, detail="exported by the runtime")
            yield from self.ctx.export_names(self.runtime, ref, direct_only=True)

    def held_libraries(self) -> list[Library]:
        return [self.runtime] if self.runtime is not None else []

    def fingerprint(self) -> dict[str, object]:
        return {"lists": [[lst.path, list(lst.identity)] for lst in self.lists]}

    def problems(self) -> list[LibraryProblem]:
        if self.runtime is None or self._executable_exports is not None:
            return []
        where = self.ctx.config.config_file or "configuration"
        return [(f"runtime binary (builtins.runtime in {where})", self.runtime)]

    def list_problems(self) -> list[ListProblem]:
        """Lines of the built-ins lists that could not be read."""
        return [p for lst in self.lists for p in lst.problems]

    def stale(self) -> bool:
        return any(file_identity(lst.path) != (lst.identity or None) for lst in self.lists)


def _is_executable(lib: Library) -> bool:
    """An ELF executable (ET_EXEC, or a PIE): dlopen refuses it, its exports still say what it has."""
    from ...binary.types import LoadReason  # noqa: PLC0415

    problem = lib.problem
    return (problem is not None and problem.reason is LoadReason.NOT_SHARED_OBJECT and bool(lib.path)
            and ("executable" in problem.message))
