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
from collections.abc import Sequence
from dataclasses import replace

from . import output
from .commands import settings
from .cache import CACHE_DIR_NAME, FileKey, ModelCache, ResultCache
from .check.baseline import BaselineError, filter_baselined, write_baseline
from .check.rules import ALL_RULES, lookup_rule
from .check.types import Finding, Severity
from .commands import UsageError
from .output.summary import statistics, summary  # noqa: F401  (part of this module's face)
from .commands.settings import apply_cli, library_argument  # noqa: F401  (part of this module's face)
from .config_types import Config, LibrarySpec
from .model import SourceFile, Span, SyntaxProblem

PROG = "sffi-check"
SERIAL_BELOW = 48  # files to parse; below this a process pool costs more than it saves
PROGRESS_ABOVE = 200  # files; progress bar only for runs this long, and only on a terminal
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away


# --------------------------------------------------------------------------- arguments


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Check Simple `extern fn` declarations against the symbols real shared libraries export.",
        epilog="Subcommands: `sffi-check symbols LIB [NAME ...] [--json]` lists what a library exports; "
               "`sffi-check rules` lists every rule; `sffi-check init` writes an sffi.toml for this project; "
               "`sffi-check runtime [--source DIR] [PATH ...]` audits a Simple runtime from its Rust sources.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to check (default: .)")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--library", action="append", default=[], metavar="PATH",
                   help="a library that may provide externs (repeatable): an existing file is that file; "
                        "any other name without '/' is searched for as the dynamic linker would")
    p.add_argument("--builtins", action="append", default=[], metavar="FILE",
                   help="a runtime built-ins list (one name or signature a line; repeatable)")
    p.add_argument("--config", action="append", metavar="FILE|KEY=VALUE",
                   help="configuration file (default: sffi.toml or pyproject.toml found upwards), or a TOML "
                        "`KEY = VALUE` overriding one setting (repeatable), e.g. --config 'rules.ignore = [\"SFFI012\"]'")
    p.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    p.add_argument("--show-settings", action="store_true", help="print the settings a check would use, and exit")
    p.add_argument("--show-files", action="store_true", help="print the files a check would read, and exit")
    p.add_argument("--fix", action="store_true", help="apply the safe fixes")
    p.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also the unsafe fixes "
                   "(renames, rewritten signatures, removals that change what the program calls)")
    p.add_argument("--diff", action="store_true", help="print the fixes as a diff instead of writing them; exit 1 "
                   "when there is one")
    p.add_argument("--add-noqa", action="store_true", help="add a `# sffi: ignore[CODE]` comment for every finding")
    p.add_argument("--watch", "-w", action="store_true", help="check again whenever a file changes (Ctrl-C stops)")
    p.add_argument("--output-format", choices=output.FORMATS, default=None,
                   help="how findings are printed (default: full on a terminal, concise otherwise)")
    p.add_argument("--select", action="append", metavar="CODES", help="rules to run (codes, prefixes or names; comma-separated)")
    p.add_argument("--extend-select", action="append", metavar="CODES", help="rules added to the selection")
    p.add_argument("--ignore", action="append", metavar="CODES", help="rules not to report")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are error-level findings")
    p.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    p.add_argument("--explain", metavar="CODE", nargs="?", const="",
                   help="explain a rule (by code or name) and exit; without CODE, every rule")
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


def parse_all(files: Sequence[str], cache: ModelCache | None, jobs: int, quiet: bool) -> list[SourceFile]:
    try:
        return _parse_all(files, cache, jobs, quiet)
    finally:
        gc.freeze()  # the models live until exit: keep later collections from rescanning them


def _parse_all(files: Sequence[str], cache: ModelCache | None, jobs: int, quiet: bool) -> list[SourceFile]:
    if cache is None:
        return _parse_focused(files, jobs)
    models: dict[str, SourceFile] = {}
    todo: list[tuple[str, FileKey | None]] = []
    # Loading hundreds of thousands of small model objects triggers the cyclic
    # GC over and over (it doubled warm-run time), and they hold no cycles:
    # pause it while entries load. Parsing runs with it on (parser garbage).
    enabled = gc.isenabled()
    gc.disable()
    try:
        for path in files:
            key = FileKey.of(path)
            model = cache.get(key) if cache is not None and key is not None else None
            if model is not None:
                models[path] = model if model.path == path else model.with_path(path)
            else:
                todo.append((path, key))
    finally:
        if enabled:
            gc.enable()
    progress = Progress(len(todo), not quiet and sys.stderr.isatty() and len(files) > PROGRESS_ABOVE)
    paths = [p for p, _ in todo]
    done: list[SourceFile] | None = None
    if jobs > 1 and len(todo) >= SERIAL_BELOW:
        # Workers' models are unpickled here: same reasoning as above.
        gc.disable()
        try:
            done = _parse_forked(paths, [None] * len(paths), None, jobs, progress)
        finally:
            if enabled:
                gc.enable()
    if done is None:
        done = []
        for path in paths:
            done.append(_parse_path(path))
            progress.step()
    progress.close()
    for (path, key), model in zip(todo, done):
        models[path] = model
        transient = any(p.message.startswith(("cannot read", "internal parser error")) for p in model.problems)
        if cache is not None and key is not None and not transient:
            cache.put(key, model)
    return [models[p] for p in files]


