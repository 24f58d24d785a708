"""`json`: `{"version": 1, "externs": [...], "diagnostics": [...]}` (shape pinned by issue 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..check.types import ProviderKind
from ..model import TypeKind
from .report import Report

if TYPE_CHECKING:
    from ..check.types import Resolution
    from ..model import ExternDecl

JSON_VERSION = 1


def _provider(res: Resolution | None):
    if res is None or not res.resolved or res.provider is None:
        return None
    p = res.provider
    return {
        "kind": p.kind.value,
        "library": p.library,
        "version": p.version,
        "via": " -> ".join(p.via) if p.via else None,
        **({"member": p.member} if p.member else {}),
        **({"function": p.detail, "path": p.decl_path, "line": p.decl_line + 1}
           if p.kind is ProviderKind.SIMPLE and p.decl_path and p.decl_line is not None else {}),
    }


def extern_entry(report: Report, decl: ExternDecl) -> dict:
    res = report.resolutions.get((decl.path, decl.name))
    return {
        "name": decl.name,
        "path": report.display(decl.path),
        "line": decl.name_span.start_line + 1,
        "column": decl.name_span.start_column + 1,
        "params": [{"name": p.name, "type": p.type.text if p.type is not None else None} for p in decl.params],
        "returns": decl.returns.text if decl.returns is not None and decl.returns.kind is not TypeKind.UNIT else None,
        "resolved": bool(res is not None and res.resolved),
        "provider": _provider(res),
    }


def diagnostic_entry(report: Report, f) -> dict:
    s = f.span
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.value,
        "path": report.display(f.path),
        "line": s.start_line + 1,
        "column": s.start_column + 1,
        "end_line": s.end_line + 1,
        "end_column": s.end_column + 1,
        "message": f.message,
        "related": [related_entry(report, r) for r in f.related],
        "url": rule_url(f.code),
        "fix": _fix(report, f),
    }


def related_entry(report: Report, r) -> dict:
    """Another place the finding refers to: the declaration it conflicts with, the library
    that cannot be loaded, an extern that waits on it. Line and column are null when the
    note is about a whole file (a library)."""
    return {
        "path": report.display(r.path),
        "line": r.span.start_line + 1 if r.span is not None else None,
        "column": r.span.start_column + 1 if r.span is not None else None,
        "message": r.message,
    }


def rule_url(code: str) -> str:
    """The rule's page on the web (JSON and SARIF name the same page on every machine)."""
    from ..rule_docs import DOCS_WEB  # noqa: PLC0415

    return DOCS_WEB.format(code=code)


def _fix(report: Report, f) -> dict | None:
    """The fix `--unsafe-fixes` would make (`--fix` only when it is safe); None when there is
    none, or when a person must choose between several."""
    if not f.fixes:
        return None
    from ..check.fixes import chosen_fix, fix_entry  # noqa: PLC0415

    fix = chosen_fix(f, unsafe=True)
    return fix_entry(fix, report.display) if fix is not None else None


def document(report: Report) -> dict:
    return {
        "version": JSON_VERSION,
        "externs": [extern_entry(report, d) for d in report.externs],
        "diagnostics": [diagnostic_entry(report, f) for f in report.findings],
    }


def render(report: Report) -> str:
    """One entry a line: readable, and fast.

    The text is exactly `json.dumps(entry, ensure_ascii=False)` of `extern_entry` and
    `diagnostic_entry` per line, but written directly: thousands of findings each built as a
    dict and passed through `json.dumps` cost ~15 us apiece, most of a cold run's output time.
    Strings go through the json module's own C string encoder; a value of any other type than
    the model promises falls back to `json.dumps`."""
    return (
        f'{{\n  "version": {JSON_VERSION},\n  "externs": {_entries(_extern_lines(report))},\n'
        f'  "diagnostics": {_entries(_diagnostic_lines(report))}\n}}\n'
    )


def _entries(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n    " + ",\n    ".join(items) + "\n  ]"


try:
    from _json import encode_basestring as _encode_str  # what json.dumps(..., ensure_ascii=False) uses
except ImportError:  # pragma: no cover  (an interpreter without the C accelerator)
    from json.encoder import encode_basestring as _encode_str  # type: ignore[assignment]


