"""Items 2 and 8 of issue 12: paths mean paths; output is valid UTF-8; a closed
pipe is a failure without a traceback; `rules`, `--explain`, JSON `url`/`fix`."""

from __future__ import annotations

import json
import os
import subprocess

from ux_helpers import clean_env, command, gcc_lib, write

TORCH_C = "#include <stdint.h>\nint64_t rt_torch_available(void) { return 1; }\nint64_t rt_torch_add(int64_t a, int64_t b) { return a + b; }\n"


def test_library_named_like_a_file_in_cwd_is_that_file(tmp_path, sffi):
    gcc_lib(tmp_path / "libsimple_torch.so", TORCH_C)
    write(tmp_path, {"ffi.spl": "extern fn rt_torch_available() -> i64\nfn f():\n    rt_torch_available()\n"})
    r = sffi("ffi.spl", "--library", "libsimple_torch.so", "--output-format", "json")
    assert r.code == 0, r.out + r.err
    ext = json.loads(r.out)["externs"][0]
    assert ext["resolved"] and ext["provider"]["library"] == str(tmp_path / "libsimple_torch.so")
    r = sffi("symbols", "libsimple_torch.so", "rt_torch_add")
    assert r.code == 0 and "found in libsimple_torch.so" in r.out


def test_not_found_names_where_it_looked(tmp_path, sffi):
    write(tmp_path, {"ffi.spl": "extern fn rt_torch_available() -> i64\n"})
    (tmp_path / "extra").mkdir()
    r = sffi("ffi.spl", "--library", "libnowhere_xyz.so", "--output-format", "concise",
             LD_LIBRARY_PATH=str(tmp_path / "extra"))
    assert r.code == 1
    line = next(x for x in r.out.splitlines() if "SFFI002" in x)
    assert "libnowhere_xyz.so" in line and "was not found: searched" in line
    assert f"{tmp_path / 'extra'} (LD_LIBRARY_PATH)" in line and "/etc/ld.so.cache" in line


def test_not_found_mentions_a_local_file_of_that_name(tmp_path, sffi):
    """A configured bare `name` is searched for as ld.so does; a file of that name
    next to the config is then named in the message, with what to write instead."""
    gcc_lib(tmp_path / "libsimple_torch.so", TORCH_C)
    write(tmp_path, {"sffi.toml": '[[libraries]]\nname = "libsimple_torch.so"\n',
                     "ffi.spl": "extern fn rt_torch_available() -> i64\n"})
    r = sffi(".", "--output-format", "concise")
    assert r.code == 1
    assert "libsimple_torch.so exists" in r.out and "give it as a path" in r.out


CORRUPT_C = "#include <stdint.h>\nint64_t rt_corrupt_nameQ(void) { return 1; }\nint64_t rt_fine(void) { return 2; }\n"


def _corrupt(lib):
    data = lib.read_bytes()
    assert data.count(b"rt_corrupt_nameQ") >= 1
    lib.write_bytes(data.replace(b"rt_corrupt_nameQ", b"rt_corrupt_name\x8a"))


def test_invalid_utf8_symbol_names_are_escaped_in_every_format(tmp_path, sffi):
    lib = gcc_lib(tmp_path / "libcorrupt.so", CORRUPT_C)
    _corrupt(lib)
    r = sffi("symbols", str(lib))
    assert r.code == 0 and "rt_corrupt_name\\x8a" in r.out
    r = sffi("symbols", str(lib), "--json")
    names = [s["name"] for s in json.loads(r.out)["symbols"]]
    assert "rt_corrupt_name\\x8a" in names
    # a suggestion naming the corrupt export: in messages of every format
    write(tmp_path, {"a.spl": "extern fn rt_corrupt_namX() -> i64\nfn f():\n    rt_corrupt_namX()\n"})
    for fmt in ("concise", "full", "github"):
        r = sffi("a.spl", "--library", str(lib), "--output-format", fmt)
        assert r.code == 1 and "rt_corrupt_name\\x8a" in r.out, (fmt, r.out)
    r = sffi("a.spl", "--library", str(lib), "--output-format", "json")
    msg = json.loads(r.out)["diagnostics"][0]["message"]
    assert "rt_corrupt_name\\x8a" in msg
    r = sffi("a.spl", "--library", str(lib), "--output-format", "sarif")
    assert "rt_corrupt_name\\x8a" in json.loads(r.out)["runs"][0]["results"][0]["message"]["text"]


