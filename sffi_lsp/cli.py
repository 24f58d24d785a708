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
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NamedTuple
from dataclasses import replace

from . import output
from .commands import settings
from .cache import CACHE_DIR_NAME, FileKey, ModelStore, ResultCache
from .check.baseline import BaselineError, filter_baselined, write_baseline
from .check.rules import ALL_RULES, lookup_rule
from .check.types import Finding, Severity
from .commands import UsageError
from .output.summary import statistics, summary  # noqa: F401  (part of this module's face)
from .commands.settings import apply_cli, library_argument  # noqa: F401  (part of this module's face)
from .config_types import Config, LibrarySpec
from .tree_parse import SERIAL_BELOW, _TRANSIENT_PROBLEMS, idle_cores, parse_all  # noqa: F401 (SERIAL_BELOW: tests)

PROG = "sffi-check"
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
    color = fmt == "full" and _stdout_color()
    prepared = _prepare(args, config, paths, tree, spec_files)
    answering = _answers_apply(args, config, prepared)
    if answering:
        from .warm import read_answer, render_key  # noqa: PLC0415

        kept = read_answer(prepared.cache.directory, prepared.key, render_key(fmt, color, args.statistics))
        if kept is not None:  # an unchanged tree: what the last run printed
            return _print_answer(args, fmt, kept, started)
    splicing = answering and report_only is None and not spec_files and not args.statistics
    if splicing:
        kept = _recheck(prepared, fmt, color, tree, config, paths, len(files))
        if kept is not None:  # a few files changed: only what they affect re-judged
            return _print_answer(args, fmt, kept, started)
    checked: dict = {}
    findings, suppressed, externs, by_decl, unchecked = _analyse(args, config, paths, tree, fmt, spec_files,
                                                                 report_only, prepared, checked)

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
        color=color,
    )
    from .output.encoding import valid_utf8  # noqa: PLC0415

    # Like ruff: --statistics prints the counts instead of the findings.
    if args.statistics:
        text = statistics(findings, as_json=fmt in ("json", "sarif"))
    else:
        text = output.render(report, fmt)
    text = valid_utf8(text, json=fmt in ("json", "sarif"))
    sys.stdout.write(text)
    sys.stdout.flush()
    if answering and not prepared.providers.unsettled:
        _keep_answer(prepared, fmt, color, args.statistics, text, findings, suppressed, unchecked, len(files))
        if splicing and not fixed:
            _keep_record(prepared, fmt, color, text, findings, tree, config, checked, by_decl)
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


class Prepared(NamedTuple):
    """What a run knows before it reads a file of the tree."""

    cache: ModelStore | None  # None for --no-cache
    providers: Any
    key: str | None  # of the tree's result; None: no reuse
    base: str | None  # the key's part that is not the files
    stats: list[tuple[int, int]] | None  # (size, mtime_ns) of each file of the tree, taken for `key`


def _prepare(args: argparse.Namespace, config: Config, paths: Sequence[str], tree: list[str],
             spec_files: Sequence[str]) -> Prepared:
    """The model store, the providers and the key of the tree's result."""
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
        raise UsageError(f"config error: {settings.config_message(exc)}") from None
    result_key = base_key = stats = None
    # The libraries a wrapper spec is checked against are not among the providers' watched
    # files: a tree with specs is always checked (parsing stays cached).
    if cache is not None and not spec_files:
        roots = [os.path.abspath(p) for p in paths]
        base_key = _base_key(roots, config, providers)
        result_key, stats = _result_key(tree, roots, config, providers, base_key)
    return Prepared(cache, providers, result_key, base_key, stats)


def _answers_apply(args: argparse.Namespace, config: Config, prepared: Prepared) -> bool:
    """Whether this run may print (and keep) a stored answer: a plain check of a keyed tree
    (fixes, baselines and --write-baseline read or write more than stdout)."""
    cache, key = prepared.cache, prepared.key
    return (cache is not None and key is not None and not config.baseline and not args.write_baseline
            and not (args.fix or args.diff or args.add_noqa))


