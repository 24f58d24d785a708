"""The configuration a check runs with: the file found (or `--config FILE`), then
`--config KEY=VALUE` overrides, then the flags; `--isolated` skips every file.
`--show-settings` prints the result, `--show-files` the files it selects.

As ruff: `--config` takes either a file or an inline TOML `KEY = VALUE` (the
key as `sffi.toml` spells it, dotted for a section: `rules.select = ["SFFI001"]`);
it may be repeated, later overrides win. Relative paths in an override are
relative to the working directory (there is no file they could be relative to).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import replace

from ..check.rules import ALL_RULES, lookup_rule
from ..config_types import Config, LibrarySpec
from . import UsageError

OVERRIDE_SOURCE = "--config"


def library_argument(spec: str) -> str:
    """A library named on the command line: an existing file (or any name with a slash)
    is that path; otherwise a bare name the loader searches for as the dynamic linker would."""
    spec = os.path.expanduser(spec)
    return os.path.abspath(spec) if "/" in spec or os.path.isfile(spec) else spec


def split_config_arguments(values: Sequence[str] | None) -> tuple[str | None, list[dict]]:
    """(config file, override tables) from the `--config` arguments."""
    file: str | None = None
    overrides: list[dict] = []
    for value in values or ():
        if os.path.isfile(value) or "=" not in value:
            if file is not None:
                raise UsageError(f"--config: two configuration files ({file}, {value}); give one, and KEY=VALUE "
                                 "overrides")
            file = value
            continue
        overrides.append(parse_override(value))
    return file, overrides


def parse_override(text: str) -> dict:
    import tomllib  # noqa: PLC0415

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--config `{text}`: not a file, and not a TOML `KEY = VALUE` ({exc}); strings need "
                         "quotes: --config 'runtime-mode = \"builtin-only\"'") from None
    if not table:
        raise UsageError(f"--config `{text}`: no setting in it")
    return table


def config_message(exc) -> str:
    msg = str(exc)
    path, line = getattr(exc, "path", None), getattr(exc, "line", None)
    if path and path not in msg:
        msg = f"{path}{f':{line}' if line else ''}: {msg}"
    return msg


def apply_overrides(config: Config, overrides: Sequence[dict], env: dict | None = None) -> Config:
    """`config` with each `--config KEY=VALUE` table applied in turn (keys validated as in a file)."""
    from ..config import overlay_table  # noqa: PLC0415

    for table in overrides:
        config = overlay_table(config, table, OVERRIDE_SOURCE, os.getcwd(), env)
    return config


def load(args: argparse.Namespace, paths: Sequence[str]) -> Config:
    """The configuration for this run: file (unless --isolated), overrides, flags."""
    from ..config import ConfigError, default_config, load_config  # noqa: PLC0415

    file, overrides = split_config_arguments(getattr(args, "config", None))
    try:
        if getattr(args, "isolated", False):
            if file is not None:
                raise UsageError("--isolated ignores configuration files: it cannot be used with --config FILE")
            config = default_config(os.getcwd(), dict(os.environ))
        else:
            config = load_config(paths=paths, config_file=file)
        config = apply_overrides(config, overrides)
    except ConfigError as exc:
        raise UsageError(f"config error: {config_message(exc)}") from None
    return apply_cli(config, args)


def _csv(values: Sequence[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def _validate_selectors(selectors: Sequence[str], flag: str) -> None:
    for s in selectors:
        if s.upper() == "ALL" or lookup_rule(s) or any(r.code.startswith(s.upper()) for r in ALL_RULES):
            continue
        raise UsageError(f"{flag}: unknown rule selector `{s}` (see `sffi-check rules`)")


def apply_cli(config: Config, args: argparse.Namespace) -> Config:
    """`config` with the command-line flags applied (they win over every file)."""
    libraries = list(config.libraries)
    for spec in args.library:
        libraries.append(LibrarySpec(spec=library_argument(spec), origin="--library"))
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
    from ..runtime_command import RuntimeCommandError, runtime_source_for  # noqa: PLC0415

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


# --------------------------------------------------------------------------- showing them


def _toml(value) -> str:
    import json  # noqa: PLC0415  (a check without --show-settings never needs it)

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "# unset"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def settings_text(config: Config, files: Sequence[str]) -> str:
    """The resolved configuration, in `sffi.toml`'s own key names (ruff's --show-settings)."""
    from ..config import key_fields  # noqa: PLC0415

    lines = [f"# configuration file: {config.config_file or 'none (defaults)'}", f"# project root: {config.root}",
             f"# files checked: {len(files)}"]
    for key, field in key_fields():
        if field in ("-", "+exclude") or key == "abi" or key == "libraries":
            continue
        if field.startswith("rules."):
            value = getattr(config.rules, field[len("rules."):])
        else:
            value = getattr(config, field)
        lines.append(f"# {key} (unset)" if value is None else f"{key} = {_toml(value)}")
    for name, profile in sorted(config.abi_profiles.items()):
        lines.append(f"# abi profile {name}: {profile}")
    for lib in config.libraries:  # last: an array of tables ends the top-level keys
        lines += ["", "[[libraries]]" + (f"  # from {lib.origin}" if lib.origin else ""),
                  f"{'path' if os.path.isabs(lib.spec) else 'name'} = {_toml(lib.spec)}"]
        if lib.files:
            lines.append(f"files = {_toml(list(lib.files))}")
        if lib.linked:
            lines.append("linked = true")
    return "\n".join(lines) + "\n"


def files_text(files: Sequence[str]) -> str:
    """The files a check would read, one a line (ruff's --show-files)."""
    from ..output import DisplayPaths  # noqa: PLC0415

    display = DisplayPaths()
    return "".join(display(f) + "\n" for f in files)


def unconfigured_note(config: Config, args: argparse.Namespace, prog: str) -> str:
    """One line on stderr when nothing says where externs come from: no config file, no
    library or built-ins on the command line, no override (else "")."""
    if config.config_file or config.libraries or config.builtin_lists or config.builtin_families:
        return ""
    if getattr(args, "config", None):
        return ""
    return (f"{prog}: no configuration: no sffi.toml (or [tool.sffi] in pyproject.toml) here or above, and no "
            f"--library: only the runtime's defaults (plugin manifest, satellites in build/) can provide externs; "
            f"run `{prog} init` to write an sffi.toml that finds this project's libraries\n")
