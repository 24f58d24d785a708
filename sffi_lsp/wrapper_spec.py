"""Read a wrapper generator spec (`*.wrapper_spec`, SDN) into `WrapperSpec`, with line numbers.

The Simple project's wrapper generator (`src/app/wrapper_gen/`) turns one spec
into three tiers: a Rust FFI crate exporting `rt_<name>_*` (tier 1), the
`extern fn` bindings (tier 2) and Simple classes (tier 3). The spec looks like

    wrapper_lib:
      name: demo
      link: [demo]
      search_paths: ["/opt/demo/lib"]
    handle_types:
      - name: DemoBox
        cpp_type: "demo::Box"
        drop_fn: "rt_demo_box_free"
    functions:
      - name: box_new
        params:
          - name: size
            type: i64
        return: DemoBox
    methods:
      - handle: DemoBox
        name: size
        params: []
        return: i64

This module knows the spec's shape only: what the generator would emit from
it lives in `sffi_lsp.check.tiers`. Nothing here knows ELF, checks or LSP.
Positions are 0-based lines and code-point columns, like `sffi_lsp.model`.
A spec that cannot be read yields `SpecReadError` (one message, one place),
never another exception.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

from .sdn_blocks import SdnError, SdnValue, parse_sdn_block_subset

SPEC_SUFFIX = ".wrapper_spec"
MAX_SPEC_BYTES = 4 * 1024 * 1024  # a spec is a few KB


@dataclass(frozen=True, slots=True)
class SpecParam:
    name: str
    type: str  # the Simple type as written ("text", "[i64]", "DemoBox"); "" when missing
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class SpecEntry:
    """A `functions` or `methods` entry. `handle` is set for methods."""

    name: str
    params: tuple[SpecParam, ...]
    returns: str  # "" or "void": no result
    line: int  # the entry's `name:` line (methods: `name:`, else `- handle:`)
    column: int
    handle: str | None = None
    native: str = ""  # cpp_fn / cpp_method
    returns_line: int | None = None
    start_line: int | None = None  # the entry's `- ` line

    @property
    def is_method(self) -> bool:
        return self.handle is not None


@dataclass(frozen=True, slots=True)
class HandleType:
    name: str
    cpp_type: str
    drop_fn: str
    line: int
    column: int
    drop_fn_line: int | None = None
    drop_fn_column: int = 0


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """A well-formed SDN entry the generator would misread or skip."""

    message: str
    line: int
    column: int = 0


@dataclass(frozen=True, slots=True)
class WrapperSpec:
    path: str
    name: str
    name_line: int
    name_column: int
    version: str = "0.1.0"
    lang: str = "cpp"
    link: tuple[str, ...] = ()
    search_paths: tuple[str, ...] = ()
    rust_crate: str = ""
    handle_types: tuple[HandleType, ...] = ()
    functions: tuple[SpecEntry, ...] = ()
    methods: tuple[SpecEntry, ...] = ()
    problems: tuple[SpecProblem, ...] = field(default=())

    @property
    def entries(self) -> tuple[SpecEntry, ...]:
        return self.functions + self.methods

    def handle(self, type_name: str) -> HandleType | None:
        for h in self.handle_types:
            if h.name == type_name:
                return h
        return None

    @property
    def directory(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


@dataclass(frozen=True, slots=True)
class SpecReadError:
    """A spec that could not be read at all: `line`/`column` 0-based."""

    path: str
    message: str
    line: int = 0
    column: int = 0


# --------------------------------------------------------------------------- reading

def _text(v: SdnValue | None) -> str:
    if v is None or v.value is None:
        return ""
    if isinstance(v.value, (list, dict)):
        return ""
    if isinstance(v.value, bool) or not isinstance(v.value, str):
        # a bare `version: 1.10` keeps its spelling
        return v.text if v.text is not None and not v.text.startswith(("\"", "'")) else str(v.value)
    return v.value


def _texts(v: SdnValue | None) -> tuple[str, ...]:
    if v is None or v.value is None:
        return ()
    if isinstance(v.value, list):
        return tuple(_text(i) for i in v.value if _text(i))
    one = _text(v)
    return (one,) if one else ()


def _section(doc: dict[str, SdnValue], key: str, problems: list[SpecProblem]) -> list[SdnValue]:
    v = doc.get(key)
    if v is None or v.value is None:
        return []
    if not isinstance(v.value, list):
        problems.append(SpecProblem(f"`{key}` must be a list of `- ...` entries", v.line, v.column))
        return []
    out = []
    for item in v.value:
        if isinstance(item.value, dict):
            out.append(item)
        else:
            problems.append(SpecProblem(f"a `{key}` entry must be a block of `key: value` lines",
                                        item.line, item.column))
    return out


def _params(v: SdnValue | None, owner: str, problems: list[SpecProblem]) -> tuple[SpecParam, ...]:
    if v is None or v.value is None:
        return ()
    if not isinstance(v.value, list):
        problems.append(SpecProblem(f"{owner}: `params` must be a list", v.line, v.column))
        return ()
    out = []
    for item in v.value:
        fields = item.value if isinstance(item.value, dict) else None
        name_v = fields.get("name") if fields else None
        if name_v is None or not _text(name_v):
            problems.append(SpecProblem(f"{owner}: a parameter needs a `name`", item.line, item.column))
            continue
        type_v = fields.get("type")
        type_text = _text(type_v)
        if not type_text:
            problems.append(SpecProblem(f"{owner}: parameter `{_text(name_v)}` has no `type`",
                                        name_v.line, name_v.column))
        out.append(SpecParam(_text(name_v), type_text, name_v.line, name_v.column))
    return tuple(out)


def _entry(item: SdnValue, method: bool, problems: list[SpecProblem]) -> SpecEntry | None:
    fields: dict[str, SdnValue] = item.value
    name_v = fields.get("name")
    handle_v = fields.get("handle") if method else None
    kind = "method" if method else "function"
    if name_v is None or not _text(name_v):
        problems.append(SpecProblem(f"a {kind} entry needs a `name`", item.line, item.column))
        return None
    if method and (handle_v is None or not _text(handle_v)):
        problems.append(SpecProblem(f"method `{_text(name_v)}` needs a `handle`", item.line, item.column))
        return None
    ret_v = fields.get("return")
    native = _text(fields.get("cpp_method" if method else "cpp_fn"))
    return SpecEntry(
        name=_text(name_v),
        params=_params(fields.get("params"), f"{kind} `{_text(name_v)}`", problems),
        returns=_text(ret_v),
        line=name_v.line,
        column=name_v.column,
        handle=_text(handle_v) if method else None,
        native=native,
        returns_line=ret_v.line if ret_v is not None else None,
        start_line=item.line,
    )


def spec_from_text(text: str, path: str) -> WrapperSpec:
    """The spec in `text`; malformed SDN raises `SdnError` (1-based position)."""
    doc_v = parse_sdn_block_subset(text if text.endswith("\n") else text + "\n")
    if doc_v is None or "\0" in text:
        from .sdn import parse_sdn  # noqa: PLC0415  (Lark, ~60 ms to import: only for unusual specs)

        doc_v = parse_sdn(text, path)
    doc: dict[str, SdnValue] = doc_v.value if isinstance(doc_v.value, dict) else {}
    problems: list[SpecProblem] = []
    lib_v = doc.get("wrapper_lib")
    lib: dict[str, SdnValue] = lib_v.value if lib_v is not None and isinstance(lib_v.value, dict) else {}
    name_v = lib.get("name")
    name = _text(name_v)
    if lib_v is None:
        problems.append(SpecProblem("no `wrapper_lib:` section: the generator names nothing", 0, 0))
    elif not name:
        at = name_v or lib_v
        problems.append(SpecProblem("`wrapper_lib` has no `name`: the generator cannot name the externs",
                                    at.line, at.column))
    elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        problems.append(SpecProblem(f"`wrapper_lib.name` `{name}` is not an identifier: the externs "
                                    f"`rt_{name}_...` cannot be declared", name_v.line, name_v.column))
    handles = []
    for item in _section(doc, "handle_types", problems):
        f = item.value
        hn = f.get("name")
        if hn is None or not _text(hn):
            problems.append(SpecProblem("a handle type needs a `name`", item.line, item.column))
            continue
        drop_v = f.get("drop_fn")
        handles.append(HandleType(_text(hn), _text(f.get("cpp_type")), _text(drop_v), hn.line, hn.column,
                                  drop_v.line if drop_v is not None else None,
                                  drop_v.column if drop_v is not None else 0))
    functions = tuple(e for e in (_entry(i, False, problems) for i in _section(doc, "functions", problems)) if e)
    methods = tuple(e for e in (_entry(i, True, problems) for i in _section(doc, "methods", problems)) if e)
    return WrapperSpec(
        path=path,
        name=name,
        name_line=name_v.line if name_v is not None else (lib_v.line if lib_v is not None else 0),
        name_column=name_v.column if name_v is not None else 0,
        version=_text(lib.get("version")) or "0.1.0",
        lang=_text(lib.get("lang")) or "cpp",
        link=_texts(lib.get("link")),
        search_paths=_texts(lib.get("search_paths")),
        rust_crate=_text(lib.get("rust_crate")),
        handle_types=tuple(handles),
        functions=functions,
        methods=methods,
        problems=tuple(problems),
    )


def read_spec_text(text: str, path: str) -> WrapperSpec | SpecReadError:
    """`spec_from_text`, with malformed input turned into a `SpecReadError`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return spec_from_text(text, path)
    except SdnError as exc:
        return SpecReadError(path, exc.message, max(exc.line - 1, 0), max(exc.column - 1, 0))
    except Exception as exc:  # noqa: BLE001  (a spec must never stop a check)
        return SpecReadError(path, f"cannot read the spec ({type(exc).__name__})")


def read_spec(path: str) -> WrapperSpec | SpecReadError:
    """Read the spec file at `path` (never blocks on a FIFO, never raises)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return SpecReadError(path, f"cannot read the spec: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return SpecReadError(path, "the spec is not a regular file")
    if st.st_size > MAX_SPEC_BYTES:
        return SpecReadError(path, f"the spec is too large ({st.st_size} bytes)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        return SpecReadError(path, f"cannot read the spec: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SpecReadError(path, f"the spec is not UTF-8 ({exc.reason})", raw.count(b"\n", 0, exc.start), 0)
    return read_spec_text(text, path)


def is_spec_path(path: str) -> bool:
    return path.endswith(SPEC_SUFFIX)


__all__ = [
    "HandleType",
    "SPEC_SUFFIX",
    "SpecEntry",
    "SpecParam",
    "SpecProblem",
    "SpecReadError",
    "WrapperSpec",
    "is_spec_path",
    "read_spec",
    "read_spec_text",
    "spec_from_text",
]
