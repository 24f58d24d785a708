"""Parse one extern declaration's text into a signature (Lark, with a fast path).

The scanner hands over the *masked* text of one declaration (comments blanked,
string contents blanked). `parse_signature(text)` returns a `Signature` whose
positions are relative to the start of that text, or raises `DeclError`.

Two readers produce identical results:
- a strict regex fast path for the plain one-line shape that most real externs
  have (`extern fn rt_x(a: i64, b: [text]) -> (text, i64)`), because Lark's
  LALR parser costs about 0.3 ms per declaration in pure Python;
- the Lark grammar (`grammar/simple.lark`) for everything else: generics,
  defaults, multi-line parameter lists, function/pointer/dict types, class and
  "C" block members. Anything the fast path is unsure about goes to Lark, and
  the test-suite checks that both agree on every sample.

Results are memoised by text: the same declaration repeated across files is
parsed once per process.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pathlib and tempfile (~10 ms of imports) only when Lark is needed
    from pathlib import Path

from sffi_lsp.model import TypeKind
from sffi_lsp.syntax.positions import fast_constructor

GRAMMAR_NAME = "simple.lark"


class DeclError(Exception):
    """The declaration text does not match the grammar."""

    def __init__(self, message: str, rel_start: int = 0, rel_end: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.rel_start = rel_start
        self.rel_end = rel_end


@dataclass(frozen=True, slots=True)
class TypeSig:
    kind: TypeKind
    text: str
    name: str | None
    args: tuple["TypeSig", ...]
    returns: "TypeSig | None"
    mutable: bool
    start: int  # relative to the declaration text
    end: int


@dataclass(frozen=True, slots=True)
class ParamSig:
    name: str
    name_start: int
    name_end: int
    start: int
    end: int
    type: TypeSig | None
    default_text: str | None


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    name_start: int
    name_end: int
    generics: tuple[str, ...]
    is_pub: bool
    params: tuple[ParamSig, ...]
    returns: TypeSig | None
    end: int  # end of the signature proper (before a stub-body colon)


# built by slot-filling constructors (see positions.fast_constructor): one
# cold run makes a few of these per extern, and frozen dataclass __init__ is slow
_TS = fast_constructor(TypeSig)
_PS = fast_constructor(ParamSig)
_SIG = fast_constructor(Signature)


# ---------------------------------------------------------------- grammar ---

def grammar_path() -> Path:
    """grammar/simple.lark from the repository, or sffi_lsp/grammar/ in a wheel."""
    from pathlib import Path  # noqa: PLC0415

    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "grammar" / GRAMMAR_NAME,
                      here.parents[1] / "grammar" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GRAMMAR_NAME} not found next to the sffi_lsp package")


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def write_seed() -> str | None:
    """Save the analysed grammar next to this module (install time; see
    sffi_lsp.grammar_cache). Returns the path, or None."""
    from sffi_lsp.grammar_cache import write_seed as write  # noqa: PLC0415

    return write("simple", grammar_path().read_text(encoding="utf-8"), _LARK_OPTIONS, _package_dir())


_PARSER: Any = None
_LARK_OPTIONS: dict[str, Any] = dict(parser="lalr", lexer="contextual", propagate_positions=True,
                                     maybe_placeholders=False)


def lark_parser() -> Any:
    """The LALR parser for grammar/simple.lark, built once (grammar cache on disk)."""
    global _PARSER
    if _PARSER is None:
        from lark import Lark

        from sffi_lsp.grammar_cache import cache_file, load_seed  # noqa: PLC0415

        text = grammar_path().read_text(encoding="utf-8")
        options = _LARK_OPTIONS
        cache = cache_file("simple", text)
        parser = None
        if cache is None or not os.path.exists(cache):
            parser = load_seed("simple", text, options, _package_dir())
        if parser is None and cache is not None:
            try:
                parser = Lark(text, cache=cache, **options)
            except Exception:  # unreadable/corrupt cache, read-only dir: build without it
                parser = None
        _PARSER = parser if parser is not None else Lark(text, **options)
    return _PARSER


# ------------------------------------------------------------ normalising ---

_WS = re.compile(r"\s+")
_OPEN_SP = re.compile(r"([(\[<{]) ")
_SP_CLOSE = re.compile(r" ([)\]>},?])")


def normalise_type_text(raw: str) -> str:
    """Single spaces, none just inside brackets or before `,`/`?`."""
    t = _WS.sub(" ", raw).strip()
    if " " in t:
        t = _SP_CLOSE.sub(r"\1", _OPEN_SP.sub(r"\1", t))
    return t


# ---------------------------------------------------------------- fast path ---

# Identifiers as the compiler lexes them (`is_alphanumeric() || '_'`): Unicode letters too.
_NAME = r"[^\W\d]\w*"
# Parameters may spread over lines (and end with a comma); simple generics
# `<T, U>` are read here too. Whitespace is what the grammar ignores, no more.
_FAST_HEAD = re.compile(
    rf"(pub[ \t]+)?extern[ \t]+(?:async[ \t]+)?fn[ \t]+({_NAME})"
    rf"(?:[ \t]*<[ \t]*({_NAME}(?:[ \t]*,[ \t]*{_NAME})*)[ \t]*>)?"
    rf"[ \t]*\(([^()]*)\)[ \t]*(?:->[ \t]*([^\n]*?))?[ \t]*\Z"
)
_FAST_PARAM = re.compile(rf"[ \t\n\r\f]*({_NAME})[ \t]*:[ \t]*([^ \t\n\r\f]+?)[ \t\n\r\f]*\Z")
_FAST_BLANK = re.compile(r"[ \t\n\r\f]*\Z")
_GENERIC_SEP = re.compile(r"[ \t]*,[ \t]*")
_DOTTED = re.compile(rf"{_NAME}(?:\.{_NAME})*\Z")
_KEYWORD_NAMES = frozenset({"fn", "extern", "me", "static", "pub", "mut", "const"})


def _fast_type(text: str, s: int, e: int) -> TypeSig | None:
    """A type made of dotted names, [], ? and flat tuples, or None (ask Lark)."""
    while s < e and text[s] in " \t":
        s += 1
    while e > s and text[e - 1] in " \t":
        e -= 1
    if s >= e:
        return None
    c = text[s]
    last = text[e - 1]
    if last == "?":
        inner = _fast_type(text, s, e - 1)
        if inner is None or text[e - 2] in " \t":
            return None
        return _TS(TypeKind.OPTIONAL, inner.text + "?", None, (inner,), None, False, s, e)
    if c == "[":
        if last != "]":
            return None
        inner = _fast_type(text, s + 1, e - 1)
        if inner is None or inner.start != s + 1 or inner.end != e - 1:
            return None
        return _TS(TypeKind.ARRAY, f"[{inner.text}]", None, (inner,), None, False, s, e)
    if c == "(":
        if last != ")":
            return None
        body = text[s + 1:e - 1]
        if not body.strip():
            if body:
                return None
            return _TS(TypeKind.UNIT, "()", None, (), None, False, s, e)
        if "," not in body or body.rstrip().endswith(","):
            return None
        members = []
        pos = s + 1
        for part in body.split(","):
            t = _fast_type(text, pos, pos + len(part))
            if t is None or t.kind is TypeKind.TUPLE:
                return None
            members.append(t)
            pos += len(part) + 1
        if members[0].start != s + 1 or members[-1].end != e - 1:
            return None
        tx = normalise_type_text(text[s:e])
        return _TS(TypeKind.TUPLE, tx, None, tuple(members), None, False, s, e)
    word = text[s:e]
    if _DOTTED.match(word) and word not in _KEYWORD_NAMES:
        if word == "void":
            return _TS(TypeKind.UNIT, word, None, (), None, False, s, e)
        return _TS(TypeKind.NAMED, word, word, (), None, False, s, e)
    return None


def _fast_signature(text: str) -> Signature | None:
    if len(text) > 1000:  # keeps the lazy regexes linear; long ones go to Lark
        return None
    m = _FAST_HEAD.match(text)
    if m is None:
        return None
    params: list[ParamSig] = []
    body = m.group(4)
    pos = m.start(4)
    if not _FAST_BLANK.match(body):
        parts = body.split(",")
        if len(parts) > 1 and _FAST_BLANK.match(parts[-1]):
            parts.pop()  # a trailing comma (multi-line lists)
        for part in parts:
            pm = _FAST_PARAM.match(part)
            if pm is None or pm.group(1) in _KEYWORD_NAMES:
                return None
            ts = pos + pm.start(2)
            t = _fast_type(text, ts, ts + len(pm.group(2)))
            if t is None or t.start != ts or t.end != ts + len(pm.group(2)):
                return None
            params.append(_PS(pm.group(1), pos + pm.start(1), pos + pm.end(1),
                                   pos + pm.start(1), t.end, t, None))
            pos += len(part) + 1
    returns = None
    if m.group(5) is not None:
        rs, re_ = m.span(5)
        returns = _fast_type(text, rs, re_)
        if returns is None or returns.start != rs or returns.end != re_:
            return None
    elif "->" in text[m.end(4):]:
        return None
    name = m.group(2)
    if name in _KEYWORD_NAMES:
        return None
    generics: tuple[str, ...] = ()
    if m.group(3) is not None:
        generics = tuple(_GENERIC_SEP.split(m.group(3)))
        if any(g in _KEYWORD_NAMES for g in generics):
            return None
    return _SIG(name, m.start(2), m.end(2), generics, m.group(1) is not None,
                     tuple(params), returns, len(text.rstrip()))


# ------------------------------------------------------------- Lark path ---

def _tok_pos(node: Any) -> tuple[int, int]:
    from lark import Token

    if isinstance(node, Token):
        return node.start_pos, node.end_pos
    return node.meta.start_pos, node.meta.end_pos


def _type_from_tree(tree: Any, text: str) -> TypeSig:
    """`type` tree (one type or a union `A | B`) -> TypeSig."""
    from lark import Token

    singles = [c for c in tree.children if not isinstance(c, Token)]
    if len(singles) == 1:
        return _single_from_tree(singles[0], text)
    # a union has no single C type: a named type whose members are its args
    s, e = tree.meta.start_pos, tree.meta.end_pos
    raw = normalise_type_text(text[s:e])
    return _TS(TypeKind.NAMED, raw, raw, tuple(_single_from_tree(c, text) for c in singles),
               None, False, s, e)


def _single_from_tree(tree: Any, text: str) -> TypeSig:
    """`capability` (`mut T`, `iso T`: T with the prefix in its text) or `plain` (T??)."""
    from lark import Token

    if tree.data == "capability":
        inner = _single_from_tree(tree.children[1], text)
        s, e = tree.meta.start_pos, tree.meta.end_pos
        return _TS(inner.kind, normalise_type_text(text[s:e]), inner.name, inner.args,
                   inner.returns, inner.mutable, s, e)
    base = tree.children[0]
    sig = _base_from_tree(base, text)
    for q in tree.children[1:]:
        if isinstance(q, Token) and q.type == "QMARK":
            sig = _TS(TypeKind.OPTIONAL, sig.text + "?", None, (sig,), None, False,
                      tree.meta.start_pos, q.end_pos)
    return sig


def _has_top_comma(text: str, s: int, e: int) -> bool:
    """A `,` directly inside the brackets text[s:e] (which start and end with them)."""
    depth = 0
    for ch in text[s:e]:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 1:
            return True
    return False


def _type_arg_from_tree(a: Any, text: str) -> TypeSig:
    from lark import Token

    if isinstance(a, Token):  # a number (`vec[4, f32]`, `Array<u8, 16>`)
        return _TS(TypeKind.NAMED, str(a), str(a), (), None, False, a.start_pos, a.end_pos)
    if a.data == "binding":  # `Item=T`: the bound type, with its name in the text
        inner = _type_from_tree(a.children[1], text)
        s, e = a.meta.start_pos, a.meta.end_pos
        return _TS(inner.kind, normalise_type_text(text[s:e]), inner.name, inner.args,
                   inner.returns, inner.mutable, s, e)
    return _type_from_tree(a, text)


def _base_from_tree(base: Any, text: str) -> TypeSig:
    from lark import Token

    s, e = base.meta.start_pos, base.meta.end_pos
    raw = normalise_type_text(text[s:e])
    kids = base.children
    types = [k for k in kids if not isinstance(k, Token) and k.data == "type"]
    kind = base.data
    ret_tree = [k for k in kids if not isinstance(k, Token) and k.data == "fn_ret"]
    ret = _type_from_tree(ret_tree[0].children[0], text) if ret_tree else None
    listed = [k for k in kids if not isinstance(k, Token) and k.data == "type_list"]
    members = tuple(_type_from_tree(t, text) for t in listed[0].children) if listed else ()
    if kind == "named":
        qual = kids[0]
        name = "".join(str(t) for t in qual.children)
        args: tuple[TypeSig, ...] = ()
        if len(kids) > 1:
            args = tuple(_type_arg_from_tree(a, text) for a in kids[1].children)
        if name == "void" and not args:
            return _TS(TypeKind.UNIT, raw, None, (), None, False, s, e)
        return _TS(TypeKind.NAMED, raw, name, args, None, False, s, e)
    if kind == "array":
        return _TS(TypeKind.ARRAY, raw, None, (_type_from_tree(types[0], text),), None, False, s, e)
    if kind == "unit":
        if ret is not None:  # `() -> R`
            return _TS(TypeKind.FUNCTION, raw, None, (), ret, False, s, e)
        return _TS(TypeKind.UNIT, raw, None, (), None, False, s, e)
    if kind == "group":
        if ret is not None:  # `(A, B) -> R`
            return _TS(TypeKind.FUNCTION, raw, None, members, ret, False, s, e)
        close = e
        while close > s and text[close - 1] != ")":
            close -= 1
        if len(members) == 1 and not _has_top_comma(text, s, close):
            m = members[0]  # `(T)` is T, written with its parentheses
            return _TS(m.kind, raw, m.name, m.args, m.returns, m.mutable, s, e)
        return _TS(TypeKind.TUPLE, raw, None, members, None, False, s, e)
    if kind == "dict":
        return _TS(TypeKind.DICT, raw, None, tuple(_type_from_tree(t, text) for t in types),
                       None, False, s, e)
    if kind == "set":
        return _TS(TypeKind.NAMED, raw, "Set", (_type_from_tree(types[0], text),), None, False, s, e)
    if kind == "pointer":
        mutable = any(isinstance(k, Token) and k.type == "PTR_KIND" and k == "mut" for k in kids)
        return _TS(TypeKind.POINTER, raw, None, (_type_from_tree(types[0], text),), None,
                       mutable, s, e)
    if kind == "dyn":
        name = "".join(str(t) for t in kids[1].children)
        return _TS(TypeKind.NAMED, raw, name, (), None, False, s, e)
    # fn_type
    return _TS(TypeKind.FUNCTION, raw, None, members, ret, False, s, e)


_TOKEN_NAMES = {
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "LBRACE": "`{`", "RBRACE": "`}`",
    "LESSTHAN": "`<`", "MORETHAN": "`>`", "COMMA": "`,`", "COLON": "`:`", "NAME": "a name",
    "QMARK": "`?`", "BODY_COLON": "`:`", "SEMICOLON": "`;`", "STAR": "`*`", "EQUAL": "`=`",
    "NUMBER": "a number", "STRING": "a string", "FN": "`fn`", "ME": "`me`", "STATIC": "`static`",
    "PUB": "`pub`", "QUAL_SEP": "`.`", "PTR_KIND": "`mut`/`const`", "AMPERSAND": "`&`",
    "PLUS": "`+`", "MINUS": "`-`", "DOT": "`.`", "BANG": "`!`", "$END": "end of declaration",
}


_DECL_NAME = re.compile(rf"\b(?:fn|me)[ \t]+{_NAME}")
_SEP_BEFORE = frozenset(",(:=|+<.&*-[{\\")


def _comma_line_breaks(text: str) -> str:
    """The compiler separates parameters by a comma *or* a bare line break
    (`parse_parameters` skips newlines): turn each line break that separates two
    parameters of the parameter list into a `,` (same length, so positions stay)."""
    depth = 0
    opened = False
    chars = None
    n = len(text)
    head = _DECL_NAME.search(text)  # skip `pub(package)`: start at the parameter list
    start = head.end() if head is not None else 0
    for i in range(start, n):
        ch = text[i]
        if ch in "([{":
            depth += 1
            opened = True
        elif ch in ")]}":
            depth -= 1
            if opened and depth == 0:
                break
        elif ch == "\n" and depth == 1 and opened:
            j = i - 1
            while j >= 0 and text[j] in " \t\r\f\n":
                j -= 1
            k = i + 1
            while k < n and text[k] in " \t\r\f\n":
                k += 1
            if j < 0 or k >= n or text[j] in _SEP_BEFORE or (text[j] == ">" and text[j - 1:j] == "-"):
                continue
            if not (text[k].isalpha() or text[k] in "_@"):
                continue
            if chars is None:
                chars = list(text)
            chars[i] = ","
    return text if chars is None else "".join(chars)


def _lark_signature(text: str) -> Signature:
    from lark import Token
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    try:
        tree = lark_parser().parse(_comma_line_breaks(text) if "\n" in text else text)
    except UnexpectedToken as exc:
        tok = exc.token
        where = getattr(tok, "start_pos", None)
        if where is None or tok.type == "$END":
            where = len(text.rstrip())
            what = "end of declaration"
        else:
            what = repr(str(tok))
        expected = sorted(_TOKEN_NAMES.get(x, x) for x in exc.expected if not x.startswith("__"))[:6]
        hint = f" (expected {', '.join(expected)})" if expected else ""
        raise DeclError(f"unexpected {what}{hint}", where, where + max(1, len(str(tok) or " "))) from None
    except UnexpectedCharacters as exc:
        raise DeclError(f"unexpected character {text[exc.pos_in_stream]!r}",
                        exc.pos_in_stream, exc.pos_in_stream + 1) from None
    except (UnexpectedInput, LarkError, RecursionError) as exc:
        raise DeclError(f"cannot read declaration: {type(exc).__name__}") from None

    decl = tree.children[0]
    is_pub = False
    generics: tuple[str, ...] = ()
    params: list[ParamSig] = []
    returns = None
    name_tok = None
    end = len(text.rstrip())
    for child in decl.children:
        if isinstance(child, Token):
            if child.type == "NAME" and name_tok is None:
                name_tok = child
            elif child.type == "BODY_COLON" or child.type == "SEMI":
                end = child.start_pos
            continue
        d = child.data
        if d == "visibility":
            is_pub = True
        elif d == "generics":
            generics = tuple(str(next(t for t in g.children if isinstance(t, Token) and t.type == "NAME"))
                             for g in child.children)  # (after an optional `const`)
        elif d == "params":
            for p in child.children:
                # (`@inject` and `mut` before the name are tokens; the name is the NAME)
                pname = next(k for k in p.children if isinstance(k, Token) and k.type == "NAME")
                ptype = None
                default = None
                for k in p.children:
                    if isinstance(k, Token):
                        continue
                    if k.data == "type":
                        ptype = _type_from_tree(k, text)
                    elif k.data == "default":
                        ds, de = k.meta.start_pos, k.meta.end_pos
                        default = normalise_type_text(text[ds:de])
                ps, pe = p.meta.start_pos, p.meta.end_pos
                params.append(_PS(str(pname), pname.start_pos, pname.end_pos, ps, pe,
                                       ptype, default))
        elif d == "ret":
            returns = _type_from_tree(child.children[0], text)
    assert name_tok is not None
    end = len(text[:end].rstrip())
    return _SIG(str(name_tok), name_tok.start_pos, name_tok.end_pos, generics, is_pub,
                     tuple(params), returns, end)


# ------------------------------------------------------------------- API ---

_MEMO: dict[str, Signature | DeclError] = {}
_MEMO_LIMIT = 50_000


# A declaration cut short where an editor leaves it while its name is typed
# (`extern fn ` / `extern fn rt_ope`): the error Lark would give, without
# loading Lark (its tables are ~7 MB of a language server's memory, and a first
# build costs 0.1-0.3 s on the keystroke that needs it). A test keeps the two equal.
_TYPING = re.compile(rf"[ \t]*(?:pub[ \t]+)?extern[ \t]+(?:async[ \t]+)?fn(?:[ \t]+({_NAME}))?[ \t]*\Z")


def _typing_error(text: str) -> DeclError | None:
    m = _TYPING.match(text)
    if m is None:
        return None
    end = len(text.rstrip(" \t"))
    expected = "`(`, `<`" if m.group(1) else "a name"
    return DeclError(f"unexpected end of declaration (expected {expected})", end, end + 1)


def parse_signature(text: str, *, allow_fast: bool = True) -> Signature:
    """Parse an extern declaration (or extern-block member) text. Raises DeclError."""
    hit = _MEMO.get(text)
    if hit is None:
        try:
            sig = _fast_signature(text) if allow_fast else None
            if sig is None and allow_fast:
                typing = _typing_error(text)
                if typing is not None:
                    raise typing
            hit = sig if sig is not None else _lark_signature(text)
        except DeclError as exc:
            hit = exc.with_traceback(None)
        except RecursionError:
            hit = DeclError("declaration nested too deeply")
        if allow_fast:
            if len(_MEMO) >= _MEMO_LIMIT:
                _MEMO.clear()
            _MEMO[text] = hit
    if isinstance(hit, DeclError):
        # a fresh traceback each time: re-raising the memoised error as it is
        # would chain every raise's frames onto it, keeping each edit's whole
        # source text alive in an editor (~0.75 MB per keystroke on 170 KB)
        raise hit.with_traceback(None)
    return hit
