"""Quick fixes: the checker's own fixes (replace an unresolved name, fix a
signature, add a missing declaration) plus a suppression comment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..check import fixes
from ..check.types import Finding
from . import completion, hover
from .diagnostics import to_diagnostic

if TYPE_CHECKING:
    from .server import SffiLanguageServer


def _overlaps(ls: "SffiLanguageServer", finding: Finding, rng: lsp.Range) -> bool:
    """The range touches a line of the finding: editors ask with the cursor's position or the
    selected lines, rarely with the exact span, and a quick fix hidden until the cursor sits
    on the one right parameter is a quick fix nobody finds."""
    span = finding.span
    return span.start_line <= rng.end.line and rng.start.line <= span.end_line


def suppression_edit(ls: "SffiLanguageServer", finding: Finding) -> lsp.TextEdit | None:
    """The CLI's `--add-noqa` edit (`check.fixes.suppression_edit`), in client positions."""
    text = ls.document_text(finding.path)
    if text is None:
        return None
    edit = fixes.suppression_edit(text, finding)
    if edit is None:
        return None
    index = ls.line_index(finding.path)
    span = edit.span
    return lsp.TextEdit(
        range=lsp.Range(
            start=index.to_client(span.start_line, span.start_column, ls.encoding),
            end=index.to_client(span.end_line, span.end_column, ls.encoding),
        ),
        new_text=edit.new_text,
    )


async def missing_declaration_actions(ls: "SffiLanguageServer", path: str, rng: lsp.Range) -> list[lsp.CodeAction]:
    """`extern fn NAME(...)` for a call to a name some provider exports but no
    file declares."""
    source = ls.sources.get(path)
    if source is None:
        return []
    local_fns = {f.name for f in source.functions}
    actions = []
    seen: set[str] = set()
    for call in source.calls:
        if call.qualified or call.name in seen or call.name in local_fns:
            continue
        if not (call.span.start_line <= rng.end.line and rng.start.line <= call.span.end_line):
            continue  # a call on a line the range does not touch
        seen.add(call.name)
        if ls.declarations_of(call.name):
            continue
        resolution = ls.resolve_name(call.name, path)
        if resolution is None or not resolution.resolved:
            continue
        sig = await hover.signature_of(ls, resolution)
        text = completion.declaration_text(call.name, sig, False, completion.abi_profile(ls))
        if text is None:
            count = call.arg_count or 0
            text = f"{call.name}({', '.join(f'arg{i}: i64' for i in range(1, count + 1))}) -> i64"
        target, line = declaration_place(ls, path, call.name, resolution)
        at = ls.line_index(target).to_client(line, 0, ls.encoding)
        where = "" if target == path else f" in {os.path.basename(target)}"
        actions.append(
            lsp.CodeAction(
                title=f"Declare `extern fn {text}`{where}",
                kind=lsp.CodeActionKind.QuickFix,
                edit=lsp.WorkspaceEdit(
                    changes={ls.uri_of(target): [lsp.TextEdit(range=lsp.Range(start=at, end=at), new_text=f"extern fn {text}\n")]}
                ),
            )
        )
    return actions


def _library_of(res) -> str | None:
    if res is None or not res.resolved:
        return None
    if res.library is not None and res.library.path:
        return res.library.path
    return res.provider.library if res.provider is not None else None


def _prefixes(name: str) -> list[str]:
    """`rt_torch_mean` -> [`rt_torch_`]: the family prefixes a binding file groups by, longest
    first; a bare `rt_` groups nothing (every runtime function has it)."""
    parts = name.split("_")
    out = []
    for n in range(len(parts) - 1, 1, -1):
        prefix = "_".join(parts[:n]) + "_"
        if prefix not in ("rt_", "spl_", "sys_"):
            out.append(prefix)
    return out


def declaration_place(ls: "SffiLanguageServer", path: str, name: str, resolution) -> tuple[str, int]:
    """(file, 0-based line) where a new declaration of `name` belongs: after the last extern of
    the file that declares most of the same library's externs (the binding file), else of the
    same prefix family (`rt_torch_`); else after the current file's externs."""
    library = _library_of(resolution)
    best: tuple[int, str, int] | None = None  # (count, path, line after its last such extern)

    def consider(matches) -> None:
        nonlocal best
        for file_path, source in ls.sources.items():
            mine = [d for d in source.externs if matches(file_path, d)]
            if not mine:
                continue
            count = len(mine) + (1 if file_path == path else 0)  # a tie stays in the current file
            if best is None or count > best[0]:
                best = (count, file_path, max(d.span.end_line for d in mine) + 1)

    if library is not None:
        consider(lambda file_path, d: _library_of(ls.resolution_for(file_path, d.name)) == library)
    for prefix in _prefixes(name):
        if best is not None:
            break
        consider(lambda file_path, d, p=prefix: d.name.startswith(p))
    if best is not None:
        return best[1], best[2]
    source = ls.sources.get(path)
    return path, max((d.span.end_line + 1 for d in source.externs), default=0) if source else 0


def setup(ls: "SffiLanguageServer") -> None:
    options = lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])

    @ls.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, options)
    async def code_actions(ls: "SffiLanguageServer", params: lsp.CodeActionParams):
        path = ls.path_of(params.text_document.uri)
        await ls.analysed(path)
        if params.context.only and not any(k.startswith("quickfix") for k in params.context.only):
            return None
        actions: list[lsp.CodeAction] = []
        for finding in ls.findings.get(path, []):
            if not _overlaps(ls, finding, params.range):
                continue
            diagnostic = to_diagnostic(ls, finding)
            for fix in finding.fixes:
                changes: dict[str, list[lsp.TextEdit]] = {}
                for edit in fix.edits:
                    changes.setdefault(ls.uri_of(edit.path), []).append(
                        lsp.TextEdit(range=ls.range_of(edit.path, edit.span), new_text=edit.new_text)
                    )
                actions.append(
                    lsp.CodeAction(
                        title=fix.title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=fix.preferred or None,
                        edit=lsp.WorkspaceEdit(changes=changes),
                    )
                )
            # A `# sffi: ignore` comment counts in a Simple source only: in sffi.toml or a
            # manifest it would be an edit that suppresses nothing.
            edit = suppression_edit(ls, finding) if path in ls.sources else None
            if edit is not None:
                actions.append(
                    lsp.CodeAction(
                        title=f"Suppress {finding.code} ({finding.name}) on this line",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=lsp.WorkspaceEdit(changes={ls.uri_of(path): [edit]}),
                    )
                )
        actions += await missing_declaration_actions(ls, path, params.range)
        return actions
