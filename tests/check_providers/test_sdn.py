"""The SDN manifest grammar: real manifest shapes, positions, and errors that never crash."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sffi_lsp.sdn import SdnError, manifest_from_text, parse_sdn, read_manifest

MANIFEST = """\
# installed plugins
plugins:
    -
        name: demo
        library: /opt/demo/libspl_demo.so
        version: "0.1.0"
        functions: [rt_demo_open, rt_demo_close]
    - name: other        # the compact YAML-like form
      library: ../lib/libother.so
      version: 1.10
      functions:
          - rt_other_a
          - rt_other_b
      classes = [Widget, Gadget]
"""


def test_manifest_plugins_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "plugins" / "manifest.sdn"
    path.parent.mkdir()
    path.write_text(MANIFEST)
    m = read_manifest(str(path))
    assert m.problems == ()
    demo, other = m.plugins
    assert (demo.name, demo.library, demo.version) == ("demo", "/opt/demo/libspl_demo.so", "0.1.0")
    assert demo.function_names == ("rt_demo_open", "rt_demo_close")
    lines = MANIFEST.splitlines()
    for fn in demo.functions:  # 0-based line/column point at the name itself
        assert lines[fn.line][fn.column:].startswith(fn.name)
    assert lines[demo.line].strip() == "-"
    assert "library:" in lines[demo.library_line]
    assert other.version == "1.10"  # the token text, not float 1.1
    assert other.library_path == str(tmp_path / "lib" / "libother.so")  # relative to the manifest
    assert other.function_names == ("rt_other_a", "rt_other_b")
    assert [lines[f.line][f.column:] for f in other.functions] == ["rt_other_a", "rt_other_b"]
    assert other.classes == ("Widget", "Gadget")
    assert m.plugins_for("rt_other_b") == [other]


def test_general_sdn_values() -> None:
    doc = parse_sdn(
        'server:\n    host: localhost\n    url: http://example.org/a\n    port: 8080\n'
        'point = {x: 10, y: -2.5, s: "a\\"b", t: \'raw\\n\'}\n'
        'flags = [true, false, nil, 1_000]\n'
        'users |id, name|\n    1, Alice Chen\n    2, Bob\n'
        'empty = []\n'
    ).plain()
    assert doc == {
        "server": {"host": "localhost", "url": "http://example.org/a", "port": 8080},
        "point": {"x": 10, "y": -2.5, "s": 'a"b', "t": "raw\\n"},
        "flags": [True, False, None, 1000],
        "users": [{"id": 1, "name": "Alice Chen"}, {"id": 2, "name": "Bob"}],
        "empty": [],
    }


def test_plugins_as_a_named_table_and_as_named_blocks() -> None:
    table = manifest_from_text("plugins |name, library, version|\n    a, /x/liba.so, 1.0\n    b, /x/libb.so, 2\n")
    assert [(p.name, p.library, p.version) for p in table.plugins] == [("a", "/x/liba.so", "1.0"),
                                                                       ("b", "/x/libb.so", "2")]
    named = manifest_from_text("plugins:\n    demo:\n        library: /x/libd.so\n        functions: rt_d_a\n")
    assert named.plugins[0].name == "demo" and named.plugins[0].function_names == ("rt_d_a",)


def test_unusable_entries_are_problems_not_errors() -> None:
    m = manifest_from_text("plugins:\n    -\n        name: nolib\n    -\n        name: ok\n        library: /x.so\n")
    assert [p.name for p in m.plugins] == ["ok"]
    assert len(m.problems) == 1 and "nolib" in m.problems[0].message and m.problems[0].line == 1


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("plugins:\n    - a\n  - b\n", 3, 3, "indentation"),
        ("plugins:\n    functions: [a, b\n", 2, 16, "never closed"),
        ("a: ]\n", 1, 4, "unexpected ']'"),
        ("a:\n    b: 1\n    b: 2\n", 3, 5, "duplicate key `b`"),
        ("a:\n    - 1\n    k: 2\n", 3, 5, "mixes"),
        ("p |a, b|\n    1\n", 2, 5, "row has 1 values for 2 fields"),
        ("just words here\n", 1, 1, "unexpected"),
        ("x: 1\n\0\n", 2, 1, "NUL"),
    ],
)
def test_malformed_input_gives_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(SdnError) as err:
        parse_sdn(text, "m.sdn")
    assert (err.value.line, err.value.column) == (line, column), str(err.value)
    assert words in err.value.message
    assert str(err.value).startswith(f"m.sdn:{line}:{column}: ")


def test_unreadable_files(tmp_path: Path) -> None:
    fifo = tmp_path / "manifest.sdn"
    os.mkfifo(fifo)
    with pytest.raises(SdnError, match="not a regular file"):
        read_manifest(str(fifo))  # must not block
    with pytest.raises(SdnError, match="cannot read"):
        read_manifest(str(tmp_path / "missing.sdn"))
    bad = tmp_path / "latin.sdn"
    bad.write_bytes(b"plugins:\n  name: caf\xe9\n")
    with pytest.raises(SdnError, match="not UTF-8") as err:
        read_manifest(str(bad))
    assert err.value.line == 2


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(SdnError):
        parse_sdn("a = " + "[" * 5000 + "]" * 5000 + "\n")


ALPHABET = string.ascii_letters[:6] + string.digits[:3] + " \t\n:=-|,[]{}\"'#/._\\"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_any_text_parses_or_raises_sdn_error(text: str) -> None:
    try:
        manifest_from_text(text, "fuzz.sdn")
    except SdnError as e:
        assert e.line >= 0 and e.column >= 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.from_regex(r"rt_[a-z]{1,8}_[a-z]{1,8}", fullmatch=True), min_size=1, max_size=6, unique=True),
       st.sampled_from(["inline", "block", "dash"]))
def test_function_lists_round_trip(names: list[str], form: str) -> None:
    if form == "inline":
        functions = f"functions: [{', '.join(names)}]\n"
    elif form == "block":
        functions = "functions:\n" + "".join(f"            {n}\n" for n in names)
    else:
        functions = "functions:\n" + "".join(f"            - {n}\n" for n in names)
    text = f"plugins:\n    -\n        name: p\n        library: /l.so\n        {functions}"
    m = manifest_from_text(text)
    assert m.plugins[0].function_names == tuple(names)
