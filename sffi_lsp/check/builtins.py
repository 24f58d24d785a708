"""Read a runtime built-ins list: the externs a Simple runtime answers itself.

Format, one entry a line:

    # comments and blank lines are ignored
    rt_time_now_ms
    rt_file_exists(path: text) -> bool      # a signature is optional
    extern fn rt_env_get(key: text) -> text?   # `extern fn` / `fn` prefixes are accepted

A signature becomes an `ExternDecl` (parsed by the syntax layer when it is
available, else by the small reader below) so declarations can be checked
against it. A line that cannot be read is reported as a `ListProblem`, never
raised.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

from ..model import ExternDecl, Param, Span, TypeKind, TypeRef

MAX_LIST_BYTES = 64 * 1024 * 1024
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class BuiltinEntry:
    name: str
    path: str
    line: int  # 0-based
    signature: ExternDecl | None = None

    @property
    def origin(self) -> str:
        return f"{os.path.basename(self.path)}:{self.line + 1}"


@dataclass(frozen=True, slots=True)
class ListProblem:
    path: str
    line: int  # 0-based
    message: str


@dataclass(frozen=True, slots=True)
class BuiltinList:
    path: str
    entries: dict[str, BuiltinEntry] = field(default_factory=dict)  # first entry wins on duplicates
    problems: tuple[ListProblem, ...] = ()
    identity: tuple = ()  # (size, mtime_ns, inode) when read


def read_builtin_list(path: str) -> BuiltinList:
    """Read one list file; an unreadable file gives a list with one problem."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return BuiltinList(path, problems=(ListProblem(path, 0, "not a regular file"),))
        if st.st_size > MAX_LIST_BYTES:
            return BuiltinList(path, problems=(ListProblem(path, 0, f"too large ({st.st_size} bytes)"),))
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return BuiltinList(path, problems=(ListProblem(path, 0, f"cannot read: {exc.strerror or exc}"),))
    text = raw.decode("utf-8", "replace")
    lst = parse_builtin_list(text, path)
    return BuiltinList(lst.path, lst.entries, lst.problems, (st.st_size, st.st_mtime_ns, st.st_ino))


def parse_builtin_list(text: str, path: str = "<builtins>") -> BuiltinList:
    entries: dict[str, BuiltinEntry] = {}
    problems: list[ListProblem] = []
    for lineno, raw_line in enumerate(text.splitlines()):
        line = _strip_comment(raw_line).strip()
        if not line:
            continue
        line = re.sub(r"^(?:pub\s+)?(?:extern\s+)?fn\s+", "", line)
        m = _NAME_RE.match(line)
        if not m:
            problems.append(ListProblem(path, lineno, f"not a name or signature: {raw_line.strip()!r}"))
            continue
        name = m.group(0)
        rest = line[m.end():].strip()
        signature = None
        if rest:
            try:
                signature = parse_signature(line, lineno, path)
            except (ValueError, RecursionError) as exc:
                why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                problems.append(ListProblem(path, lineno, f"cannot read the signature of {name}: {why}"))
        if name in entries:
            first = entries[name]
            problems.append(ListProblem(path, lineno, f"{name} is listed again (first at line {first.line + 1})"))
            continue
        entries[name] = BuiltinEntry(name, path, lineno, signature)
    return BuiltinList(path, entries, tuple(problems))


def _strip_comment(line: str) -> str:
    # `#` starts a comment outside strings (default values could hold one).
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_string = not in_string
        elif ch == "#" and not in_string and not line.startswith("#[", i):
            return line[:i]
    return line


def parse_signature(text: str, line: int = 0, path: str = "") -> ExternDecl:
    """`name(params) -> ret` (without `extern fn`) as an ExternDecl placed on `line`."""
    decl = _parse_with_syntax_layer(text, line, path)
    if decl is not None:
        return decl
    return _SignatureReader(text, line, path).read()


def _parse_with_syntax_layer(text: str, line: int, path: str) -> ExternDecl | None:
    try:
        from ..syntax import parse_source  # type: ignore[attr-defined]  # noqa: PLC0415
    except ImportError:
        return None
    try:
        source = parse_source("extern fn " + text)
    except Exception:  # noqa: BLE001  (a syntax-layer failure falls back to the local reader)
        return None
    externs = getattr(source, "externs", None)
    if not externs or getattr(source, "problems", None):
        if getattr(source, "problems", None):
            raise ValueError(source.problems[0].message)
        return None
    decl: ExternDecl = externs[0]
    # Move spans onto the list file's line; the prefix "extern fn " is not in the file.
    shift = len("extern fn ")

    def move(span: Span) -> Span:
        return Span(max(span.start - shift, 0), max(span.end - shift, 0), line,
                    max(span.start_column - shift, 0), line + span.end_line - span.start_line,
                    max(span.end_column - shift, 0) if span.end_line == span.start_line else span.end_column)

    params = tuple(Param(p.name, _move_type(p.type, move), move(p.span), move(p.name_span), p.default_text)
                   for p in decl.params)
    return ExternDecl(name=decl.name, name_span=move(decl.name_span), span=move(decl.span), params=params,
                      returns=_move_type(decl.returns, move), generics=decl.generics, path=path)


def _move_type(t: TypeRef | None, move) -> TypeRef | None:  # noqa: ANN001
    if t is None:
        return None
    return TypeRef(t.kind, t.text, t.name, tuple(_move_type(a, move) for a in t.args),  # type: ignore[misc]
                   _move_type(t.returns, move), t.mutable, move(t.span) if t.span else None)


