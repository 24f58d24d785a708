"""Read a Simple plugin manifest (SDN) into `Manifest`, with line numbers.

The manifest is how a Simple runtime learns which plugin library serves which
extern (`$SIMPLE_PLUGIN_MANIFEST`, default `~/.simple/plugins/manifest.sdn`):

    plugins:
        -
            name: demo
            library: /opt/demo/libspl_demo.so
            version: "0.1.0"
            functions: [rt_demo_open, rt_demo_close]

Parsing uses the Lark grammar `grammar/sdn.lark` (block-style texts are read by
`sdn_blocks` without it, to the same values). Any malformed input raises
`SdnError` with a 1-based line and column, never another exception.
Positions stored in the model are 0-based, like `sffi_lsp.model`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from .sdn_blocks import _KEYWORDS, SdnError, SdnValue, _unquote, parse_sdn_block_subset

MAX_MANIFEST_BYTES = 8 * 1024 * 1024  # a manifest is a few KB; refuse to chew on anything absurd


@dataclass(frozen=True, slots=True)
class ManifestFunction:
    name: str
    line: int  # 0-based
    column: int


@dataclass(frozen=True, slots=True)
class Plugin:
    name: str
    library: str  # as written
    library_path: str  # `~`/$VAR expanded, relative paths against the manifest's directory
    version: str | None
    functions: tuple[ManifestFunction, ...]
    classes: tuple[str, ...] = ()
    line: int = 0  # 0-based line of the plugin entry
    column: int = 0
    library_line: int = 0
    manifest: str | None = None  # the manifest file

    @property
    def function_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.functions)


@dataclass(frozen=True, slots=True)
class ManifestProblem:
    """A well-formed SDN entry the runtime could not use (e.g. a plugin without `library`)."""

    message: str
    line: int  # 0-based
    column: int = 0


@dataclass(frozen=True, slots=True)
class Manifest:
    path: str | None
    plugins: tuple[Plugin, ...] = ()
    problems: tuple[ManifestProblem, ...] = field(default=())

    def plugins_for(self, function: str) -> list[Plugin]:
        return [p for p in self.plugins if function in p.function_names]


# --------------------------------------------------------------------------- parsing

class _SdnIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LSQB", "LBRACE"]
    CLOSE_PAREN_types = ["RSQB", "RBRACE"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8


def _grammar_path() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / "sdn.lark", here.parent / "grammar" / "sdn.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/sdn.lark is missing from the installation")


def write_seed() -> str | None:
    """Save the analysed grammar next to this module (install time; see grammar_cache)."""
    from .grammar_cache import write_seed as write  # noqa: PLC0415

    return write("sdn", _grammar_path().read_text(encoding="utf-8"), _LARK_OPTIONS,
                 os.path.dirname(os.path.abspath(__file__)), postlex=_SdnIndenter())


_LARK_OPTIONS: dict[str, Any] = dict(parser="lalr", lexer="contextual", maybe_placeholders=False)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    text = _grammar_path().read_text(encoding="utf-8")
    options = _LARK_OPTIONS
    from .grammar_cache import cache_file, load_seed  # noqa: PLC0415

    # building the LALR tables costs ~0.15 s, on the server's path to its first diagnostic
    cache = cache_file("sdn", text)
    if cache is None or not os.path.exists(cache):
        seeded = load_seed("sdn", text, options, os.path.dirname(os.path.abspath(__file__)), postlex=_SdnIndenter())
        if seeded is not None:
            return seeded
    if cache is not None:
        try:
            return Lark(text, cache=cache, postlex=_SdnIndenter(), **options)
        except Exception:  # noqa: BLE001 - unreadable/corrupt cache, read-only dir: build without it
            pass
    return Lark(text, postlex=_SdnIndenter(), **options)


def _at(tok: Token, value: Any, text: str | None = None) -> SdnValue:
    return SdnValue(value, (tok.line or 1) - 1, (tok.column or 1) - 1, text)


class _ToValues(Transformer):
    """Parse tree -> SdnValue tree. Duplicate keys are an error (the runtime would keep one silently)."""

    def string(self, items: list[Token]) -> SdnValue:
        return _at(items[0], _unquote(str(items[0])), str(items[0]))

    def number(self, items: list[Token]) -> SdnValue:
        text = str(items[0])
        clean = text.replace("_", "")
        value: int | float = float(clean) if any(c in clean for c in ".eE") else int(clean)
        return _at(items[0], value, text)

    def bare(self, items: list[Token]) -> SdnValue:
        text = str(items[0])
        return _at(items[0], _KEYWORDS.get(text, text), text)

    @v_args(meta=True)
    def array(self, meta: Any, items: list[SdnValue]) -> SdnValue:
        line = getattr(meta, "line", 1) - 1 if not meta.empty else (items[0].line if items else 0)
        column = getattr(meta, "column", 1) - 1 if not meta.empty else 0
        return SdnValue(list(items), line, column)

    @v_args(meta=True)
    def dict(self, meta: Any, items: list[tuple[Token, SdnValue]]) -> SdnValue:
        line = getattr(meta, "line", 1) - 1 if not meta.empty else 0
        column = getattr(meta, "column", 1) - 1 if not meta.empty else 0
        return SdnValue(self._merge(items), line, column)

    def ipair(self, items: list[Any]) -> tuple[Token, SdnValue]:
        return (items[0], items[1])

    def pair_value(self, items: list[Any]) -> tuple[Token, SdnValue]:
        return (items[0], items[1])

    def pair_block(self, items: list[Any]) -> tuple[Token, SdnValue]:
        return (items[0], items[1])

    def table(self, items: list[Any]) -> tuple[Token, SdnValue]:
        key = items[0]
        fields = [str(t) for t in items[1:] if isinstance(t, Token) and t.type == "FIELD"]
        rows = [r for r in items[1:] if isinstance(r, list)]
        records = []
        for row in rows:
            if len(row) != len(fields):
                raise _ShapeError(f"table `{key}` row has {len(row)} values for {len(fields)} fields",
                                  row[0].line if row else key.line - 1, row[0].column if row else 0)
            records.append(SdnValue({f: v for f, v in zip(fields, row)}, row[0].line, row[0].column))
        return (key, SdnValue(records, key.line - 1, key.column - 1))

    def row(self, items: list[SdnValue]) -> list[SdnValue]:
        return list(items)

    def item_value(self, items: list[Any]) -> SdnValue:
        return items[-1]

    def item_block(self, items: list[Any]) -> SdnValue:
        dash: Token = items[0]
        inner: SdnValue = items[-1]
        return SdnValue(inner.value, dash.line - 1, dash.column - 1)

    def item_compact(self, items: list[Any]) -> SdnValue:
        dash: Token = items[0]
        pairs = [items[1]]
        if len(items) > 2:
            rest: SdnValue = items[2]
            if not isinstance(rest.value, dict):
                raise _ShapeError("a `- key: value` item continues with more `key: value` lines only",
                                  rest.line, rest.column)
            pairs.extend((_KeyAt(k, v), v) for k, v in rest.value.items())
        return SdnValue(self._merge(pairs), dash.line - 1, dash.column - 1)

    def block(self, items: list[Any]) -> SdnValue:
        # a (key, value) pair is a plain tuple; SdnValue is a named tuple
        pairs = [i for i in items if _is_pair(i)]
        values = [i for i in items if isinstance(i, SdnValue)]
        if pairs and values:
            first_is_pair = _is_pair(items[0])
            odd = next(i for i in items if _is_pair(i) != first_is_pair)
            line, column = (_line(odd[0]), _column(odd[0])) if _is_pair(odd) else (odd.line, odd.column)
            raise _ShapeError("a block mixes `key: value` lines and list items", line, column)
        if pairs:
            k = pairs[0][0]
            return SdnValue(self._merge(pairs), _line(k), _column(k))
        return SdnValue(values, values[0].line, values[0].column)

    def start(self, items: list[Any]) -> SdnValue:
        return SdnValue(self._merge(items), 0, 0)

    @staticmethod
    def _merge(pairs: list[tuple[Any, SdnValue]]) -> dict[str, SdnValue]:
        out: dict[str, SdnValue] = {}
        for key, value in pairs:
            name = str(key)
            if name in out:
                raise _ShapeError(f"duplicate key `{name}`", _line(key), _column(key))
            out[name] = value
        return out


def _is_pair(item: Any) -> bool:
    return isinstance(item, tuple) and not isinstance(item, SdnValue)


class _KeyAt(str):
    """A key re-used from a block whose position is its value's."""

    def __new__(cls, name: str, value: SdnValue) -> "_KeyAt":
        obj = super().__new__(cls, name)
        obj.line = value.line + 1  # type: ignore[attr-defined]  (Token-like, 1-based)
        obj.column = value.column + 1  # type: ignore[attr-defined]
        return obj


