"""What the checker answers and works on: findings, resolutions, the workspace (no LSP types)."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..model import CallSite, ExternDecl, SourceFile, Span, UseItem

if TYPE_CHECKING:  # annotations only: a tree without libraries never imports the binary layer
    from ..binary.types import Absent, CSignature, Found, Library


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1, "hint": 0}[self.value]


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace `span` of the file at `path` with `new_text`."""

    path: str
    span: Span
    new_text: str


class Applicability(str, Enum):
    """Whether a fix may be applied without a person looking (ruff's terms).

    `safe`: the program means the same afterwards (an exact duplicate removed, a
    suppression that hides nothing dropped). `unsafe`: it changes what the program
    calls or how (a rename, a rewritten signature, a removed declaration)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class Fix:
    """A named set of edits that resolves a finding."""

    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = False
    applicability: Applicability = Applicability.UNSAFE


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding refers to (a declaration, a provider, a config line)."""

    path: str
    span: Span | None
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem: a rule's code and name, severity, place and message."""

    code: str  # "SFFI001"
    name: str  # "unresolved-extern"
    severity: Severity
    path: str
    span: Span
    message: str
    symbol: str | None = None  # the extern name concerned, when there is one
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()
    suggestions: tuple[str, ...] = ()  # "did you mean" names, best first

    def sort_key(self) -> tuple:
        return (self.path, self.span.start_line, self.span.start_column, self.code)


class ProviderKind(str, Enum):
    BUILTIN = "builtin"  # runtime's built-in table or a built-in prefix family
    MANIFEST = "manifest"  # plugin manifest entry
    SATELLITE = "satellite"  # libspl_<prefix>.so by convention
    LIBRARY = "library"  # a configured library (shared, or objects/archives linked statically), the runtime library, or LD_PRELOAD
    SIMPLE = "simple"  # a Simple function of the checked tree, linked by its mangled name


@dataclass(frozen=True, slots=True)
class ProviderRef:
    """Which provider answers an extern name, and through which library."""

    kind: ProviderKind
    library: str | None = None  # real path of the object that defines the symbol
    version: str | None = None  # default symbol version, e.g. "GLIBC_2.14"
    via: tuple[str, ...] = ()  # dependency path from the configured library to `library`
    detail: str = ""  # e.g. "built-in list builtins.txt:12", "family rt_sdl2_", "manifest plugin 'demo' 0.1.0"
    source: str | None = None  # config/list/manifest file that made this provider known
    member: str | None = None  # static archives: the member (`.o`) of `library` that defines it
    decl_path: str | None = None  # kind "simple": the .spl file of the Simple function
    decl_line: int | None = None  # kind "simple": its 0-based line

    def describe(self) -> str:
        """One line for hovers and `full` output."""
        if self.kind is ProviderKind.BUILTIN:
            return f"built-in ({self.detail})" if self.detail else "built-in"
        if self.kind is ProviderKind.SIMPLE:
            return f"simple: {self.detail}" if self.detail else "simple"
        where = self.library or "?"
        if self.member:
            where += f"({self.member})"
        ver = f" @@{self.version}" if self.version else ""
        via = f" via {' -> '.join(self.via)}" if self.via else ""
        extra = f" [{self.detail}]" if self.detail else ""
        return f"{self.kind.value}: {where}{ver}{via}{extra}"


class ResolutionStatus(str, Enum):
    RESOLVED = "resolved"  # a runtime configured this way binds it as a function
    UNRESOLVED = "unresolved"  # nobody provides it
    REFUSED_BUILTIN_ONLY = "refused-builtin-only"  # a library exports it, but the runtime is builtin-only
    UNSUPPORTED_FAMILY = "unsupported-family"  # a known-but-unsupported prefix family
    DATA_NOT_FUNCTION = "data-not-function"  # found, but it is an OBJECT/TLS symbol
    COMPAT_ONLY = "compat-only"  # only a non-default (hidden) version exists
    HIDDEN = "hidden"  # defined but hidden/local


@dataclass(frozen=True, slots=True)
class Resolution:
    """How the runtime would (or would not) find one extern name."""

    name: str
    status: ResolutionStatus
    provider: ProviderRef | None = None  # who answers (also set for REFUSED/DATA/COMPAT: who *would*)
    found: Found | None = None  # the ELF symbol when a library provides it
    library: Library | None = None  # the configured library the answer came from
    absences: tuple[tuple[str, Absent], ...] = ()  # (library path, why not there) for libraries that lack it
    builtin_signature: ExternDecl | None = None  # signature from a built-ins list, when given
    note: str = ""  # one sentence explaining the status

    @property
    def resolved(self) -> bool:
        return self.status is ResolutionStatus.RESOLVED


@dataclass(frozen=True, slots=True)
class Candidate:
    """A name some provider offers (for completion and "did you mean")."""

    name: str
    provider: ProviderRef
    signature: CSignature | ExternDecl | None = None  # when known cheaply (built-in list); DWARF is fetched lazily