# (paths, texts or None to read, focus) for forked workers: inherited, not sent
_FORKED: tuple[Sequence[str], list[str | None], frozenset[str] | None] | None = None


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
        models = _parse_forked(files, texts, focus, jobs, Progress(0, False))
    if models is None:
        models = _parse_texts(files, texts, focus, range(len(files)))
    if focus is not None and any(e.name not in focus for m in models for e in m.externs):
        # (cannot happen by construction; if it ever did, calls would be missing)
        models = [parse_file(p) for p in files]
    return models


def _parse_forked(files: Sequence[str], texts: list[str | None], focus: frozenset[str] | None, jobs: int,
                  progress: "Progress") -> list[SourceFile] | None:
    """Models of `files` (`texts`: already read, or None to read), parsed by
    `jobs - 1` forked workers and this process; None where processes cannot be
    forked (the caller parses serially).

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
    _FORKED = (files, texts, focus)
    try:
        register_process_pickling()
        ctx = multiprocessing.get_context("fork")  # ValueError where there is no fork
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=gc.enable) as pool:
            futures = [pool.submit(_parse_batch, b) for b in batches]
            out = _parse_batch(range(own))
            for _ in out:
                progress.step()
            for f in futures:
                models = f.result()
                out.extend(models)
                for _ in models:
                    progress.step()
        return out
    except (OSError, RuntimeError, ImportError, ValueError):  # no process support here (sandbox)
        return None
    finally:
        _FORKED = None


def _parse_batch(indices: range) -> list[SourceFile]:
    assert _FORKED is not None
    return _parse_texts(*_FORKED, indices)


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


# --------------------------------------------------------------------------- commands


def _stdout_color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def emit(text: str, *, json_like: bool = False) -> None:
    """Write to stdout as valid UTF-8 whatever the names in it (see output.encoding)."""
    from .output.encoding import valid_utf8  # noqa: PLC0415

    sys.stdout.write(valid_utf8(text, json=json_like))


def explain(code: str) -> int:
    if not code:
        from .commands.rules import explain_all  # noqa: PLC0415

        emit(explain_all())
        return EXIT_CLEAN
    rule = lookup_rule(code)
    if rule is None:
        raise UsageError(f"--explain: unknown rule `{code}` (codes SFFI001..{ALL_RULES[-1].code}, or a rule name)")
    emit(rule.explain())
    return EXIT_CLEAN


def run_check(args: argparse.Namespace) -> int:
    if args.watch:
        from .commands.watch import watch  # noqa: PLC0415

        return watch(args, check_once, PROG, discover)
    return check_once(args)


MAX_FIX_PASSES = 4  # fixes whose edits overlap wait for the next pass, as ruff's


def check_once(args: argparse.Namespace) -> int:
    started = time.monotonic()
    paths = args.paths or ["."]
    config = settings.load(args, paths)
    spec_files: list[str] = []
    files = discover(paths, config, spec_files)
    if args.show_files or args.show_settings:
        emit(settings.files_text(files + spec_files) if args.show_files else settings.settings_text(config, files))
        return EXIT_CLEAN
    if not args.quiet:
        sys.stderr.write(settings.unconfigured_note(config, args, PROG))
    given = set(files) | set(spec_files)
    tree = project_files(paths, config, files, spec_files)
    fmt = args.output_format or ("full" if sys.stdout.isatty() else "concise")
    report_only = given if len(tree) != len(files) else None
    findings, suppressed, externs, by_decl, unchecked = _analyse(args, config, paths, tree, fmt, spec_files,
                                                                 report_only)

    if args.write_baseline:
        n = write_baseline(args.write_baseline, findings)
        if not args.quiet:
            sys.stderr.write(f"{PROG}: wrote {n} finding(s) to baseline {args.write_baseline}\n")
        return EXIT_CLEAN
    findings, baselined = _baselined(findings, config)
    fixed = 0
    if args.fix or args.diff or args.add_noqa:
        from .commands import fix  # noqa: PLC0415

        display, sources = output.DisplayPaths(), set(files)
        if args.add_noqa or args.diff:
            outcome = (fix.add_suppressions(findings, sources, display) if args.add_noqa else
                       fix.fix_files(findings, sources, unsafe=args.unsafe_fixes, write=False, display=display))
            if args.diff:
                emit(outcome.diff)
            fix.report(outcome, args.quiet, "added {n} suppression comment(s)" if args.add_noqa else "would fix {n}")
            return EXIT_FINDINGS if args.diff and outcome.applied else EXIT_CLEAN
        for _ in range(MAX_FIX_PASSES):
            outcome = fix.fix_files(findings, sources, unsafe=args.unsafe_fixes, write=True, display=display)
            fixed += outcome.applied
            if not outcome.applied:
                break
            findings, suppressed, externs, by_decl, unchecked = _analyse(args, config, paths, tree, fmt, spec_files,
                                                              report_only)
            findings, baselined = _baselined(findings, config)
        fix.report(outcome, args.quiet, "")

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
        emit(statistics(findings, as_json=fmt in ("json", "sarif")), json_like=fmt in ("json", "sarif"))
    else:
        emit(output.render(report, fmt), json_like=fmt in ("json", "sarif"))
    sys.stdout.flush()
    if not args.quiet and fmt in ("full", "concise"):
        tail = summary(findings, len(files), suppressed, baselined, time.monotonic() - started, unchecked)
        if fixed:
            tail = tail.rstrip("\n") + f"; fixed {fixed}\n"
        sys.stderr.write(tail)
    errors = any(f.severity is Severity.ERROR for f in findings)
    return EXIT_FINDINGS if errors and not args.exit_zero else EXIT_CLEAN


def _baselined(findings: list[Finding], config: Config) -> tuple[list[Finding], int]:
    if not config.baseline:
        return findings, 0
    try:
        return filter_baselined(findings, config.baseline)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def project_files(paths: Sequence[str], config: Config, files: list[str], spec_files: list[str]) -> list[str]:
    """Every file of the project when the given paths are part of one (a config file's
    tree): cross-file rules then see what they see in a whole-tree check, whichever files
    were named (pre-commit names only the changed ones). Otherwise the given files.
    The project's wrapper specs are added to `spec_files`."""
    if not config.config_file or not paths:
        return files
    root = config.root.rstrip(os.sep) + os.sep
    given = [os.path.abspath(p) for p in paths]
    if not all((g + os.sep).startswith(root) for g in given):
        return files
    if any(g.rstrip(os.sep) + os.sep == root for g in given):
        return files  # the whole project was asked for
    specs: list[str] = []
    whole = discover([config.root], config, specs)
    spec_files[:] = sorted(set(spec_files) | set(specs))
    return sorted(set(whole) | set(files))


