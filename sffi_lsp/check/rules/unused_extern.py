"""SFFI012 unused-extern."""

from __future__ import annotations

import os

from ..types import Fix, Rule, Severity, TextEdit
from ._common import declaration_lines, place

RULE = Rule(
    code="SFFI012",
    cross_file=True,
    name="unused-extern",
    severity=Severity.INFO,
    summary="An extern is never called (nor exported) anywhere in the checked tree.",
    doc="""
## What it does
Reports externs whose name is not called anywhere in the checked files and not
named in an `export`/`use` list. Public (`pub`) externs count as used only if
something uses them too, since a checked tree is usually a whole project.

A *binding file* declares a library's API for other files to call: a file
whose module another file imports (`use lib.torch.ffi.*`, `use lib.torch.ffi`,
`export use ...`), or one matched by the `bindings` globs of `sffi.toml`.
An extern of a binding file that nothing calls yet is API not used yet, not
dead code: it is reported at `hint` level (editors show hints faintly and do
not grey it out as unused; the CLI counts hints apart), names the file that
imports the binding file (the one that would call it), and offers no "Remove"
fix. Other unused externs are `info`, greyed out as unnecessary code in editors.

## Why is this bad?
Unused externs still have to be provided by some library, so they cause
spurious unresolved-extern errors, slow start-up lookups, and mislead readers
about what the program needs.

## Example
```simple
extern fn rt_legacy_init() -> i64   # nothing calls it any more
```
""",
)


def _configured_as_bindings(ctx, path: str) -> str | None:
    """The `bindings` glob that makes `path` a binding file, if one does."""
    globs = getattr(ctx.config, "bindings", ()) or ()
    if not globs:
        return None
    from ...config_paths import path_matches  # noqa: PLC0415  (only with `bindings` configured)

    root = ctx.config.root or ""
    rel = os.path.relpath(path, root) if root and os.path.isabs(path) else path
    for g in globs:
        if path_matches(path, [g]) if os.path.isabs(g) else path_matches(rel, [g]):
            return g
    return None


def _binding_reason(ctx, path: str) -> str | None:
    """Why `path` is a binding file ("imported by `use x.y.*` in a.spl:3"), or None."""
    importers = ctx.workspace.importers_of(path)
    if importers:
        importer, use = importers[0]
        written = f"{'export use' if use.kind == 'export' else 'use'} {use.path}"
        if "*" in use.names:
            written += ".*"
        elif 0 < len(use.names) <= 3:
            written += ".{" + ", ".join(use.names) + "}"
        more = f" and {len(importers) - 1} more" if len(importers) > 1 else ""
        return f"its file is imported by `{written}` in {place(ctx, importer, use.span)}{more}, which would call it"
    glob = _configured_as_bindings(ctx, path)
    if glob is not None:
        return f"its file is configured as bindings (`bindings = [\"{glob}\"]`)"
    return None


def check(ctx):
    workspace = ctx.workspace
    for source in workspace.files:
        unused = [decl for decl in source.externs if not workspace.is_referenced(decl.name)]
        if not unused:
            continue
        binding = _binding_reason(ctx, source.path)
        for decl in unused:
            if binding is not None:
                yield RULE.finding(
                    decl.path,
                    decl.name_span,
                    f"`{decl.name}` is declared but not called yet: {binding}",
                    symbol=decl.name,
                    severity=Severity.HINT,
                )
                continue
            yield RULE.finding(
                decl.path,
                decl.name_span,
                f"`{decl.name}` is declared but never called in the checked tree",
                symbol=decl.name,
                fixes=(Fix("Remove the unused declaration", (TextEdit(decl.path, declaration_lines(decl), ""),)),),
            )
