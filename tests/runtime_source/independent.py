"""A second extractor, built differently (regular expressions over comment-free
text, no tree-sitter), for the "equal an independent extraction" target: the
test compares it with the tree-sitter reader on every sample. It knows only the
rustfmt layout our samples (and the real sources) use."""

from __future__ import annotations

import re
from pathlib import Path

_COMMENT = re.compile(r'//[^\n]*|/\*.*?\*/', re.S)
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)


def strip_comments(text: str) -> str:
    return _STRING_OR_COMMENT.sub(lambda m: m.group() if m.group().startswith('"') else " " * len(m.group()), text)


def drop_test_modules(text: str) -> str:
    """Blank `#[cfg(test)] mod name { ... }` (brace-matched, strings skipped)."""
    out = text
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == '"':
                i = text.index('"', i + 1) + 1 if '"' in text[i + 1:] else len(text)
                continue
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out = out[: m.start()] + " " * (i - m.start()) + out[i:]
    return out


def prepared(path: Path) -> str:
    return drop_test_modules(strip_comments(path.read_text(errors="replace")))


def cfg_before(text: str, pos: int) -> tuple[str, ...]:
    """`#[cfg(...)]` attributes on the lines right above `pos` (innermost last)."""
    lines = text[:pos].split("\n")[:-1]
    found = []
    while lines and lines[-1].strip().startswith("#["):
        m = re.match(r"\s*#\[cfg\((.*)\)\]\s*$", lines.pop())
        if m:
            found.append(m.group(1))
    return tuple(reversed(found))


def table_rows(path: Path) -> set[tuple[str, tuple[str, ...]]]:
    text = prepared(path)
    rows = set()
    for m in re.finditer(r'(?:insert_simple!|\bm\.insert)\(\s*"([^"]+)"', text):
        rows.add((m.group(1), cfg_before(text, text.rfind("\n", 0, m.start()) + 1)))
    return rows


def families(path: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    """prefix -> (excludes, delegate module or "" when matched inline)."""
    text = prepared(path)
    out = {}
    for m in re.finditer(r'if name\.starts_with\("([^"]+)"\)((?:\s*&&\s*!name\.starts_with\("[^"]+"\))*)[^{]*\{', text):
        excludes = tuple(re.findall(r'"([^"]+)"', m.group(2)))
        body = text[m.end(): text.index("\n    }", m.end())]
        call = re.search(r"return (\w+)::dispatch\(", body)
        out[m.group(1)] = (excludes, call.group(1) if call else "")
    return out


def match_arm_names(path: Path, function: str = "dispatch") -> set[str]:
    text = prepared(path)
    m = re.search(r"fn " + function + r"\b.*?\n\}", text, re.S)
    if not m:
        return set()
    names = set()
    for arm in re.finditer(r'^\s*((?:"[^"]+"\s*\|\s*)*"[^"]+")\s*=>', m.group(), re.M):
        names.update(re.findall(r'"([^"]+)"', arm.group(1)))
    for eq in re.finditer(r'name == "([^"]+)"', m.group()):
        names.add(eq.group(1))
    return names


def registry(path: Path) -> list[str]:
    text = prepared(path)
    names = []
    for m in re.finditer(r"pub const \w*RUNTIME_SYMBOL\w*: &\[&str\] = &\[(.*?)\];", text, re.S):
        names.extend(re.findall(r'"([^"]+)"', m.group(1)))
    return names


_DEF = re.compile(
    r'((?:^[ \t]*#\[[^\n]*\]\n)+)[ \t]*pub (?:unsafe )?extern "C" fn (\w+)\s*\(([^)]*)\)\s*(?:->\s*([^{\n]+?))?\s*\{',
    re.M,
)


def definitions(path: Path) -> set[tuple[str, tuple[tuple[str, str], ...], str, tuple[str, ...]]]:
    """(symbol, params, returns, cfg) of every `#[no_mangle]`/`#[export_name]` fn written out in the file."""
    text = prepared(path)
    out = set()
    for m in _DEF.finditer(text):
        attrs = m.group(1)
        export = re.search(r'#\[export_name = "([^"]+)"\]', attrs)
        if not export and "#[no_mangle]" not in attrs:
            continue
        params = []
        for part in [p.strip() for p in m.group(3).split(",") if p.strip()]:
            name, _, ptype = part.partition(":")
            params.append((name.strip(), " ".join(ptype.split())))
        cfg = tuple(re.findall(r"#\[cfg\((.*)\)\]", attrs))
        out.add((export.group(1) if export else m.group(2), tuple(params), (m.group(4) or "").strip(), cfg))
    return out