def _line(key: Any) -> int:
    return (getattr(key, "line", 1) or 1) - 1


def _column(key: Any) -> int:
    return (getattr(key, "column", 1) or 1) - 1


class _ShapeError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        ch = exc.char if exc.char not in ("\n", "\r") else "end of line"
        return f"unexpected {ch!r}" if ch != "end of line" else "unexpected end of line"
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return "unexpected end of file"
        shown = {"_NL": "end of line", "_INDENT": "indented line", "_DEDENT": "end of indented block"}.get(
            tok.type, repr(str(tok)))
        expected = sorted(_nice(e) for e in exc.expected if not e.startswith("__"))[:6]
        tail = f" (expected {', '.join(expected)})" if expected else ""
        return f"unexpected {shown}{tail}"
    if isinstance(exc, UnexpectedEOF):
        return "unexpected end of file"
    return str(exc).splitlines()[0]


def _nice(terminal: str) -> str:
    return {
        "KEY": "a key", "COLON": "':'", "EQUAL": "'='", "VBAR": "'|'", "COMMA": "','", "LSQB": "'['",
        "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "_NL": "end of line", "_INDENT": "an indented block",
        "_DEDENT": "end of block", "STRING": "a string", "NUMBER": "a number", "BARE": "a value", "DASH": "'-'",
        "FIELD": "a field name",
    }.get(terminal, terminal)


