"""`sffi-check`: check the extern declarations of Simple sources against real libraries.

    sffi-check [PATH ...] [--library LIB] [--output-format full|concise|json|sarif|github] ...
    sffi-check symbols LIB [NAME ...] [--json]
    sffi-check --explain CODE|NAME

Exit status: 0 no error-level finding (or --exit-zero), 1 error-level findings,
2 usage, configuration or internal error. Findings go to stdout; progress and
logs to stderr. This module is an adapter: the checking is `sffi_lsp.check`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from . import output
from .cache import CACHE_DIR_NAME, FileKey, ModelStore, ResultCache
from .check.baseline import BaselineError, filter_baselined, write_baseline
from .check.rules import ALL_RULES, lookup_rule
from .check.types import Finding, Severity
from .config_types import Config, LibrarySpec
from .model import SourceFile, Span, SyntaxProblem

PROG = "sffi-check"
SERIAL_BELOW = 48  # files to parse; below this a process pool costs more than it saves
PROGRESS_ABOVE = 200  # files; progress bar only for runs this long, and only on a terminal
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line or input: one line on stderr, exit 2."""


# --------------------------------------------------------------------------- arguments


def _csv(values: Sequence[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Check Simple `extern fn` declarations against the symbols real shared libraries export.",
        epilog="Subcommands: `sffi-check symbols LIB [NAME ...] [--json]` lists what a library exports; "
               "`sffi-check runtime [--source DIR] [PATH ...]` audits a Simple runtime from its Rust sources.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to check (default: .)")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--library", action="append", default=[], metavar="PATH",
                   help="a library that may provide externs (repeatable); a name without '/' is searched for as "
                        "the dynamic linker would (write ./NAME for a file in the current directory)")
    p.add_argument("--builtins", action="append", default=[], metavar="FILE",
                   help="a runtime built-ins list (one name or signature a line; repeatable)")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: sffi.toml or pyproject.toml found upwards)")
    p.add_argument("--output-format", choices=output.FORMATS, default=None,
                   help="how findings are printed (default: full on a terminal, concise otherwise)")
    p.add_argument("--select", action="append", metavar="CODES", help="rules to run (codes, prefixes or names; comma-separated)")
    p.add_argument("--extend-select", action="append", metavar="CODES", help="rules added to the selection")
    p.add_argument("--ignore", action="append", metavar="CODES", help="rules not to report")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are error-level findings")
    p.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    p.add_argument("--explain", metavar="CODE", help="explain a rule (by code or name) and exit")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="parallel parser processes (default: the idle cores)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the parse cache")
    p.add_argument("--runtime-mode", choices=("dynamic", "builtin-only"), help="how the runtime resolves externs")
    p.add_argument("--runtime-source", metavar="DIR",
                   help="a Simple checkout whose Rust sources say what the runtime handles (default: the checkout "
                        "holding the checked paths, if any)")
    p.add_argument("--abi", metavar="PROFILE", help="ABI profile for signature checks: native, cstring, dynamic or a configured one")
    p.add_argument("--baseline", metavar="FILE", help="hide the findings recorded in FILE")
    p.add_argument("--write-baseline", metavar="FILE", help="record every current finding in FILE and exit 0")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary or progress on stderr")
    return p


def build_symbols_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{PROG} symbols", description="Show what a library exports, as dlsym sees it (or, for a .o / .a, what a static link binds).")
    p.add_argument("library", metavar="LIB", help="library path or bare name (found as ld.so would)")
    p.add_argument("names", nargs="*", metavar="NAME", help="symbols to look up (default: list every export)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--search-path", action="append", default=[], metavar="DIR", help="extra library search directory")
    return p


# --------------------------------------------------------------------------- files


