"""`sffi-check` end to end: exit codes, formats, baseline, suppressions, bad input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from sffi_lsp.check.rules import ALL_RULES

GOOD = "extern fn rt_demo_add(a: i64, b: i64) -> i64\nfn main():\n    rt_demo_add(1, 2)\n"
BAD = "extern fn rt_demo_ad(a: i64, b: i64) -> i64\nfn main():\n    rt_demo_ad(1, 2)\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err and 'File "' not in err


def test_exit_codes_clean_findings_exit_zero(tmp_path, libs, sffi):
    write(tmp_path, {"good/a.spl": GOOD, "bad/b.spl": BAD})
    assert sffi("good", "--library", libs["demo"]).code == 0
    r = sffi("bad", "--library", libs["demo"])
    assert r.code == 1 and "SFFI001" in r.out and "SFFI001" not in r.err
    assert sffi("bad", "--library", libs["demo"], "--exit-zero").code == 0
    # Info/warning findings alone do not fail the run.
    write(tmp_path, {"warn/c.spl": "extern fn rt_demo_add(a: i64, b: i64) -> i64\n"})
    r = sffi("warn", "--library", libs["demo"], "--output-format", "concise")
    assert r.code == 0 and "SFFI012" in r.out


def test_json_output_shape(tmp_path, libs, sffi):
    write(tmp_path, {"src/a.spl": "extern fn rt_demo_add(a: i64, b: i64) -> i64\nextern fn rt_nope()\n"
                     "fn main():\n    rt_demo_add(1, 2)\n    rt_nope()\n"})
    r = sffi("src", "--library", libs["demo"], "--output-format", "json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert set(doc) == {"version", "externs", "diagnostics"} and doc["version"] == 1
    add, nope = doc["externs"]
    assert add == {
        "name": "rt_demo_add", "path": "src/a.spl", "line": 1, "column": 11,
        "params": [{"name": "a", "type": "i64"}, {"name": "b", "type": "i64"}], "returns": "i64",
        "resolved": True,
        "provider": {"kind": "library", "library": str(Path(libs["demo"]).resolve()), "version": "DEMO_2.0", "via": None},
    }
    assert nope["resolved"] is False and nope["provider"] is None and nope["returns"] is None
    [d] = doc["diagnostics"]
    assert set(d) == {"code", "name", "severity", "path", "line", "column", "end_line", "end_column", "message",
                      "related", "url", "fix"}
    assert (d["code"], d["name"], d["severity"], d["path"]) == ("SFFI001", "unresolved-extern", "error", "src/a.spl")
    assert (d["line"], d["column"], d["end_line"], d["end_column"]) == (2, 11, 2, 18)


def test_columns_are_code_points_and_paths_outside_cwd_absolute(tmp_path, sffi):
    write(tmp_path, {"p/é.spl": "# é ü\n/* ∑ */ extern fn rt_x()\n"})
    (tmp_path / "elsewhere").mkdir()
    r = sffi(tmp_path / "p", "--output-format", "json", "--select", "SFFI001", cwd=tmp_path / "elsewhere")
    doc = json.loads(r.out)
    [e] = doc["externs"]
    assert e["path"] == str(tmp_path / "p" / "é.spl") and (e["line"], e["column"]) == (2, 19)


def test_concise_and_full_output(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD})
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "concise", "--select", "SFFI001")
    assert r.out.splitlines()[0].startswith("a.spl:1:11: SFFI001 [error] `rt_demo_ad` is not provided")
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "full", "--select", "SFFI001", FORCE_COLOR="1", NO_COLOR="1")
    lines = r.out.splitlines()
    assert "\x1b[" not in r.out  # NO_COLOR wins, and stdout is not a terminal
    src = next(i for i, line in enumerate(lines) if line.endswith("extern fn rt_demo_ad(a: i64, b: i64) -> i64"))
    caret = lines[src + 1]
    assert caret.index("^") - caret.index("|") == lines[src].index("rt_demo_ad") - lines[src].index("|")
    assert caret.count("^") == len("rt_demo_ad")
    assert any("did you mean `rt_demo_add`" in line for line in lines)
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "full", "--select", "SFFI001", FORCE_COLOR="1")
    assert "\x1b[" in r.out


def test_github_annotations(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD + "extern fn rt_demo_add(a: i64, b: i64) -> i64\n"})
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "github")
    lines = r.out.splitlines()
    pat = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),title=(SFFI\d{3})::(.+)$")
    parsed = [pat.match(line) for line in lines]
    assert parsed and all(parsed), lines
    err = next(m for m in parsed if m.group(7) == "SFFI001")
    assert err.groups()[:7] == ("error", "a.spl", "1", "11", "1", "21", "SFFI001")
    assert any(m.group(1) == "notice" and m.group(7) == "SFFI012" for m in parsed)


def test_sarif_structure(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD})
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "sarif")
    doc = json.loads(r.out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sffi-check" and isinstance(driver["version"], str)
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [rule.code for rule in ALL_RULES]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note", "none")
    assert run["results"]
    for res in run["results"]:
        assert res["ruleId"] in ids and driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note", "none") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "a.spl" and loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = loc["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and region["endColumn"] >= region["startColumn"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    _validate_sarif_if_possible(doc)


def _validate_sarif_if_possible(doc):
    """Full schema validation when jsonschema and a SARIF schema are on disk (offline)."""
    try:
        import jsonschema
    except ImportError:
        return
    for candidate in (Path(__file__).parent / "sarif-schema-2.1.0.json", Path("/usr/share/sarif/sarif-schema-2.1.0.json")):
        if candidate.is_file():
            jsonschema.validate(doc, json.loads(candidate.read_text()))


def test_explain_by_code_and_name(sffi):
    r = sffi("--explain", "SFFI001")
    assert r.code == 0 and "unresolved-extern" in r.out and "## Why is this bad?" in r.out
    r2 = sffi("--explain", "unresolved-extern")
    assert r2.out == r.out
    r = sffi("--explain", "SFFI999")
    assert r.code == 2 and "unknown rule" in r.err and not r.out


def test_statistics(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD + "extern fn rt_other_missing()\n"})
    r = sffi("a.spl", "--library", libs["demo"], "--statistics", "--output-format", "concise")
    lines = r.out.splitlines()
    assert lines and all(re.match(r"^\s+\d+\s+SFFI\d{3}\s+[a-z-]+$", line) for line in lines), lines
    assert any(re.match(r"^\s+2\s+SFFI001\s+unresolved-extern$", s) for s in lines)
    assert r.code == 1
    r = sffi("a.spl", "--library", libs["demo"], "--statistics", "--output-format", "json")
    assert {"code": "SFFI001", "name": "unresolved-extern", "count": 2} in json.loads(r.out)


def test_select_ignore_flags(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD})
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "concise", "--ignore", "SFFI001,unused-extern")
    assert r.code == 0 and r.out == ""
    r = sffi("a.spl", "--select", "SFFI9")
    assert r.code == 2 and "unknown rule selector" in r.err


def test_suppression_comment_through_cli(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": "extern fn rt_demo_ad(a: i64)  # sffi: ignore[SFFI001]\nfn f():\n    rt_demo_ad(1)\n"})
    r = sffi("a.spl", "--library", libs["demo"], "--output-format", "concise")
    assert r.code == 0 and "SFFI001" not in r.out
    assert "1 suppressed" in r.err


def test_baseline_hides_known_findings_and_survives_line_moves(tmp_path, libs, sffi):
    write(tmp_path, {"a.spl": BAD})
    r = sffi("a.spl", "--library", libs["demo"], "--write-baseline", "baseline.json")
    assert r.code == 0
    base = json.loads((tmp_path / "baseline.json").read_text())
    assert base["version"] == 1 and base["findings"] and all("fingerprint" in f for f in base["findings"])
    assert sffi("a.spl", "--library", libs["demo"], "--baseline", "baseline.json").code == 0
    # Move everything down three lines and add a new problem: only the new one shows.
    write(tmp_path, {"a.spl": "\n\n\n" + BAD + "extern fn rt_brand_new()\n"})
    r = sffi("a.spl", "--library", libs["demo"], "--baseline", "baseline.json", "--output-format", "json")
    assert r.code == 1
    diags = json.loads(r.out)["diagnostics"]
    assert {d["message"].split("`")[1] for d in diags} == {"rt_brand_new"}
    r = sffi("a.spl", "--baseline", "missing.json")
    assert r.code == 2 and "baseline" in r.err
    assert_no_traceback(r.err)


@pytest.mark.parametrize(
    "toml, words",
    [
        ("runtime-mode = 12\n", ["sffi.toml", "runtime-mode"]),
        ("no_such_key = 1\n", ["sffi.toml", "no_such_key"]),
        ("libraries = [\n", ["sffi.toml"]),
        ('[builtins]\nlists = ["missing.txt"]\n', ["sffi.toml", "missing.txt"]),
    ],
)
def test_bad_config_exits_2_with_one_clear_line(tmp_path, sffi, toml, words):
    write(tmp_path, {"sffi.toml": toml, "a.spl": "extern fn rt_x()\n"})
    r = sffi(".")
    assert r.code == 2 and r.out == ""
    assert_no_traceback(r.err)
    assert len(r.err.strip().splitlines()) == 1
    assert all(w in r.err for w in words), r.err


def test_missing_path_and_bad_flags(tmp_path, sffi):
    r = sffi("does/not/exist")
    assert r.code == 2 and "does/not/exist" in r.err
    assert_no_traceback(r.err)
    r = sffi(".", "--output-format", "xml")
    assert r.code == 2
    r = sffi(".", "--abi", "weird")
    assert r.code == 2 and "weird" in r.err
    r = sffi(".", "--builtins", "nope.txt")
    assert r.code == 2 and "nope.txt" in r.err


def test_fifo_named_so_as_library_does_not_hang(tmp_path, sffi):
    fifo = tmp_path / "x.so"
    os.mkfifo(fifo)
    write(tmp_path, {"a.spl": "extern fn rt_x()\n"})
    r = sffi("a.spl", "--library", fifo, "--output-format", "concise", timeout=30)
    assert r.code == 1
    assert "SFFI002" in r.out and "x.so" in r.out and "FIFO" in r.out.upper()


def test_directory_named_so(tmp_path, libs, sffi):
    (tmp_path / "d.so").mkdir()
    (tmp_path / "lib.spl").mkdir()  # a directory named like a source file is walked, not read
    write(tmp_path, {"a.spl": "extern fn rt_x()\n", "lib.spl/inner.spl": "extern fn rt_y()\n"})
    r = sffi(".", "--library", tmp_path / "d.so", "--output-format", "json")
    doc = json.loads(r.out)
    assert {e["name"] for e in doc["externs"]} == {"rt_x", "rt_y"}
    lib_diags = [d for d in doc["diagnostics"] if d["code"] == "SFFI002"]
    assert lib_diags and all("directory" in d["message"] for d in lib_diags)


def test_cache_dir_gitignored_reused_and_corruption_tolerated(tmp_path, sffi):
    write(tmp_path, {"sffi.toml": "", "a.spl": "extern fn rt_x()\nextern type T\n"})
    first = sffi(".", "--output-format", "json")
    cache = tmp_path / ".sffi_cache"
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    store = cache / "models.pickle"
    assert store.is_file() and not (cache / "models").exists()  # one file for the tree
    assert sffi(".", "--output-format", "json").out == first.out
    store.write_bytes(b"\x80garbage")
    (cache / "results.pickle").unlink()
    assert sffi(".", "--output-format", "json").out == first.out
    # An edit changes size/mtime: the cached model must not be used.
    (tmp_path / "a.spl").write_text("extern fn rt_renamed()\n")
    doc = json.loads(sffi(".", "--output-format", "json").out)
    assert [e["name"] for e in doc["externs"]] == ["rt_renamed"]
    r = sffi(".", "--no-cache", "--output-format", "json")
    assert json.loads(r.out) == doc


def test_parallel_parse_matches_serial(tmp_path, sffi):
    files = {f"m{i:03d}.spl": f"extern fn rt_mod{i}_f(a: i64) -> i64\nfn g{i}():\n    rt_mod{i}_f(1, 2)\n" for i in range(70)}
    write(tmp_path, files)
    a = sffi(".", "--jobs", "2", "--no-cache", "--output-format", "json")
    b = sffi(".", "--jobs", "1", "--no-cache", "--output-format", "json")
    assert a.code == b.code == 1
    assert a.out == b.out
    assert len(json.loads(a.out)["externs"]) == 70


def test_symbols_subcommand(libs, sffi):
    r = sffi("symbols", libs["demo"], "rt_demo_add", "rt_demo_counter", "rt_nope")
    assert "rt_demo_add" in r.out and r.code == 1  # rt_nope is not exported
    r = sffi("symbols", libs["demo"], "rt_demo_add", "--json")
    assert r.code == 0 and json.loads(r.out)
    r = sffi("symbols", libs["script"])
    assert r.code == 1 and "linker script" in (r.out + r.err)
    assert_no_traceback(r.err)
    r = sffi("symbols")
    assert r.code == 2