def parse_sdn(text: str, path: str | None = None) -> SdnValue:
    """Parse SDN text into a value tree (the document is a dict)."""
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise SdnError("NUL byte in text", line, 1, path)
    if not text.endswith("\n"):
        text += "\n"
    fast = parse_sdn_block_subset(text)
    if fast is not None:
        return fast
    try:
        tree = _parser().parse(text)
        return _ToValues().transform(tree)
    except UnexpectedInput as exc:
        unclosed = _unclosed_bracket(text)
        at_end = isinstance(exc, UnexpectedEOF) or (
            isinstance(exc, UnexpectedToken) and exc.token.type in ("$END", "_DEDENT"))
        if unclosed and at_end:
            raise SdnError(f"'{unclosed[2]}' opened here is never closed", unclosed[0], unclosed[1], path) from None
        raise SdnError(_describe(exc), exc.line if exc.line > 0 else 0, exc.column if exc.column > 0 else 0,
                       path) from None
    except DedentError as exc:
        line, column = _dedent_position(text)
        raise SdnError(f"inconsistent indentation: {exc}", line, column, path) from None
    except _ShapeError as exc:
        raise SdnError(exc.message, exc.line + 1, exc.column + 1, path) from None
    except Exception as exc:  # noqa: BLE001  (visit errors wrap _ShapeError; Lark asserts on stray ']')
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, _ShapeError):
            raise SdnError(inner.message, inner.line + 1, inner.column + 1, path) from None
        if isinstance(exc, RecursionError) or isinstance(inner, RecursionError):
            raise SdnError("nesting too deep", 0, 0, path) from None
        if isinstance(exc, (LarkError, AssertionError)):
            line, column = _bracket_position(text)
            raise SdnError("unbalanced brackets" if line else f"malformed SDN ({type(exc).__name__})",
                           line, column, path) from None
        raise SdnError(f"malformed SDN ({type(exc).__name__}: {exc})", 0, 0, path) from None


def _dedent_position(text: str) -> tuple[int, int]:
    """The first line whose indentation matches no enclosing level (1-based)."""
    levels = [0]
    depth = 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or depth > 0:
            depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        if indent > levels[-1]:
            levels.append(indent)
        else:
            while indent < levels[-1]:
                levels.pop()
            if indent != levels[-1]:
                return (n, indent + 1)
        depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
    return (0, 0)


