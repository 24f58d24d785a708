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
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from . import output
from .cache import CACHE_DIR_NAME, FileKey, ModelStore, ResultCache
from .check.baseline import BaselineError, filter_baselined, write_baseline
from .check.rules import ALL_RULES, lookup_rule
from .check.types import Finding, Severity
from .config_types import Config, LibrarySpec
from .tree_parse import SERIAL_BELOW, _TRANSIENT_PROBLEMS, idle_cores, parse_all  # noqa: F401 (SERIAL_BELOW: tests)

PROG = "sffi-check"
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