def _analyse(args: argparse.Namespace, config: Config, paths: Sequence[str], tree: list[str], fmt: str,
             spec_files: Sequence[str] = (), report_only: set[str] | None = None
             ) -> tuple[list[Finding], int, list, dict, int | None]:
    """(findings, suppressed, externs, resolutions, unchecked) of `tree` (only those of `report_only`,
    when given); the last run's when nothing they depend on changed."""
    cache = None
    if not args.no_cache:
        cache = ModelCache(config.cache_dir or os.path.join(config.root, CACHE_DIR_NAME))

    from .check.providers import Providers, index_for_config  # noqa: PLC0415
    from .config import ConfigError  # noqa: PLC0415

    index_cache = None if cache is None else os.path.join(cache.directory, "elf")
    try:
        index = index_for_config(replace(config, cache_dir=index_cache))
        answers = None if cache is None else os.path.join(cache.directory, "providers.json")
        providers = Providers.from_config(config, index, answers_file=answers)
    except ConfigError as exc:
        raise UsageError(f"config error: {settings.config_message(exc)}") from None

    roots = [os.path.abspath(p) for p in paths]
    results = result_key = kept = None
    # The libraries a wrapper spec is checked against are not among the providers' watched
    # files: a tree with specs is always checked (parsing stays cached).
    if cache is not None and not spec_files:
        results = ResultCache(cache.directory)
        result_key = _result_key(tree, roots, config, providers)
        kept = results.get(result_key) if result_key is not None else None
    unchecked = None  # externs whose signature nothing could check (a fresh check counts them)
    try:
        if kept is None:
            raise LookupError
        # An unchanged tree: the last run's findings (only the parts this format shows).
        findings, suppressed = kept.findings()
        externs = kept.externs() if fmt == "json" and not args.statistics else []
        by_decl = kept.resolutions() if fmt in ("json", "full") and not args.statistics else {}
    except Exception:  # noqa: BLE001  (no usable stored result: check)
        findings, suppressed, externs, by_decl, unchecked = _check_tree(tree, roots, config, providers, cache,
                                                                        args, spec_files, report_only)
        providers.save_answers()
        if results is not None and result_key is not None and not providers.unsettled:
            # Satellites probed by the check are part of what the findings depend on.
            results.put(result_key, providers.watch_state(), findings, suppressed, externs, _for_output(by_decl))
    return findings, suppressed, externs, by_decl, unchecked