def _unclosed_bracket(text: str) -> tuple[int, int, str] | None:
    """The innermost bracket still open at the end (1-based line, column, char)."""
    stack: list[tuple[int, int, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        in_string = False
        for c, ch in enumerate(line, 1):
            if ch == '"':
                in_string = not in_string
            elif in_string:
                continue
            elif ch == "#":
                break
            elif ch in "[{":
                stack.append((n, c, ch))
            elif ch in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _bracket_position(text: str) -> tuple[int, int]:
    depth = 0
    for n, line in enumerate(text.splitlines(), 1):
        for c, ch in enumerate(line, 1):
            if ch == "#":
                break
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth < 0:
                    return (n, c)
    return (0, 0)


# --------------------------------------------------------------------------- the manifest

def _expand_path(raw: str, base_dir: str) -> str:
    value = os.path.expandvars(os.path.expanduser(raw))
    if not os.path.isabs(value):
        value = os.path.join(base_dir, value)
    return os.path.normpath(value)


def _plugin_entries(doc: SdnValue) -> Iterator[tuple[str | None, SdnValue]]:
    """(name from a dict key or None, entry) for each plugin, whatever form `plugins` takes."""
    plugins = doc.value.get("plugins") if isinstance(doc.value, dict) else None
    if plugins is None:
        return
    if isinstance(plugins.value, list):
        for entry in plugins.value:
            yield (None, entry)
    elif isinstance(plugins.value, dict):  # plugins: { demo: {library: ...} }
        for name, entry in plugins.value.items():
            yield (name, entry)


def manifest_from_text(text: str, path: str | None = None) -> Manifest:
    """The manifest in `text` (`path` names it and anchors relative library paths)."""
    doc = parse_sdn(text, path)
    base_dir = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    plugins: list[Plugin] = []
    problems: list[ManifestProblem] = []
    if isinstance(doc.value, dict) and "plugins" in doc.value:
        pv = doc.value["plugins"]
        if not isinstance(pv.value, (list, dict)) and pv.value is not None:
            problems.append(ManifestProblem("`plugins` must be a list of plugin entries", pv.line, pv.column))
    for key_name, entry in _plugin_entries(doc):
        if not isinstance(entry.value, dict):
            problems.append(ManifestProblem("a plugin entry must be a block of `key: value` lines",
                                            entry.line, entry.column))
            continue
        fields = entry.value
        name_v = fields.get("name")
        name = key_name or (str(name_v.value) if name_v is not None and name_v.value is not None else None)
        lib_v = fields.get("library")
        if lib_v is None or not isinstance(lib_v.value, str) or not lib_v.value.strip():
            problems.append(ManifestProblem(f"plugin {name or '(unnamed)'!s} has no `library`",
                                            entry.line, entry.column))
            continue
        if name is None:
            problems.append(ManifestProblem("plugin entry has no `name`", entry.line, entry.column))
            name = os.path.basename(lib_v.value)
        version_v = fields.get("version")
        version = None
        if version_v is not None and version_v.value is not None:
            version = version_v.text if version_v.text and not version_v.text.startswith(("\"", "'")) \
                else str(version_v.value)
        functions = _names(fields.get("functions"), "functions", name, problems)
        classes = tuple(f.name for f in _names(fields.get("classes"), "classes", name, problems))
        plugins.append(Plugin(
            name=name,
            library=lib_v.value,
            library_path=_expand_path(lib_v.value, base_dir),
            version=version,
            functions=tuple(functions),
            classes=classes,
            line=entry.line,
            column=entry.column,
            library_line=lib_v.line,
            manifest=path,
        ))
    return Manifest(path=path, plugins=tuple(plugins), problems=tuple(problems))


def _names(v: SdnValue | None, what: str, plugin: str, problems: list[ManifestProblem]) -> list[ManifestFunction]:
    if v is None or v.value is None:
        return []
    items = v.value if isinstance(v.value, list) else [v]
    out: list[ManifestFunction] = []
    for item in items:
        if isinstance(item.value, str):
            # A lone bare string may list several names separated by spaces or commas.
            for m in re.finditer(r"[^\s,]+", item.value):
                out.append(ManifestFunction(m.group(0), item.line, item.column + m.start()))
        elif isinstance(item.value, dict) and isinstance(item.value.get("name"), SdnValue):
            n = item.value["name"]
            out.append(ManifestFunction(str(n.value), n.line, n.column))
        else:
            problems.append(ManifestProblem(f"plugin {plugin}: `{what}` entries must be names", item.line,
                                            item.column))
    return out


def read_manifest(path: str) -> Manifest:
    """Read and parse a manifest file; unreadable or malformed -> SdnError."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SdnError(f"cannot read manifest: {exc.strerror or exc}", path=path) from None
    import stat as _stat  # noqa: PLC0415

    if not _stat.S_ISREG(st.st_mode):  # a FIFO would block open() forever
        raise SdnError("manifest is not a regular file", path=path)
    if st.st_size > MAX_MANIFEST_BYTES:
        raise SdnError(f"manifest is too large ({st.st_size} bytes)", path=path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise SdnError(f"cannot read manifest: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SdnError(f"not UTF-8 ({exc.reason})", line, 1, path) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return manifest_from_text(text, path)


__all__ = [
    "Manifest",
    "ManifestFunction",
    "ManifestProblem",
    "Plugin",
    "SdnError",
    "SdnValue",
    "manifest_from_text",
    "parse_sdn",
    "read_manifest",
]