def _print_answer(args: argparse.Namespace, fmt: str, kept, started: float) -> int:
    from .output.summary import summary_of_counts  # noqa: PLC0415

    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(kept.text)
        out.flush()
    else:  # stdout replaced by a caller: text it is
        sys.stdout.write(kept.text.decode("utf-8", "replace"))
    if not args.quiet and fmt in ("full", "concise"):
        sys.stderr.write(summary_of_counts(kept.counts, kept.files, kept.suppressed, 0, time.monotonic() - started,
                                           kept.unchecked))
    return EXIT_FINDINGS if kept.has_errors and not args.exit_zero else EXIT_CLEAN


def _keep_answer(prepared: Prepared, fmt: str, color: bool, statistics_only: bool, text: str, findings, suppressed: int,
                 unchecked: int | None, files: int) -> None:
    from collections import Counter  # noqa: PLC0415

    from .warm import StoredAnswer, render_key, write_answer  # noqa: PLC0415

    cache, providers, key = prepared.cache, prepared.providers, prepared.key
    counts = dict(Counter(f.severity.value for f in findings))
    answer = StoredAnswer(text.encode("utf-8", "surrogateescape"), counts, suppressed, unchecked, files)
    write_answer(cache.directory, key, render_key(fmt, color, statistics_only), providers.watch_state(), answer)


def _recheck(prepared: Prepared, fmt: str, color: bool, tree: list[str], config: Config, paths: Sequence[str],
             files: int):
    """The answer of an incremental re-check (see `incremental`), kept for the next run; or None."""
    from .incremental import recheck  # noqa: PLC0415
    from .warm import StoredAnswer, render_key, write_answer  # noqa: PLC0415

    cache, providers, key, base = prepared.cache, prepared.providers, prepared.key, prepared.base
    render = render_key(fmt, color, False)
    try:
        outcome = recheck(cache.directory, base, render, fmt, color, tree, cache, providers, config,
                          [os.path.abspath(p) for p in paths], lambda fs: _capped(fs, config), prepared.stats)
    except Exception:  # noqa: BLE001  (a bug here must cost speed, never the answer)
        if os.environ.get("SFFI_DEBUG"):
            raise
        outcome = None
    if outcome is None:
        return None
    if os.environ.get("SFFI_DEBUG"):
        sys.stderr.write(f"{PROG}: re-checked {outcome.rechecked} of {files} files\n")
    answer = StoredAnswer(outcome.text, outcome.counts, outcome.suppressed, outcome.unchecked, files)
    if not providers.unsettled:
        write_answer(cache.directory, key, render, providers.watch_state(), answer)
    return answer


def _keep_record(prepared: Prepared, fmt: str, color: bool, text: str, findings, tree: list[str], config: Config,
                 checked: dict, resolutions: dict) -> None:
    """After a whole check: what each file printed and the cross-file index, for `_recheck`."""
    from . import incremental  # noqa: PLC0415
    from .warm import render_key  # noqa: PLC0415

    cache, providers, base = prepared.cache, prepared.providers, prepared.base
    workspace = checked.get("workspace")
    if workspace is None:  # answered from the stored findings: the record (if any) still holds
        return
    if fmt not in incremental.JOINERS or checked.get("tree_wide") or not cache.saved_all or checked["focus"] is None:
        incremental.forget(cache.directory)
        return
    chunks = incremental.render_chunks(findings, tree, fmt, color, resolutions)
    if chunks is None or incremental.JOINERS[fmt].join(c for c in chunks if c) != text:
        incremental.forget(cache.directory)
        return
    try:
        rec = incremental.build_record(base, render_key(fmt, color, False), providers.watch_state(),
                                       checked["focus"], tree, checked["models"], workspace, chunks, findings,
                                       checked["suppressed_by_path"], checked["unchecked_by_path"], config.root,
                                       prepared.stats)
    except (OSError, KeyError):
        incremental.forget(cache.directory)
        return
    if not incremental.save_record(cache.directory, rec):
        incremental.forget(cache.directory)


