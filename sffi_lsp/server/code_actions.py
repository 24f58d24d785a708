"""Quick fixes: the checker's own fixes (replace an unresolved name, fix a
signature, add a missing declaration) plus a suppression comment."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..check.types import Finding
from . import completion, hover
from .diagnostics import to_diagnostic

if TYPE_CHECKING:
    from .server import SffiLanguageServer

SUPPRESSION = re.compile(r"#\s*sffi:\s*ignore\[([^\]]*)\]")


def _overlaps(ls: "SffiLanguageServer", finding: Finding, rng: lsp.Range) -> bool:
    frange = ls.range_of(finding.path, finding.span)
    start = (frange.start.line, frange.start.character)
    end = (frange.end.line, frange.end.character)
    return start <= (rng.end.line, rng.end.character) and (rng.start.line, rng.start.character) <= end


def suppression_edit(ls: "SffiLanguageServer", finding: Finding) -> lsp.TextEdit | None:
    text = ls.document_text(finding.path)
    if text is None:
        return None
    lines = text.split("\n")
    line_no = finding.span.start_line
    if line_no >= len(lines):
        return None
    line = lines[line_no].rstrip("\r")
    index = ls.line_index(finding.path)
    existing = SUPPRESSION.search(line)
    if existing:
        codes = [c.strip() for c in existing.group(1).split(",") if c.strip()]
        if finding.code in codes:
            return None
        new = f"# sffi: ignore[{', '.join(codes + [finding.code])}]"
        start, end = existing.span()
    else:
        new = f"  # sffi: ignore[{finding.code}]"
        start = end = len(line)
    return lsp.TextEdit(
        range=lsp.Range(
            start=index.to_client(line_no, start, ls.encoding), end=index.to_client(line_no, end, ls.encoding)
        ),
        new_text=new,
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
        crange = ls.range_of(path, call.span)
        if (crange.end.line, crange.end.character) < (rng.start.line, rng.start.character) or (
            rng.end.line,
            rng.end.character,
        ) < (crange.start.line, crange.start.character):
            continue
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
        line = max((d.span.end_line + 1 for d in source.externs), default=0)
        at = ls.line_index(path).to_client(line, 0, ls.encoding)
        actions.append(
            lsp.CodeAction(
                title=f"Declare `extern fn {text}`",
                kind=lsp.CodeActionKind.QuickFix,
                edit=lsp.WorkspaceEdit(
                    changes={ls.uri_of(path): [lsp.TextEdit(range=lsp.Range(start=at, end=at), new_text=f"extern fn {text}\n")]}
                ),
            )
        )
    return actions


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
            edit = suppression_edit(ls, finding)
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
