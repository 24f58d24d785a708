"""`full`: each finding with its source line, a caret under the span, the provider
chain, related locations, suggestions and fixes. Colour only when asked (a TTY)."""

from __future__ import annotations

from .report import Report

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_SEV = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;34m", "hint": "\x1b[1;36m"}
_CYAN = "\x1b[36m"


def _paint(on: bool, style: str, text: str) -> str:
    return f"{style}{text}{_RESET}" if on else text


def _caret_line(source: str, start: int, end: int) -> str:
    # Keep tabs so the caret lines up with the source line as the terminal shows it.
    before = source[:start]
    lead = "".join("\t" if ch == "\t" else " " for ch in before) if "\t" in before else " " * len(before)
    return lead + "^" * max(end - start, 1)


# Findings about how an extern is used, not how it resolves: the search note is beside the point.
_NOT_ABOUT_RESOLUTION = frozenset({"SFFI009", "SFFI010", "SFFI011", "SFFI012", "SFFI017"})


def _says(message: str, name: str, note: str) -> bool:
    """True when the message already carries the resolution's note (as the rule words it)."""
    note = note.rstrip(".")
    return note in message or (note.startswith(name + " ") and note[len(name) + 1:] in message)


def render_one(report: Report, f) -> str:
    c = report.color
    s = f.span
    loc = f"{report.display(f.path)}:{s.start_line + 1}:{s.start_column + 1}"
    sev = f.severity.value
    out = [
        f"{_paint(c, _BOLD, loc)}: {_paint(c, _SEV.get(sev, ''), f'{f.code} [{sev}]')} {f.message}",
    ]
    source = report.sources.line(f.path, s.start_line)
    if source is not None:
        source = source.rstrip("\r\n")
        width = len(str(s.start_line + 1))
        gutter = " " * width
        end = s.end_column if s.end_line == s.start_line else len(source)
        end = min(max(end, s.start_column + 1), max(len(source), s.start_column + 1))
        out.append(_paint(c, _DIM, f"{gutter} |"))
        out.append(f"{_paint(c, _DIM, f'{s.start_line + 1} |')} {source}")
        caret = _caret_line(source, min(s.start_column, len(source)), end)
        out.append(f"{_paint(c, _DIM, f'{gutter} |')} {_paint(c, _SEV.get(sev, ''), caret)} {f.name}")
    shown_provider = False
    for r in f.related:
        where = report.display(r.path)
        if r.span is not None:
            where += f":{r.span.start_line + 1}:{r.span.start_column + 1}"
        if r.message.startswith("provider: "):
            shown_provider = True
            out.append(f"  = {_paint(c, _CYAN, 'provider')}: {r.message[len('provider: '):]}")
        else:
            out.append(f"  = {_paint(c, _CYAN, 'note')}: {where}: {r.message}")
    res = report.resolutions.get((f.path, f.symbol)) if f.symbol else None
    if res is not None and not shown_provider:
        if res.provider is not None:
            out.append(f"  = {_paint(c, _CYAN, 'provider')}: {res.provider.describe()}")
        elif (res.note and f.code not in _NOT_ABOUT_RESOLUTION and not f.related
              and not _says(f.message, res.name, res.note)):
            out.append(f"  = {_paint(c, _CYAN, 'searched')}: {res.note}")
    if f.suggestions:
        out.append(f"  = {_paint(c, _CYAN, 'help')}: did you mean " + " or ".join(f"`{x}`" for x in f.suggestions) + "?")
    for fix in f.fixes:
        out.append(f"  = {_paint(c, _CYAN, 'fix')}: {fix.title}")
    return "\n".join(out) + "\n"


def render(report: Report) -> str:
    parts = [render_one(report, f) for f in report.findings]
    return "\n".join(parts)