def _analyse(args: argparse.Namespace, config: Config, paths: Sequence[str], tree: list[str], fmt: str,
             spec_files: Sequence[str] = (), report_only: set[str] | None = None, prepared: Prepared | None = None,
             checked: dict | None = None) -> tuple[list[Finding], int, list, dict, int | None]:
    """(findings, suppressed, externs, resolutions, unchecked) of `tree` (only those of `report_only`,
    when given); the last run's when nothing they depend on changed."""
    if prepared is None:
        prepared = _prepare(args, config, paths, tree, spec_files)
    cache, providers, result_key = prepared.cache, prepared.providers, prepared.key
    roots = [os.path.abspath(p) for p in paths]
    results = kept = None
    if cache is not None and result_key is not None:
        results = ResultCache(cache.directory)
        kept = results.get(result_key)
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
            tree, roots, config, providers, cache, args, spec_files, report_only, checked)
        providers.save_answers()
        if results is not None and result_key is not None and not providers.unsettled:
            # Satellites probed by the check are part of what the findings depend on.
            results.put(result_key, providers.watch_state(), findings, suppressed, externs, _for_output(by_decl),
                        extern_files=extern_files if cache is not None and cache.saved_all else None)
    return findings, suppressed, externs, by_decl, unchecked


def _check_tree(files: Sequence[str], roots: list[str], config: Config, providers, cache: ModelStore | None,
                args: argparse.Namespace, spec_files: Sequence[str] = (),
                report_only: set[str] | None = None,
                checked: dict | None = None) -> tuple[list, int, list, dict, int | None, list[str]]:
    """Parse (or load) every model, run the rules: (findings, suppressed, externs, resolutions, unchecked,
    the files whose models hold those externs, in order).
    With `report_only`, findings in the tree's other `.spl` files and specs are left out
    (those elsewhere, in a config file or on a library, are kept)."""
    from .check.engine import CheckContext, Workspace, check  # noqa: PLC0415
    from .check.rules.signature_unchecked import unchecked as unchecked_externs  # noqa: PLC0415

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
    findings = _capped(findings, config)
    externs = [e for f in sources for e in f.externs]
    ctx = CheckContext(workspace, providers, config)
    unchecked_by: dict[str, int] = {}
    try:  # resolved, nothing to check them by
        for decl, _ in unchecked_externs(ctx):
            unchecked_by[decl.path] = unchecked_by.get(decl.path, 0) + 1
        unchecked: int | None = sum(unchecked_by.values())
    except Exception:  # noqa: BLE001  (a count for the summary must not fail a check)
        unchecked = None
    if checked is not None and cache is not None and unchecked is not None:
        from .incremental import tree_wide_findings  # noqa: PLC0415

        checked.update(workspace=workspace, models=models, focus=getattr(cache, "focus", None),
                       suppressed_by_path=result.suppressed_by_path, unchecked_by_path=unchecked_by,
                       tree_wide=tree_wide_findings(ctx) or any(
                           p.message.startswith(_TRANSIENT_PROBLEMS) for m in models for p in m.problems))
    return (findings, result.suppressed, externs, result.by_decl, unchecked,
            [f.path for f in sources if f.externs])


def _capped(findings: list[Finding], config: Config) -> list[Finding]:
    """At most `max-findings-per-file` findings a file, then one SFFI040 summary."""
    from .check.engine import severity_overrides, selected_rules  # noqa: PLC0415
    from .check.limits import capped_with_summaries  # noqa: PLC0415
    from .check.rules import too_many_findings  # noqa: PLC0415

    rule = too_many_findings.RULE
    return capped_with_summaries(findings, config.max_findings_per_file, rule in selected_rules(config),
                                 severity_overrides(config).get(rule.code))


def _base_key(roots: list[str], config: Config, providers) -> str:
    """What the findings of a tree depend on besides its files."""
    from .cache import code_identity  # noqa: PLC0415

    return ResultCache.key(sys.version, code_identity(), repr(config), providers.fingerprint(), roots, os.getcwd())


def _result_key(files: Sequence[str], roots: list[str], config: Config, providers, base: str | None = None
                ) -> tuple[str | None, list[tuple[int, int]] | None]:
    """What the findings of a tree depend on, and the (size, mtime_ns) of each file it was
    made from; (None, None) when a file cannot be statted (no reuse)."""
    keys = []
    stats = []
    stat = os.stat
    for path in files:  # absolute already (discover)
        try:
            st = stat(path)
        except OSError:
            return None, None
        keys.append((path, st.st_size, st.st_mtime_ns))
        stats.append((st.st_size, st.st_mtime_ns))
    return ResultCache.key(base if base is not None else _base_key(roots, config, providers), keys), stats


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