@dataclass(slots=True)
class CheckResult:
    """What `check` returns: findings, and how each extern resolved."""

    findings: list[Finding] = field(default_factory=list)
    resolutions: dict[str, Resolution] = field(default_factory=dict)  # by extern name
    # Per declaration, because configured libraries may serve only some files:
    # (path, extern name) -> resolution.
    by_decl: dict[tuple[str, str], Resolution] = field(default_factory=dict)
    suppressed: int = 0  # findings hidden by `# sffi: ignore` comments
    suppressed_by_path: dict[str, int] = field(default_factory=dict)  # the same, per file (CLI re-checks)


@dataclass(frozen=True, slots=True, eq=False)  # one object per rule: identity is equality
class Rule:
    """One check: a stable code, a kebab-case name and its documentation.

    `doc` is Markdown with the sections "What it does", "Why is this bad?" and
    "Example"; `--explain`, the README table and SARIF rule metadata are all
    generated from it, so they cannot drift apart.
    """

    code: str  # "SFFI001"; never reused once published
    name: str  # "unresolved-extern"
    severity: Severity  # default severity (configurable per project)
    summary: str  # one line, for the rule table
    doc: str
    default_enabled: bool = True
    # Judges a file by what other files declare or call: the language server holds it
    # back until the workspace is indexed (a file checked alone would show wrong findings).
    cross_file: bool = False

    def finding(
        self,
        path: str,
        span: Span,
        message: str,
        *,
        symbol: str | None = None,
        related: tuple[Related, ...] = (),
        fixes: tuple[Fix, ...] = (),
        suggestions: tuple[str, ...] = (),
        severity: Severity | None = None,
    ) -> Finding:
        return _new_finding(self.code, self.name, severity or self.severity, path, span, message, symbol, related,
                            fixes, suggestions)

    def explain(self) -> str:
        """The text `sffi-check --explain` prints."""
        state = "" if self.default_enabled else " (opt-in: enable with --select)"
        return (
            f"# {self.name} ({self.code})\n\n"
            f"Default severity: {self.severity.value}{state}\n\n"
            f"{self.summary}\n\n{self.doc.strip()}\n"
        )


