"""Findings as LSP diagnostics: pulled by clients that can pull
(textDocument/diagnostic, workspace/diagnostic, with result ids), pushed to the
others — never both."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..check.limits import cap_per_file
from ..check.types import Finding, Severity
from ..model import Span
from . import backend

if TYPE_CHECKING:
    from .server import SffiLanguageServer

log = logging.getLogger(__name__)

SOURCE = "sffi"
SEVERITIES = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}
_ORIGIN = Span(0, 0, 0, 0, 0, 0)
_UNNECESSARY = [lsp.DiagnosticTag.Unnecessary]


@functools.lru_cache(maxsize=512)
def _code_description(code: str, base: str | None) -> lsp.CodeDescription:
    return lsp.CodeDescription(href=backend.rule_doc_url(code, base))


def to_diagnostic(ls: "SffiLanguageServer", finding: Finding) -> lsp.Diagnostic:
    related = [
        lsp.DiagnosticRelatedInformation(
            location=ls.location_of(r.path, r.span or _ORIGIN), message=r.message
        )
        for r in finding.related
    ]
    return lsp.Diagnostic(
        range=ls.range_of(finding.path, finding.span),
        severity=SEVERITIES.get(finding.severity, lsp.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=_code_description(finding.code, ls.docs_base_url),
        source=SOURCE,
        message=finding.message,
        related_information=related or None,
        # Dead code greyed out; a binding file's API not called yet (a hint) is not dead.
        tags=_UNNECESSARY if finding.code == "SFFI012" and finding.severity is not Severity.HINT else None,
        data={"name": finding.name, "symbol": finding.symbol},
    )


def diagnostics_for(ls: "SffiLanguageServer", path: str) -> list[lsp.Diagnostic]:
    """The file's findings as LSP diagnostics, reusing the conversion of each
    finding that is unchanged since the last answer (a keystroke re-checks the
    file, but most findings come back equal): with hundreds of findings the
    conversion cost more than the check of the keystroke.

    At most `max-findings-per-file` of them (the most severe first), then one note
    saying how many more: tens of thousands at once freeze an editor."""
    findings, left_out = cap_per_file(ls.findings.get(path, []), ls.config.max_findings_per_file)
    context = (ls.encoding, ls.docs_base_url)
    held = ls.converted.get(path)
    previous = held[1] if held is not None and held[0] == context else {}
    index = ls.line_index(path)
    fresh: dict[tuple, lsp.Diagnostic] = {}
    out = []
    for finding in findings:
        key = _cache_key(finding, path, index)
        diagnostic = previous.get(key) if key is not None else None
        if diagnostic is None:
            diagnostic = to_diagnostic(ls, finding)
        if key is not None:
            fresh[key] = diagnostic
        out.append(diagnostic)
    ls.converted[path] = (context, fresh)
    if left_out.get(path):
        out.insert(0, _left_out_note(left_out[path], ls.config.max_findings_per_file))
    config_problem = ls.config_diagnostics.get(path)
    return config_problem + out if config_problem else out


def _left_out_note(count: int, limit: int) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
        severity=lsp.DiagnosticSeverity.Information,
        source=SOURCE,
        message=f"{count:,} more findings in this file are not shown (at most {limit:,} a file, "
        "the most severe first: setting `max-findings-per-file`)",
    )


def _cache_key(finding: Finding, path: str, index) -> tuple | None:
    """What a finding's diagnostic depends on: the finding itself and the text of
    its lines when they are not ASCII (client columns depend on it). Findings
    pointing into other files are converted afresh (their lines may have changed)."""
    if any(r.path != path for r in finding.related):
        return None
    lines = {finding.span.start_line, finding.span.end_line}
    for r in finding.related:
        if r.span is not None:
            lines.update((r.span.start_line, r.span.end_line))
    try:
        return (finding, tuple(index.line_text(line) for line in sorted(lines)))
    except TypeError:  # an unhashable field: no reuse
        return None


def diagnostics_changed(
    ls: "SffiLanguageServer", paths: list[str], edited: set[str], providers_changed: bool
) -> None:
    """New findings for `paths`: push them, or ask a pulling client to re-pull
    (it re-pulls an edited document by itself; other files need the refresh)."""
    if not ls.pull_diagnostics:
        for path in sorted(paths):
            version = None
            if path in ls.open_paths:
                try:
                    version = ls.workspace.get_text_document(ls.uri_of(path)).version
                except Exception:  # noqa: BLE001
                    version = None
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=ls.uri_of(path), diagnostics=diagnostics_for(ls, path), version=version)
            )
    elif ls.can_refresh_diagnostics and ls.pull_answered and (providers_changed or any(p not in edited for p in paths)):
        # Only once the client holds an answer: a refresh while its first pull is pending
        # makes VS Code cancel that pull and ask again seconds later.
        ls.pull_answered = False
        ls.workspace_diagnostic_refresh(None)
    if ls.can_refresh_inlay_hints and (providers_changed or any(p not in edited for p in paths)):
        ls.workspace_inlay_hint_refresh(None)


STARTUP_WAIT_S = 60.0  # a pull waits this long at most for start-up (config, index, first check)


async def _wait_started(ls: "SffiLanguageServer") -> None:
    """The first pulls wait for start-up: answered complete, they need no refresh."""
    if not ls.started.is_set():
        try:
            await asyncio.wait_for(ls.started.wait(), timeout=STARTUP_WAIT_S)
        except asyncio.TimeoutError:
            log.warning("start-up still running after %.0f s: answering with what is known", STARTUP_WAIT_S)


def setup(ls: "SffiLanguageServer") -> None:
    options = lsp.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=True)

    @ls.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def document_diagnostic(ls: "SffiLanguageServer", params: lsp.DocumentDiagnosticParams):
        path = ls.path_of(params.text_document.uri)
        # Start-up: an open document's check alone answers first; the full check
        # after the index replaces it (a refresh tells the client).
        if not await ls.first_answer(path, STARTUP_WAIT_S):
            await _wait_started(ls)
            await ls.analysed(path)
        ls.pull_answered = True
        result_id = ls.result_ids.get(path, "0")
        if params.previous_result_id is not None and params.previous_result_id == result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return lsp.RelatedFullDocumentDiagnosticReport(items=diagnostics_for(ls, path), result_id=result_id)

    @ls.feature(lsp.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(ls: "SffiLanguageServer", params: lsp.WorkspaceDiagnosticParams):
        await _wait_started(ls)
        await ls.analysed()
        ls.pull_answered = True
        previous = {p.uri: p.value for p in params.previous_result_ids or []}
        items: list = []
        paths = set(ls.findings) | set(ls.config_diagnostics) | {ls.path_of(uri) for uri in previous}
        for path in sorted(paths):
            uri = ls.uri_of(path)
            result_id = ls.result_ids.get(path, "0")
            version = None
            if path in ls.open_paths:
                try:
                    version = ls.workspace.get_text_document(uri).version
                except Exception:  # noqa: BLE001
                    version = None
            if previous.get(uri) == result_id:
                items.append(lsp.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result_id))
            else:
                items.append(
                    lsp.WorkspaceFullDocumentDiagnosticReport(
                        uri=uri, version=version, items=diagnostics_for(ls, path), result_id=result_id
                    )
                )
        return lsp.WorkspaceDiagnosticReport(items=items)
