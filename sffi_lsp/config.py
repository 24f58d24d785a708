"""Load the checker's configuration: `sffi.toml`, `[tool.sffi]`, client settings.

`load_config` finds the file (walking up from the checked paths, unless
`--config FILE` names one), validates every key against `CONFIG_KEYS`, resolves
relative paths against the config file's directory, expands `~`, `$VAR` and
library globs, and fills in the defaults the Simple runtime itself uses
(`$SIMPLE_PLUGIN_MANIFEST`, `$SIMPLE_SFFI_PATH`). A bad file never gives a
traceback: it gives a `ConfigError` whose message names the file, the key and
the line (tomllib reports no lines for values, so the key is found by scanning
the text).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .config_keys import (  # re-exported: callers import them from here
    ABI_CATEGORIES,
    ABI_WORDS,
    BUILTIN_PROFILES,
    CONFIG_FILE_NAME,
    CONFIG_KEYS,
    DEFAULT_MANIFEST,
    KEYS,
    PYPROJECT_FILE_NAME,
    RUNTIME_MODES,
    SECTIONS,
    SEVERITIES,
    config_reference_markdown,
    key_fields,
)
from .config_lines import find_key_line
from .config_paths import GLOB_CHARS, absolute_path, expand_text, glob_to_regex, path_matches
from .config_runtime import not_a_dir, runtime_modes
from .config_targets import LIBRARY_KEYS, library_target_of
from .config_types import AbiMapping, AbiProfile, Config, LibrarySpec
from .runtime_model.checkout import with_runtime_source

class ConfigError(Exception):
    """A configuration problem a user must fix (the CLI exits 2 with it)."""

    def __init__(self, message: str, path: str | None = None, key: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.key = key
        self.line = line  # 1-based

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- reading values

class _Reader:
    """Validates one settings table (TOML or client settings) into Config fields."""

    def __init__(self, source: str, text: str | None, prefix: tuple[str, ...], base_dir: str,
                 env: Mapping[str, str], loose_keys: bool):
        self.source = source  # file path (or "client settings")
        self.text = text
        self.prefix = prefix  # ("tool", "sffi") inside pyproject.toml
        self.base_dir = base_dir
        self.env = env
        self.loose_keys = loose_keys  # client settings: camelCase / snake_case accepted
        self.fields: dict[str, Any] = {}
        self.rules: dict[str, Any] = {}
        self.extend_exclude: list[str] = []
        # Client settings: a bad key is set aside here and the others still apply (an editor
        # cannot exit 2; one typo must not drop every setting). None: the first error raises.
        self.problems: list[ConfigError] | None = None

    # errors -------------------------------------------------------------
    def error(self, path: Sequence[str | int], problem: str) -> ConfigError:
        shown = _show_key(path)
        line = find_key_line(self.text, (*self.prefix, *path)) if self.text is not None else None
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f"{where}: {shown}: {problem}", self.source, shown, line)

    def key(self, raw: str) -> str:
        if not self.loose_keys:
            return raw
        return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", raw).replace("_", "-").lower()

    # walking ------------------------------------------------------------
    def read_table(self, table: Mapping[str, Any], path: tuple[str, ...] = ()) -> None:
        for raw, value in table.items():
            if self.problems is None:
                self._read_entry(raw, value, path)
                continue
            try:
                self._read_entry(raw, value, path)
            except ConfigError as exc:
                self.problems.append(exc)

    def _read_entry(self, raw: str, value: Any, path: tuple[str, ...]) -> None:
        """One key of a table: a value, a section walked, or an unknown key."""
        name = self.key(raw)
        kpath = (*path, raw)
        dotted = ".".join((*path, name)) if path else name
        if dotted in KEYS and KEYS[dotted].kind != "-":
            self.read_value(dotted, kpath, value)
        elif not path and name in SECTIONS:
            if not isinstance(value, Mapping):
                raise self.error(kpath, f"must be a table, not {_type_name(value)}")
            self.read_table(value, (name,))
        else:
            known = sorted(k for k in KEYS if "<" not in k and not k.startswith("libraries."))
            near = _near(dotted, known)
            hint = f" (did you mean `{near}`?)" if near else ""
            raise self.error(kpath, f"unknown key{hint}")

    def read_value(self, dotted: str, kpath: tuple[str, ...], value: Any) -> None:
        spec = KEYS[dotted]
        converter: Callable[[tuple[str, ...], Any], Any] = getattr(self, "conv_" + spec.kind)
        result = converter(kpath, value)
        if spec.field == "+exclude":
            self.extend_exclude.extend(result)
        elif spec.field.startswith("rules."):
            self.rules[spec.field[len("rules."):]] = result
        elif dotted == "abi" and isinstance(result, tuple):
            name, profiles = result
            if name is not None:
                self.fields["abi"] = name
            if profiles:
                self.fields["abi_profiles"] = profiles
        else:
            self.fields[spec.field] = result
        if spec.field == "manifest":
            self.fields["manifest_required"] = True
        if spec.field == "runtime_library":
            self.fields["runtime_library_required"] = True

    # converters -----------------------------------------------------------
    def _str(self, kpath: tuple[str | int, ...], value: Any) -> str:
        if not isinstance(value, str):
            raise self.error(kpath, f"must be a string, not {_type_name(value)}")
        if not value.strip():
            raise self.error(kpath, "must not be empty")
        return value

    def _list(self, kpath: tuple[str, ...], value: Any) -> list[str]:
        if isinstance(value, str):  # a lone string is a one-element list: forgiving, unambiguous
            value = [value]
        if not isinstance(value, list):
            raise self.error(kpath, f"must be a list of strings, not {_type_name(value)}")
        return [self._str((*kpath, i), v) for i, v in enumerate(value)]

    def _expand(self, kpath: tuple[str | int, ...], value: str) -> str:
        try:
            return expand_text(value, self.env)
        except ValueError as exc:
            raise self.error(kpath, str(exc)) from None

    def _path(self, kpath: tuple[str | int, ...], value: str) -> str:
        try:
            return absolute_path(value, self.base_dir, self.env)
        except ValueError as exc:
            raise self.error(kpath, str(exc)) from None

    def conv_string(self, kpath: tuple[str, ...], value: Any) -> str:
        return self._expand(kpath, self._str(kpath, value))

    def conv_strings(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        return tuple(self._expand((*kpath, i), v) for i, v in enumerate(self._list(kpath, value)))

    def conv_globs(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        return self.conv_strings(kpath, value)

    def conv_bool(self, kpath: tuple[str, ...], value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.error(kpath, f"must be true or false, not {_type_name(value)}")
        return value

    def conv_int(self, kpath: tuple[str, ...], value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(kpath, f"must be an integer, not {_type_name(value)}")
        if value < 0 or (kpath[-1] == "jobs" and value < 1):
            raise self.error(kpath, f"must be {'at least 1' if kpath[-1] == 'jobs' else 'positive'}, not {value}")
        return value

    def conv_mode(self, kpath: tuple[str, ...], value: Any) -> str:
        value = self._str(kpath, value)
        mode = value.replace("_", "-").lower()
        if mode not in RUNTIME_MODES:
            raise self.error(kpath, f'must be "dynamic" or "builtin-only", not "{value}"')
        return mode

    def conv_path(self, kpath: tuple[str, ...], value: Any) -> str:
        return self._path(kpath, self._str(kpath, value))

    def conv_paths(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        return tuple(self._path((*kpath, i), v) for i, v in enumerate(self._list(kpath, value)))

    def conv_dir(self, kpath: tuple[str, ...], value: Any) -> str:
        path = self.conv_path(kpath, value)
        if not os.path.isdir(path):
            raise self.error(kpath, not_a_dir(path))
        return path

    def conv_runtimemodes(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        modes, bad = runtime_modes(self._list(kpath, value))
        if bad is not None:
            raise self.error((*kpath, bad[0]) if bad[0] >= 0 else kpath, bad[1])
        return modes

    def conv_file(self, kpath: tuple[str, ...], value: Any) -> str:
        path = self.conv_path(kpath, value)
        if not os.path.isfile(path):
            what = "is not a file" if os.path.exists(path) else "does not exist"
            raise self.error(kpath, f"{path} {what}")
        return path

    def conv_files(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        out: list[str] = []
        for i, raw in enumerate(self._list(kpath, value)):
            path = self._path((*kpath, i), raw)
            if GLOB_CHARS.search(path):
                matches = sorted(m for m in glob.glob(path, recursive=True) if os.path.isfile(m))
                if not matches:
                    raise self.error((*kpath, i), f"{path} matches no file")
                out.extend(matches)
            elif not os.path.isfile(path):
                what = "is not a file" if os.path.exists(path) else "does not exist"
                raise self.error((*kpath, i), f"{path} {what}")
            else:
                out.append(path)
        return tuple(out)

    def _lib(self, kpath: tuple[str | int, ...], raw: str) -> str:
        """A path (has a `/`) made absolute, or a bare name kept for the ld.so search."""
        raw = self._expand(kpath, raw)
        if "/" in raw or raw.startswith("~"):
            return self._path(kpath, raw)
        return raw

    def conv_lib(self, kpath: tuple[str, ...], value: Any) -> str:
        return self._lib(kpath, self._str(kpath, value))

    def conv_libs(self, kpath: tuple[str, ...], value: Any) -> tuple[str, ...]:
        return tuple(self._lib((*kpath, i), v) for i, v in enumerate(self._list(kpath, value)))

    def conv_severity(self, kpath: tuple[str, ...], value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise self.error(kpath, f"must be a table of code = severity, not {_type_name(value)}")
        out: dict[str, str] = {}
        for code, sev in value.items():
            sev_text = self._str((*kpath, code), sev).lower()
            if sev_text not in SEVERITIES:
                raise self.error((*kpath, code), f'must be one of {", ".join(SEVERITIES)}, not "{sev}"')
            out[code] = sev_text
        return out

    def conv_libraries(self, kpath: tuple[str, ...], value: Any) -> tuple[LibrarySpec, ...]:
        if not isinstance(value, list):
            raise self.error(kpath, f"must be an array of tables ([[libraries]]), not {_type_name(value)}")
        out: list[LibrarySpec] = []
        for i, entry in enumerate(value):
            epath = (*kpath, i)
            if isinstance(entry, str):
                entry = {"path": entry}
            if not isinstance(entry, Mapping):
                raise self.error(epath, f"must be a table or a path string, not {_type_name(entry)}")
            fields: dict[str, Any] = {}
            for raw, v in entry.items():
                name = self.key(raw)
                if name not in LIBRARY_KEYS:
                    near = _near(name, list(LIBRARY_KEYS))
                    raise self.error((*epath, raw), "unknown key" + (f" (did you mean `{near}`?)" if near else ""))
                fields[name] = (raw, v)
            if ("path" in fields) == ("name" in fields):
                raise self.error(epath, "needs exactly one of `path` or `name`")
            files: tuple[str, ...] = ()
            if "files" in fields:
                raw, v = fields["files"]
                files = tuple(self._path((*epath, raw, j), p) for j, p in enumerate(self._list((*epath, raw), v)))
            linked = False
            if "linked" in fields:
                raw, v = fields["linked"]
                linked = self.conv_bool((*epath, raw), v)
            group = False
            if "group" in fields:
                raw, v = fields["group"]
                group = self.conv_bool((*epath, raw), v)
            raw, v = fields.get("sources", ("sources", []))
            sources = tuple(self.conv_dir((*epath, raw, j), p) for j, p in enumerate(self._list((*epath, raw), v)))
            target = library_target_of(self, epath, fields)
            line = find_key_line(self.text, (*self.prefix, *epath)) if self.text is not None else None
            origin = f"{self.source}:{line}" if line else self.source
            if "name" in fields:
                raw, v = fields["name"]
                specs = [self._expand((*epath, raw), self._str((*epath, raw), v))]
            else:
                raw, v = fields["path"]
                path = self._path((*epath, raw), self._str((*epath, raw), v))
                # A glob adds every match; one that matches nothing stays as written so the
                # library check reports it as not found (the build may not have run yet).
                specs = sorted(glob.glob(path, recursive=True)) if GLOB_CHARS.search(path) else []
                specs = specs or [path]
            out.extend(LibrarySpec(s, files, linked, origin, sources, target, group) for s in specs)
        return tuple(out)

    def conv_abi(self, kpath: tuple[str, ...], value: Any) -> tuple[str | None, dict[str, AbiProfile]]:
        if isinstance(value, str):
            return (self.conv_string(kpath, value), {})
        if not isinstance(value, Mapping):
            raise self.error(kpath, f"must be a profile name or a table, not {_type_name(value)}")
        name: str | None = None
        profiles: dict[str, AbiProfile] = {}
        for raw, v in value.items():
            key = self.key(raw)
            if key == "profile":
                name = self.conv_string((*kpath, raw), v)
            elif key == "profiles":
                if not isinstance(v, Mapping):
                    raise self.error((*kpath, raw), f"must be a table of profiles, not {_type_name(v)}")
                for pname, pvalue in v.items():
                    profiles[pname] = self.read_profile((*kpath, raw, pname), pname, pvalue)
            else:
                raise self.error((*kpath, raw), "unknown key (abi has `profile` and `profiles`)")
        return (name, profiles)

    def read_profile(self, kpath: tuple[str, ...], name: str, value: Any) -> AbiProfile:
        from .abi_profiles import builtin_profile  # noqa: PLC0415  (start-up: only a config with profiles)

        if not isinstance(value, Mapping):
            raise self.error(kpath, f"must be a table, not {_type_name(value)}")
        entries = {self.key(k): (k, v) for k, v in value.items()}
        for key, (raw, _) in entries.items():
            if key not in ("base", "params", "returns", "max-args"):
                raise self.error((*kpath, raw), "unknown key (a profile has base, params, returns, max-args)")
        base_name = "native"
        if "base" in entries:
            raw, v = entries["base"]
            base_name = self._str((*kpath, raw), v)
            if base_name not in BUILTIN_PROFILES:
                raise self.error((*kpath, raw), f'must be one of {", ".join(BUILTIN_PROFILES)}, not "{base_name}"')
        base = builtin_profile(base_name)
        params = dict(base.params)
        returns = dict(base.returns)
        for which, target in (("params", params), ("returns", returns)):
            if which not in entries:
                continue
            raw, table = entries[which]
            if not isinstance(table, Mapping):
                raise self.error((*kpath, raw), f"must be a table of category = [words], not {_type_name(table)}")
            for category, words in table.items():
                cpath = (*kpath, raw, category)
                if category not in ABI_CATEGORIES:
                    raise self.error(cpath, f"unknown type category (one of {', '.join(ABI_CATEGORIES)})")
                word_list = self._list(cpath, words) if words != [] else []
                for w in word_list:
                    if w not in ABI_WORDS:
                        raise self.error(cpath, f'unknown ABI word "{w}" (one of {", ".join(ABI_WORDS)})')
                if which == "returns" and len(word_list) > 1:
                    raise self.error(cpath, "a result crosses the ABI as at most one word")
                target[category] = AbiMapping(tuple(word_list))
        max_args = base.max_args
        if "max-args" in entries:
            raw, v = entries["max-args"]
            max_args = self.conv_int((*kpath, raw), v)
        return AbiProfile(name=name, params=params, returns=returns, max_args=max_args)


def _show_key(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _near(word: str, options: Sequence[str]) -> str | None:
    import difflib  # noqa: PLC0415

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


# --------------------------------------------------------------------------- finding the file

def find_config_file(start: str) -> tuple[str, bool] | None:
    """(path, is_pyproject) of the nearest config file at or above `start`."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        candidate = os.path.join(here, CONFIG_FILE_NAME)
        if os.path.isfile(candidate):
            return (candidate, False)
        pyproject = os.path.join(here, PYPROJECT_FILE_NAME)
        if os.path.isfile(pyproject) and _has_tool_sffi(pyproject):
            return (pyproject, True)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _has_tool_sffi(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    # Cheap text test first: most pyproject files have no [tool.sffi] and need no parse.
    return re.search(r"^\s*\[+\s*tool\s*\.\s*sffi\b", text, re.M) is not None or "tool.sffi" in text


def _read_toml(path: str) -> tuple[str, dict[str, Any]]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    import tomllib  # noqa: PLC0415  (5 ms to import: only when there is a file to read)

    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line = int(where.group(1)) if where else None
        if line is None and "end of document" in str(exc):  # an unclosed bracket: its last line
            line = max(len(text.rstrip().split("\n")), 1)
        raise ConfigError(f"{path}{f':{line}' if line else ''}: invalid TOML: {exc}", path, None, line) from None


# --------------------------------------------------------------------------- defaults and assembly

def default_config(root: str, env: Mapping[str, str], config_file: str | None = None) -> Config:
    """The configuration without a file: what a Simple runtime started in `root` would use."""
    manifest_env = env.get("SIMPLE_PLUGIN_MANIFEST")
    try:
        manifest = absolute_path(manifest_env or DEFAULT_MANIFEST, root, env)
    except ValueError:
        manifest = None
    sffi_path = env.get("SIMPLE_SFFI_PATH")
    if sffi_path:
        satellites = tuple(os.path.normpath(os.path.join(root, p)) for p in sffi_path.split(os.pathsep) if p)
    else:
        satellites = (os.path.join(root, "build"),)
    return Config(
        root=root,
        config_file=config_file,
        manifest=manifest,
        satellite_paths=satellites,
        cache_dir=os.path.join(root, ".sffi_cache"),
    )


def _apply(config: Config, reader: _Reader) -> Config:
    fields = dict(reader.fields)
    if reader.extend_exclude:
        fields["exclude"] = tuple(fields.get("exclude", config.exclude)) + tuple(reader.extend_exclude)
    if reader.rules:
        fields["rules"] = dataclasses.replace(config.rules, **reader.rules)
    if "abi_profiles" in fields:
        fields["abi_profiles"] = {**config.abi_profiles, **fields["abi_profiles"]}
    merged = dataclasses.replace(config, **fields)
    _check_abi_name(merged, reader)
    return merged


def _check_abi_name(config: Config, reader: _Reader) -> None:
    if config.abi not in BUILTIN_PROFILES and config.abi not in config.abi_profiles:
        known = ", ".join((*BUILTIN_PROFILES, *config.abi_profiles))
        key = ("abi", "profile") if reader.text is not None and "[abi]" in reader.text else ("abi",)
        raise reader.error(key, f'unknown ABI profile "{config.abi}" (known: {known})')


def load_config(
    paths: Sequence[str] = (),
    config_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The configuration for checking `paths` (default: the current directory)."""
    env = dict(os.environ) if env is None else env
    if config_file is not None:
        found: tuple[str, bool] | None = (os.path.abspath(config_file), False)
        if not os.path.isfile(found[0]):
            raise ConfigError(f"{config_file}: config file does not exist", config_file)
        if os.path.basename(found[0]) == PYPROJECT_FILE_NAME:
            found = (found[0], True)
    else:
        starts = list(paths) or [os.getcwd()]
        found = None
        for start in starts:
            found = find_config_file(start)
            if found:
                break
    if found is None:
        return with_runtime_source(default_config(os.getcwd(), env), paths)
    path, is_pyproject = found
    text, data = _read_toml(path)
    prefix: tuple[str, ...] = ()
    if is_pyproject:
        prefix = ("tool", "sffi")
        table = data.get("tool", {}).get("sffi", {}) if isinstance(data.get("tool"), dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.sffi] must be a table", path, "tool.sffi")
    else:
        table = data
    root = os.path.dirname(path)
    config = default_config(root, env, config_file=path)
    reader = _Reader(path, text, prefix, root, env, loose_keys=False)
    reader.read_table(table)
    return with_runtime_source(_apply(config, reader), paths)



def merge_client_settings(config: Config, settings: Mapping[str, Any] | None,
                          env: Mapping[str, str] | None = None,
                          problems: list[ConfigError] | None = None) -> Config:
    """`config` overlaid with an editor's settings (section `sffi`).

    With a `problems` list, each unknown or invalid key is appended to it and left out,
    and every other key applies; without one, the first problem raises.

    Same keys as `sffi.toml`, in kebab-case, camelCase or snake_case; relative
    paths are relative to the project root. Keys the server reads itself
    (`trace`, `enable`...) are ignored when listed in `CLIENT_ONLY_KEYS`."""
    if not settings:
        return config
    env = dict(os.environ) if env is None else env
    table = {k: v for k, v in settings.items() if _client_key(k) not in CLIENT_ONLY_KEYS and v is not None}
    for k in [k for k in table if _client_key(k) == "debounce-ms"]:  # flat form editors tend to send
        table.setdefault("server", {})
        table["server"] = {**table["server"], "debounce-ms": table.pop(k)}
    reader = _Reader("client settings (sffi)", None, (), config.root, env, loose_keys=True)
    if problems is not None:
        reader.problems = problems
    reader.read_table(table)
    if problems is None:
        return _apply(config, reader)
    try:
        return _apply(config, reader)
    except ConfigError as exc:  # an ABI profile name nobody defines: the rest still applies
        problems.append(exc)
        reader.fields.pop("abi", None)
        return _apply(config, reader)


def overlay_table(config: Config, table: Mapping[str, Any], source: str, root: str,
                  env: Mapping[str, str] | None = None) -> Config:
    """`config` with one table of `sffi.toml` keys applied on top (e.g. a `--config
    KEY=VALUE` from the command line), validated as strictly as in a file: the first
    unknown or invalid key raises a `ConfigError` naming `source`."""
    reader = _Reader(source, None, (), root, dict(os.environ) if env is None else dict(env), loose_keys=False)
    reader.read_table(dict(table))
    return _apply(config, reader)


def _client_key(raw: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", raw).replace("_", "-").lower()


# Settings an editor sends in the `sffi` section that are not checker configuration.
CLIENT_ONLY_KEYS = frozenset({"trace", "enable", "enabled", "path", "executable", "log-level", "config"})

__all__ = [
    "CONFIG_KEYS",
    "key_fields",
    "overlay_table",
    "ConfigError",
    "config_reference_markdown",
    "default_config",
    "expand_text",
    "find_config_file",
    "find_key_line",
    "glob_to_regex",
    "load_config",
    "merge_client_settings",
    "path_matches",
]