def test_closed_stdout_is_a_failure_without_traceback(tmp_path):
    write(tmp_path, {"a.spl": "".join(f"extern fn rt_missing_{i}() -> i64\n" for i in range(2000))})
    read, write_end = os.pipe()
    os.close(read)
    try:
        p = subprocess.run([*command(), "a.spl", "--output-format", "json"], cwd=tmp_path, stdout=write_end,
                           stderr=subprocess.PIPE, env=clean_env(tmp_path), timeout=120)
    finally:
        os.close(write_end)
    assert p.returncode != 0
    assert b"Traceback" not in p.stderr and b"Exception ignored" not in p.stderr, p.stderr


def test_rules_lists_every_rule(sffi):
    from sffi_lsp.check.rules import ALL_RULES

    r = sffi("rules")
    assert r.code == 0
    for rule in ALL_RULES:
        assert rule.code in r.out and rule.name in r.out
    rows = json.loads(sffi("rules", "--output-format", "json").out)
    assert [x["code"] for x in rows] == [x.code for x in ALL_RULES]
    assert all(x["url"].endswith(f"/docs/rules/{x['code']}.md") for x in rows)
    every = sffi("--explain")
    assert every.code == 0 and all(f"({rule.code})" in every.out for rule in ALL_RULES)


def test_explain_names_keys_the_config_accepts(tmp_path, sffi):
    """Every `key = ...` or dotted key an explanation mentions is one sffi.toml accepts."""
    import re

    from sffi_lsp.config import config_reference_markdown

    known = set(re.findall(r"^\| `([^`]+)` \|", config_reference_markdown(), re.M))
    leaves = {k.rsplit(".", 1)[-1] for k in known} | {k.split(".", 1)[-1] for k in known}
    from sffi_lsp.check.rules import ALL_RULES

    every = sffi("--explain").out
    # the wrapper rules quote the fields of `.wrapper_spec` files (search_paths, wrapper_lib.name), not sffi.toml's
    text = "".join(r.explain() for r in ALL_RULES if not r.name.startswith("wrapper-"))
    assert all(r.explain() in every for r in ALL_RULES)
    for key in re.findall(r"`([a-z][a-z0-9_.-]*_[a-z0-9_.-]+)(?: = [^`]*)?`", text):
        if key.startswith(("rt_", "spl_", "libspl_")):
            continue  # an extern or library name
        kebab = key.replace("_", "-")
        assert kebab not in known and kebab not in leaves, \
            f"--explain writes `{key}`: the config key is spelt `{kebab}`"


def test_json_diagnostics_carry_url_and_fix(tmp_path, sffi):
    write(tmp_path, {"a.spl": "extern fn rt_demo_x() -> i64\nextern fn rt_demo_x() -> i64\nfn f():\n    rt_demo_x()\n"})
    r = sffi("a.spl", "--output-format", "json", "--select", "SFFI010")
    d = json.loads(r.out)["diagnostics"][0]
    assert d["url"].endswith("/docs/rules/SFFI010.md")
    assert d["fix"]["applicability"] == "safe" and d["fix"]["edits"][0]["location"] == {"line": 2, "column": 1}
    r = sffi("a.spl", "--output-format", "sarif", "--select", "SFFI010")
    result = json.loads(r.out)["runs"][0]["results"][0]
    assert result["fixes"][0]["properties"]["applicability"] == "safe"
