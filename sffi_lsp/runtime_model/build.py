"""Build a `RuntimeModel` from a Simple checkout by reading its Rust sources.

Follows the runtime's own dispatch order (see ../shared facts): the
interpreter's dispatch table or big `match`, its wildcard families followed
into each family module, the capability-gap families, the dynamic fallback;
the compiled-code registry arrays and `symbol_tier_of`; and every C-ABI
function of the runtime crate, with `#[cfg]` inherited through `mod` and
`include!`. Nothing is compiled or run. Never raises for bad sources."""

from __future__ import annotations

import os
import tomllib

from ..rust_source import RustFileFacts, is_test_only, read_rust_file
from .checkout import find_checkout  # noqa: F401  (re-exported)
from ..rust_source.reader import MAX_FILE_BYTES
from .model import (
    COMPILER_DIR,
    INTERPRETER_DIR,
    INTERPRETER_FILE_OLD,
    REGISTRY_FILE,
    RUNTIME_CRATE_DIR,
    BAREMETAL_DROPPED_DEFAULT,
    Definition,
    Family,
    InterpreterEntry,
    RefusedFamily,
    RuntimeModel,
    Site,
    TierTest,
)

MAX_TREE_FILES = 20000


PARALLEL_MIN_BYTES = 1024 * 1024


def _read_share(paths: list[str]) -> list[RustFileFacts]:
    return [read_rust_file(p, signatures_only=True) for p in paths]


def default_jobs() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 4))
    except (AttributeError, OSError):
        return max(1, min(os.cpu_count() or 1, 4))


