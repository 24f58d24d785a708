"""Reading `.wrapper_spec` files, the grammar-free SDN block reader, and the generator's names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sffi_lsp import sdn
from sffi_lsp.check.tiers import compare_binding, expected_externs, qualified_fn_name
from sffi_lsp.sdn_blocks import parse_sdn_block_subset
from sffi_lsp.wrapper_spec import SpecReadError, WrapperSpec, read_spec, read_spec_text

from .wrapper_trees import COUNTER_SPEC, SHAPES_SPEC


def _grammar(text: str):
    if not text.endswith("\n"):
        text += "\n"
    return sdn._ToValues().transform(sdn._parser().parse(text))


BLOCK_TEXTS = [
    SHAPES_SPEC,
    COUNTER_SPEC,
    "a: 1\nb: [x, \"y\", 2.5, ]\nc:\n  - p\n  - q: 1\n    r: [ ]\n",
    "plugins:\n    -\n        name: demo\n        library: /opt/x.so\n        version: \"0.1.0\"\n"
    "        functions: [rt_a, rt_b]   # two\n",
    "x: http://a/b # c\ny: 'single # not a comment'\nz: true\nw: null\nv: 1.2.3\nu: Alice Chen\n",
    "k:\n  - [a, b]\n  - 3\n  - \"q\\\"uote\"\n",
    "a: []\nb: -5\nc: 1e3\nd: 1_000\n",
]


@pytest.mark.parametrize("text", BLOCK_TEXTS)
def test_block_reader_gives_the_grammars_values(text: str) -> None:
    fast = parse_sdn_block_subset(text)
    assert fast is not None, "expected the block subset to take this text"
    assert fast == _grammar(text)


@pytest.mark.parametrize("text", [
    "a:\nb: 1\n", "a: 1\n  b: 2\n", "- a\n", "a: 1\na: 2\n", "a: [1,\n 2]\n", "a: x, y\n",
    "t |a, b|\n    1, 2\n", "a = [1]\n", "a: {b: 1}\n", "a:\n\tb: 1\n", "a: \"open\n",
    "  a: 1\n", "a:\n    b: 1\n  c: 2\n", "a:\n  - b: 1\n  c: 2\n",
])
def test_block_reader_leaves_everything_else_to_the_grammar(text: str) -> None:
    assert parse_sdn_block_subset(text) is None


def test_spec_model_with_lines(tmp_path: Path) -> None:
    p = tmp_path / "shapes.wrapper_spec"
    p.write_text(SHAPES_SPEC)
    spec = read_spec(str(p))
    assert isinstance(spec, WrapperSpec) and not spec.problems
    lines = SHAPES_SPEC.splitlines()
    assert spec.name == "shapes" and lines[spec.name_line].strip() == "name: shapes"
    assert spec.link == ("shapes",) and spec.search_paths == ("build",)
    box = spec.handle_types[0]
    assert (box.name, box.drop_fn) == ("ShapeBox", "rt_shapes_box_free")
    assert "drop_fn" in lines[box.drop_fn_line]
    new = spec.functions[0]
    assert new.name == "box_new" and [p.type for p in new.params] == ["i64", "text"] and new.returns == "ShapeBox"
    assert lines[new.line].strip() == "- name: box_new"
    assert [m.name for m in spec.methods] == ["area", "merge"] and spec.methods[0].handle == "ShapeBox"


def test_generator_names_and_types() -> None:
    spec = read_spec_text(SHAPES_SPEC, "shapes.wrapper_spec")
    assert isinstance(spec, WrapperSpec)
    decls = [e.declaration() for e in expected_externs(spec)]
    assert decls == [
        "extern fn rt_shapes_available() -> bool",
        "extern fn rt_shapes_version() -> text",
        "extern fn rt_shapes_box_new(width: i64, label: text) -> i64",  # handle result -> i64
        "extern fn rt_shapes_scale(factor: f64) -> f64",  # no double prefix
        "extern fn rt_shapes_reset()",  # void: no result
        "extern fn rt_shapes_shapebox_area(handle: i64) -> i64",  # handle first, handle.lower()
        "extern fn rt_shapes_shapebox_merge(handle: i64, other: i64) -> i64",
    ]
    assert qualified_fn_name("torch", "torch_x") == "torch_x" and qualified_fn_name("torch", "x") == "torch_x"


def test_binding_comparison_ignores_names_not_types() -> None:
    from sffi_lsp.syntax import parse_source

    spec = read_spec_text(SHAPES_SPEC, "s.wrapper_spec")
    expected = {e.symbol: e for e in expected_externs(spec)}
    src = parse_source("extern fn rt_shapes_box_new(w: i64, l: text) -> i64\n"
                       "extern fn rt_shapes_reset() -> ()\n"
                       "extern fn rt_shapes_scale(f: f32) -> f64\n", "b.spl")
    by = {d.name: d for d in src.externs}
    assert compare_binding(expected["rt_shapes_box_new"], by["rt_shapes_box_new"]) == []
    assert compare_binding(expected["rt_shapes_reset"], by["rt_shapes_reset"]) == []
    (diff,) = compare_binding(expected["rt_shapes_scale"], by["rt_shapes_scale"])
    assert diff.kind == "param" and "`f32`" in diff.message and "`f64`" in diff.message


@pytest.mark.parametrize("text, line", [
    ("wrapper_lib:\n  name: x\n  link: [a\n", 2),
    ("wrapper_lib:\n  name: x\nfunctions:\n  - name: a\n     bad: 1\n    params: []\n", 5),  # the dedent
])
def test_unreadable_spec_is_one_message(text: str, line: int) -> None:
    bad = read_spec_text(text, "bad.wrapper_spec")
    assert isinstance(bad, SpecReadError) and bad.message and bad.line == line


def test_spec_problems_are_reported_not_raised() -> None:
    spec = read_spec_text("wrapper_lib:\n  version: 1\nfunctions:\n  - cpp_fn: x\n"
                          "methods:\n  - name: m\n", "p.wrapper_spec")
    assert isinstance(spec, WrapperSpec)
    assert [p.line for p in spec.problems] == [1, 3, 5]


def test_fifo_and_non_utf8_specs(tmp_path: Path) -> None:
    fifo = tmp_path / "f.wrapper_spec"
    os.mkfifo(fifo)
    assert isinstance(read_spec(str(fifo)), SpecReadError)
    raw = tmp_path / "r.wrapper_spec"
    raw.write_bytes(b"wrapper_lib:\n  name: \xff\n")
    bad = read_spec(str(raw))
    assert isinstance(bad, SpecReadError) and "UTF-8" in bad.message and bad.line == 1
