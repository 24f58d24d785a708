"""Helpers shared by several rules (not a rule itself)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ...model import ExternDecl, SourceFile, Span
from ..types import Fix, Related, Resolution, ResolutionStatus, TextEdit


def short(path: str | None) -> str:
    """A library path as messages show it: its file name."""
    return os.path.basename(path) if path else "?"


def is_class_member(decl: ExternDecl) -> bool:
    """A method of an `extern class` block: the runtime binds those through the
    class, not by looking the bare method name up, so resolution rules skip them."""
    return bool(decl.block) and decl.block.startswith("class")


def with_status(ctx, status: ResolutionStatus) -> Iterator[tuple[SourceFile, ExternDecl, Resolution]]:
    grouped = getattr(ctx, "externs_with_status", None)
    if grouped is not None:
        yield from grouped(status)
        return
    for source, decl in ctx.externs():
        if is_class_member(decl):
            continue
        res = ctx.resolve(decl)
        if res.status is status:
            yield source, decl, res


def provider_related(decl: ExternDecl, res: Resolution) -> tuple[Related, ...]:
    """The provider chain as related information (shown by `full` output and hovers)."""
    if res.provider is None:
        return ()
    return (Related(decl.path, None, f"provider: {res.provider.describe()}"),)


def rename_fix(source: SourceFile, decl: ExternDecl, new_name: str, workspace=None) -> Fix:
    """Rename the declaration and the unqualified calls to it: in its file, and (given the
    workspace) in the files that call the name without declaring it themselves (they get
    it through `use`)."""
    edits = [TextEdit(decl.path, decl.name_span, new_name)]
    for call in source.calls:
        if call.name == decl.name and not call.qualified:
            edits.append(TextEdit(source.path, call.span, new_name))
    if workspace is not None:
        declaring = {d.path for d in workspace.externs_named(decl.name)}
        for path, call in workspace.calls_named(decl.name):
            if path not in declaring and not call.qualified:
                edits.append(TextEdit(path, call.span, new_name))
    return Fix(f"Rename to `{new_name}`", tuple(edits))


def whole_lines(span: Span) -> Span:
    """`span` widened to the whole lines it is on, line end included: removing a
    declaration leaves no blank line (a declaration starts its line, after indentation)."""
    return Span(span.start - span.start_column, span.end, span.start_line, 0, span.end_line + 1, 0)


def declaration_lines(decl: ExternDecl) -> Span:
    """The lines of `decl` with its attributes (which would otherwise be left to attach
    to whatever follows), for removing it."""
    span = whole_lines(decl.span)
    first = min((a.span for a in decl.attributes), key=lambda a: a.start_line, default=None)
    if first is not None and first.start_line < span.start_line:
        span = Span(first.start - first.start_column, span.end, first.start_line, 0, span.end_line, 0)
    return span


def where(path: str, span: Span | None) -> str:
    base = os.path.basename(path)
    return f"{base}:{span.start_line + 1}" if span is not None else base


def signature_key(decl: ExternDecl) -> tuple:
    """What must agree between two declarations of one symbol: the types, normalised (parameter
    names, spacing and alias spellings do not matter; `-> ()`, `-> void` and no result are one)."""
    from ..abi import canonical_type  # noqa: PLC0415  (abi needs nothing of the rules)

    params = tuple(canonical_type(p.type) if p.type is not None else "?" for p in decl.params)
    return (params, canonical_type(decl.returns))


def place(ctx, path: str, span: Span | None) -> str:
    """`src/io/file.spl:12` for a message: relative to the project root when inside it, so that
    two files of one name (`ffi.spl` in many folders) stay apart."""
    root = getattr(getattr(ctx, "config", None), "root", None)
    shown = path
    if root and os.path.isabs(path):
        rel = os.path.relpath(path, root)
        if not rel.startswith(".." + os.sep) and rel != "..":
            shown = rel
    return f"{shown}:{span.start_line + 1}" if span is not None else shown


def shape(decl: ExternDecl) -> str:
    """`(i64, text) -> bool`, for messages: the types as written (no result reads `()`)."""
    params = ", ".join(p.type.text if p.type is not None else "?" for p in decl.params)
    ret = decl.returns.text if decl.returns is not None else "()"
    return f"({params}) -> {ret}"


def same_context(a: ExternDecl, b: ExternDecl) -> bool:
    """Two declarations that can both be in effect at once.

    Declarations under different `@when` conditions (linux vs windows) are
    alternatives, not duplicates or conflicts."""
    return a.when == b.when or a.when is None or b.when is None
