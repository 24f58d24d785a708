"""The static links of the checked files, and where their link-level problems are reported
(shared by SFFI026-SFFI028).

A link problem (two strong definitions, an undefined reference of a linked member) is felt
by the externs that member provides: the finding goes on those declarations. When none of
the checked externs comes from the object concerned, it goes on the configuration line of
the input (when that file is in the checked tree), else on the first extern of each file
the link serves, else on the input file itself (line 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from ...model import ExternDecl, SourceFile, Span
from ..types import zero_span
from ..types import ProviderKind


@dataclass
class CheckedLink:
    """One static link of the checked tree: its result, the group-link result, who it serves."""

    link: object  # binary.static_link.StaticLink
    group: object | None  # the same inputs linked as one --start-group: tells order problems apart
    files: list[SourceFile]
    specs: list  # LibrarySpec of its inputs, in order
    by_object: dict[str, list[ExternDecl]]  # "lib.a(member.o)" or "x.o" -> externs it provides


def object_key(path: str, member: str | None) -> str:
    return f"{path}({member})" if member is not None else path


def checked_links(ctx) -> list[CheckedLink]:
    memo = getattr(ctx, "_static_links", None)
    if memo is not None:
        return memo
    providers = ctx.providers
    links_of = getattr(providers, "static_links", None)
    out: list[CheckedLink] = []
    if links_of is None or not getattr(providers, "static_specs", None):
        _remember(ctx, out)
        return out
    files = {f.path: f for f in ctx.workspace.files}
    try:
        scopes = links_of(list(files), lambda p: [e.name for e in files[p].externs])
    except Exception:  # noqa: BLE001 -- a provider bug must not hide the other findings
        scopes = []
    from ...binary.static_link import link  # noqa: PLC0415  (only with static inputs)

    specs = providers.static_specs
    for scope, paths in scopes:
        if scope.link is None:
            continue
        served = [files[p] for p in paths if p in files]
        by_object: dict[str, list[ExternDecl]] = {}
        for f in served:
            for decl in f.externs:
                res = ctx.resolve(decl)
                ref = res.provider
                if ref is not None and ref.kind is ProviderKind.LIBRARY and ref.library and (
                        ref.member is not None or ref.detail.startswith("linked statically")):
                    by_object.setdefault(object_key(ref.library, ref.member), []).append(decl)
        group = None
        if scope.link.unresolved:
            reader = providers._static.reader  # noqa: SLF001 -- the same cached reads
            group = link([reader.read(specs[i].spec) for i in scope.inputs], scope.wanted, scope.target, group=True)
        out.append(CheckedLink(scope.link, group, served, [specs[i] for i in scope.inputs], by_object))
    _remember(ctx, out)
    return out


def _remember(ctx, value) -> None:
    try:
        ctx._static_links = value  # noqa: SLF001 -- memo on the per-check context
    except AttributeError:
        pass


def placements(ctx, cl: CheckedLink, objects: list[str], spec_path: str | None
               ) -> Iterator[tuple[str, Span, str | None]]:
    """(path, span, symbol) where a problem about `objects` of the link is reported."""
    placed = False
    for key in objects:
        for decl in cl.by_object.get(key, ()):
            yield decl.path, decl.name_span, decl.name
            placed = True
    if placed:
        return
    spec = next((s for s in cl.specs if spec_path in (s.spec, os.path.realpath(s.spec))), None)
    at_config = ctx.config_location(spec.origin) if spec is not None else None
    if at_config is not None:
        yield at_config[0], at_config[1], None
        return
    for f in cl.files:
        if f.externs:
            yield f.path, f.externs[0].name_span, f.externs[0].name
            placed = True
    if not placed:
        yield spec_path or "?", zero_span(), None


def shown(key: str) -> str:
    """`/x/lib.a(m.o)` -> `lib.a(m.o)`: what messages name."""
    head, sep, member = key.partition("(")
    return os.path.basename(head) + (sep + member if sep else "")
