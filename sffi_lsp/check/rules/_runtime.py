"""What the runtime-source rules (SFFI020-SFFI024) share (not a rule itself)."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import ExternDecl, SourceFile
from ..types import Related, ResolutionStatus
from ._common import is_class_member


def runtime_source(ctx):
    """The runtime-source provider of this check, or None when no Simple checkout is known."""
    getter = getattr(ctx.providers, "runtime_source", None)
    provider = getter() if callable(getter) else None
    if provider is None or provider.source is None:
        return None
    return provider


def judged(ctx, *statuses: ResolutionStatus) -> Iterator[tuple[SourceFile, ExternDecl, object, object]]:
    """(source, decl, provider, verdicts) for each extern the runtime's sources decided."""
    provider = runtime_source(ctx)
    if provider is None or provider.view() is None:
        return
    statuses = statuses or (ResolutionStatus.RESOLVED,)
    for source, decl in ctx.externs():
        if is_class_member(decl):
            continue
        res = ctx.resolve(decl)
        if res.status not in statuses or res.provider is None or res.provider.source != provider.source:
            continue
        if not (res.provider.detail or "").startswith("runtime sources:"):
            continue
        yield source, decl, provider, provider.verdicts(decl.name)


def related(decl: ExternDecl, verdicts) -> tuple[Related, ...]:
    return (Related(decl.path, None, f"runtime: {verdicts.describe()}"),)
