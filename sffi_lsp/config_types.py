"""The typed configuration shared by the CLI and the server.

Loaded from `sffi.toml` (keys at top level), or `[tool.sffi]` in
`pyproject.toml`, by `sffi_lsp.config.load_config`; the server overlays client
settings (section `sffi`) with `Config.merged`. All paths here are already
absolute (relative ones are resolved against the config file's directory, `~`
and `$VAR` expanded), except `include`/`exclude`, which are glob patterns
matched against paths relative to `root`. Every key is documented in
`sffi_lsp.config.CONFIG_KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LibrarySpec:
    """A library configured to provide externs (`libraries` in sffi.toml, `--library`)."""

    spec: str  # absolute path, glob-expanded path, or a bare name ("libm.so.6") found as ld.so would
    files: tuple[str, ...] = ()  # globs (absolute) of source files this library serves; empty = all
    linked: bool = False  # the project links it with -l: symbols only reachable through a dependency are a warning
    origin: str = ""  # "sffi.toml:12" where it was configured, for messages
    sources: tuple[str, ...] = ()  # Rust crate directories whose extern "C" fns it exports (tier-1 crates)
    target: str | None = None  # static objects: a machine name (TARGET_MACHINES) or a file to take it from
    group: bool = False  # static archives: inside --start-group/--end-group with its consecutive group peers


# Machine names `[[libraries]] target` accepts: (ELF class, little-endian, e_machine).
TARGET_MACHINES: dict[str, tuple[int, bool, int]] = {
    "x86_64": (64, True, 62), "x86-64": (64, True, 62), "amd64": (64, True, 62),
    "i386": (32, True, 3), "x86_32": (32, True, 3), "x86": (32, True, 3),
    "aarch64": (64, True, 183), "arm64": (64, True, 183), "aarch64_be": (64, False, 183),
    "arm": (32, True, 40), "arm32": (32, True, 40), "armeb": (32, False, 40),
    "riscv64": (64, True, 243), "riscv32": (32, True, 243),
}


@dataclass(frozen=True, slots=True)
class AbiMapping:
    """How one Simple type crosses the C ABI: a sequence of C value classes.

    Each word is one of: "i8".."i64", "u8".."u64", "f32", "f64", "bool", "ptr", "handle" (an i64 handle).
    """

    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AbiProfile:
    """An ABI profile: how each Simple type category crosses the C ABI (see check/abi.py)."""

    name: str  # "native" | "cstring" | "dynamic" | user name
    params: dict[str, AbiMapping] = field(default_factory=dict)  # Simple type category -> words; see check/abi.py
    returns: dict[str, AbiMapping] = field(default_factory=dict)
    max_args: int | None = None  # "dynamic": 12


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Which rules run and at what severity (ruff-style select / ignore / extend-select)."""

    select: tuple[str, ...] = ()  # codes or names or prefixes ("SFFI0"); empty = the defaults
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()  # opt-in rules added to the defaults
    severity: dict[str, str] = field(default_factory=dict)  # code or name -> "error"|"warning"|"info"|"hint"
    naming_prefixes: tuple[str, ...] = ("rt_", "spl_")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a check depends on besides the sources: providers, rules, ABI, paths."""

    root: str  # project root (directory of the config file, or the cwd)
    config_file: str | None = None
    include: tuple[str, ...] = ("**/*.spl",)
    exclude: tuple[str, ...] = (".git/**", ".sffi_cache/**", "node_modules/**", ".venv/**")
    bindings: tuple[str, ...] = ()  # globs of binding files (their unused externs are API, see SFFI012)
    runtime_mode: str = "dynamic"  # "dynamic" | "builtin-only"
    abi: str = "native"  # profile name
    abi_profiles: dict[str, AbiProfile] = field(default_factory=dict)  # user-defined, beside the 3 built-in ones
    target: str | None = None  # runtime binary whose ELF class/machine libraries must match (else host)
    builtin_lists: tuple[str, ...] = ()  # files: one name a line, optionally a Simple signature
    builtin_families: tuple[str, ...] = ()  # prefixes handled by a built-in module, e.g. "rt_sdl2_"
    unsupported_families: tuple[str, ...] = ()  # prefixes the runtime knows but refuses
    builtin_runtime: str | None = None  # runtime binary/library whose exported functions count as built-ins
    runtime_source: str | None = None  # a Simple checkout whose Rust sources say what the runtime handles
    runtime_source_auto: bool = True  # else: the checkout holding the root / the checked paths, if any
    runtime_modes: tuple[str, ...] = ("interpreter", "compiled")  # which verdicts must hold
    runtime_features: tuple[str, ...] = ()  # cargo features on beyond the crates' defaults
    runtime_bare_metal: bool = False  # the compiled target drops the Sys and Async tiers
    runtime_library: str | None = None  # libsimple_runtime.so (step 4 of the dynamic path); None = probed where the runtime looks
    runtime_library_required: bool = False  # True when configured explicitly (an unloadable one is then reported)
    manifest: str | None = None  # plugin manifest (SDN); default $SIMPLE_PLUGIN_MANIFEST or ~/.simple/plugins/manifest.sdn
    manifest_required: bool = False  # True when configured explicitly (a missing file is then a config error)
    satellite_paths: tuple[str, ...] = ()  # default $SIMPLE_SFFI_PATH or <root>/build
    satellite_prefixes: tuple[str, ...] = ()  # empty = any rt_<prefix>_ maps to libspl_<prefix>.so
    libraries: tuple[LibrarySpec, ...] = ()
    search_paths: tuple[str, ...] = ()  # extra library search dirs (before the system ones)
    ld_preload: tuple[str, ...] = ()
    use_env_ld_preload: bool = False
    rules: RuleSettings = field(default_factory=RuleSettings)
    baseline: str | None = None
    cache_dir: str | None = None  # default <root>/.sffi_cache
    jobs: int | None = None
    debounce_ms: int = 150  # server only
    max_findings_per_file: int = 1000  # 0 = no limit; the rest are summed up in one note (check/limits.py)