class _SignatureReader:
    """A small recursive-descent reader for one signature (the fallback path)."""

    _TOKEN = re.compile(r"\s*(->|[A-Za-z_][A-Za-z0-9_]*|[()\[\]{}<>,:?.*=]|\"(?:[^\"\\]|\\.)*\"|[^\s])")

    def __init__(self, text: str, line: int, path: str):
        self.text = text
        self.line = line
        self.path = path
        self.toks: list[tuple[str, int, int]] = []  # (token, start, end)
        pos = 0
        while pos < len(text):
            m = self._TOKEN.match(text, pos)
            if not m or not m.group(1):
                break
            self.toks.append((m.group(1), m.start(1), m.end(1)))
            pos = m.end()
        self.i = 0

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.line, start, self.line, end)

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> tuple[str, int, int]:
        if self.i >= len(self.toks):
            raise ValueError(f"expected {expected!r} at the end" if expected else "unexpected end")
        tok = self.toks[self.i]
        if expected is not None and tok[0] != expected:
            raise ValueError(f"expected {expected!r}, found {tok[0]!r}")
        self.i += 1
        return tok

    def read(self) -> ExternDecl:
        name, ns, ne = self.take()
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not a name")
        generics: list[str] = []
        if self.peek() == "<":
            self.take("<")
            while self.peek() != ">":
                generics.append(self.take()[0])
                if self.peek() == ",":
                    self.take(",")
            self.take(">")
        _, start, _ = self.take("(")
        params: list[Param] = []
        while self.peek() != ")":
            pname, ps, pe = self.take()
            if not _NAME_RE.fullmatch(pname):
                raise ValueError(f"expected a parameter name, found {pname!r}")
            ptype = None
            if self.peek() == ":":
                self.take(":")
                ptype = self.type()
            end = ptype.span.end if ptype and ptype.span else pe
            params.append(Param(pname, ptype, self.span(ps, end), self.span(ps, pe)))
            if self.peek() == ",":
                self.take(",")
            elif self.peek() != ")":
                raise ValueError(f"expected ',' or ')', found {self.peek()!r}")
        _, _, end = self.take(")")
        returns = None
        if self.peek() == "->":
            self.take("->")
            returns = self.type()
            end = returns.span.end if returns.span else end
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r} after the signature")
        return ExternDecl(name=name, name_span=self.span(ns, ne), span=self.span(0, end), params=tuple(params),
                          returns=returns, generics=tuple(generics), path=self.path)

    def type(self) -> TypeRef:
        t = self.base()
        while self.peek() == "?":
            _, _, e = self.take("?")
            start = t.span.start if t.span else e - 1
            t = self._ref(TypeKind.OPTIONAL, start, e, args=(t,))
        return t

    def _ref(self, kind: TypeKind, start: int, end: int, **kw) -> TypeRef:  # noqa: ANN003
        text = " ".join(self.text[start:end].split())
        text = re.sub(r"\s*([\[\](){}<>,?])\s*", r"\1", text).replace(",", ", ").replace(":", ": ")
        text = text.replace("->", " -> ").replace("  ", " ")
        if kind is TypeKind.POINTER:
            text = re.sub(r"^\*\s*", "*", text)
        return TypeRef(kind, text, span=self.span(start, end), **kw)

    def base(self) -> TypeRef:
        tok, s, e = self.take()
        if tok == "[":
            inner = self.type()
            _, _, e = self.take("]")
            return self._ref(TypeKind.ARRAY, s, e, args=(inner,))
        if tok == "(":
            members: list[TypeRef] = []
            while self.peek() != ")":
                members.append(self.type())
                if self.peek() == ",":
                    self.take(",")
            _, _, e = self.take(")")
            if not members:
                return self._ref(TypeKind.UNIT, s, e)
            return self._ref(TypeKind.TUPLE, s, e, args=tuple(members))
        if tok == "{":
            key = self.type()
            self.take(":")
            value = self.type()
            _, _, e = self.take("}")
            return self._ref(TypeKind.DICT, s, e, args=(key, value))
        if tok == "*":
            mutable = False
            if self.peek() in ("mut", "const"):
                mutable = self.take()[0] == "mut"
            inner = self.type()
            return self._ref(TypeKind.POINTER, s, inner.span.end if inner.span else e, args=(inner,), mutable=mutable)
        if tok == "fn":
            self.take("(")
            args: list[TypeRef] = []
            while self.peek() != ")":
                args.append(self.type())
                if self.peek() == ",":
                    self.take(",")
            _, _, e = self.take(")")
            ret = None
            if self.peek() == "->":
                self.take("->")
                ret = self.type()
                e = ret.span.end if ret.span else e
            return self._ref(TypeKind.FUNCTION, s, e, args=tuple(args), returns=ret)
        if not _NAME_RE.fullmatch(tok):
            raise ValueError(f"expected a type, found {tok!r}")
        if tok == "void":
            return self._ref(TypeKind.UNIT, s, e)
        name = tok
        while self.peek() == ".":
            self.take(".")
            part, _, e = self.take()
            name += "." + part
        args2: list[TypeRef] = []
        if self.peek() == "<":
            self.take("<")
            while self.peek() != ">":
                args2.append(self.type())
                if self.peek() == ",":
                    self.take(",")
            _, _, e = self.take(">")
        return self._ref(TypeKind.NAMED, s, e, name=name, args=tuple(args2))


__all__ = ["BuiltinEntry", "BuiltinList", "ListProblem", "parse_builtin_list", "parse_signature", "read_builtin_list"]
