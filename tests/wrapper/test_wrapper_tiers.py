"""The three tiers in one check: each fault once, on the right file and line; a consistent
wrapper (C built by gcc, Rust built by cargo) gives no finding at all."""

from __future__ import annotations

from pathlib import Path

from .wrapper_trees import (
    COUNTER_FFI,
    COUNTER_SPEC,
    SHAPES_C,
    SHAPES_FFI,
    SHAPES_SPEC,
    counter_tree,
    shapes_tree,
)

WRAPPER = ("SFFI031", "SFFI032", "SFFI033", "SFFI034", "SFFI035", "SFFI036")


def _wrapper(findings: list[dict]) -> list[tuple[str, str, int]]:
    return sorted((f["code"], f["path"], f["line"]) for f in findings if f["code"] in WRAPPER)


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    seen = 0
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return n
    raise AssertionError(f"{needle!r} not in text")


def test_consistent_c_wrapper_gives_no_finding(tmp_path: Path, gcc, check_tree) -> None:
    root = shapes_tree(tmp_path / "t")
    code, findings = check_tree(root)
    assert findings == [] and code == 0


def test_consistent_rust_wrapper_gives_no_finding(tmp_path: Path, cargo, check_tree) -> None:
    root = counter_tree(tmp_path / "t")
    code, findings = check_tree(root)
    assert findings == [] and code == 0


def test_each_fault_once_on_the_right_file_and_line(tmp_path: Path, gcc, check_tree) -> None:
    spec = SHAPES_SPEC.replace('drop_fn: "rt_shapes_box_free"', 'drop_fn: "rt_shapes_box_release"')
    # tier 1 drifted: `area` takes a 32-bit handle, `reset` was renamed
    c_source = (SHAPES_C.replace("int64_t rt_shapes_shapebox_area(int64_t handle)",
                                 "int64_t rt_shapes_shapebox_area(int32_t handle)")
                .replace("void rt_shapes_reset(void)", "void rt_shapes_reset_all(void)"))
    # tier 2 drifted: a misspelt name, a wrong result, a binding with no spec entry
    ffi = (SHAPES_FFI.replace("rt_shapes_box_new(", "rt_shapes_box_nwe(")
           .replace("rt_shapes_shapebox_merge(handle: i64, other: i64) -> i64",
                    "rt_shapes_shapebox_merge(handle: i64, other: i64) -> bool")
           .replace("extern fn rt_shapes_box_free(handle: i64)\n", "")
           + "extern fn rt_shapes_resize(handle: i64, width: i64)\n")
    use = ("fn main():\n    print rt_shapes_box_nwe(1, \"a\")\n    print rt_shapes_shapebox_merge(1, 2)\n"
           "    rt_shapes_resize(1, 2)\n")
    root = shapes_tree(tmp_path / "t", spec=spec, c_source=c_source, ffi=ffi, use=use,
                       extra={"broken.wrapper_spec": "wrapper_lib:\n  name: broken\n  link: [a, b\n",
                              # the prefix, outside the bindings files: not the wrapper's (no SFFI036)
                              "src/app/other.spl": "extern fn rt_shapes_builtin_clock() -> i64\n"
                                                   "fn f():\n    print rt_shapes_builtin_clock()\n"})
    code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    ffi_path = "src/lib/shapes/ffi.spl"
    got = _wrapper(findings)
    assert got == sorted([
        ("SFFI031", "broken.wrapper_spec", 3),  # unreadable: one finding, the rest goes on
        ("SFFI032", "shapes.wrapper_spec", _line_of(spec, "- name: box_new")),
        ("SFFI033", ffi_path, _line_of(ffi, "rt_shapes_shapebox_merge")),
        ("SFFI034", "shapes.wrapper_spec", _line_of(spec, "- name: reset")),
        ("SFFI034", "shapes.wrapper_spec", _line_of(spec, "drop_fn:")),
        ("SFFI035", "shapes.wrapper_spec", _line_of(spec, "name: area")),
        ("SFFI036", ffi_path, _line_of(ffi, "rt_shapes_resize")),
    ]), findings
    by_code = {f["code"]: f for f in findings}
    assert "rt_shapes_box_nwe" in by_code["SFFI032"]["message"] and "did you mean `rt_shapes_box_new`" in \
        by_code["SFFI032"]["message"]
    assert "spec implies `i64`" in by_code["SFFI033"]["message"]
    reset = next(f for f in findings if f["code"] == "SFFI034" and "reset" in f["message"])
    assert "rt_shapes_reset_all" in reset["message"]  # the close export is named
    drop = next(f for f in findings if f["code"] == "SFFI034" and "drop_fn" in f["message"])
    assert "rt_shapes_box_release" in drop["message"]
    assert "int32_t" in by_code["SFFI035"]["message"]
    assert code == 1


