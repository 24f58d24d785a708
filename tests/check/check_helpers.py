"""Helpers for the checker tests: the real parser, and a tiny provider stand-in
for the rules that do not depend on libraries (imported by the test modules;
named uniquely so it never collides with another directory's conftest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.types import ProviderKind, ProviderRef, Resolution, ResolutionStatus
from sffi_lsp.config_types import Config, RuleSettings


def parse_source(text: str, path: str):
    try:
        from sffi_lsp.syntax import parse_source as real
    except ImportError:
        from sffi_lsp.syntax.parser import parse_source as real
    return real(text, path)


@dataclass
class BuiltinOnlyProviders:
    """Resolves exactly the names given, as built-ins. For rules that look at the
    model only (duplicates, arity, naming...), where libraries add nothing."""

    builtins: set[str] = field(default_factory=set)

    def resolve(self, name, source_path=None):
        if name in self.builtins:
            return Resolution(name, ResolutionStatus.RESOLVED, ProviderRef(ProviderKind.BUILTIN, detail="test list"))
        return Resolution(name, ResolutionStatus.UNRESOLVED, note="no provider")

    def suggest(self, name, limit=3):
        return sorted(self.builtins)[:limit]

    def library_problems(self):
        return []

    def manifest_entries(self):
        return []

    def signature_for(self, resolution):
        return None


def model_check(tmp_path: Path, files: dict[str, str], *, builtins=(), select=(), ignore=(), extend=(), **config):
    """Parse `files` (name -> text) with the real parser and run the engine."""
    sources = []
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        sources.append(parse_source(text, str(p)))
    cfg = Config(
        root=str(tmp_path),
        rules=RuleSettings(select=tuple(select), ignore=tuple(ignore), extend_select=tuple(extend)),
        **config,
    )
    ws = Workspace(sources, roots=[str(tmp_path)])
    return check(ws, BuiltinOnlyProviders(set(builtins)), cfg)
