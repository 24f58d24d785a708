"""Issue 12 items 5 and 6 through the real `sffi-check`: what each output format says
about an unloadable library, conflicting declarations and binding files."""

from __future__ import annotations

import json

from test_cli_check import write

TORCH = {
    "src/lib/torch/ffi.spl": "extern fn rt_torch_add(x: i64) -> i64\nextern fn rt_torch_sub(x: i64) -> i64\n"
    "extern fn rt_torch_len(x: text) -> i64\n",
    "src/app/main.spl": "use lib.torch.ffi.*\n\nfn main():\n    rt_torch_add(1)\n    rt_torch_sub(2)\n"
    "extern fn rt_torch_len(x: text) -> i32\n",
}


def test_concise_names_the_other_declaration_file_and_line(tmp_path, sffi):
    write(tmp_path, TORCH)
    r = sffi("src", "--output-format", "concise", "--select", "SFFI009")
    lines = [line for line in r.out.splitlines() if "SFFI009" in line]
    assert len(lines) == 2
    assert any(line.startswith("src/app/main.spl:6:11:") and line.endswith("in src/lib/torch/ffi.spl:3")
               for line in lines), lines
    assert any(line.startswith("src/lib/torch/ffi.spl:3:11:") and line.endswith("in src/app/main.spl:6")
               for line in lines), lines


def test_json_carries_related_locations(tmp_path, sffi):
    write(tmp_path, TORCH)
    doc = json.loads(sffi("src", "--output-format", "json", "--select", "SFFI009").out)
    d = next(d for d in doc["diagnostics"] if d["path"] == "src/app/main.spl")
    assert d["related"] == [{"path": "src/lib/torch/ffi.spl", "line": 3, "column": 11,
                             "message": "`rt_torch_len` declared as `(text) -> i64`"}]


def test_unloadable_library_one_error_in_every_format(tmp_path, libs, sffi):
    write(tmp_path, TORCH)
    (tmp_path / "sffi.toml").write_text(f'libraries = ["{libs["script"]}"]\n')
    r = sffi(".", "--output-format", "concise")
    assert r.code == 1
    errors = [line for line in r.out.splitlines() if "[error]" in line]
    assert len(errors) == 1 and errors[0].startswith("sffi.toml:1:1: SFFI002"), r.out
    assert "SFFI001" not in r.out
    doc = json.loads(sffi(".", "--output-format", "json").out)
    [d] = [d for d in doc["diagnostics"] if d["code"] == "SFFI002"]
    waiting = {(x["path"], x["line"]) for x in d["related"] if x["line"] is not None}
    assert waiting == {("src/lib/torch/ffi.spl", 1), ("src/lib/torch/ffi.spl", 2), ("src/lib/torch/ffi.spl", 3),
                       ("src/app/main.spl", 6)}
    sarif = json.loads(sffi(".", "--output-format", "sarif").out)
    [res] = [x for x in sarif["runs"][0]["results"] if x["ruleId"] == "SFFI002"]
    assert len(res["relatedLocations"]) == 5  # the reason, and the four externs
    full = sffi(".", "--output-format", "full").out
    assert full.count("is unresolved until the library loads") == 4


def test_binding_file_is_not_told_to_delete_its_api(tmp_path, sffi):
    write(tmp_path, {
        "src/lib/torch/ffi.spl": "extern fn rt_torch_add(x: i64) -> i64\nextern fn rt_torch_mean(x: i64) -> i64\n",
        "src/app/main.spl": "use lib.torch.ffi.*\n\nfn main():\n    rt_torch_add(1)\n",
    })
    r = sffi("src", "--output-format", "full", "--select", "SFFI012")
    assert r.code == 0
    assert "SFFI012 [hint] `rt_torch_mean` is declared but not called yet" in r.out
    assert "src/app/main.spl:1" in r.out and "Remove the unused declaration" not in r.out
