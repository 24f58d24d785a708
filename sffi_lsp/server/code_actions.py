"""Quick fixes: the checker's own fixes (replace an unresolved name, fix a
signature, add a missing declaration) plus a suppression comment."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..check.types import Finding
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


def setup(ls: "SffiLanguageServer") -> None:
    options = lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])

    @ls.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, options)
    async def code_actions(ls: "SffiLanguageServer", params: lsp.CodeActionParams):
        await ls.analysed()
        path = ls.path_of(params.text_document.uri)
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
        return actions