def _value(v) -> str:
    """`json.dumps(v, ensure_ascii=False)` (strings and None without the json module)."""
    if v.__class__ is str:
        return _encode_str(v)
    if v is None:
        return "null"
    return _dumps(v)


def _dumps(v) -> str:
    import json  # noqa: PLC0415  (only for a value of an unexpected type)

    return json.dumps(v, ensure_ascii=False)


class _Strings(dict):
    """Encoded strings that repeat across entries (paths, codes, names), each encoded once."""

    def __missing__(self, key):
        value = self[key] = _value(key)
        return value


def _extern_lines(report: Report) -> list[str]:
    resolutions = report.resolutions
    display = report.display
    shown = _Strings()
    enc = _encode_str
    out = []
    for decl in report.externs:
        res = resolutions.get((decl.path, decl.name))
        ns = decl.name_span
        line, column = ns.start_line + 1, ns.start_column + 1
        name = decl.name
        if line.__class__ is not int or column.__class__ is not int or name.__class__ is not str:
            out.append(_dumps(extern_entry(report, decl)))  # not what the model promises: the slow, exact way
            continue
        params = ", ".join(
            f'{{"name": {_value(p.name)}, "type": {_value(p.type.text) if p.type is not None else "null"}}}'
            for p in decl.params
        )
        ret = decl.returns
        returns = _value(ret.text) if ret is not None and ret.kind is not TypeKind.UNIT else "null"
        resolved = res is not None and res.resolved
        provider = "null"
        if resolved and res.provider is not None:
            pr = res.provider
            via = _value(" -> ".join(pr.via)) if pr.via else "null"
            extra = f', "member": {_value(pr.member)}' if pr.member else ""
            if pr.kind is ProviderKind.SIMPLE and pr.decl_path and pr.decl_line is not None:
                extra += (f', "function": {_value(pr.detail)}, "path": {_value(pr.decl_path)}, '
                          f'"line": {pr.decl_line + 1}')
            provider = (f'{{"kind": {shown[pr.kind.value]}, "library": {_value(pr.library)}, '
                        f'"version": {_value(pr.version)}, "via": {via}{extra}}}')
        out.append(
            f'{{"name": {enc(name)}, "path": {shown[display(decl.path)]}, "line": {line}, "column": {column}, '
            f'"params": [{params}], "returns": {returns}, "resolved": {"true" if resolved else "false"}, '
            f'"provider": {provider}}}'
        )
    return out


def _diagnostic_lines(report: Report) -> list[str]:
    display = report.display
    shown = _Strings()
    urls = {}
    enc = _encode_str
    out = []
    append = out.append
    for f in report.findings:
        s = f.span
        a, b, c, d = s.start_line + 1, s.start_column + 1, s.end_line + 1, s.end_column + 1
        message = f.message
        if (a.__class__ is not int or b.__class__ is not int or c.__class__ is not int or d.__class__ is not int
                or message.__class__ is not str):
            append(_dumps(diagnostic_entry(report, f)))  # not what the model promises: the slow, exact way
            continue
        related = "[]"
        if f.related:
            related = "[" + ", ".join(_related_line(shown, display, r) for r in f.related) + "]"
        url = urls.get(f.code)
        if url is None:
            url = urls[f.code] = enc(rule_url(f.code))
        append(
            f'{{"code": {shown[f.code]}, "name": {shown[f.name]}, "severity": {shown[f.severity.value]}, '
            f'"path": {shown[display(f.path)]}, "line": {a}, "column": {b}, "end_line": {c}, '
            f'"end_column": {d}, "message": {enc(message)}, "related": {related}, "url": {url}, '
            f'"fix": {_dumps(_fix(report, f)) if f.fixes else "null"}}}'
        )
    return out


def _related_line(shown: _Strings, display, r) -> str:
    """`json.dumps(related_entry(...), ensure_ascii=False)`, written directly."""
    sp = r.span
    line, column = (sp.start_line + 1, sp.start_column + 1) if sp is not None else (None, None)
    if not (line is None or line.__class__ is int) or not (column is None or column.__class__ is int):
        return _dumps({"path": display(r.path), "line": line, "column": column, "message": r.message})
    return (f'{{"path": {shown[display(r.path)]}, "line": {"null" if line is None else line}, '
            f'"column": {"null" if column is None else column}, "message": {_value(r.message)}}}')
