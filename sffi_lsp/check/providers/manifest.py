"""Plugins of the plugin manifest: one `dlsym` handle each, for the functions its entry lists."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..types import ProviderKind
from .protocol import LibraryProblem, ProviderBase, ProviderContext, ProviderStep, file_identity

if TYPE_CHECKING:
    from ...binary.types import Absent, Found, Library
    from ...sdn import Manifest, SdnError


@dataclass(frozen=True, slots=True)
class ManifestEntryCheck:
    """One function a manifest plugin lists, checked against its library."""

    plugin: str
    function: str
    manifest: str | None  # the manifest file
    line: int  # 0-based line of the function name in the manifest
    column: int
    library: str  # the plugin's library path
    exported: bool  # dlsym on the plugin library would return it as a function
    reason: str  # why not (or how: "through dependency ...")
    plugin_line: int = 0  # 0-based line of the plugin entry

    # Views for rules written against a per-plugin shape (one entry, several functions).
    @property
    def name(self) -> str:
        return self.plugin

    @property
    def source(self) -> str | None:
        return self.manifest

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.function,)

    @property
    def missing(self) -> tuple[tuple[str, str], ...]:
        return () if self.exported else ((self.function, self.reason),)

    @property
    def function_lines(self) -> dict[str, int]:
        """1-based line of the function name, keyed by name."""
        return {self.function: self.line + 1}


class ManifestPlugins(ProviderBase):
    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        self.manifest: Manifest | None = None
        self.error: SdnError | None = None
        self._identity = file_identity(cfg.manifest) if cfg.manifest else None
        if cfg.manifest and (cfg.manifest_required or os.path.exists(cfg.manifest)):
            from ...sdn import SdnError, read_manifest  # noqa: PLC0415  (Lark: only when there is a manifest)

            try:
                self.manifest = read_manifest(cfg.manifest)
            except SdnError as exc:
                self.error = exc
        self.steps: list[ProviderStep] = []
        if self.manifest is not None:
            for plugin in self.manifest.plugins:
                version = f" {plugin.version}" if plugin.version else ""
                self.steps.append(ProviderStep(
                    ProviderKind.MANIFEST, ctx.index.library(plugin.library_path),
                    f"manifest plugin '{plugin.name}'{version}", source=plugin.manifest,
                    only=frozenset(plugin.function_names)))
        self._entries: list[ManifestEntryCheck] | None = None

    def handles(self, names: Sequence[str] = (), source_path: str | None = None,
                every: bool = False) -> list[ProviderStep]:
        return self.steps

    def fingerprint(self) -> dict[str, object]:
        return {"manifest": [self.ctx.config.manifest, self._identity]}

    def problems(self) -> list[LibraryProblem]:
        if self.manifest is None:
            return []
        return [(f"manifest plugin '{plugin.name}' ({plugin.manifest}:{plugin.library_line + 1})", step.library)
                for plugin, step in zip(self.manifest.plugins, self.steps)]

    def stale(self) -> bool:
        return bool(self.ctx.config.manifest) and file_identity(self.ctx.config.manifest) != self._identity

    def entries(self) -> list[ManifestEntryCheck]:
        """Each function each plugin lists, checked against that plugin's library."""
        if self._entries is not None:
            return self._entries
        out: list[ManifestEntryCheck] = []
        if self.manifest is not None:
            for plugin, step in zip(self.manifest.plugins, self.steps):
                lib = step.library
                names = list(dict.fromkeys(plugin.function_names))
                answers: dict[str, Found | Absent] = {}
                if lib.loadable and names:
                    answers = self.ctx.index.lookup(lib, names)
                for fn in plugin.functions:
                    exported, reason = _entry_verdict(fn.name, lib, answers.get(fn.name))
                    out.append(ManifestEntryCheck(plugin.name, fn.name, plugin.manifest, fn.line, fn.column,
                                                  plugin.library_path, exported, reason, plugin.line))
        self._entries = out
        return out

    def manifest_problems(self) -> list[tuple[str | None, int, int, str]]:
        """(manifest, 0-based line, column, message): a malformed manifest or unusable entries."""
        if self.error is not None:
            e = self.error
            return [(e.path or self.ctx.config.manifest, max(e.line - 1, 0), max(e.column - 1, 0), e.message)]
        if self.manifest is None:
            return []
        return [(self.manifest.path, p.line, p.column, p.message) for p in self.manifest.problems]


def _entry_verdict(name: str, lib: Library, ans: Found | Absent | None) -> tuple[bool, str]:
    from ...binary.types import Absent, AbsenceReason, Found  # noqa: PLC0415

    lib_name = os.path.basename(lib.path or lib.spec)
    if not lib.loadable:
        return (False, f"{lib_name} cannot be loaded: {lib.problem.message if lib.problem else 'unknown reason'}")
    if isinstance(ans, Found):
        if not ans.symbol.kind.is_function:
            return (False, f"{lib_name} exports {name} as data ({ans.symbol.kind.value}), not a function")
        if ans.via:
            return (True, f"exported through the dependency {os.path.basename(ans.provider)}")
        return (True, "")
    if isinstance(ans, Absent):
        detail = f" ({ans.detail})" if ans.detail else ""
        if ans.reason is AbsenceReason.NOT_PRESENT:
            return (False, f"{lib_name} does not export {name}")
        return (False, f"{lib_name} does not export {name}: {ans.reason.value}{detail}")
    return (False, f"{lib_name} does not export {name}")
