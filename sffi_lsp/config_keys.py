"""The `sffi.toml` keys: their names, how each is read, the `Config` field it sets and
its documentation (the README's configuration reference is generated from it).
`config` reads files and client settings with this table."""

from __future__ import annotations

from dataclasses import dataclass

from .config_runtime import LIBRARY_SOURCES_KEY, RUNTIME_KEYS
from .config_targets import TARGET_DOC

CONFIG_FILE_NAME = "sffi.toml"
PYPROJECT_FILE_NAME = "pyproject.toml"
DEFAULT_MANIFEST = "~/.simple/plugins/manifest.sdn"
RUNTIME_MODES = ("dynamic", "builtin-only")
SEVERITIES = ("error", "warning", "info", "hint")
BUILTIN_PROFILES = ("native", "cstring", "dynamic")
# What an AbiMapping word may be (see check/abi.py).
ABI_WORDS = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "bool", "ptr", "handle")
# Simple type categories a profile maps (see check/abi.py `type_category`).
ABI_CATEGORIES = (
    "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "bool",
    "text", "array", "tuple", "optional", "dict", "pointer", "function", "value", "unit",
)  # fmt: skip


# --------------------------------------------------------------------------- key table

@dataclass(frozen=True, slots=True, eq=False)  # table rows, never compared
class ConfigKey:
    """One configuration key: how it is read, the field it sets and its documentation."""

    kind: str  # how the value is read, see _convert
    field: str  # Config field (or "rules.<field>")
    type_doc: str
    default_doc: str
    description: str