def slot_constructor(cls: type):
    """`cls(*fields)` for a frozen slotted dataclass, filling the slots directly.

    A frozen dataclass's `__init__` stores each field through `object.__setattr__`; a cold
    run makes thousands of findings and resolutions, and this costs half as much. The object
    is the same (same class, same slots; these classes have no `__post_init__`). Positional
    arguments in field order; defaults as declared."""
    import dataclasses  # noqa: PLC0415

    fields = dataclasses.fields(cls)
    params = []
    ns: dict = {"new": object.__new__, "cls": cls}
    for f in fields:
        if f.default is not dataclasses.MISSING:
            ns[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        else:
            params.append(f.name)
        ns[f"set_{f.name}"] = cls.__dict__[f.name].__set__
    body = "".join(f"    set_{f.name}(o, {f.name})\n" for f in fields)
    exec(f"def new_{cls.__name__}({', '.join(params)}):\n    o = new(cls)\n{body}    return o\n", ns)  # noqa: S102
    return ns[f"new_{cls.__name__}"]


_new_finding = slot_constructor(Finding)


class Workspace:
    """The parsed `.spl` files being checked, by path.

    `roots` are the checked directories/files (absolute): a configuration file
    inside them gets findings on its own lines (see `CheckContext.config_location`).
    """

    def __init__(self, files: Iterable[SourceFile] = (), roots: Iterable[str] = ()) -> None:
        self._files: dict[str, SourceFile] = {}
        self.roots: tuple[str, ...] = tuple(roots)
        self.generation = 0
        self._index_generation = -1
        self._externs_by_name: dict[str, list[ExternDecl]] = {}
        self._calls_by_name: dict[str, list[tuple[str, CallSite]]] | None = None  # made when asked
        self._called: set[str] = set()
        self._referenced: set[str] = set()
        # module path -> (importing file, what its `use` says): made when asked, and kept across
        # edits that leave every file's `use` lines saying the same (a keystroke in a body)
        self._imports: dict[tuple[str, ...], list[tuple[str, tuple]]] | None = None
        self._importers: dict[str, list[tuple[str, tuple]]] = {}  # by imported file, while _imports holds
        self._sorted: tuple[int, list[SourceFile]] = (-1, [])
        # wrapper generator specs (`*.wrapper_spec`), by path: WrapperSpec or SpecReadError
        self._specs: dict[str, Any] = {}
        for f in files:
            self.set_file(f)

    # -- files ---------------------------------------------------------------
    def set_file(self, source: SourceFile) -> None:
        # Externs carry their path so that findings and related info can name it.
        if any(e.path != source.path for e in source.externs):
            source = source.with_path(source.path)
        if self._imports is not None:
            old = self._files.get(source.path)
            if old is None or _use_keys(old) != _use_keys(source):
                self._imports = None
        self._files[source.path] = source
        self.generation += 1

    def remove_file(self, path: str) -> None:
        old = self._files.pop(path, None)
        if old is not None:
            self.generation += 1
            if old.uses:
                self._imports = None

    def set_spec(self, spec: Any) -> None:
        """Add or replace a wrapper spec (`wrapper_spec.WrapperSpec` or `SpecReadError`)."""
        self._specs[spec.path] = spec
        self.generation += 1

    def remove_spec(self, path: str) -> None:
        if self._specs.pop(path, None) is not None:
            self.generation += 1

    def get_spec(self, path: str) -> Any:
        return self._specs.get(path)

    @property
    def specs(self) -> list[Any]:
        return [self._specs[p] for p in sorted(self._specs)]

    def get(self, path: str) -> SourceFile | None:
        return self._files.get(path)

    @property
    def files(self) -> list[SourceFile]:
        # Every rule walks the files: sort once per change, hand out copies.
        generation, files = self._sorted
        if generation != self.generation:
            files = [self._files[p] for p in sorted(self._files)]
            self._sorted = (self.generation, files)
        return list(files)

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def contains_path(self, path: str) -> bool:
        """True when `path` lies inside one of the checked roots."""
        real = os.path.abspath(path)
        for root in self.roots:
            root = os.path.abspath(root)
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False

    # -- cross-file indexes -------------------------------------------------
    def _reindex(self) -> None:
        if self._index_generation == self.generation:
            return
        externs: dict[str, list[ExternDecl]] = defaultdict(list)
        called: set[str] = set()
        referenced: set[str] = set()
        for f in self.files:
            for e in f.externs:
                externs[e.name].append(e)
            called.update([c.name for c in f.calls])
            for u in f.uses:
                referenced.update(u.names)
        self._externs_by_name = dict(externs)
        self._called = called
        self._calls_by_name = None  # tens of thousands of calls: listed by name only when asked
        self._referenced = referenced
        self._index_generation = self.generation

    def externs_named(self, name: str) -> list[ExternDecl]:
        self._reindex()
        return self._externs_by_name.get(name, [])

    def extern_names(self) -> list[str]:
        self._reindex()
        return sorted(self._externs_by_name)

    def calls_named(self, name: str) -> list[tuple[str, CallSite]]:
        self._reindex()
        if self._calls_by_name is None:
            calls: dict[str, list[tuple[str, CallSite]]] = defaultdict(list)
            for f in self.files:
                for c in f.calls:
                    calls[c.name].append((f.path, c))
            self._calls_by_name = dict(calls)
        return self._calls_by_name.get(name, [])

    def importers_of(self, path: str) -> list[tuple[str, UseItem]]:
        """(importing file, `use`) for each `use`/`export use` elsewhere in the tree that names
        the module `path` is (`lib.torch.ffi` for `.../lib/torch/ffi.spl` or
        `.../lib/torch/ffi/__init__.spl`; a `use` names its module path relative to some root,
        so it is matched against the end of the file's path)."""
        imports = self._imports
        if imports is None:
            imports = defaultdict(list)
            for f in self._files.values():
                for u in f.uses:
                    if u.kind == "mod" or not u.path:
                        continue
                    parts = tuple(p for p in u.path.replace("::", ".").split(".") if p)
                    if parts and parts[0] == "crate":
                        parts = parts[1:]
                    if not parts:
                        continue
                    key = _use_key(u)
                    imports[parts].append((f.path, key))
                    for n in u.names:  # `use a.b.item` may name the module a/b/item.spl
                        if n != "*":
                            imports[parts + (n,)].append((f.path, key))
            self._imports = imports = dict(imports)
            self._importers = {}
        if not imports:
            return []
        keys = self._importers.get(path)
        if keys is None:  # every check asks again for each file with an unused extern
            parts = module_parts(path)
            found: dict[tuple[str, tuple], None] = {}
            for i in range(len(parts)):
                for importer, key in imports.get(parts[i:], ()):
                    if importer != path:
                        found[(importer, key)] = None
            keys = self._importers[path] = sorted(found)
        out: list[tuple[str, UseItem]] = []
        for importer, key in keys:
            source = self._files.get(importer)
            use = next((u for u in source.uses if _use_key(u) == key), None) if source is not None else None
            if use is not None:  # the current `use`, with its current line
                out.append((importer, use))
        return out

    def is_referenced(self, name: str) -> bool:
        """Called anywhere, or named in a `use`/`export` list."""
        self._reindex()
        return name in self._called or name in self._referenced


def _use_key(u: UseItem) -> tuple:
    return (u.kind, u.path, u.names)


def _use_keys(f: SourceFile) -> tuple:
    return tuple(_use_key(u) for u in f.uses)


_NUMBERED_DIR = re.compile(r"^\d+\.(?=.)")  # `10.frontend/`: the compiler's numbered layers name `frontend`


def module_parts(path: str) -> tuple[str, ...]:
    """The module path components a file can be imported by: `a/b/c.spl` -> (a, b, c);
    a directory's `__init__.spl` is the directory."""
    stem, _ = os.path.splitext(os.path.abspath(path))
    parts = [_NUMBERED_DIR.sub("", p) for p in stem.split(os.sep) if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return tuple(parts)


def zero_span(line: int = 0, column: int = 0) -> Span:
    """A position in a file the workspace does not hold (config file, library)."""
    return Span(0, 0, line, column, line, column)
