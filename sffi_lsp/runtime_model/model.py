"""The Simple runtime as its own Rust sources describe it.

`RuntimeModel` holds what was read (every entry keeps its `#[cfg]` texts);
`RuntimeView` is the model judged for one build (features, target) and answers
the questions a check asks: how does the interpreter handle NAME, is NAME
registered for compiled code, which tier is it, what is its C-ABI definition.
Paths are relative to the checkout root, '/'-separated; lines are 0-based."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..rust_source.cfg import CfgEnvironment, all_hold

MODEL_VERSION = 1

# Where a Simple checkout keeps each part (relative to its root).
COMPILER_DIR = "src/compiler_rust"
INTERPRETER_DIR = "src/compiler_rust/compiler/src/interpreter_extern"
INTERPRETER_FILE_OLD = "src/compiler_rust/compiler/src/interpreter_extern.rs"
REGISTRY_FILE = "src/compiler_rust/common/src/runtime_symbols.rs"
RUNTIME_CRATE_DIR = "src/compiler_rust/runtime"
DYNAMIC_FALLBACK_LIBRARY = "libsimple_runtime.so"
DYNAMIC_FALLBACK_DIRS = ("bin", "lib", "target/debug", "target/release", "target/bootstrap",
                         "src/compiler_rust/target/debug", "src/compiler_rust/target/release",
                         "src/compiler_rust/target/bootstrap")
BAREMETAL_DROPPED_DEFAULT = ("Sys", "Async")


@dataclass(frozen=True)
class Site:
    """Where a name is handled or defined."""

    path: str
    line: int
    cfg: tuple[str, ...] = ()
    crate: str = ""

    def where(self) -> str:
        return f"{self.path}:{self.line + 1}"


@dataclass(frozen=True)
class InterpreterEntry:
    name: str
    site: Site
    kind: str  # "table" (dispatch-table row), "arm" (match arm), "equals" (`name == "x"`)
    handler: str = ""


@dataclass(frozen=True)
class Family:
    """A wildcard family: `name.starts_with(prefix)` (minus `excludes`) delegating to a module."""

    prefix: str
    excludes: tuple[str, ...]
    condition: tuple[str, ...]  # further conjuncts of the test, as text
    site: Site
    module: str  # the family module's path ("" when the names are matched inline)
    names: tuple[InterpreterEntry, ...]
    names_known: bool  # False when no literal list was found (every prefixed name is taken)

    def covers(self, name: str) -> bool:
        return name.startswith(self.prefix) and not any(name.startswith(e) for e in self.excludes)


@dataclass(frozen=True)
class RefusedFamily:
    prefix: str
    site: Site


@dataclass(frozen=True)
class TierTest:
    kind: str  # "prefix" | "equals"
    literal: str
    tier: str


@dataclass(frozen=True)
class Definition:
    name: str
    rust_name: str
    params: tuple[tuple[str, str], ...]
    returns: str
    site: Site
    unsafe: bool
    defined: bool  # False: declared in Rust (`extern "C" { fn ...; }`), defined in C
    via_macro: str = ""

    def signature(self) -> str:
        params = ", ".join(f"{n}: {t}" for n, t in self.params)
        ret = f" -> {self.returns}" if self.returns else ""
        return f"fn {self.name}({params}){ret}"


@dataclass
class RuntimeModel:
    source: str
    shape: str = ""  # "table" (EXTERN_DISPATCH) or "match" (one big match) or "" (no interpreter)
    interpreter: list[InterpreterEntry] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    refused: list[RefusedFamily] = field(default_factory=list)
    dynamic_fallback: Site | None = None
    registered: list[InterpreterEntry] = field(default_factory=list)
    tiers: list[TierTest] = field(default_factory=list)
    default_tier: str = ""
    baremetal_dropped: tuple[str, ...] = BAREMETAL_DROPPED_DEFAULT
    definitions: list[Definition] = field(default_factory=list)
    default_features: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0

    def view(self, features: dict[str, set[str]] | set[str] | None = None, target_os: str = "linux") -> "RuntimeView":
        return RuntimeView(self, features, target_os)

    # -- (de)serialisation: compact versioned JSON values, never pickle ----------
    #
    # Sites are rows [path index, line, cfg index, crate index] into shared
    # tables, so a model of a few thousand names loads in milliseconds; a model
    # loaded from disk builds its entry objects only when a list is asked for.

    _LISTS = ("interpreter", "families", "refused", "registered", "tiers", "definitions")

    def __getattr__(self, name):
        compact = self.__dict__.get("_compact")
        if compact is None or name not in RuntimeModel._LISTS:
            raise AttributeError(name)
        decoded = _decode_lists(compact)
        for key, value in decoded.items():
            self.__dict__.setdefault(key, value)
        return self.__dict__[name]

    def compact(self) -> dict:
        cached = self.__dict__.get("_compact")
        if cached is not None:
            return cached
        enc = _Encoder()
        out = {
            "version": MODEL_VERSION,
            "source": self.source,
            "shape": self.shape,
            "interpreter": [enc.entry(e) for e in self.interpreter],
            "families": [
                [f.prefix, list(f.excludes), list(f.condition), enc.site(f.site), f.module,
                 [enc.entry(e) for e in f.names], f.names_known]
                for f in self.families
            ],
            "refused": [[r.prefix, enc.site(r.site)] for r in self.refused],
            "dynamic_fallback": enc.site(self.dynamic_fallback) if self.dynamic_fallback else None,
            "registered": [enc.entry(e) for e in self.registered],
            "tiers": [[t.kind, t.literal, t.tier] for t in self.tiers],
            "default_tier": self.default_tier,
            "baremetal_dropped": list(self.baremetal_dropped),
            "definitions": [
                [d.name, d.rust_name, [x for p in d.params for x in p], d.returns, enc.site(d.site),
                 int(d.unsafe) | (2 if d.defined else 0), d.via_macro]
                for d in self.definitions
            ],
            "default_features": self.default_features,
            "notes": self.notes,
            "files_read": self.files_read,
            "bytes_read": self.bytes_read,
        }
        out.update(enc.tables())
        self.__dict__["_compact"] = out
        return out

    def to_json(self) -> dict:
        return self.compact()

    @classmethod
    def from_json(cls, data: dict) -> "RuntimeModel":
        if not isinstance(data, dict) or data.get("version") != MODEL_VERSION:
            raise ValueError("not a runtime model of this version")
        for key in cls._LISTS + ("paths", "cfgs", "crates"):
            if not isinstance(data.get(key), list):
                raise ValueError(f"runtime model without {key}")
        model = object.__new__(cls)
        model.__dict__.update(
            source=str(data["source"]),
            shape=str(data.get("shape", "")),
            dynamic_fallback=_decode_site(data, data["dynamic_fallback"]) if data.get("dynamic_fallback") else None,
            default_tier=str(data.get("default_tier", "")),
            baremetal_dropped=tuple(data.get("baremetal_dropped", BAREMETAL_DROPPED_DEFAULT)),
            default_features={k: list(v) for k, v in data.get("default_features", {}).items()},
            notes=list(data.get("notes", [])),
            files_read=int(data.get("files_read", 0)),
            bytes_read=int(data.get("bytes_read", 0)),
            _compact=data,
        )
        return model


class _Encoder:
    def __init__(self):
        self.paths: dict[str, int] = {}
        self.cfgs: dict[tuple, int] = {}
        self.crates: dict[str, int] = {}

    @staticmethod
    def _index(table: dict, key) -> int:
        index = table.get(key)
        if index is None:
            index = table[key] = len(table)
        return index

    def site(self, site: Site) -> list:
        return [self._index(self.paths, site.path), site.line, self._index(self.cfgs, tuple(site.cfg)),
                self._index(self.crates, site.crate)]

    def entry(self, e: "InterpreterEntry") -> list:
        return [e.name, self.site(e.site), e.kind, e.handler]

    def tables(self) -> dict:
        return {"paths": list(self.paths), "cfgs": [list(c) for c in self.cfgs], "crates": list(self.crates)}


def _decode_site(data: dict, row) -> Site:
    return Site(data["paths"][row[0]], int(row[1]), tuple(data["cfgs"][row[2]]), data["crates"][row[3]])


def _decode_entry(data: dict, row) -> "InterpreterEntry":
    return InterpreterEntry(row[0], _decode_site(data, row[1]), row[2], row[3])


def _decode_definition(data: dict, row) -> "Definition":
    flat = row[2]
    params = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2))
    return Definition(row[0], row[1], params, row[3], _decode_site(data, row[4]), bool(row[5] & 1), bool(row[5] & 2), row[6])


def _decode_family(data: dict, row) -> "Family":
    return Family(row[0], tuple(row[1]), tuple(row[2]), _decode_site(data, row[3]), row[4],
                  tuple(_decode_entry(data, e) for e in row[5]), bool(row[6]))


def _decode_lists(data: dict) -> dict:
    return {
        "interpreter": [_decode_entry(data, r) for r in data["interpreter"]],
        "families": [_decode_family(data, r) for r in data["families"]],
        "refused": [RefusedFamily(r[0], _decode_site(data, r[1])) for r in data["refused"]],
        "registered": [_decode_entry(data, r) for r in data["registered"]],
        "tiers": [TierTest(r[0], r[1], r[2]) for r in data["tiers"]],
        "definitions": [_decode_definition(data, r) for r in data["definitions"]],
    }


@dataclass(frozen=True)
class InterpreterVerdict:
    """How `bin/simple` handles a name: `how` is one of
    "table" / "arm" / "equals" (handled directly), "family" (handled by a family module),
    "family-missing" (the family module does not list it), "refused" (capability gap),
    "dynamic" (only through the i64-only dlopen fallback), "unknown"."""

    how: str
    entry: InterpreterEntry | None = None
    family: Family | None = None
    refused: RefusedFamily | None = None

    @property
    def handled(self) -> bool:
        return self.how in ("table", "arm", "equals", "family", "dynamic")

    def describe(self) -> str:
        if self.how in ("table", "arm", "equals"):
            what = {"table": "interpreter table", "arm": "interpreter match arm", "equals": "interpreter name test"}[self.how]
            return f"{what}, {self.entry.site.where()}"
        if self.how == "family":
            where = self.entry.site.where() if self.entry else self.family.site.where()
            return f"interpreter family `{self.family.prefix}*`, {where}"
        if self.how == "family-missing":
            return (f"prefix `{self.family.prefix}` goes to the family module {self.family.module or self.family.site.path}, "
                    "which does not handle this name")
        if self.how == "refused":
            return f"refused by the interpreter (capability gap `{self.refused.prefix}*`, {self.refused.site.where()})"
        if self.how == "dynamic":
            return f"only through the interpreter's dlopen fallback ({DYNAMIC_FALLBACK_LIBRARY}, every argument one i64)"
        return "reachable by no interpreter path"


class RuntimeView:
    """A `RuntimeModel` judged for one build: entries whose `#[cfg]` fails are gone.

    Works on the model's compact rows and builds entry objects only for the
    names it is asked about, so a view of a model loaded from disk is cheap."""

    def __init__(self, model: RuntimeModel, features=None, target_os: str = "linux"):
        self.model = model
        data = self.data = model.compact()
        family = "windows" if target_os == "windows" else "unix"
        if isinstance(features, dict):
            per_crate = {k: set(v) for k, v in features.items()}
            extra: set[str] = set()
        else:
            per_crate = {}
            extra = set(features or ())
        envs: dict[str, CfgEnvironment] = {}
        for crate, defaults in model.default_features.items():
            envs[crate] = CfgEnvironment(
                features=frozenset(set(defaults) | extra | per_crate.get(crate, set())),
                target_os=target_os, target_family=family,
            )
        default_env = CfgEnvironment(features=frozenset(extra) if extra else None, target_os=target_os,
                                     target_family=family)
        crates = data["crates"]
        cfgs = data["cfgs"]
        verdicts: dict[tuple[int, int], bool] = {}

        def holds(site_row) -> bool:
            key = (site_row[2], site_row[3])
            value = verdicts.get(key)
            if value is None:
                env = envs.get(crates[site_row[3]], default_env)
                value = verdicts[key] = all_hold(tuple(cfgs[site_row[2]]), env)
            return value

        self._holds_row = holds
        self.dynamic_exports: frozenset[str] = frozenset()
        self._direct: dict[str, list] = {}
        for row in data["interpreter"]:
            if row[0] not in self._direct and holds(row[1]):
                self._direct[row[0]] = row
        self._families = [row for row in data["families"] if holds(row[3])]
        self._family_names = [
            {e[0]: e for e in row[5] if holds(e[1])} for row in self._families
        ]
        self._refused = [row for row in data["refused"] if holds(row[1])]
        self._registered: dict[str, list] = {}
        for row in data["registered"]:
            if row[0] not in self._registered and holds(row[1]):
                self._registered[row[0]] = row
        self._definitions: dict[str, list] = {}
        for row in data["definitions"]:
            if not holds(row[4]):
                continue
            prior = self._definitions.get(row[0])
            if prior is None or (not prior[5] & 2 and row[5] & 2):
                self._definitions[row[0]] = row
        self._family_objects: dict[int, Family] = {}

    def _family(self, index: int) -> Family:
        family = self._family_objects.get(index)
        if family is None:
            family = self._family_objects[index] = _decode_family(self.data, self._families[index])
        return family

    @property
    def families(self) -> list[Family]:
        return [self._family(i) for i in range(len(self._families))]

    @property
    def refused(self) -> list[RefusedFamily]:
        return [RefusedFamily(r[0], _decode_site(self.data, r[1])) for r in self._refused]

    # -- questions -------------------------------------------------------------

    def interpreter(self, name: str) -> InterpreterVerdict:
        row = self._direct.get(name)
        if row is not None:
            entry = _decode_entry(self.data, row)
            return InterpreterVerdict(entry.kind, entry=entry)
        for index, (family_row, names) in enumerate(zip(self._families, self._family_names)):
            prefix, excludes = family_row[0], family_row[1]
            if not name.startswith(prefix) or any(name.startswith(e) for e in excludes):
                continue
            family = self._family(index)
            if not family.names_known:
                return InterpreterVerdict("family", family=family)
            found = names.get(name)
            if found is not None:
                return InterpreterVerdict("family", entry=_decode_entry(self.data, found), family=family)
            if family.condition:
                continue  # `starts_with(p) && other(name)`: a name the family does not take falls through
            return InterpreterVerdict("family-missing", family=family)
        for row in self._refused:
            if name.startswith(row[0]):
                return InterpreterVerdict("refused", refused=RefusedFamily(row[0], _decode_site(self.data, row[1])))
        if self.model.dynamic_fallback is not None and name in self.dynamic_exports:
            return InterpreterVerdict("dynamic")
        return InterpreterVerdict("unknown")

    def registration(self, name: str) -> InterpreterEntry | None:
        row = self._registered.get(name)
        return _decode_entry(self.data, row) if row is not None else None

    def tier_of(self, name: str) -> str:
        for kind, literal, tier in self.data["tiers"]:
            if (kind == "prefix" and name.startswith(literal)) or (kind == "equals" and name == literal):
                return tier
        return self.model.default_tier

    def on_baremetal(self, name: str) -> bool:
        return self.tier_of(name) not in self.model.baremetal_dropped

    def definition(self, name: str) -> Definition | None:
        row = self._definitions.get(name)
        return _decode_definition(self.data, row) if row is not None else None

    # -- lists (for `sffi-check runtime` and completion) --------------------------

    def interpreter_names(self) -> list[str]:
        return sorted(self._direct)

    def family_names(self, index: int) -> list[str]:
        return sorted(self._family_names[index])

    def registered_names(self) -> list[str]:
        return sorted(self._registered)

    def definitions(self) -> list[Definition]:
        return [_decode_definition(self.data, self._definitions[n]) for n in sorted(self._definitions)]

    def definition_names(self) -> list[str]:
        return sorted(self._definitions)

    def all_names(self) -> set[str]:
        names = set(self._direct) | set(self._registered)
        for names_of in self._family_names:
            names |= set(names_of)
        return names

    def interpreter_reaches(self, name: str) -> bool:
        return self.interpreter(name).handled