_K = ConfigKey
KEYS: dict[str, ConfigKey] = {
    "include": _K("globs", "include", "list of globs", '["**/*.spl"]',
                  "Source files to check, as globs relative to the project root."),
    "exclude": _K("globs", "exclude", "list of globs", '[".git/**", ".sffi_cache/**", "node_modules/**", ".venv/**"]',
                  "Files never checked, as globs relative to the project root (replaces the default list)."),
    "extend-exclude": _K("globs", "+exclude", "list of globs", "[]",
                         "Globs added to `exclude` (keeps the default list)."),
    "bindings": _K("globs", "bindings", "list of globs", "[]",
                   "Binding files, as globs relative to the project root: files that declare a library's "
                   "API for other files to call. An extern of theirs that nothing calls yet is reported at "
                   "`hint` level, without a \"Remove\" fix (SFFI012). A file another file imports with "
                   "`use` counts as one without being listed."),
    "runtime-mode": _K("mode", "runtime_mode", '"dynamic" | "builtin-only"', '"dynamic"',
                       "`dynamic`: libraries (manifest, runtime library, satellites, configured, LD_PRELOAD) may "
                       "provide externs. `builtin-only`: the runtime refuses every extern outside its built-in table, "
                       "even one a loaded library exports (older runtimes)."),
    "abi": _K("abi", "abi", "string or table", '"native"',
              "Shorthand for `abi.profile`."),
    "abi.profile": _K("string", "abi", "string", '"native"',
                      "ABI profile for signature checks: `native` (text parameter = pointer + length; text, array, "
                      "tuple, optional, dict results = one i64 handle), `cstring` (text = `const char *`), `dynamic` "
                      "(every argument and the result one i64, at most 12 arguments), or a name from `abi.profiles`."),
    "abi.profiles.<name>.base": _K("-", "-", '"native" | "cstring" | "dynamic"', '"native"',
                                   "Built-in profile a user profile starts from."),
    "abi.profiles.<name>.params": _K("-", "-", "table: category -> list of words", "{}",
                                     "How a parameter of each Simple type category crosses the ABI, e.g. "
                                     '`text = ["ptr"]`. Categories: ' + ", ".join(ABI_CATEGORIES) +
                                     ". Words: " + ", ".join(ABI_WORDS) + "."),
    "abi.profiles.<name>.returns": _K("-", "-", "table: category -> list of words", "{}",
                                      "Same as `params`, for results (a result maps to at most one word)."),
    "abi.profiles.<name>.max-args": _K("-", "-", "integer", "none",
                                       "Most arguments a call through this profile can carry."),
    "target": _K("file", "target", "path", "the host",
                 "Runtime binary whose ELF class and machine every library must match."),
    "baseline": _K("path", "baseline", "path", "none",
                   "Baseline file: findings recorded in it are not reported (see `--write-baseline`)."),
    "cache-dir": _K("path", "cache_dir", "path", '".sffi_cache"', "Cache directory (safe to delete)."),
    "jobs": _K("int", "jobs", "integer", "number of CPUs", "Files checked in parallel by the CLI."),
    "max-findings-per-file": _K("int", "max_findings_per_file", "integer", "1000",
                                "Findings shown per file (the most severe first); the rest are counted in one note "
                                "at the top of the file (in the CLI a `too-many-findings` finding). 0 = no limit."),
    "search-paths": _K("paths", "search_paths", "list of paths", "[]",
                       "Extra directories searched for libraries given by bare name, before the system ones."),
    "ld-preload": _K("libs", "ld_preload", "list of paths or names", "[]",
                     "Libraries treated as preloaded (`LD_PRELOAD`): they provide externs last."),
    "use-env-ld-preload": _K("bool", "use_env_ld_preload", "boolean", "false",
                             "Also count the libraries named in the environment's `LD_PRELOAD`."),
    "runtime-library": _K("lib", "runtime_library", "path or name", "probed",
                          "`libsimple_runtime.so`, asked after the manifest in `dynamic` mode. Unset: looked for "
                          "next to `target`, in its `../lib`, and in `target/{debug,release,bootstrap}/` and "
                          "`build/` under the root."),
    "builtins.lists": _K("files", "builtin_lists", "list of paths (globs)", "[]",
                         "Built-ins list files: one name a line, `#` comments, optionally a Simple signature "
                         "(`rt_file_exists(path: text) -> bool`) that declarations are checked against."),
    "builtins.families": _K("strings", "builtin_families", "list of prefixes", "[]",
                            'Prefixes the runtime handles as a whole built-in module, e.g. `"rt_sdl2_"`.'),
    "builtins.unsupported-families": _K("strings", "unsupported_families", "list of prefixes", "[]",
                                        "Prefixes the runtime knows but refuses (calls fail with a family error)."),
    "builtins.runtime": _K("file", "builtin_runtime", "path", "none",
                           "Runtime binary or library whose exported functions count as built-ins."),
    "manifest.path": _K("file", "manifest", "path", "$SIMPLE_PLUGIN_MANIFEST or ~/.simple/plugins/manifest.sdn",
                        "Plugin manifest (SDN). When set here it must exist; the default may be absent."),
    "satellites.paths": _K("paths", "satellite_paths", "list of paths", "$SIMPLE_SFFI_PATH or build/",
                           "Directories searched for satellite libraries `libspl_<prefix>.so`."),
    "satellites.prefixes": _K("strings", "satellite_prefixes", "list of prefixes", "[] (any)",
                              "Satellite prefixes (`json` for `rt_json_*` -> `libspl_json.so`); empty = the "
                              "first word after `rt_`."),
    "libraries": _K("libraries", "libraries", "array of tables", "[]", "Libraries that may provide externs: "
                    "`[[libraries]]` with `path` (globs allowed) or `name` (found as ld.so would), optional `files`, "
                    "`linked`, `group`, `target` (" + TARGET_DOC + "). A plain string is a `path`."),
    "libraries.path": _K("-", "-", "path (glob)", "", "Library file; a glob adds every match."),
    "libraries.name": _K("-", "-", "string", "", 'Library found as the dynamic linker would, e.g. `"libm.so.6"`.'),
    "libraries.files": _K("-", "-", "list of globs", "[] (all)", "Source files this library serves."),
    "libraries.linked": _K("-", "-", "boolean", "false",
                           "The project links it (`-l`): a symbol only reachable through its dependencies is "
                           "then a warning."),
    "libraries.group": _K("-", "-", "boolean", "false",
                          "Static archives: inside `--start-group ... --end-group` with the consecutive entries that "
                          "also say `group = true` (ld rescans them until nothing more is pulled)."),
    "rules.select": _K("strings", "rules.select", "list of codes/names/prefixes", "[] (defaults)",
                       "Rules to run (replaces the default set)."),
    "rules.ignore": _K("strings", "rules.ignore", "list of codes/names/prefixes", "[]", "Rules never reported."),
    "rules.extend-select": _K("strings", "rules.extend_select", "list of codes/names/prefixes", "[]",
                              "Rules added to the selection (opt-in rules)."),
    "rules.severity": _K("severity", "rules.severity", "table: code or name -> severity", "{}",
                         'Severity overrides: `{SFFI001 = "warning"}`; one of error, warning, info, hint.'),
    "rules.naming-prefixes": _K("strings", "rules.naming_prefixes", "list of prefixes", '["rt_", "spl_"]',
                                "Prefixes the opt-in naming rule accepts."),
    "server.debounce-ms": _K("int", "debounce_ms", "integer", "150",
                             "Language server: delay before re-checking after an edit."),
}

# The runtime-source keys (config_runtime) after the others.
KEYS.update({k: _K(*v) for k, v in {**RUNTIME_KEYS, **LIBRARY_SOURCES_KEY}.items()})


# Sections that group keys (a table there is walked, not a value).
SECTIONS = ("builtins", "manifest", "satellites", "rules", "server", "runtime")

CONFIG_KEYS: list[tuple[str, str, str, str]] = [
    (key, k.type_doc, k.default_doc, k.description) for key, k in KEYS.items()
]
"""(key, type, default, description) for every key: the README's configuration reference."""


def config_reference_markdown() -> str:
    """The configuration reference as a Markdown table (generated into the README)."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, type_doc, default_doc, description in CONFIG_KEYS:
        cells = [f"`{key}`", type_doc, f"`{default_doc}`" if default_doc else "", description]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def key_fields() -> list[tuple[str, str]]:
    """(key, the `Config` field it sets) of every `sffi.toml` key, in table order:
    "rules.<field>" for a field of `config.rules`, "-" for a key that only opens a
    table, "+exclude" for `extend-exclude` (it adds to `exclude`)."""
    return [(key, spec.field) for key, spec in KEYS.items()]