class _Globs:
    """Config globs compiled once (a walk tests every file and directory)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        from .config_paths import glob_to_regex  # noqa: PLC0415

        import re  # noqa: PLC0415

        res = [glob_to_regex(p.replace(os.sep, "/")) for p in patterns]
        flags = 0
        for r in res:
            flags |= r.flags
        # one alternation: one C-level match per path instead of one per glob
        self._match = re.compile("|".join(f"(?:{r.pattern})" for r in res), flags).match if res else None

    def __call__(self, rel: str) -> bool:
        return self._match is not None and self._match(rel) is not None


def discover(paths: Sequence[str], config: Config, specs: list[str] | None = None) -> list[str]:
    """The `.spl` files to check (absolute, sorted). Files named explicitly are
    always checked; directories are walked with the include/exclude globs.
    `specs`, when given, receives the wrapper specs (`*.wrapper_spec`) met on
    the way (the same walk: exclude globs apply, include globs do not)."""
    from .wrapper_spec import SPEC_SUFFIX  # noqa: PLC0415

    found: set[str] = set()
    spec_paths: set[str] = set()
    included = _Globs(config.include or ("**/*.spl",))
    excluded = _Globs(config.exclude)

    def is_excluded(rel: str) -> bool:
        return excluded(rel) or excluded(rel + "/")

    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.exists(path):
            raise UsageError(f"{raw}: no such file or directory")
        if not os.path.isdir(path):
            if not os.path.isfile(path):
                raise UsageError(f"{raw}: not a regular file or directory")
            (spec_paths if path.endswith(SPEC_SUFFIX) else found).add(path)
            continue
        base = config.root if (path + os.sep).startswith(config.root.rstrip(os.sep) + os.sep) else path
        rel_top = os.path.relpath(path, base).replace(os.sep, "/")
        # one scandir per directory: its entries know their type (no stat per
        # file, as os.walk + isfile did: 9 ms of a 450-file cold run)
        pending = [(path, "" if rel_top == "." else rel_top + "/")]
        while pending:
            dirpath, rel_dir = pending.pop()
            try:
                with os.scandir(dirpath) as it:
                    entries = list(it)
            except OSError:  # unreadable directory: skipped, as os.walk did
                continue
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if name != CACHE_DIR_NAME and not is_excluded(rel_dir + name):
                            pending.append((entry.path, rel_dir + name + "/"))
                        continue
                    rel = rel_dir + name
                    if specs is not None and name.endswith(SPEC_SUFFIX):
                        if not is_excluded(rel) and entry.is_file():
                            spec_paths.add(entry.path)
                        continue
                    if not included(rel) or is_excluded(rel):
                        continue
                    if entry.is_file():  # skips FIFOs, sockets and dangling links named *.spl
                        found.add(entry.path)
                except OSError:
                    continue
    if specs is not None:
        specs.extend(sorted(spec_paths))
    return sorted(found)


def _parser():
    try:
        from .syntax import parse_file  # noqa: PLC0415
    except ImportError:  # older layout: the function lives in the parser module
        from .syntax.parser import parse_file  # noqa: PLC0415
    return parse_file


def _parse_path(path: str) -> SourceFile:
    """Parse one file; never raises (a worker crash must not take the run with it)."""
    try:
        return _parser()(path)
    except OSError as exc:
        problem = f"cannot read file: {exc.strerror or exc}"
    except Exception as exc:  # the parser promises not to raise; keep a bug visible but contained
        problem = f"internal parser error ({type(exc).__name__}: {exc}); externs in this file were not read"
    return SourceFile(path=path, problems=[SyntaxProblem(problem, Span(0, 0, 0, 0, 0, 0))])


class Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and total > 0
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        width = 30
        filled = int(width * self.done / self.total)
        sys.stderr.write(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def parse_all(files: Sequence[str], store: ModelStore | None, jobs: int, quiet: bool) -> list[SourceFile]:
    try:
        if store is None:
            return _parse_focused(files, jobs)
        return _parse_stored(files, store, jobs, quiet)
    finally:
        gc.freeze()  # the models live until exit: keep later collections from rescanning them


# A store whose focus has grown past this many names beyond what the tree can declare
# (externs renamed or deleted over many runs) is rebuilt rather than grown further.
_STALE_FOCUS = 2_000


def _parse_stored(files: Sequence[str], store: ModelStore, jobs: int, quiet: bool) -> list[SourceFile]:
    """Models of `files` from the model store where unchanged, parsed otherwise; the store is
    rewritten (once) when anything changed.

    Every model is parsed as `--no-cache` parses (read all texts of the files to parse,
    focus on the names the tree could declare as externs) and encoded with
    `syntax.codec` (forked workers encode their own share), so an empty store costs the
    run little more than `--no-cache`: no second parse, one file written."""
    # Models, stored entries and texts are hundreds of thousands of small acyclic objects:
    # the cyclic GC would rescan them all again and again (measured: a third of a run
    # that loads a big store). The parser pauses it per file anyway.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_stored_gc_off(files, store, jobs, quiet)
    finally:
        if enabled:
            gc.enable()


def _parse_stored_gc_off(files: Sequence[str], store: ModelStore, jobs: int, quiet: bool) -> list[SourceFile]:
    import re  # noqa: PLC0415

    from .cache import StoredModel  # noqa: PLC0415
    from .syntax.parser import extern_name_candidates, read_text  # noqa: PLC0415

    n = len(files)
    stored = store.load()
    keys = [FileKey.of(p) for p in files]
    fresh: dict[int, StoredModel] = {}
    for i, key in enumerate(keys):
        entry = stored.fresh(key) if key is not None else None
        if entry is not None:
            fresh[i] = entry
    texts: list[str | None] = [None] * n

    def read(i: int) -> None:
        try:
            texts[i] = read_text(files[i])
        except (OSError, ValueError):
            texts[i] = None  # parse_file reports it

    for i in range(n):
        if i not in fresh:
            read(i)
    candidates = [fresh[i].candidates if i in fresh else
                  (extern_name_candidates([texts[i]]) or frozenset()) if texts[i] is not None else frozenset()
                  for i in range(n)]
    wanted = frozenset().union(*candidates)
    focus = wanted
    if stored.focus is not None and fresh:
        if len(stored.focus - wanted) > _STALE_FOCUS:
            for i in fresh:
                read(i)
            fresh.clear()
        else:
            focus = stored.focus | wanted
            new = wanted - stored.focus
            if new:
                # Names no stored model kept calls of: the files that mention one are re-parsed.
                mention = re.compile("|".join(map(re.escape, sorted(new, key=len, reverse=True))))
                for i in list(fresh):
                    read(i)
                    if texts[i] is None or mention.search(texts[i]):
                        del fresh[i]
    todo = [i for i in range(n) if i not in fresh]
    store.hits, store.misses = len(fresh), len(todo)
    progress = Progress(len(todo), not quiet and sys.stderr.isatty() and n > PROGRESS_ABOVE)
    models: list[SourceFile | None] = [None] * n
    encoded: list[bytes | None] = [None] * n
    try:
        for i, entry in fresh.items():
            models[i] = entry.model(files[i])
            encoded[i] = entry.blob
            if models[i] is None:  # undecodable entry: parse it too
                read(i)
                todo.append(i)
        todo.sort()
        done = None
        if jobs > 1 and len(todo) >= SERIAL_BELOW:
            done = _parse_forked([files[i] for i in todo], [texts[i] for i in todo], focus, jobs, progress,
                                 encode=True)
        if done is None:
            from .syntax.codec import dumps  # noqa: PLC0415

            done = []
            for i in todo:
                m = _parse_texts(files, texts, focus, range(i, i + 1))[0]
                done.append((m, dumps(m)))
                progress.step()
    finally:
        progress.close()
    for i, (m, enc) in zip(todo, done):
        models[i], encoded[i] = m, enc
    entries: dict[str, StoredModel] = {}
    for i, key in enumerate(keys):
        m = models[i]
        if key is None or encoded[i] is None or m is None:
            continue
        if any(p.message.startswith(_TRANSIENT_PROBLEMS) for p in m.problems):
            continue  # an unreadable file now may be readable next time
        entries[key.path] = StoredModel(key.size, key.mtime_ns, candidates[i], encoded[i])
    if todo or len(stored.entries) != len(entries) or focus != stored.focus:
        ok = store.save(focus, entries)
    else:
        ok = True  # the store already holds exactly these
    # whether every model with externs can be read back from the store (the result cache
    # then refers to it instead of writing the externs again)
    store.saved_all = ok and all(not m.externs or keys[i] is not None and keys[i].path in entries
                                 for i, m in enumerate(models) if m is not None)
    return models  # type: ignore[return-value]


# (paths, texts or None to read, focus, encode) for forked workers: inherited, not sent
_FORKED: tuple[Sequence[str], list[str | None], frozenset[str] | None, bool] | None = None


def _parse_focused(files: Sequence[str], jobs: int) -> list[SourceFile]:
    """Models for a run that stores none (--no-cache): only what the check reads.

    Every text is read first; the names that could be externs anywhere in the
    tree (`extern_name_candidates`) then bound which calls and functions the
    models keep: rules look at calls of externs only, and most calls are not
    (bench_syntax tree: 26,660 calls, 3,673 kept). Workers are forked with the
    texts in memory and send back these smaller models."""
    from .syntax.parser import extern_name_candidates, parse_file, read_text  # noqa: PLC0415

    texts: list[str | None] = []
    for path in files:
        try:
            texts.append(read_text(path))
        except (OSError, ValueError):
            texts.append(None)  # parse_file reports it
    focus = extern_name_candidates(t for t in texts if t is not None)
    models: list[SourceFile] | None = None
    if jobs > 1 and len(files) >= SERIAL_BELOW:
        forked = _parse_forked(files, texts, focus, jobs, Progress(0, False))
        models = None if forked is None else [m for m, _ in forked]
    if models is None:
        models = _parse_texts(files, texts, focus, range(len(files)))
    if focus is not None and any(e.name not in focus for m in models for e in m.externs):
        # (cannot happen by construction; if it ever did, calls would be missing)
        models = [parse_file(p) for p in files]
    return models


def _parse_forked(files: Sequence[str], texts: list[str | None], focus: frozenset[str] | None, jobs: int,
                  progress: "Progress", encode: bool = False) -> list[tuple[SourceFile, bytes | None]] | None:
    """(model, encoded model or None) of `files` (`texts`: already read, or None to read),
    parsed by `jobs - 1` forked workers and this process; None where processes cannot be
    forked (the caller parses serially). `encode`: also encode each model for the store
    (`syntax.codec`); workers then send encoded models, which this process decodes.

    The parent parses the first share itself (its models need no transfer);
    a worker's models are pickled and unpickled, so workers get a smaller
    share each (measured on the bench tree: sending 450 models costs a third
    of parsing them)."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    from .syntax.positions import register_process_pickling  # noqa: PLC0415

    global _FORKED
    n = len(files)
    workers = jobs - 1
    own = int(n * 1.3 / (1.3 + workers))  # parent's share: a worker's files cost ~1.3x (pickling)
    step = max(1, -(-(n - own) // workers))
    batches = [range(i, min(n, i + step)) for i in range(own, n, step)]
    _FORKED = (files, texts, focus, encode)
    try:
        register_process_pickling()
        ctx = multiprocessing.get_context("fork")  # ValueError where there is no fork
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=gc.enable) as pool:
            futures = [pool.submit(_parse_batch, b) for b in batches]
            mine = _parse_texts(files, texts, focus, range(own))
            if encode:
                from .syntax.codec import dumps, loads  # noqa: PLC0415

                out: list[tuple[SourceFile, bytes | None]] = [(m, dumps(m)) for m in mine]
            else:
                out = [(m, None) for m in mine]
            progress.step(len(out))
            for batch, f in zip(batches, futures):
                got = f.result()
                if encode:
                    got = [(loads(b, files[i]), b) for i, b in zip(batch, got)]
                else:
                    got = [(m, None) for m in got]
                out.extend(got)
                progress.step(len(got))
        return out
    except (OSError, RuntimeError, ImportError, ValueError):  # no process support here (sandbox)
        return None
    finally:
        _FORKED = None


def _parse_batch(indices: range):
    """A worker's share: its models, or (encode) their store bytes (`syntax.codec.dumps`),
    which are all the parent needs: it decodes them and stores them as they are."""
    assert _FORKED is not None
    files, texts, focus, encode = _FORKED
    models = _parse_texts(files, texts, focus, indices)
    if not encode:
        return models
    from .syntax.codec import dumps  # noqa: PLC0415

    return [dumps(m) for m in models]


def _parse_texts(files: Sequence[str], texts: list[str | None], focus: frozenset[str] | None,
                 indices: range) -> list[SourceFile]:
    from .syntax.parser import parse_source  # noqa: PLC0415

    return [parse_source(texts[i], files[i], focus) if texts[i] is not None else _parse_path(files[i])
            for i in indices]


def idle_cores() -> int:
    """Cores not already busy (count minus the 1-minute load average), at least 1.

    A worker on a busy core only adds process start-up and model transfer to
    the run (measured: 2 workers on a loaded 2-core machine took 1.6x the
    serial time), so by default the pool only uses cores that are idle."""
    n = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on this platform
        return n
    # a core counts as idle unless it is at least three quarters busy (the
    # 1-minute average lags: a command run just before still weighs ~0.5)
    return max(1, min(n, -int(-(n - load - 0.25) // 1)))


# --------------------------------------------------------------------------- configuration


def _validate_selectors(selectors: Sequence[str], flag: str) -> None:
    for s in selectors:
        if s.upper() == "ALL" or lookup_rule(s) or any(r.code.startswith(s.upper()) for r in ALL_RULES):
            continue
        raise UsageError(f"{flag}: unknown rule selector `{s}` (see --explain or the README rule table)")


def apply_cli(config: Config, args: argparse.Namespace) -> Config:
    libraries = list(config.libraries)
    for spec in args.library:
        # As dlopen does: a name with a slash is a path, a bare name is searched
        # for (so `--library libm.so.6` means the system's, `./libm.so.6` the local file).
        spec = os.path.expanduser(spec)
        path = os.path.abspath(spec) if "/" in spec else spec
        libraries.append(LibrarySpec(spec=path, origin="--library"))
    builtin_lists = list(config.builtin_lists)
    for b in args.builtins:
        path = os.path.abspath(os.path.expanduser(b))
        if not os.path.isfile(path):
            raise UsageError(f"--builtins {b}: no such file")
        builtin_lists.append(path)
    rules = config.rules
    select, extend, ignore = _csv(args.select), _csv(args.extend_select), _csv(args.ignore)
    _validate_selectors(select, "--select")
    _validate_selectors(extend, "--extend-select")
    _validate_selectors(ignore, "--ignore")
    rules = replace(
        rules,
        select=select or rules.select,
        extend_select=rules.extend_select + extend,
        ignore=rules.ignore + ignore,
    )
    changes: dict = {"libraries": tuple(libraries), "builtin_lists": tuple(builtin_lists), "rules": rules}
    if args.runtime_mode:
        changes["runtime_mode"] = args.runtime_mode
    from .runtime_command import RuntimeCommandError, runtime_source_for  # noqa: PLC0415

    try:
        changes.update(runtime_source_for(config, getattr(args, "runtime_source", None), getattr(args, "paths", None)))
    except RuntimeCommandError as exc:
        raise UsageError(str(exc)) from None
    if args.abi:
        if args.abi not in ("native", "cstring", "dynamic") and args.abi not in config.abi_profiles:
            known = ", ".join(["native", "cstring", "dynamic", *sorted(config.abi_profiles)])
            raise UsageError(f"--abi: unknown ABI profile `{args.abi}` (known: {known})")
        changes["abi"] = args.abi
    if args.baseline:
        changes["baseline"] = os.path.abspath(args.baseline)
    if args.jobs is not None:
        if args.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        changes["jobs"] = args.jobs
    return replace(config, **changes)


def _load_config(args: argparse.Namespace, paths: Sequence[str]) -> Config:
    from .config import ConfigError, load_config  # noqa: PLC0415

    try:
        config = load_config(paths=paths, config_file=args.config)
    except ConfigError as exc:
        raise UsageError(f"config error: {_config_message(exc)}") from None
    return apply_cli(config, args)


def _config_message(exc) -> str:
    msg = str(exc)
    path, line = getattr(exc, "path", None), getattr(exc, "line", None)
    if path and path not in msg:
        msg = f"{path}{f':{line}' if line else ''}: {msg}"
    return msg


# --------------------------------------------------------------------------- commands


def _stdout_color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def explain(code: str) -> int:
    rule = lookup_rule(code)
    if rule is None:
        raise UsageError(f"--explain: unknown rule `{code}` (codes SFFI001..{ALL_RULES[-1].code}, or a rule name)")
    sys.stdout.write(rule.explain())
    return EXIT_CLEAN


def run_symbols(argv: Sequence[str]) -> int:
    args = build_symbols_parser().parse_args(argv)
    from .binary import ExportIndex  # noqa: PLC0415
    from .binary.report import render_symbols  # noqa: PLC0415

    spec = os.path.expanduser(args.library)
    if "/" in spec:  # as dlopen: bare names are searched for
        spec = os.path.abspath(spec)
    from .binary.static_report import is_static_input  # noqa: PLC0415

    if is_static_input(spec):  # a .o or .a: what a static link binds, not what dlsym returns
        from .binary.static_link import StaticReader  # noqa: PLC0415
        from .binary.static_report import render_static_symbols  # noqa: PLC0415

        text, ok = render_static_symbols(StaticReader(), spec, list(args.names), as_json=args.json)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return EXIT_CLEAN if ok else EXIT_FINDINGS
    index = ExportIndex(search_paths=tuple(os.path.abspath(p) for p in args.search_path))
    text = render_symbols(index, spec, list(args.names), as_json=args.json)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    lib = index.library(spec)
    if not lib.loadable:
        return EXIT_FINDINGS
    if args.names:
        from .binary.types import Found  # noqa: PLC0415

        answers = index.lookup(lib, list(args.names))
        if not all(isinstance(answers.get(n), Found) for n in args.names):
            return EXIT_FINDINGS
    return EXIT_CLEAN


def run_check(args: argparse.Namespace) -> int:
    started = time.monotonic()
    paths = args.paths or ["."]
    config = _load_config(args, paths)
    spec_files: list[str] = []
    files = discover(paths, config, spec_files)
    cache = None
    if not args.no_cache:
        cache = ModelStore(config.cache_dir or os.path.join(config.root, CACHE_DIR_NAME))

    from .check.providers import Providers, index_for_config  # noqa: PLC0415
    from .config import ConfigError  # noqa: PLC0415

    index_cache = None if cache is None else os.path.join(cache.directory, "elf")
    try:
        index = index_for_config(replace(config, cache_dir=index_cache))
        answers = None if cache is None else os.path.join(cache.directory, "providers.json")
        providers = Providers.from_config(config, index, answers_file=answers)
    except ConfigError as exc:
        raise UsageError(f"config error: {_config_message(exc)}") from None

    roots = [os.path.abspath(p) for p in paths]
    fmt = args.output_format or ("full" if sys.stdout.isatty() else "concise")
    results = result_key = kept = None
    # The libraries a wrapper spec is checked against are not among the providers' watched
    # files: a tree with specs is always checked (parsing stays cached).
    if cache is not None and not spec_files:
        results = ResultCache(cache.directory)
        result_key = _result_key(files, roots, config, providers)
        kept = results.get(result_key) if result_key is not None else None
    unchecked = None  # externs whose signature nothing could check (a fresh check counts them)
    try:
        if kept is None:
            raise LookupError
        # An unchanged tree: the last run's findings (only the parts this format shows).
        findings, suppressed = kept.findings()
        externs = kept.externs(cache) if fmt == "json" and not args.statistics else []
        by_decl = kept.resolutions() if fmt in ("json", "full") and not args.statistics else {}
    except Exception:  # noqa: BLE001  (no usable stored result: check)
        findings, suppressed, externs, by_decl, unchecked, extern_files = _check_tree(
            files, roots, config, providers, cache, args, spec_files)
        providers.save_answers()
        if results is not None and result_key is not None and not providers.unsettled:
            # Satellites probed by the check are part of what the findings depend on.
            results.put(result_key, providers.watch_state(), findings, suppressed, externs, _for_output(by_decl),
                        extern_files=extern_files if cache is not None and cache.saved_all else None)

    if args.write_baseline:
        n = write_baseline(args.write_baseline, findings)
        if not args.quiet:
            sys.stderr.write(f"{PROG}: wrote {n} finding(s) to baseline {args.write_baseline}\n")
        return EXIT_CLEAN
    baselined = 0
    if config.baseline:
        try:
            findings, baselined = filter_baselined(findings, config.baseline)
        except BaselineError as exc:
            raise UsageError(str(exc)) from None

    report = output.Report(
        findings=findings,
        externs=externs,
        resolutions=by_decl,
        display=output.DisplayPaths(),
        sources=output.SourceLines(),
        color=fmt == "full" and _stdout_color(),
    )
    # Like ruff: --statistics prints the counts instead of the findings.
    if args.statistics:
        sys.stdout.write(statistics(findings, as_json=fmt in ("json", "sarif")))
    else:
        sys.stdout.write(output.render(report, fmt))
    sys.stdout.flush()
    if not args.quiet and fmt in ("full", "concise"):
        sys.stderr.write(summary(findings, len(files), suppressed, baselined, time.monotonic() - started, unchecked))
    errors = any(f.severity is Severity.ERROR for f in findings)
    return EXIT_FINDINGS if errors and not args.exit_zero else EXIT_CLEAN


def _check_tree(files: Sequence[str], roots: list[str], config: Config, providers, cache: ModelStore | None,
                args: argparse.Namespace, spec_files: Sequence[str] = ()
                ) -> tuple[list, int, list, dict, int | None, list[str]]:
    """Parse (or load) every model, run the rules: (findings, suppressed, externs, resolutions, unchecked,
    the files whose models hold those externs, in order)."""
    from .check.engine import CheckContext, Workspace, check  # noqa: PLC0415
    from .check.rules.signature_unchecked import count_unchecked  # noqa: PLC0415

    jobs = config.jobs or idle_cores()
    models = parse_all(files, cache, jobs, args.quiet)
    workspace = Workspace(models, roots=roots)
    if spec_files:
        from .wrapper_spec import read_spec  # noqa: PLC0415

        for path in spec_files:
            workspace.set_spec(read_spec(path))
    result = check(workspace, providers, config)
    findings = _capped(result.findings, config)
    if any(p.message.startswith(_TRANSIENT_PROBLEMS) for m in models for p in m.problems):
        providers.unsettled = True  # an unreadable file now may be readable next time
    externs = [e for f in workspace.files for e in f.externs]
    unchecked = count_unchecked(CheckContext(workspace, providers, config))  # resolved, nothing to check them by
    return (findings, result.suppressed, externs, result.by_decl, unchecked,
            [f.path for f in workspace.files if f.externs])


def _capped(findings: list[Finding], config: Config) -> list[Finding]:
    """At most `max-findings-per-file` findings a file, then one SFFI040 summary."""
    from .check.engine import _severity_overrides, selected_rules  # noqa: PLC0415
    from .check.limits import capped_with_summaries  # noqa: PLC0415
    from .check.rules import too_many_findings  # noqa: PLC0415

    rule = too_many_findings.RULE
    return capped_with_summaries(findings, config.max_findings_per_file, rule in selected_rules(config),
                                 _severity_overrides(config).get(rule.code))


_TRANSIENT_PROBLEMS = ("cannot read", "internal parser error")


def _result_key(files: Sequence[str], roots: list[str], config: Config, providers) -> str | None:
    """What the findings of a tree depend on; None when a file cannot be statted (no reuse)."""
    from .cache import code_identity  # noqa: PLC0415

    keys = []
    for path in files:
        key = FileKey.of(path)
        if key is None:
            return None
        keys.append((key.path, key.size, key.mtime_ns))
    return ResultCache.key(sys.version, code_identity(), repr(config), providers.fingerprint(), roots,
                           os.getcwd(), keys)


def _for_output(by_decl: dict) -> dict:
    """Resolutions as the output formats use them (provider and note; not the ELF detail).
    A resolution shared by several declarations stays one object (the result cache stores it once)."""
    slim: dict[int, object] = {}
    out = {}
    for k, r in by_decl.items():
        s = slim.get(id(r))
        if s is None:
            s = slim[id(r)] = replace(r, found=None, library=None, absences=(), builtin_signature=None)
        out[k] = s
    return out


def statistics(findings: Sequence[Finding], as_json: bool = False) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
    if as_json:
        import json  # noqa: PLC0415

        return json.dumps([{"code": c, "name": n, "count": k} for (c, n), k in rows], indent=2) + "\n"
    return "".join(f"{n:>5}  {code}  {name}\n" for (code, name), n in rows)


def summary(findings: Sequence[Finding], files: int, suppressed: int, baselined: int, seconds: float,
            unchecked: int | None = None) -> str:
    by = Counter(f.severity.value for f in findings)
    parts = [f"{by[s]} {s}{'s' if by[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info", "hint") if by[s]]
    found = ", ".join(parts) if parts else "no findings"
    extra = []
    if suppressed:
        extra.append(f"{suppressed} suppressed")
    if baselined:
        extra.append(f"{baselined} in baseline")
    if unchecked:  # never silently: externs nothing could check (SFFI025 lists them)
        extra.append(f"{unchecked} extern{'s' if unchecked != 1 else ''} whose signature could not be checked")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{PROG}: {files} file{'s' if files != 1 else ''} checked in {seconds:.2f}s: {found}{tail}\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "symbols":
            return run_symbols(argv[1:])
        if argv and argv[0] == "runtime":
            from .runtime_command import RuntimeCommandError, run_runtime  # noqa: PLC0415

            try:
                return run_runtime(argv[1:], discover)
            except RuntimeCommandError as exc:
                raise UsageError(str(exc)) from None
        args = build_parser().parse_args(argv)
        if args.version:
            from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

            try:
                sys.stdout.write(f"{PROG} {version('sffi-lsp')}\n")
            except PackageNotFoundError:  # running from a checkout
                sys.stdout.write(f"{PROG} (not installed)\n")
            return EXIT_CLEAN
        if args.explain:
            return explain(args.explain)
        return run_check(args)
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_ERROR
    except SystemExit as exc:  # argparse: usage errors are 2, --help is 0
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): not an error worth a message.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return EXIT_CLEAN
    except Exception as exc:  # the promise: no traceback ever reaches users
        if os.environ.get("SFFI_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (run with SFFI_DEBUG=1 for a traceback)\n"
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
