"""What the Rust source reader yields: plain, immutable facts about one `.rs` file.

Lines are 0-based like the rest of the model; `cfg` is the tuple of
`#[cfg(...)]` condition texts (innermost last) that guard the fact within its
file; `function` is the name of the enclosing `fn` ("" at item level)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TableRow:
    """A string-literal row of a dispatch table: `insert_simple!("name", h)` or `m.insert("name", ...)`."""

    name: str
    handler: str  # the handler expression's text, "" when it is a closure
    line: int
    function: str
    via: str  # "insert_simple!" style macro name, or "insert" for a method call
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchArm:
    """One string-literal pattern of a `match` arm (`"a" | "b" => ...` yields two)."""

    name: str
    scrutinee: str  # text of the matched expression, e.g. "name"
    line: int
    function: str
    within: int  # line of the enclosing name test's `if` (-1 when none)
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameTest:
    """A test of a name inside an `if`: `x.starts_with("p")`, `x.strip_prefix("p")`
    (kind "prefix") or `x == "n"` (kind "equals"); `excludes` are the prefixes the
    same alternative rules out with `!x.starts_with(...)`, `other` the text of any
    further conjunct (e.g. `vulkan::signature_of(name).is_some()`)."""

    kind: str
    literal: str
    subject: str
    excludes: tuple[str, ...]
    other: tuple[str, ...]
    line: int
    if_line: int  # where the `if` (or match guard) starts; arms inside it have `within` == this
    function: str
    calls: tuple[str, ...]  # paths called in the `if` body, e.g. "sdl2::dispatch"
    returns: tuple[str, ...]  # identifiers the body returns, e.g. "Ext"
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class RustParam:
    name: str
    type: str


@dataclass(frozen=True)
class CFunction:
    """A C-ABI function: defined here (`#[no_mangle]`/`#[export_name]` + `extern "C" fn`)
    or, for `defined=False`, only declared in an `extern "C" { fn ...; }` block."""

    name: str  # the symbol (export name when `#[export_name]` renames it)
    rust_name: str
    params: tuple[RustParam, ...]
    returns: str  # "" for `()`
    line: int
    unsafe: bool
    defined: bool
    via_macro: str = ""  # the `macro_rules!` that generated it, if any
    cfg: tuple[str, ...] = ()

    def signature(self) -> str:
        params = ", ".join(f"{p.name}: {p.type}" for p in self.params)
        ret = f" -> {self.returns}" if self.returns else ""
        return f"fn {self.name}({params}){ret}"


@dataclass(frozen=True)
class StringArray:
    """A `const`/`static` array of string literals (or of tuples whose first field is one)."""

    name: str
    items: tuple[tuple[str, int], ...]  # (value, line)
    line: int
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleDecl:
    """`mod name;` (a file of its own), with its `#[path = "..."]` when given."""

    name: str
    path_attr: str
    line: int
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class Include:
    """`include!("file.rs")`: `path` is the literal, "" when it is built by a macro."""

    path: str
    text: str
    line: int
    cfg: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierArm:
    """One arm of a `match` on an enum path: `Tier::Sys | Tier::Async => !is_baremetal`."""

    variants: tuple[str, ...]
    value: str
    line: int
    function: str


@dataclass
class RustFileFacts:
    path: str
    table_rows: list[TableRow] = field(default_factory=list)
    match_arms: list[MatchArm] = field(default_factory=list)
    name_tests: list[NameTest] = field(default_factory=list)
    functions: list[CFunction] = field(default_factory=list)
    string_arrays: list[StringArray] = field(default_factory=list)
    modules: list[ModuleDecl] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    tier_arms: list[TierArm] = field(default_factory=list)
    # Tail expression identifier of each function (`Core` in `symbol_tier_of`).
    tails: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    file_cfg: tuple[str, ...] = ()  # inner `#![cfg(...)]` of the whole file