def _check_tree(files: Sequence[str], roots: list[str], config: Config, providers, cache: ModelCache | None,
                args: argparse.Namespace, spec_files: Sequence[str] = (),
                report_only: set[str] | None = None) -> tuple[list, int, list, dict, int | None]:
    """Parse (or load) every model, run the rules: (findings, suppressed, externs, resolutions, unchecked).
    With `report_only`, findings in the tree's other `.spl` files and specs are left out
    (those elsewhere, in a config file or on a library, are kept)."""
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
    if any(p.message.startswith(_TRANSIENT_PROBLEMS) for m in models for p in m.problems):
        providers.unsettled = True  # an unreadable file now may be readable next time
    findings = result.findings
    sources = workspace.files
    if report_only is not None:
        specs = set(spec_files)
        findings = [f for f in findings
                    if f.path in report_only or (f.path not in workspace and f.path not in specs)]
        sources = [f for f in sources if f.path in report_only]
    externs = [e for f in sources for e in f.externs]
    unchecked = count_unchecked(CheckContext(workspace, providers, config))  # resolved, nothing to check them by
    return findings, result.suppressed, externs, result.by_decl, unchecked


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
    """Resolutions as the output formats use them (provider and note; not the ELF detail)."""
    return {k: replace(r, found=None, library=None, absences=(), builtin_signature=None) for k, r in by_decl.items()}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _utf8_stdout()
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here at the latest, not at interpreter exit
        return code
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_ERROR
    except SystemExit as exc:  # argparse: usage errors are 2, --help is 0
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): what it did not read is lost, so the run did
        # not succeed. No message (the reader chose to stop); the status a shell gives a
        # process ended by SIGPIPE. stdout is pointed at /dev/null so that the flush at
        # interpreter exit does not raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # the promise: no traceback ever reaches users
        if os.environ.get("SFFI_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (run with SFFI_DEBUG=1 for a traceback)\n"
        )
        return EXIT_ERROR


def _utf8_stdout() -> None:
    """UTF-8 output whatever the locale (a C locale would make stdout ASCII)."""
    try:
        if (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
            sys.stdout.reconfigure(encoding="utf-8")
    except (AttributeError, ValueError, OSError):  # replaced by a caller (tests) or closed
        pass


def _main(argv: list[str]) -> int:
    if argv and argv[0] == "symbols":
        from .commands.symbols import run_symbols  # noqa: PLC0415

        return run_symbols(argv[1:], emit)
    if argv and argv[0] == "runtime":
        from .runtime_command import RuntimeCommandError, run_runtime  # noqa: PLC0415

        try:
            return run_runtime(argv[1:], discover)
        except RuntimeCommandError as exc:
            raise UsageError(str(exc)) from None
    if argv and argv[0] == "init":
        from .commands import init  # noqa: PLC0415

        out, err, code = init.run(PROG, argv[1:])
        emit(out)
        sys.stderr.write(err)
        return code
    if argv and argv[0] == "rules":
        from .commands import rules  # noqa: PLC0415

        text, code = rules.run(PROG, argv[1:])
        emit(text, json_like="json" in argv)
        return code
    args = build_parser().parse_args(argv)
    if args.version:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            sys.stdout.write(f"{PROG} {version('sffi-lsp')}\n")
        except PackageNotFoundError:  # running from a checkout
            sys.stdout.write(f"{PROG} (not installed)\n")
        return EXIT_CLEAN
    if args.explain is not None:
        return explain(args.explain)
    return run_check(args)


if __name__ == "__main__":
    sys.exit(main())