def test_rust_crate_disagreeing_with_the_spec(tmp_path: Path, cargo, check_tree) -> None:
    # the crate takes `by: i32` where the spec says i64; the spec renames `name` to `label`
    spec = COUNTER_SPEC.replace("      name: name\n", "      name: label\n")
    ffi = COUNTER_FFI.replace("rt_counter_tally_name", "rt_counter_tally_label")
    root = counter_tree(tmp_path / "t", by_type="i32", spec=spec, ffi=ffi)
    (root / "src/app/main.spl").write_text((root / "src/app/main.spl").read_text().replace(
        "rt_counter_tally_name", "rt_counter_tally_label"))
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == sorted([
        ("SFFI034", "counter.wrapper_spec", _line_of(spec, "  name: label")),
        ("SFFI035", "counter.wrapper_spec", _line_of(spec, "name: bump")),
    ]), findings
    native = next(f for f in findings if f["code"] == "SFFI035")
    assert "i32" in native["message"]
    missing = next(f for f in findings if f["code"] == "SFFI034")
    assert "rt_counter_tally_name" in missing["message"]  # what the stale crate exports instead


def test_library_found_from_the_crate_target_without_configuration(tmp_path: Path, cargo, check_tree) -> None:
    root = counter_tree(tmp_path / "t", by_type="i32")
    (root / "sffi.toml").write_text('include = ["src/**/*.spl"]\n')
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == [("SFFI035", "counter.wrapper_spec", _line_of(COUNTER_SPEC, "name: bump"))]


def test_the_generators_own_prefix_rule_against_its_rust_tier(tmp_path: Path, cargo, check_tree) -> None:
    """tier2_gen names a method `qualified_fn_name(name, handle.lower() + "_" + method)`, so a handle
    `Counter` in spec `counter` gives `rt_counter_bump`; tier1_rust_gen exports
    `rt_counter_counter_bump`. The check follows tier 2 and names tier 1's export."""
    spec = COUNTER_SPEC.replace("Tally", "Counter").replace("tally", "counter")
    ffi = (COUNTER_FFI.replace("rt_counter_tally_bump", "rt_counter_bump")
           .replace("rt_counter_tally_name", "rt_counter_name").replace("tally", "counter"))
    root = counter_tree(tmp_path / "t", spec=spec, ffi=ffi, rust_names={"tally": "counter"})
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == sorted([
        ("SFFI034", "counter.wrapper_spec", _line_of(spec, "name: bump")),
        ("SFFI034", "counter.wrapper_spec", _line_of(spec, "name: name")),
    ]), findings
    messages = " ".join(f["message"] for f in findings)
    assert "`rt_counter_bump`" in messages and "it exports `rt_counter_counter_bump`" in messages


def _has_debug_info(library: Path) -> bool:
    import subprocess  # noqa: PLC0415  (readelf is the test's witness, never the product's)

    out = subprocess.run(["readelf", "-S", "-W", str(library)], capture_output=True, text=True, check=True).stdout
    return ".debug_info" in out


def test_release_crate_without_debug_info_is_compared_through_its_sources(tmp_path: Path, cargo, check_tree) -> None:
    """A release cdylib has no DWARF: the crate's own `extern "C" fn` (read from `src/lib.rs`)
    is what SFFI035 compares, named as the related location."""
    root = counter_tree(tmp_path / "t", by_type="i32", release=True)
    (root / "sffi.toml").write_text('include = ["src/**/*.spl"]\n')  # found from target/release alone
    library = root / ".build/rust/ffi_counter/target/release/libsimple_counter_ffi.so"
    assert library.is_file() and not _has_debug_info(library)
    assert not (root / ".build/rust/ffi_counter/target/debug").exists()
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == [("SFFI035", "counter.wrapper_spec", _line_of(COUNTER_SPEC, "name: bump"))], findings
    native = findings[0]
    assert "rt_counter_tally_bump" in native["message"] and "i32" in native["message"]
    rs = root / ".build/rust/ffi_counter/src/lib.rs"
    [related] = native["related"]
    assert related["path"].endswith(".build/rust/ffi_counter/src/lib.rs")
    assert related["line"] == _line_of(rs.read_text(), "fn rt_counter_tally_bump")

    # Without the crate's sources the release library has nothing to compare: DWARF is the fallback.
    (rs).rename(rs.with_suffix(".rs.off"))
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == [], findings


def test_consistent_release_crate_gives_no_finding(tmp_path: Path, cargo, check_tree) -> None:
    root = counter_tree(tmp_path / "t", release=True)
    (root / "sffi.toml").write_text('include = ["src/**/*.spl"]\n')
    _code, findings = check_tree(root, "--select", ",".join(WRAPPER))
    assert _wrapper(findings) == [], findings
