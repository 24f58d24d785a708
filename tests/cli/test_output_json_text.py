"""`--output-format json` is written without `json.dumps` per entry: it must stay exactly
the text `json.dumps(entry, ensure_ascii=False)` gives for each extern and diagnostic."""

from __future__ import annotations

import json

from sffi_lsp.check.types import Finding, ProviderKind, ProviderRef, Resolution, ResolutionStatus, Severity
from sffi_lsp.model import ExternDecl, Param, Span, TypeKind, TypeRef
from sffi_lsp.output import DisplayPaths, Report, render
from sffi_lsp.output.json_format import JSON_VERSION, diagnostic_entry, extern_entry

TRICKY = ["plain", "quote\"back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f", "ünïcødé ✓ 𝄞", "\ud800 lone surrogate",
          "</script>", ""]


def _span(n: int) -> Span:
    return Span(n, n + 3, n, n % 7, n + (n % 2), n % 11)


def _reference(report: Report) -> str:
    """The layout `render` promises, built with json.dumps."""
    def entries(items: list) -> str:
        if not items:
            return "[]"
        return "[\n    " + ",\n    ".join(json.dumps(e, ensure_ascii=False) for e in items) + "\n  ]"

    ext = [extern_entry(report, d) for d in report.externs]
    diag = [diagnostic_entry(report, f) for f in report.findings]
    return f'{{\n  "version": {JSON_VERSION},\n  "externs": {entries(ext)},\n  "diagnostics": {entries(diag)}\n}}\n'


def _report(tmp_path) -> Report:
    externs, findings, resolutions = [], [], {}
    for i, text in enumerate(TRICKY):
        path = str(tmp_path / f"f{i % 3}{'ü' if i % 2 else ''}.spl")
        params = (
            Param(f"p{text}", TypeRef(TypeKind.NAMED, f"i64{text}", "i64"), _span(i), _span(i)),
            Param("untyped", None, _span(i), _span(i)),
        )[: i % 3]
        returns = [None, TypeRef(TypeKind.UNIT, "()"), TypeRef(TypeKind.NAMED, f"text{text}", "text")][i % 3]
        decl = ExternDecl(f"rt_{i}{text}", _span(i), _span(i), params, returns, path=path)
        externs.append(decl)
        status = [ResolutionStatus.RESOLVED, ResolutionStatus.UNRESOLVED, ResolutionStatus.RESOLVED][i % 3]
        provider = [
            ProviderRef(ProviderKind.LIBRARY, library=f"/lib/{text}.so", version=text or None, via=(f"a{text}", "b")),
            None,
            ProviderRef(ProviderKind.BUILTIN, detail="x"),
        ][i % 3]
        if i != 4:  # one extern without any resolution
            resolutions[(path, decl.name)] = Resolution(decl.name, status, provider)
        findings.append(Finding(f"SFFI00{i % 3}", f"rule-{text}", list(Severity)[i % 4], path, _span(i * 5),
                                f"message {text} `{decl.name}`"))
    # Off-model values (a float position, a non-str message) take the exact slow path.
    findings.append(Finding("SFFI009", "odd", Severity.INFO, path, Span(0, 1, 2.0, 3, 4, float("inf")), "m"))
    findings.append(Finding("SFFI009", "odd", Severity.INFO, path, _span(1), None))  # type: ignore[arg-type]
    externs.append(ExternDecl("odd", Span(0, 1, 2.5, 0, 0, 0), _span(0), (), None, path=path))
    return Report(findings=findings, externs=externs, resolutions=resolutions, display=DisplayPaths(str(tmp_path)))


def test_json_text_equals_json_dumps_of_the_entries(tmp_path) -> None:
    report = _report(tmp_path)
    text = render(report, "json")
    assert text == _reference(report)
    doc = json.loads(text)
    assert len(doc["externs"]) == len(TRICKY) + 1 and len(doc["diagnostics"]) == len(TRICKY) + 2


def test_json_text_empty_report(tmp_path) -> None:
    report = Report(findings=[], display=DisplayPaths(str(tmp_path)))
    assert render(report, "json") == _reference(report) == '{\n  "version": 1,\n  "externs": [],\n  "diagnostics": []\n}\n'
