"""Configuration loading: discovery, paths, expansion, errors with file/key/line."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from sffi_lsp.config import (
    CONFIG_KEYS,
    ConfigError,
    KEYS,
    config_reference_markdown,
    find_key_line,
    load_config,
    merge_client_settings,
    path_matches,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_walks_up_from_checked_path_and_resolves_relative_paths(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "builtins.txt", "rt_a\n")
    write(tmp_path / "sffi.toml", """
        runtime-mode = "builtin-only"
        search-paths = ["vendor/lib"]
        [builtins]
        lists = ["builtins.txt"]
        families = ["rt_sdl2_"]
        [satellites]
        paths = ["out"]
        [[libraries]]
        path = "build/libx.so"
        files = ["src/ffi/*.spl"]
        linked = true
        [[libraries]]
        name = "libm.so.6"
    """)
    deep = tmp_path / "src" / "app" / "deep"
    deep.mkdir(parents=True)
    cfg = load_config([str(deep)], env=clean_env)
    assert cfg.config_file == str(tmp_path / "sffi.toml")
    assert cfg.root == str(tmp_path)
    assert cfg.runtime_mode == "builtin-only"
    assert cfg.builtin_lists == (str(tmp_path / "builtins.txt"),)
    assert cfg.builtin_families == ("rt_sdl2_",)
    assert cfg.satellite_paths == (str(tmp_path / "out"),)
    assert cfg.search_paths == (str(tmp_path / "vendor" / "lib"),)
    first, second = cfg.libraries
    assert first.spec == str(tmp_path / "build" / "libx.so")  # glob-free path kept even when absent
    assert first.files == (str(tmp_path / "src" / "ffi" / "*.spl"),)
    assert first.linked is True
    assert first.origin == f"{tmp_path / 'sffi.toml'}:{line_of(tmp_path / 'sffi.toml', '[[libraries]]')}"
    assert second.spec == "libm.so.6"  # a bare name stays a name for the ld.so search


def test_pyproject_tool_sffi_and_sffi_toml_precedence(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "pyproject.toml", """
        [project]
        name = "x"
        [tool.sffi]
        abi = "cstring"
        [tool.sffi.rules]
        ignore = ["SFFI012"]
    """)
    cfg = load_config([str(tmp_path)], env=clean_env)
    assert cfg.config_file == str(tmp_path / "pyproject.toml")
    assert cfg.abi == "cstring"
    assert cfg.rules.ignore == ("SFFI012",)
    write(tmp_path / "sffi.toml", 'abi = "dynamic"\n')
    assert load_config([str(tmp_path)], env=clean_env).abi == "dynamic"


def test_config_flag_overrides_discovery(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "sffi.toml", 'abi = "dynamic"\n')
    other = write(tmp_path / "elsewhere" / "my.toml", 'abi = "cstring"\n')
    cfg = load_config([str(tmp_path)], config_file=str(other), env=clean_env)
    assert (cfg.abi, cfg.root) == ("cstring", str(other.parent))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config([], config_file=str(tmp_path / "nope.toml"), env=clean_env)


def test_tilde_and_variables_expand(tmp_path: Path, clean_env: dict) -> None:
    home = tmp_path / "home"
    write(home / "lists" / "b.txt", "rt_x\n")
    write(tmp_path / "proj" / "sffi.toml", """
        ld-preload = ["$PRELOAD_DIR/libp.so", "libq.so"]
        [builtins]
        lists = ["~/lists/b.txt"]
        [manifest]
        path = "${MANIFESTS}/m.sdn"
    """)
    write(tmp_path / "m" / "m.sdn", "plugins:\n")
    env = {**clean_env, "HOME": str(home), "MANIFESTS": str(tmp_path / "m"), "PRELOAD_DIR": "/opt/pre"}
    cfg = load_config([str(tmp_path / "proj")], env=env)
    assert cfg.builtin_lists == (str(home / "lists" / "b.txt"),)
    assert cfg.manifest == str(tmp_path / "m" / "m.sdn") and cfg.manifest_required
    assert cfg.ld_preload == ("/opt/pre/libp.so", "libq.so")


def test_undefined_variable_names_key_and_line(tmp_path: Path, clean_env: dict) -> None:
    cfg_file = write(tmp_path / "sffi.toml", """
        abi = "native"

        [satellites]
        paths = ["$NOT_SET_ANYWHERE/x"]
    """)
    with pytest.raises(ConfigError) as err:
        load_config([str(tmp_path)], env=clean_env)
    msg = str(err.value)
    assert f"{cfg_file}:{line_of(cfg_file, 'NOT_SET_ANYWHERE')}:" in msg
    assert "satellites.paths[0]" in msg and "$NOT_SET_ANYWHERE" in msg


@pytest.mark.parametrize(
    ("text", "needle", "key", "problem"),
    [
        ('abi = "native"\nruntime_mode = "dynamic"\n', "runtime_mode", "runtime_mode", "did you mean `runtime-mode`"),
        ('[rules]\nselect = ["SFFI001"]\nignroe = ["x"]\n', "ignroe", "rules.ignroe", "unknown key"),
        ('jobs = "four"\n', "jobs", "jobs", "must be an integer"),
        ('use-env-ld-preload = 1\n', "use-env-ld-preload", "use-env-ld-preload", "true or false"),
        ('runtime-mode = "static"\n', "runtime-mode", "runtime-mode", '"dynamic" or "builtin-only"'),
        ('[rules]\nseverity = { SFFI001 = "fatal" }\n', "severity", "rules.severity.SFFI001", "one of error"),
        ('[[libraries]]\npath = "a.so"\n\n[[libraries]]\npath = "b.so"\nfiels = ["x"]\n', "fiels",
         "libraries[1].fiels", "did you mean `files`"),
        ('[[libraries]]\nfiles = ["x"]\n', "[[libraries]]", "libraries[0]", "exactly one of `path` or `name`"),
        ('[builtins]\nlists = ["missing.txt"]\n', "lists", "builtins.lists[0]", "does not exist"),
        ('[manifest]\npath = "nowhere.sdn"\n', "path", "manifest.path", "does not exist"),
        ('abi = "fancy"\n', "abi", "abi", 'unknown ABI profile "fancy"'),
        ('[abi.profiles.mine]\nparams = { text = ["pointer"] }\n', "params", "abi.profiles.mine.params.text",
         'unknown ABI word "pointer"'),
        ('builtins = "x"\n', "builtins", "builtins", "must be a table"),
        ('search-paths = [1, 2]\n', "search-paths", "search-paths[0]", "must be a string"),
    ],
)
def test_bad_config_names_file_key_and_line(tmp_path: Path, clean_env: dict, text: str, needle: str, key: str,
                                            problem: str) -> None:
    cfg_file = write(tmp_path / "sffi.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config([str(tmp_path)], env=clean_env)
    e = err.value
    assert e.path == str(cfg_file)
    assert e.key == key
    assert e.line == line_of(cfg_file, needle), str(e)
    assert str(e).startswith(f"{cfg_file}:{e.line}: {key}: ")
    assert problem in str(e)


def test_invalid_toml_is_a_config_error(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "sffi.toml", 'abi = "native"\nthis is not toml\n')
    with pytest.raises(ConfigError, match=r"invalid TOML.*line 2"):
        load_config([str(tmp_path)], env=clean_env)
    (tmp_path / "sffi.toml").write_bytes(b'abi = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config([str(tmp_path)], env=clean_env)


def test_library_globs_expand_sorted(tmp_path: Path, clean_env: dict) -> None:
    for n in ("libb.so", "liba.so"):
        write(tmp_path / "build" / n, "")
    write(tmp_path / "sffi.toml", '[[libraries]]\npath = "build/lib*.so"\n[[libraries]]\npath = "none/*.so"\n')
    specs = [s.spec for s in load_config([str(tmp_path)], env=clean_env).libraries]
    assert specs == [str(tmp_path / "build" / "liba.so"), str(tmp_path / "build" / "libb.so"),
                     str(tmp_path / "none" / "*.so")]


def test_defaults_follow_simple_environment(tmp_path: Path, clean_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config([str(tmp_path)], env={**clean_env, "HOME": str(tmp_path / "h")})
    assert cfg.config_file is None and cfg.root == str(tmp_path)
    assert cfg.manifest == str(tmp_path / "h" / ".simple" / "plugins" / "manifest.sdn")
    assert not cfg.manifest_required
    assert cfg.satellite_paths == (str(tmp_path / "build"),)
    env = {**clean_env, "SIMPLE_PLUGIN_MANIFEST": "/etc/m.sdn", "SIMPLE_SFFI_PATH": f"/a{os.pathsep}rel"}
    cfg = load_config([str(tmp_path)], env=env)
    assert cfg.manifest == "/etc/m.sdn"
    assert cfg.satellite_paths == ("/a", str(tmp_path / "rel"))


def test_user_abi_profile_extends_a_builtin_one(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "sffi.toml", """
        [abi]
        profile = "legacy"
        [abi.profiles.legacy]
        base = "cstring"
        params = { array = ["ptr"] }
        returns = { text = ["handle"] }
        max-args = 8
    """)
    cfg = load_config([str(tmp_path)], env=clean_env)
    prof = cfg.abi_profiles["legacy"]
    assert cfg.abi == "legacy"
    assert prof.params["array"].words == ("ptr",)
    assert prof.params["text"].words == ("ptr",)  # from cstring
    assert prof.returns["text"].words == ("handle",)
    assert prof.max_args == 8


def test_client_settings_overlay_in_any_key_style(tmp_path: Path, clean_env: dict) -> None:
    write(tmp_path / "b.txt", "rt_a\n")
    write(tmp_path / "sffi.toml", '[rules]\nignore = ["SFFI012"]\nselect = ["SFFI0"]\n')
    cfg = load_config([str(tmp_path)], env=clean_env)
    merged = merge_client_settings(cfg, {
        "runtimeMode": "builtin-only",
        "builtins": {"lists": ["b.txt"]},
        "rules": {"extendSelect": ["SFFI016"], "severity": {"SFFI001": "warning"}},
        "libraries": ["build/libz.so"],
        "debounceMs": 300,
        "trace": {"server": "verbose"},
    }, env=clean_env)
    assert merged.runtime_mode == "builtin-only"
    assert merged.builtin_lists == (str(tmp_path / "b.txt"),)
    assert merged.rules.extend_select == ("SFFI016",)
    assert merged.rules.ignore == ("SFFI012",) and merged.rules.select == ("SFFI0",)  # kept from the file
    assert merged.rules.severity == {"SFFI001": "warning"}  # codes are not case-mangled
    assert merged.libraries[0].spec == str(tmp_path / "build" / "libz.so")
    assert merged.debounce_ms == 300
    assert merge_client_settings(cfg, {"runtime_mode": "builtin-only"}).runtime_mode == "builtin-only"
    with pytest.raises(ConfigError, match=r"client settings.*runtime-mode|runtimeMode"):
        merge_client_settings(cfg, {"runtimeMode": "sometimes"}, env=clean_env)


def test_every_accepted_key_is_documented(tmp_path: Path) -> None:
    documented = {k for k, *_ in CONFIG_KEYS}
    assert set(KEYS) == documented
    for key, type_doc, _default, description in CONFIG_KEYS:
        assert type_doc and description.strip(), key
    table = config_reference_markdown()
    assert table.count("\n") == len(CONFIG_KEYS) + 1
    assert "`runtime-mode`" in table and "`libraries.files`" in table


def test_find_key_line_handles_tables_arrays_and_dotted_keys() -> None:
    text = textwrap.dedent("""
        # comment
        abi.profile = "native"
        list = [
            "a = b",
        ]
        [rules]
        select = []
        [[libraries]]
        path = "a"
        [[libraries]]
        path = "b"
    """)
    assert find_key_line(text, ("abi", "profile")) == 3
    assert find_key_line(text, ("rules", "select")) == 8
    assert find_key_line(text, ("libraries", 1, "path")) == 12
    assert find_key_line(text, ("libraries", 0, "path")) == 10
    assert find_key_line(text, ("rules", "severity")) == 7  # falls back to the table header
    assert find_key_line(text, ("nothing",)) is None


def test_path_globs() -> None:
    assert path_matches("/p/src/ffi/a.spl", ["/p/src/**/*.spl"])
    assert path_matches("/p/src/a.spl", ["/p/src/**/*.spl"])
    assert not path_matches("/p/src/ffi/a.spl", ["/p/src/*.spl"])
    assert path_matches("/p/src/ffi/a.spl", ["/p/src/ffi/?.spl"])
    assert not path_matches("/p/other/a.spl", ["/p/src/**"])


def test_client_settings_with_a_problems_list_leave_out_only_the_bad_keys(tmp_path):
    from sffi_lsp.config import ConfigError, default_config, merge_client_settings

    base = default_config(str(tmp_path), {})
    problems: list = []
    merged = merge_client_settings(base, {"bogusKey": 1, "abi": "nonsense", "rules": {"ignore": ["SFFI012"], "sellect": []},
                                          "server": {"debounceMs": 7}}, env={}, problems=problems)
    assert merged.rules.ignore == ("SFFI012",) and merged.debounce_ms == 7 and merged.abi == base.abi
    shown = " | ".join(str(p) for p in problems)
    assert "bogusKey" in shown and "sellect" in shown and "nonsense" in shown and len(problems) == 3
    with pytest.raises(ConfigError):  # without the list, the first problem still raises (the CLI's way)
        merge_client_settings(base, {"bogusKey": 1}, env={})


def test_invalid_toml_names_its_line(tmp_path):
    from sffi_lsp.config import ConfigError, load_config

    (tmp_path / "sffi.toml").write_text('# a project\nabi = "native"\njobs = = 2\n')
    with pytest.raises(ConfigError) as info:
        load_config(paths=[str(tmp_path)], env={})
    assert info.value.line == 3 and info.value.path == str(tmp_path / "sffi.toml")
    assert str(info.value).startswith(f"{tmp_path / 'sffi.toml'}:3: invalid TOML")
    (tmp_path / "sffi.toml").write_text('# a project\nlibraries = ["a.so"\n')  # unclosed: its last line
    with pytest.raises(ConfigError) as info:
        load_config(paths=[str(tmp_path)], env={})
    assert info.value.line == 2
