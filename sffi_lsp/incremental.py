"""`sffi-check` after a few files changed: re-judge only the files whose findings can differ.

A file's findings depend on its own model, the providers and configuration (the result
key without the file keys: `TreeRecord.key`), and the cross-file facts its rules read:
who declares a name and how (SFFI010 conflicting declarations, SFFI011 arity, rename
fixes), who calls or `use`s it (SFFI012 unused), which top-level functions mangle to it
(the `simple` provider), and who imports its file (SFFI012's binding reason). The last
full run keeps, in `<cache>/incremental.pickle`, what it printed per file (in its output
format) and a compact index of those facts (name -> declaring / referring files, mangled
symbol -> defining files, file -> importing files). A run that finds a few files changed:

1. parses only those (`parse_source` with the stored focus), and compares each old model
   (still in the model store) with the new one: the names whose declarations changed
   (in any way, spans included), whose calls or uses changed, the mangled symbols that
   appeared, went or moved;
2. re-judges the changed files plus every file that declares, calls or defines one of
   those names (and the files a changed file imports when its `use` lines moved);
3. runs the ordinary `check` on a workspace of the re-judged files and their context
   (every file declaring, calling or defining a name the re-judged files declare or
   call, and their importers): exactly what each rule reads about them;
4. prints the stored text of the other files and the fresh text of the re-judged ones.

A file touched but parsing to the same model (same codec bytes) is re-judged by nobody.
The changed files' new models are kept in the record (`overlay`) rather than by rewriting
the whole model store each time.

Anything this does not follow falls back to a whole check (returns None): another set
of files, a name the stored models did not keep calls of, changed `use` items, library,
static-link, manifest or wrapper findings (tree-wide placements), findings outside the
tree, too many changed files. The record is versioned; a damaged or foreign one is a miss.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

RECORD_FILE = "incremental.pickle"
RECORD_FORMAT = 2  # bump when the record layout or what a chunk holds changes
# formats whose text is the per-file texts joined (by this separator), in file order
JOINERS = {"concise": "", "github": "", "full": "\n"}
MAX_CHANGED = 64  # files; beyond this a whole check is as quick
MAX_OVERLAY = 256  # models kept in the record before the model store is rewritten
_SEVERITIES = ("error", "warning", "info", "hint")


def referred_names(model) -> set[str]:
    """Names a file calls or names in a `use`/`export` list (`Workspace.is_referenced`)."""
    out = {c.name for c in model.calls}
    for u in model.uses:
        out.update(u.names)
    return out


def mangled_symbols(model, base: str) -> dict[str, tuple]:
    from .check.providers.simple_functions import file_functions  # noqa: PLC0415

    return {fn.symbol: (fn.qualified, fn.line, fn.column) for fn in file_functions(model, base)}


def _use_keys(model) -> tuple:
    return tuple((u.kind, u.path, u.names) for u in model.uses)


def _use_spans(model) -> tuple:
    return tuple((u.kind, u.path, u.names, u.span) for u in model.uses)


def _decls_by_name(model) -> dict[str, list]:
    out: dict[str, list] = {}
    for e in model.externs:
        out.setdefault(e.name, []).append(e)
    return out


def _calls_by_name(model) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in model.calls:
        out.setdefault(c.name, []).append((c.span, c.qualified, c.arg_count, c.args_span))
    return out


@dataclass(slots=True)
class TreeRecord:
    """The last full (or incremental) run, per file in tree order."""

    key: str
    render: str
    watch: dict
    focus: frozenset
    paths: list[str]
    sizes: list[int]
    mtimes: list[int]
    chunks: list[bytes]  # the file's printed text (UTF-8)
    counts: list[tuple]  # findings per severity, in _SEVERITIES order
    suppressed: list[int]
    unchecked: list[int]
    declarers: dict[str, list[int]]
    referrers: dict[str, list[int]]
    definers: dict[str, list[int]]  # mangled symbol -> files defining it
    importers: dict[int, list[int]]  # file -> files importing it
    # path -> (size, mtime_ns, candidates, codec bytes): models re-read by incremental runs and
    # not yet written to the model store (rewriting the whole store per edit cost more than
    # the re-check); a whole run writes them there.
    overlay: dict[str, tuple]

    def as_plain(self) -> tuple:
        return ("sffi-incremental", RECORD_FORMAT, self.key, self.render, self.watch, self.focus, self.paths,
                self.sizes, self.mtimes, self.chunks, self.counts, self.suppressed, self.unchecked,
                self.declarers, self.referrers, self.definers, self.importers, self.overlay)

    def entry(self, stored, path: str):
        """The model entry this record was made from for `path` (overlay first), or None."""
        held = self.overlay.get(path)
        if held is not None:
            from .cache import StoredModel  # noqa: PLC0415

            return StoredModel(*held)
        return stored.entries.get(path)


def load_record(directory: str) -> TreeRecord | None:
    """The stored record, or None when absent, damaged, foreign or of another version."""
    import gc  # noqa: PLC0415

    from .cache import _unpickler_classes  # noqa: PLC0415

    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(os.path.join(directory, RECORD_FILE), "rb") as fh:
            plain = _unpickler_classes()["plain"](fh).load()
        if not isinstance(plain, tuple) or len(plain) != 18 or plain[0] != "sffi-incremental" \
                or plain[1] != RECORD_FORMAT:
            return None
        rec = TreeRecord(*plain[2:])
        n = len(rec.paths)
        if not (isinstance(rec.key, str) and isinstance(rec.watch, dict) and isinstance(rec.focus, frozenset)
                and all(isinstance(x, list) and len(x) == n for x in
                        (rec.sizes, rec.mtimes, rec.chunks, rec.counts, rec.suppressed, rec.unchecked))
                and all(isinstance(x, dict) for x in (rec.declarers, rec.referrers, rec.definers, rec.importers,
                                                      rec.overlay))):
            return None
        if not all(isinstance(v, tuple) and len(v) == 4 and type(v[0]) is int and type(v[1]) is int
                   and isinstance(v[2], frozenset) and isinstance(v[3], bytes) for v in rec.overlay.values()):
            return None
        return rec
    except Exception:  # noqa: BLE001  (missing, truncated, corrupt, planted: a whole check)
        return None
    finally:
        if enabled:
            gc.enable()


def save_record(directory: str, rec: TreeRecord) -> bool:
    import pickle  # noqa: PLC0415

    from .atomic_file import replace_atomically  # noqa: PLC0415

    def write(fh) -> None:
        pickle.dump(rec.as_plain(), fh, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        return replace_atomically(os.path.join(directory, RECORD_FILE), write, suffix=".pickle")
    except (pickle.PicklingError, TypeError, ValueError, RecursionError):
        return False


def forget(directory: str) -> None:
    """Remove the record (a run that could not keep one must not leave an outdated one)."""
    try:
        os.unlink(os.path.join(directory, RECORD_FILE))
    except OSError:
        pass


# ------------------------------------------------------------------------------ rendering


def render_chunks(findings: Sequence, paths: Sequence[str], fmt: str, color: bool,
                  resolutions: dict | None = None) -> list[str] | None:
    """The printed text of each file's findings (in `paths` order), or None when a finding
    lies outside `paths` or the findings are not in path order (not spliceable)."""
    from . import output  # noqa: PLC0415
    from .output.encoding import valid_utf8  # noqa: PLC0415

    at = {p: i for i, p in enumerate(paths)}
    groups: list[list] = [[] for _ in paths]
    last = -1
    for f in findings:
        i = at.get(f.path)
        if i is None or i < last:
            return None
        last = i
        groups[i].append(f)
    render = output.renderer(fmt)
    display, sources = output.DisplayPaths(), output.SourceLines()
    out = []
    for g in groups:
        if not g:
            out.append("")
            continue
        report = output.Report(findings=g, externs=[], resolutions=resolutions or {}, display=display,
                               sources=sources, color=color)
        out.append(valid_utf8(render(report)))
    return out


def joined(chunks: Sequence[bytes], fmt: str) -> bytes:
    sep = JOINERS[fmt].encode()
    return sep.join(c for c in chunks if c)


def severity_counts(findings: Sequence) -> tuple:
    by = {s: 0 for s in _SEVERITIES}
    for f in findings:
        by[f.severity.value] = by.get(f.severity.value, 0) + 1
    return tuple(by[s] for s in _SEVERITIES)


def totals(rec: TreeRecord) -> dict[str, int]:
    sums = [0] * len(_SEVERITIES)
    for c in rec.counts:
        for k, n in enumerate(c):
            sums[k] += n
    return {s: n for s, n in zip(_SEVERITIES, sums) if n}


# ------------------------------------------------------------------------------ the full run's record


def tree_wide_findings(ctx) -> bool:
    """True when the check has findings placed by tree-wide scans (libraries with problems,
    static links, manifest entries): those are not followed incrementally."""
    from .check.rules._libraries import library_issues  # noqa: PLC0415

    providers = ctx.providers
    if getattr(providers, "static_specs", None):
        return True
    try:
        if list(providers.manifest_entries() or ()):
            return True
        return bool(library_issues(ctx))
    except Exception:  # noqa: BLE001
        return True


def build_record(key: str, render: str, watch: dict, focus: frozenset, paths: Sequence[str], models: Sequence,
                 workspace, chunks: Sequence[str], findings: Sequence, suppressed_by_path: dict,
                 unchecked_by_path: dict, root: str, stats: Sequence[tuple[int, int]] | None = None) -> TreeRecord:
    """The record of a whole run (`models` in `paths` order). `stats`: the (size, mtime_ns)
    of each path taken before the run read it (the run's key was made from them: a file
    edited while the run went on then differs next time); statted here when None."""
    import os as _os  # noqa: PLC0415

    from .check.providers.simple_functions import mangled_names, source_root  # noqa: PLC0415

    base = source_root(root)
    at = {p: i for i, p in enumerate(paths)}
    if stats is None or len(stats) != len(paths):
        stats = [(st.st_size, st.st_mtime_ns) for st in map(_os.stat, paths)]
    sizes = [size for size, _m in stats]
    mtimes = [mtime for _s, mtime in stats]
    per_file: list[list] = [[] for _ in paths]
    for f in findings:
        per_file[at[f.path]].append(f)
    declarers: dict[str, list[int]] = {}
    referrers: dict[str, list[int]] = {}
    definers: dict[str, list[int]] = {}
    importers: dict[int, list[int]] = {}
    for i, m in enumerate(models):
        for name in {e.name for e in m.externs}:
            declarers.setdefault(name, []).append(i)
        for name in referred_names(m):
            referrers.setdefault(name, []).append(i)
        for sym in dict.fromkeys(mangled_names(m, base)):  # the keys of mangled_symbols, spans unbuilt
            definers.setdefault(sym, []).append(i)
        who = sorted({at[p] for p, _ in workspace.importers_of(m.path) if p in at})
        if who:
            importers[i] = who
    return TreeRecord(key, render, dict(watch), frozenset(focus), list(paths), sizes, mtimes,
                      [c.encode("utf-8", "surrogateescape") for c in chunks],
                      [severity_counts(g) for g in per_file],
                      [suppressed_by_path.get(p, 0) for p in paths],
                      [unchecked_by_path.get(p, 0) for p in paths],
                      declarers, referrers, definers, importers, {})


# ------------------------------------------------------------------------------ the incremental run


@dataclass(slots=True)
class Outcome:
    text: bytes
    counts: dict[str, int]
    suppressed: int
    unchecked: int
    rechecked: int  # files re-judged (for tests and benchmarks)


def recheck(directory: str, key: str, render: str, fmt: str, color: bool, paths: Sequence[str], store,
            providers, config, roots: Sequence[str], cap: Callable[[list], list],
            stats: Sequence[tuple[int, int]] | None = None) -> Outcome | None:
    """The run's output from the record and a check of the affected files only, the record
    and the model store brought up to date; None when a whole check is needed. `stats`:
    the (size, mtime_ns) of each of `paths` this run already took (statted here when None)."""
    from .atomic_file import stat_identity  # noqa: PLC0415

    if fmt not in JOINERS:
        return None
    rec = load_record(directory)
    if rec is None or rec.key != key or rec.render != render or rec.paths != list(paths):
        return None
    for path, ident in rec.watch.items():
        if stat_identity(path) != ident:
            return None
    if stats is None or len(stats) != len(rec.paths):
        try:
            stats = [(st.st_size, st.st_mtime_ns) for st in map(os.stat, rec.paths)]
        except OSError:
            return None
    keys = list(stats)
    changed = [i for i, (size, mtime) in enumerate(keys) if size != rec.sizes[i] or mtime != rec.mtimes[i]]
    if len(changed) > MAX_CHANGED:
        return None
    if not changed:  # (the answer file of this key was lost): the stored text is the answer
        return Outcome(joined(rec.chunks, fmt), totals(rec), sum(rec.suppressed), sum(rec.unchecked), 0)
    return _recheck_changed(directory, rec, changed, keys, fmt, color, store, providers, config, roots, cap)


def _recheck_changed(directory, rec: TreeRecord, changed, keys, fmt, color, store, providers, config, roots, cap):
    from .check.engine import CheckContext, check  # noqa: PLC0415
    from .check.providers.simple_functions import source_root  # noqa: PLC0415
    from .check.rules.signature_unchecked import unchecked  # noqa: PLC0415
    from .check.types import Workspace  # noqa: PLC0415
    from .syntax.codec import dumps  # noqa: PLC0415
    from .syntax.parser import extern_name_candidates, parse_source, read_text  # noqa: PLC0415
    from .tree_parse import _TRANSIENT_PROBLEMS  # noqa: PLC0415

    stored = store.load()
    if stored.focus is None or stored.focus != rec.focus:
        return None
    base = source_root(config.root)
    paths = rec.paths
    models: dict[int, object] = {}
    new_entries: dict[int, tuple] = {}
    affected: set[int] = set()
    imports_moved: set[int] = set()
    pairs = []
    for i in changed:
        path = paths[i]
        entry = rec.entry(stored, path)
        if entry is None or entry.size != rec.sizes[i] or entry.mtime_ns != rec.mtimes[i]:
            return None  # the store does not hold the model the record was made from
        old = entry.model(path)
        if old is None:
            return None
        try:
            text = read_text(path)
        except (OSError, ValueError):
            return None
        cands = extern_name_candidates([text]) or frozenset()
        if not cands <= rec.focus:
            return None  # a name no stored model kept calls of: the model store re-reads the tree
        new = parse_source(text, path, rec.focus)
        if any(p.message.startswith(_TRANSIENT_PROBLEMS) for p in new.problems):
            return None
        if _use_keys(old) != _use_keys(new):
            return None
        blob = dumps(new)
        new_entries[i] = (cands, blob)
        models[i] = new
        if blob == entry.blob:
            continue  # touched, or edited back: the same model, so the same findings and facts
        affected.add(i)
        if _use_spans(old) != _use_spans(new):
            imports_moved.add(i)
        pairs.append((i, old, new))
    # What changed for the other files. Declarations: every file declaring or calling the name
    # (conflicts, arity, the places messages name). Calls and uses: the files declaring the
    # name, when whether it is referenced at all flips (SFFI012; rename fixes also list other
    # files' calls, but no format this record serves prints their edits). Mangled functions:
    # the files declaring the symbol (their resolution).
    flips: set[str] = set()
    for i, old, new in pairs:
        od, nd = _decls_by_name(old), _decls_by_name(new)
        for n in od.keys() | nd.keys():
            if od.get(n) != nd.get(n):
                affected.update(rec.declarers.get(n, ()))
                affected.update(rec.referrers.get(n, ()))
        oc, nc = _calls_by_name(old), _calls_by_name(new)
        flips |= {n for n in oc.keys() | nc.keys() if oc.get(n) != nc.get(n)} | (referred_names(old) ^ referred_names(new))
        om, nm = mangled_symbols(old, base), mangled_symbols(new, base)
        for sym in om.keys() | nm.keys():
            if om.get(sym) != nm.get(sym):
                affected.update(rec.declarers.get(sym, ()))
    referenced_before = {n: bool(rec.referrers.get(n)) for n in flips}
    for i, old, new in pairs:
        _reindex(rec, i, old, new, base)
    for n, before in referenced_before.items():
        if bool(rec.referrers.get(n)) != before:
            affected.update(rec.declarers.get(n, ()))
    for i in imports_moved:
        affected.update(j for j, who in rec.importers.items() if i in who)
    if not affected:
        return _save(directory, rec, changed, keys, store, stored, new_entries, fmt, 0)

    def model_of(i: int):
        m = models.get(i)
        if m is None:
            entry = rec.entry(stored, paths[i])
            if entry is None or entry.size != rec.sizes[i] or entry.mtime_ns != rec.mtimes[i]:
                raise LookupError(paths[i])
            m = entry.model(paths[i])
            if m is None:
                raise LookupError(paths[i])
            models[i] = m
        return m

    try:
        context: set[int] = set(affected)
        for a in affected:
            m = model_of(a)
            for n in {e.name for e in m.externs}:
                context.update(rec.declarers.get(n, ()))
                context.update(rec.referrers.get(n, ()))
                context.update(rec.definers.get(n, ()))
            for n in referred_names(m):
                context.update(rec.declarers.get(n, ()))
            context.update(rec.importers.get(a, ()))
        order = sorted(context)
        sub = [model_of(i) for i in order]
    except LookupError:
        return None
    workspace = Workspace(sub, roots=roots)
    result = check(workspace, providers, config)
    if getattr(providers, "unsettled", False):
        return None  # something unreadable now: the whole check says what
    ctx = CheckContext(workspace, providers, config)
    if tree_wide_findings(ctx):
        return None
    wanted = {paths[i] for i in affected}
    inside = {paths[i] for i in order}
    if any(f.path not in inside for f in result.findings):
        return None
    findings = cap([f for f in result.findings if f.path in wanted])
    mine = sorted(affected)
    chunks = render_chunks(findings, [paths[i] for i in mine], fmt, color, result.by_decl)
    if chunks is None:
        return None
    per: dict[str, list] = {}
    for f in findings:
        per.setdefault(f.path, []).append(f)
    try:
        unchecked_by: dict[str, int] = {}
        for decl, _ in unchecked(CheckContext(workspace, providers, config)):
            unchecked_by[decl.path] = unchecked_by.get(decl.path, 0) + 1
    except Exception:  # noqa: BLE001
        unchecked_by = {}
    sup = result.suppressed_by_path
    for i, chunk in zip(mine, chunks):
        p = paths[i]
        rec.chunks[i] = chunk.encode("utf-8", "surrogateescape")
        rec.counts[i] = severity_counts(per.get(p, ()))
        rec.suppressed[i] = sup.get(p, 0)
        rec.unchecked[i] = unchecked_by.get(p, 0)
    return _save(directory, rec, changed, keys, store, stored, new_entries, fmt, len(affected))


def _save(directory, rec: TreeRecord, changed, keys, store, stored, new_entries, fmt, rechecked: int) -> Outcome:
    """The changed files' new keys and models into the model store, then the record."""
    from .cache import StoredModel  # noqa: PLC0415

    for i in changed:
        rec.sizes[i], rec.mtimes[i] = keys[i]
    for i, (cands, blob) in new_entries.items():
        rec.overlay[rec.paths[i]] = (keys[i][0], keys[i][1], cands, blob)
    if len(rec.overlay) > MAX_OVERLAY:  # the model store takes them all (one rewrite)
        entries = dict(stored.entries)
        for path, held in rec.overlay.items():
            entries[path] = StoredModel(*held)
        if store.save(rec.focus, entries):
            rec.overlay = {}
    if not save_record(directory, rec):
        forget(directory)
    return Outcome(joined(rec.chunks, fmt), totals(rec), sum(rec.suppressed), sum(rec.unchecked), rechecked)


def _reindex(rec: TreeRecord, i: int, old, new, base: str) -> None:
    """Move file `i` in the record's index from its old model's facts to the new one's."""
    for table, before, after in (
        (rec.declarers, {e.name for e in old.externs}, {e.name for e in new.externs}),
        (rec.referrers, referred_names(old), referred_names(new)),
        (rec.definers, set(mangled_symbols(old, base)), set(mangled_symbols(new, base))),
    ):
        for n in before - after:
            rows = table.get(n)
            if rows is not None:
                rows = [j for j in rows if j != i]
                if rows:
                    table[n] = rows
                else:
                    del table[n]
        for n in after - before:
            rows = table.setdefault(n, [])
            if i not in rows:
                rows.append(i)
                rows.sort()
