"""The syntax model: what a `.spl` file declares and calls, as plain data.

No LSP types, no I/O. Positions are 0-based lines and 0-based *code-point*
columns; offsets are code-point offsets into the decoded text. Adapters (CLI,
server) convert: the CLI prints 1-based columns, the server converts to the
client's position encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 0-based
    column: int  # 0-based, in code points


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range [start, end) of the source text."""

    start: int  # code-point offset
    end: int
    start_line: int
    start_column: int
    end_line: int
    end_column: int

    @property
    def start_pos(self) -> Position:
        return Position(self.start_line, self.start_column)

    @property
    def end_pos(self) -> Position:
        return Position(self.end_line, self.end_column)

    def contains(self, line: int, column: int) -> bool:
        """True when (line, column) lies inside the span (end inclusive, so a
        cursor just after a name still counts as on it)."""
        if (line, column) < (self.start_line, self.start_column):
            return False
        return (line, column) <= (self.end_line, self.end_column)

    def shifted(self, offset_delta: int, line_delta: int) -> "Span":
        """The same span moved down by whole lines (columns unchanged)."""
        return Span(
            self.start + offset_delta,
            self.end + offset_delta,
            self.start_line + line_delta,
            self.start_column,
            self.end_line + line_delta,
            self.end_column,
        )


class TypeKind(str, Enum):
    NAMED = "named"  # i64, text, Foo, pkg.mod.Type, List<T> (args in `args`)
    ARRAY = "array"  # [T]           element in `args[0]`
    OPTIONAL = "optional"  # T?      inner in `args[0]`
    TUPLE = "tuple"  # (A, B)        members in `args`
    DICT = "dict"  # {K: V}          key, value in `args`
    POINTER = "pointer"  # *mut T / *const T   pointee in `args[0]`
    FUNCTION = "function"  # fn(A, B) -> R    params in `args`, result in `returns`
    UNIT = "unit"  # () or void


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A parsed Simple type that keeps its source text."""

    kind: TypeKind
    text: str  # exact source text, whitespace-normalised (single spaces)
    name: str | None = None  # for NAMED: the (possibly dotted) name, e.g. "i64", "pkg.Type", "List"
    args: tuple["TypeRef", ...] = ()
    returns: "TypeRef | None" = None  # FUNCTION only
    mutable: bool = False  # POINTER only: *mut vs *const
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeRef | None  # None for an untyped parameter
    span: Span  # whole parameter, `name: type`
    name_span: Span
    default_text: str | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    """`@name(args)` or `#[name]` preceding a declaration."""

    name: str
    args_text: str | None  # raw text between the parentheses, or None
    span: Span


@dataclass(frozen=True, slots=True)
class ExternDecl:
    name: str
    name_span: Span
    span: Span  # the whole declaration, from `pub`/`extern` (not attributes) to its end
    params: tuple[Param, ...]
    returns: TypeRef | None  # None means unit (no `->`)
    generics: tuple[str, ...] = ()
    is_pub: bool = False
    attributes: tuple[Attribute, ...] = ()
    doc: str | None = None  # preceding `##`/`#`/`/** */` comment text, markers stripped
    when: str | None = None  # enclosing `@when(...)` condition text; `not (...)` inside `@else`
    enclosing_fn: str | None = None  # set for a local extern inside a function body
    block: str | None = None  # `class Name` or `"C"` when declared in an extern block
    trailing_comment: str | None = None
    path: str = ""

    @property
    def arity(self) -> int:
        return len(self.params)

    def signature_text(self) -> str:
        """The declaration in Simple syntax, e.g. `extern fn f(a: i64) -> bool`."""
        gen = f"<{', '.join(self.generics)}>" if self.generics else ""
        params = ", ".join(
            f"{p.name}: {p.type.text}" if p.type is not None else p.name for p in self.params
        )
        ret = f" -> {self.returns.text}" if self.returns is not None else ""
        return f"extern fn {self.name}{gen}({params}){ret}"


@dataclass(frozen=True, slots=True)
class ExternBlock:
    """`extern class Name:` or `extern "C":` with its member declarations."""

    kind: str  # "class" or "C"
    name: str | None  # class name, None for `extern "C":`
    span: Span
    members: tuple[ExternDecl, ...]


@dataclass(frozen=True, slots=True)
class CallSite:
    name: str  # callee name as written (last component for `a.b.f(...)` is NOT a call to f: see `qualified`)
    span: Span  # the callee name
    arg_count: int | None  # None when it cannot be known (call without parentheses, spread, ...)
    enclosing_fn: str | None
    qualified: bool = False  # True for `x.name(...)` (method/qualified call); extern calls are unqualified
    args_span: Span | None = None


@dataclass(frozen=True, slots=True)
class UseItem:
    kind: str  # "use" | "export" | "mod"
    path: str  # module path as written, e.g. "std.io" or "a::b"
    names: tuple[str, ...]  # imported/exported names ("*" for a glob)
    span: Span


@dataclass(frozen=True, slots=True)
class Suppression:
    """`# sffi: ignore[SFFI001, SFFI002]` (or `# sffi: ignore` for every code).

    `file_wide` for `# sffi: ignore-file[...]`. `line` is the 0-based line the
    comment is on; it applies to findings whose span starts on that line."""

    codes: tuple[str, ...]  # empty = all codes
    line: int
    file_wide: bool = False
    span: Span | None = None  # the directive; the whole comment (blanks before it too) when `whole_comment`
    whole_comment: bool = False  # the comment holds nothing but the directive


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """A malformed declaration that stopped an extern from being read.

    Only extern-related problems are reported (the Simple compiler's own
    server reports the rest)."""

    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class FunctionDecl:
    """A (non-extern) `fn` declared at any level: lets checks tell a call to a
    local function from a call to an extern of the same name."""

    name: str
    name_span: Span
    enclosing: str | None = None  # enclosing type or function name


@dataclass(slots=True)
class SourceFile:
    path: str
    externs: list[ExternDecl] = field(default_factory=list)  # includes extern-block members
    extern_blocks: list[ExternBlock] = field(default_factory=list)
    extern_types: list[Span] = field(default_factory=list)  # `extern type X` (rejected by the runtime)
    calls: list[CallSite] = field(default_factory=list)
    functions: list[FunctionDecl] = field(default_factory=list)
    uses: list[UseItem] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[SyntaxProblem] = field(default_factory=list)
    line_count: int = 0

    def with_path(self, path: str) -> "SourceFile":
        clone = SourceFile(**{f: getattr(self, f) for f in self.__slots__})  # type: ignore[attr-defined]
        clone.path = path
        clone.externs = [replace(e, path=path) for e in self.externs]
        return clone


__all__ = [
    "Attribute",
    "CallSite",
    "ExternBlock",
    "ExternDecl",
    "FunctionDecl",
    "Param",
    "Position",
    "SourceFile",
    "Span",
    "Suppression",
    "SyntaxProblem",
    "TypeKind",
    "TypeRef",
    "UseItem",
]