class _Reader:
    def __init__(self, root: str, jobs: int = 1):
        self.jobs = jobs
        self.root = os.path.abspath(root)
        self.model = RuntimeModel(source=self.root)
        self.facts: dict[str, RustFileFacts] = {}
        self.read_files: list[str] = []  # relpaths, for the cache's identity check
        self.walked_dirs: set[str] = set()
        self._rel: dict[str, str] = {}

    def rel(self, path: str) -> str:
        rel = self._rel.get(path)
        if rel is None:
            rel = self._rel[path] = os.path.relpath(path, self.root).replace(os.sep, "/")
        return rel

    def read(self, path: str, *, signatures_only: bool = False) -> RustFileFacts | None:
        path = os.path.normpath(path)
        if path in self.facts:
            return self.facts[path]
        if not os.path.isfile(path):
            return None
        facts = read_rust_file(path, signatures_only=signatures_only)
        self._record(path, facts)
        return facts

    def _record(self, path: str, facts) -> None:
        """Keep one file's facts and count it among the files the model was read from."""
        self.facts[path] = facts
        self.read_files.append(self.rel(path))
        self.model.files_read += 1
        try:
            self.model.bytes_read += min(os.path.getsize(path), MAX_FILE_BYTES)
        except OSError:
            pass
        for note in facts.notes:
            self.model.notes.append(note.replace(path, self.rel(path)))

    def site(self, path: str, line: int, cfg=(), crate: str = "") -> Site:
        return Site(self.rel(path), line, tuple(cfg), crate)

    def prefetch(self, paths: list[str]) -> None:
        """Read many files' signatures at once: in `jobs` forked processes when
        the tree is big enough to pay for them (the parse is the cost of a cold read)."""
        todo = [os.path.normpath(p) for p in paths if os.path.normpath(p) not in self.facts]
        if self.jobs <= 1 or len(todo) < 8:
            return
        try:
            total = sum(os.path.getsize(p) for p in todo)
        except OSError:
            return
        if total < PARALLEL_MIN_BYTES:
            return
        import multiprocessing  # noqa: PLC0415
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return
        # Interleaved shares keep big and small files mixed across workers.
        shares = [todo[k::self.jobs] for k in range(self.jobs)]
        try:
            with ProcessPoolExecutor(max_workers=self.jobs - 1, mp_context=context) as pool:
                futures = [pool.submit(_read_share, share) for share in shares[1:]]
                results = [_read_share(shares[0])] + [f.result() for f in futures]
        except Exception:  # no processes here (sandbox, limits): read serially
            return
        for share, facts_list in zip(shares, results):
            for path, facts in zip(share, facts_list):
                self._record(path, facts)

    # -- modules -------------------------------------------------------------

    @staticmethod
    def module_dir(path: str) -> str:
        base = os.path.basename(path)
        if base in ("mod.rs", "lib.rs", "main.rs"):
            return os.path.dirname(path)
        return os.path.join(os.path.dirname(path), os.path.splitext(base)[0])

    def resolve_module(self, parent: str, name: str, path_attr: str = "") -> str | None:
        if path_attr:
            candidate = os.path.join(os.path.dirname(parent), path_attr)
            return candidate if os.path.isfile(candidate) else None
        directory = self.module_dir(parent)
        for candidate in (os.path.join(directory, name + ".rs"), os.path.join(directory, name, "mod.rs")):
            if os.path.isfile(candidate):
                return candidate
        return None

    # -- interpreter -------------------------------------------------------------

    def interpreter(self) -> None:
        dispatch = os.path.join(self.root, INTERPRETER_DIR, "mod.rs")
        if not os.path.isfile(dispatch):
            dispatch = os.path.join(self.root, INTERPRETER_FILE_OLD)
        facts = self.read(dispatch)
        if facts is None:
            self.model.notes.append(f"no interpreter dispatch found ({INTERPRETER_DIR}/mod.rs)")
            return
        crate = "compiler"
        mods = {m.name: m for m in facts.modules}
        for row in facts.table_rows:
            self.model.interpreter.append(
                InterpreterEntry(row.name, self.site(dispatch, row.line, row.cfg, crate), "table", row.handler)
            )
        family_lines = set()
        families = []
        for test in facts.name_tests:
            if test.kind != "prefix" or "name" not in test.subject:
                continue
            inline = [a for a in facts.match_arms if a.within == test.if_line]
            if not inline and not test.calls:
                continue
            family_lines.add(test.if_line)
            families.append((test, inline))
        for arm in facts.match_arms:
            if arm.within in family_lines or arm.within != -1 and arm.within in family_lines:
                continue
            if arm.within == -1 and "name" in arm.scrutinee:
                self.model.interpreter.append(
                    InterpreterEntry(arm.name, self.site(dispatch, arm.line, arm.cfg, crate), "arm")
                )
        for test in facts.name_tests:
            if test.kind == "equals" and "name" in test.subject and test.if_line not in family_lines:
                self.model.interpreter.append(
                    InterpreterEntry(test.literal, self.site(dispatch, test.line, test.cfg, crate), "equals")
                )
        has_table = any(r.via != "insert" or r.function == "init_dispatch_table" for r in facts.table_rows)
        self.model.shape = "table" if facts.table_rows and has_table else ("match" if facts.match_arms else "")
        for test, inline in families:
            self.model.families.append(self.family(dispatch, test, inline, mods, crate))
        self.refused(dispatch, mods)
        self.dynamic(dispatch, mods)

    def family(self, dispatch: str, test, inline, mods, crate) -> Family:
        site = self.site(dispatch, test.line, test.cfg, crate)
        common = dict(prefix=test.literal, excludes=test.excludes, condition=test.other, site=site)
        if inline:
            names = tuple(
                InterpreterEntry(a.name, self.site(dispatch, a.line, a.cfg, crate), "arm")
                for a in inline
                if a.name.startswith(test.literal)
            )
            return Family(module="", names=names, names_known=True, **common)
        for call in test.calls:
            parts = call.split("::")
            if len(parts) < 2 or parts[0] in ("self", "super", "crate", "Err", "Ok", "Value", "CompileError"):
                continue
            decl = mods.get(parts[0])
            path = self.resolve_module(dispatch, parts[0], decl.path_attr if decl else "")
            if path is None:
                continue
            module_cfg = decl.cfg if decl else ()
            facts = self.read(path)
            if facts is None:
                continue
            function = parts[-1]
            entries = self.family_names(path, facts, function, test.literal, module_cfg, crate)
            return Family(module=self.rel(path), names=tuple(entries), names_known=bool(entries), **common)
        return Family(module="", names=(), names_known=False, **common)

    def family_names(self, path, facts: RustFileFacts, function: str, prefix: str, module_cfg, crate):
        def entry(name, line, cfg, kind):
            return InterpreterEntry(name, self.site(path, line, tuple(module_cfg) + tuple(cfg), crate), kind)

        out: dict[str, InterpreterEntry] = {}
        for arm in facts.match_arms:
            if arm.function == function and arm.name.startswith(prefix):
                out.setdefault(arm.name, entry(arm.name, arm.line, arm.cfg, "arm"))
        for test in facts.name_tests:
            if test.kind == "equals" and test.function == function and test.literal.startswith(prefix):
                out.setdefault(test.literal, entry(test.literal, test.line, test.cfg, "equals"))
        for row in facts.table_rows:
            if row.name.startswith(prefix):
                out.setdefault(row.name, entry(row.name, row.line, row.cfg, "table"))
        if not out:  # the dispatcher delegates to a helper or a table: any literal of the family
            for arm in facts.match_arms:
                if arm.name.startswith(prefix):
                    out.setdefault(arm.name, entry(arm.name, arm.line, arm.cfg, "arm"))
            for array in facts.string_arrays:
                for value, line in array.items:
                    if value.startswith(prefix) and value != prefix:
                        out.setdefault(value, entry(value, line, array.cfg, "table"))
        return sorted(out.values(), key=lambda e: e.name)

    def refused(self, dispatch: str, mods) -> None:
        for name, decl in mods.items():
            if "capability_gap" not in name:
                continue
            path = self.resolve_module(dispatch, name, decl.path_attr)
            facts = self.read(path) if path else None
            if facts is None:
                continue
            seen = set()
            for array in facts.string_arrays:
                for value, line in array.items:
                    if value.endswith("_") and value not in seen:
                        seen.add(value)
                        self.model.refused.append(RefusedFamily(value, self.site(path, line, decl.cfg + array.cfg, "compiler")))
            for test in facts.name_tests:
                if test.kind == "prefix" and test.literal not in seen:
                    seen.add(test.literal)
                    self.model.refused.append(
                        RefusedFamily(test.literal, self.site(path, test.line, decl.cfg + test.cfg, "compiler"))
                    )

    def dynamic(self, dispatch: str, mods) -> None:
        for name, decl in mods.items():
            if name not in ("dynamic_sffi", "dynamic_ffi"):
                continue
            path = self.resolve_module(dispatch, name, decl.path_attr)
            if path is None:
                continue
            try:
                with open(dispatch, "rb") as fh:
                    used = f"{name}::".encode() in fh.read(MAX_FILE_BYTES)
            except OSError:
                used = False
            if not used:
                continue
            line = 0
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for i, text in enumerate(fh):
                        if "fn load_runtime_library" in text:
                            line = i
                            break
            except OSError:
                pass
            self.read_files.append(self.rel(path))
            self.model.dynamic_fallback = self.site(path, line, decl.cfg, "compiler")
            return

    # -- compiled registry --------------------------------------------------------

    def registry(self) -> None:
        path = os.path.join(self.root, REGISTRY_FILE)
        facts = self.read(path)
        if facts is None:
            self.model.notes.append(f"no compiled-code registry found ({REGISTRY_FILE})")
            return
        for array in facts.string_arrays:
            if "RUNTIME_SYMBOL" not in array.name:
                continue
            for value, line in array.items:
                self.model.registered.append(InterpreterEntry(value, self.site(path, line, array.cfg, "common"), "table"))
        tests = sorted((t for t in facts.name_tests if t.function == "symbol_tier_of"), key=lambda t: (t.line, t.literal))
        for test in tests:
            if test.returns:
                self.model.tiers.append(TierTest(test.kind, test.literal, test.returns[0]))
        self.model.default_tier = facts.tails.get("symbol_tier_of", "")
        dropped = []
        for arm in facts.tier_arms:
            if arm.function == "runtime_symbols_for_baremetal" and arm.value.replace(" ", "").startswith("!is_baremetal"):
                dropped.extend(arm.variants)
        self.model.baremetal_dropped = tuple(dropped) or BAREMETAL_DROPPED_DEFAULT

    # -- definitions ------------------------------------------------------------------

    def definitions(self) -> None:
        crate_dir = os.path.join(self.root, RUNTIME_CRATE_DIR)
        src = os.path.join(crate_dir, "src")
        if not os.path.isdir(src):
            self.model.notes.append(f"no runtime crate found ({RUNTIME_CRATE_DIR}/src)")
            return
        files = []
        for directory, dirs, names in os.walk(src):
            dirs.sort()
            self.walked_dirs.add(self.rel(directory))
            for n in sorted(names):
                if n.endswith(".rs"):
                    files.append(os.path.join(directory, n))
            if len(files) > MAX_TREE_FILES:
                self.model.notes.append(f"{self.rel(src)}: more than {MAX_TREE_FILES} files; the rest are not read")
                break
        self.prefetch(files)
        inherited: dict[str, tuple[str, ...]] = {}
        queue = [p for p in (os.path.join(src, "lib.rs"), os.path.join(src, "main.rs")) if os.path.isfile(p)]
        for p in queue:
            inherited[os.path.normpath(p)] = ()
        while queue:
            parent = queue.pop(0)
            facts = self.read(parent, signatures_only=True)
            if facts is None:
                continue
            base_cfg = inherited[os.path.normpath(parent)]
            children = [(self.resolve_module(parent, m.name, m.path_attr), m.cfg) for m in facts.modules]
            children += [
                (os.path.join(os.path.dirname(parent), inc.path), inc.cfg) for inc in facts.includes if inc.path
            ]
            for child, cfg in children:
                if child is None:
                    continue
                child = os.path.normpath(child)
                if child not in inherited:
                    inherited[child] = base_cfg + tuple(cfg)
                    queue.append(child)
        for path in files + [p for p in inherited if p not in set(map(os.path.normpath, files))]:
            path = os.path.normpath(path)
            cfg = inherited.get(path, ())
            if any(is_test_only(c) for c in cfg):
                continue
            facts = self.read(path, signatures_only=True)
            if facts is None:
                continue
            for fn in facts.functions:
                self.model.definitions.append(
                    Definition(
                        fn.name, fn.rust_name, tuple((p.name, p.type) for p in fn.params), fn.returns,
                        self.site(path, fn.line, cfg + fn.cfg, "runtime"), fn.unsafe, fn.defined, fn.via_macro,
                    )
                )

    def features(self) -> None:
        for crate, rel in (("compiler", "compiler"), ("runtime", "runtime"), ("common", "common")):
            path = os.path.join(self.root, COMPILER_DIR, rel, "Cargo.toml")
            try:
                with open(path, "rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            default = data.get("features", {}).get("default", [])
            if isinstance(default, list):
                self.model.default_features[crate] = sorted(str(x) for x in default if isinstance(x, str))
            self.read_files.append(self.rel(path))


def read_runtime(root: str, jobs: int | None = None) -> tuple[RuntimeModel, list[str], list[str]]:
    """The model of the checkout at `root`, plus the files and directories it was
    read from. `jobs` > 1 reads a big runtime crate in forked processes
    (default: the usable CPUs, at most 4); pass 1 from a threaded process."""
    reader = _Reader(root, default_jobs() if jobs is None else jobs)
    reader.features()
    reader.interpreter()
    reader.registry()
    reader.definitions()
    # A file created later where we looked (a family module, the registry) changes its directory.
    for rel in (INTERPRETER_DIR, os.path.dirname(INTERPRETER_FILE_OLD), os.path.dirname(REGISTRY_FILE)):
        if os.path.isdir(os.path.join(reader.root, rel)):
            reader.walked_dirs.add(rel)
    return reader.model, sorted(set(reader.read_files)), sorted(reader.walked_dirs)
