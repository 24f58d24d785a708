"""Providers against real gcc-built libraries: the runtime's resolution order, exactly."""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from pathlib import Path


from sffi_lsp.binary import ExportIndex
from sffi_lsp.check.providers import Providers
from sffi_lsp.check.types import ProviderKind, ResolutionStatus as S
from sffi_lsp.config_types import Config, LibrarySpec

from .conftest import GCC


def make(native: dict, tmp_path: Path, **kw) -> Providers:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    kw.setdefault("satellite_paths", (str(native["sat"]),))
    kw.setdefault("manifest", None)
    cfg = Config(root=str(root), cache_dir=None, **kw)
    return Providers.from_config(cfg, ExportIndex())


def lib(native: dict, stem: str, **kw) -> LibrarySpec:
    return LibrarySpec(str(native[stem]), origin=f"sffi.toml:{len(stem)}", **kw)


def write_manifest(tmp_path: Path, native: dict, functions: str) -> str:
    path = tmp_path / "manifest.sdn"
    path.write_text(f"plugins:\n    -\n        name: plug\n        library: {native['libplug']}\n"
                    f"        version: \"1.2\"\n        functions: [{functions}]\n")
    return str(path)


def test_configured_library_function_data_dependency_hidden(native: dict, tmp_path: Path) -> None:
    p = make(native, tmp_path, libraries=(lib(native, "libalpha"),))
    r = p.resolve("alpha_open")
    assert r.status is S.RESOLVED and r.provider.kind is ProviderKind.LIBRARY
    assert r.provider.library == str(native["libalpha"]) and r.provider.via == ()
    assert r.library.path == str(native["libalpha"]) and r.found.symbol.name == "alpha_open"
    assert p.library_spec(r).spec == str(native["libalpha"])
    data = p.resolve("alpha_table")
    assert data.status is S.DATA_NOT_FUNCTION and "data object" in data.note and "32 bytes" in data.note
    assert p.resolve("alpha_tls").status is S.DATA_NOT_FUNCTION
    via = p.resolve("beta_only")
    assert via.status is S.RESOLVED
    assert via.provider.library == str(native["libbeta"])
    assert via.provider.via == (str(native["libalpha"]), str(native["libbeta"]))
    assert "dependency libbeta.so" in via.note
    hidden = p.resolve("alpha_hidden")
    assert hidden.status is S.HIDDEN and not hidden.resolved
    assert "does not export it" in hidden.note


def test_compat_only_version(native: dict, tmp_path: Path) -> None:
    p = make(native, tmp_path, libraries=(lib(native, "libcompat"),))
    r = p.resolve("compat_fn")
    assert r.status is S.COMPAT_ONLY, r
    assert "compat" in r.note and "libcompat.so" in r.note
    ok = p.resolve("current_fn")
    assert ok.status is S.RESOLVED and ok.provider.version == "VER_2"


def test_order_builtin_family_manifest_runtime_satellite_library_preload(native: dict, tmp_path: Path) -> None:
    builtins = tmp_path / "builtins.txt"
    builtins.write_text("shared_name(a: i64) -> i64\nrt_listed\n")
    manifest = write_manifest(tmp_path, native, "rt_plug_a, rt_plug_data, rt_plug_missing")
    p = make(native, tmp_path,
             builtin_lists=(str(builtins),), builtin_families=("rt_sdl2_",), unsupported_families=("rt_vk_",),
             builtin_runtime=str(native["libsimplebin"]), manifest=manifest,
             runtime_library=str(native["libsimple_runtime"]),
             libraries=(lib(native, "libgamma"), lib(native, "libalpha")), ld_preload=(str(native["libpreload"]),))
    r = p.resolve("shared_name")  # in the list AND in two libraries: the built-in table answers first
    assert r.status is S.RESOLVED and r.provider.kind is ProviderKind.BUILTIN
    assert r.builtin_signature is not None and p.signature_for(r) is r.builtin_signature
    assert "builtins.txt:1" in r.provider.detail
    rb = p.resolve("rt_builtin_from_binary")
    assert rb.status is S.RESOLVED and rb.provider.kind is ProviderKind.BUILTIN
    assert rb.provider.library == str(native["libsimplebin"])
    assert p.resolve("rt_sdl2_window").provider.detail == "family rt_sdl2_"
    vk = p.resolve("rt_vk_instance")
    assert vk.status is S.UNSUPPORTED_FAMILY and "rt_vk_" in vk.note
    plug = p.resolve("rt_plug_a")
    assert plug.status is S.RESOLVED and plug.provider.kind is ProviderKind.MANIFEST
    assert "plug" in plug.provider.detail and "1.2" in plug.provider.detail
    assert p.resolve("rt_plug_data").status is S.DATA_NOT_FUNCTION
    assert p.resolve("rt_plug_missing").status is S.UNRESOLVED
    rt = p.resolve("rt_runtime_thing")
    assert rt.provider.kind is ProviderKind.LIBRARY and rt.provider.detail == "runtime library"
    sat = p.resolve("rt_demo_ping")
    assert sat.status is S.RESOLVED and sat.provider.kind is ProviderKind.SATELLITE
    assert sat.provider.library == str(native["libspl_demo"])
    # the satellite answers only rt_demo_* names
    assert p.resolve("not_a_demo_name").status is S.UNRESOLVED
    assert p.resolve("gamma_fn").provider.library == str(native["libgamma"])
    assert p.resolve("preload_only").provider.detail == "LD_PRELOAD"
    # first configured library wins when two export the same name (not in the built-in list here)
    p2 = make(native, tmp_path, libraries=(lib(native, "libgamma"), lib(native, "libalpha")))
    assert p2.resolve("shared_name").provider.library == str(native["libgamma"])
    p3 = make(native, tmp_path, libraries=(lib(native, "libalpha"), lib(native, "libgamma")))
    assert p3.resolve("shared_name").provider.library == str(native["libalpha"])


def test_builtin_only_refuses_what_a_library_exports(native: dict, tmp_path: Path) -> None:
    builtins = tmp_path / "b.txt"
    builtins.write_text("rt_ok\n")
    p = make(native, tmp_path, runtime_mode="builtin-only", builtin_lists=(str(builtins),),
             libraries=(lib(native, "libalpha"),))
    assert p.resolve("rt_ok").status is S.RESOLVED
    r = p.resolve("alpha_open")
    assert r.status is S.REFUSED_BUILTIN_ONLY
    assert r.provider.library == str(native["libalpha"])
    assert "exports alpha_open, but the runtime is builtin-only" in r.note
    assert p.resolve("rt_demo_ping").status is S.REFUSED_BUILTIN_ONLY
    assert p.resolve("nothing_here").status is S.UNRESOLVED
    assert [c.name for c in p.candidates()] == ["rt_ok"]  # nothing a builtin-only runtime would refuse


def test_library_limited_to_some_source_files(native: dict, tmp_path: Path) -> None:
    src = tmp_path / "proj" / "src"
    spec = lib(native, "libgamma", files=(str(src / "ffi" / "*.spl"),))
    p = make(native, tmp_path, libraries=(spec,))
    assert p.resolve("gamma_fn", str(src / "ffi" / "g.spl")).status is S.RESOLVED
    assert p.resolve("gamma_fn", str(src / "app" / "main.spl")).status is S.UNRESOLVED
    assert p.resolve("gamma_fn", None).status is S.UNRESOLVED
    assert p.resolve("gamma_fn", str(src / "ffi" / "g.spl")).status is S.RESOLVED  # memo keyed by files


def test_library_problems_and_lazy_references(native: dict, tmp_path: Path) -> None:
    missing = LibrarySpec(str(tmp_path / "nope" / "libnope.so"), origin="sffi.toml:3")
    manifest = tmp_path / "m.sdn"
    manifest.write_text(f"plugins:\n    -\n        name: ghost\n        library: {tmp_path / 'ghost.so'}\n"
                        "        functions: [rt_ghost_a]\n")
    p = make(native, tmp_path, manifest=str(manifest), libraries=(
        lib(native, "libalpha"), missing, lib(native, "libneeds_missing"), lib(native, "liblazy"),
        LibrarySpec(str(native["lib"] / "libscript.so"), origin="sffi.toml:9")))
    problems = {(o.spec if isinstance(o, LibrarySpec) else o): l for o, l in p.library_problems()}
    assert problems[missing.spec].problem.reason.value == "not-found"
    assert problems[str(native["libneeds_missing"])].problem.reason.value == "missing-dependency"
    assert problems[str(native["lib"] / "libscript.so")].problem.reason.value == "linker-script"
    lazy = problems[str(native["liblazy"])]
    assert lazy.loadable and "missing_elsewhere" in lazy.unresolved_functions
    ghost = [l for o, l in p.library_problems() if isinstance(o, str) and "ghost" in o]
    assert ghost and not ghost[0].loadable
    assert str(native["libalpha"]) not in problems
    # names still resolve through the good libraries; the lazy one serves its export
    assert p.resolve("lazy_entry").status is S.RESOLVED
    r = p.resolve("needs_missing_fn")
    assert r.status is S.UNRESOLVED and "could not be loaded" in r.note
    (entry,) = p.manifest_entries()
    assert not entry.exported and "cannot be loaded" in entry.reason


def test_manifest_entries(native: dict, tmp_path: Path) -> None:
    p = make(native, tmp_path, manifest=write_manifest(tmp_path, native, "rt_plug_a, rt_plug_data, rt_plug_none"))
    got = {e.function: e for e in p.manifest_entries()}
    assert got["rt_plug_a"].exported and got["rt_plug_a"].reason == ""
    assert not got["rt_plug_data"].exported and "as data" in got["rt_plug_data"].reason
    assert not got["rt_plug_none"].exported and "does not export rt_plug_none" in got["rt_plug_none"].reason
    text = Path(p.config.manifest).read_text().splitlines()
    for e in got.values():
        assert text[e.line][e.column:].startswith(e.function)
        assert e.plugin == "plug" and e.library == str(native["libplug"])


def test_malformed_manifest_is_reported_not_raised(native: dict, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sdn"
    bad.write_text("plugins:\n    - name: x\n   library: [\n")
    p = make(native, tmp_path, manifest=str(bad), libraries=(lib(native, "libgamma"),))
    ((path, line, column, message),) = p.manifest_problems()
    assert path == str(bad) and line >= 1 and message
    assert p.resolve("gamma_fn").status is S.RESOLVED


def test_candidates_and_suggestions(native: dict, tmp_path: Path) -> None:
    builtins = tmp_path / "b.txt"
    builtins.write_text("rt_file_exists(path: text) -> bool\n")
    p = make(native, tmp_path, builtin_lists=(str(builtins),), libraries=(lib(native, "libalpha"),))
    cands = {c.name: c for c in p.candidates()}
    assert cands["rt_file_exists"].signature is not None
    assert {"alpha_open", "alpha_close", "beta_only", "rt_demo_ping"} <= set(cands)
    assert "alpha_table" not in cands and "alpha_hidden" not in cands
    assert "printf" not in cands  # libc's names are not offered for every project library
    assert cands["beta_only"].provider.kind is ProviderKind.LIBRARY
    assert p.candidates() is p.candidates()
    assert p.suggest("alpha_opne")[0] == "alpha_open"
    assert p.suggest("alpha_open", limit=1) == ["alpha_close"]  # never the name itself
    assert p.suggest("rt_file_exist")[0] == "rt_file_exists"
    assert p.suggest("zzzzqqqq") == []


def test_suggest_is_fast_on_many_names(native: dict, tmp_path: Path) -> None:
    from sffi_lsp.check.providers.suggest import NameSuggester as _NameSuggester

    names = [f"{pre}_{mid}_{i}" for i in range(2000) for pre, mid in (("rt", "mod"), ("lib", "fn"), ("cblas", "op"))]
    names += [f"_ZN5torch{i}xEv" for i in range(54000)]
    sg = _NameSuggester(names)
    sg.suggest("rt_mdo_1234")  # builds the buckets this length needs
    t = time.perf_counter()
    for q in ("rt_mod_1243", "lib_fn_999x", "cblas_op_17", "rt_mod_12"):
        assert sg.suggest(q)
    assert (time.perf_counter() - t) / 4 < 0.05


def test_stale_after_rebuild_and_list_edit(native: dict, tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    src = work / "x.c"
    src.write_text("int x_one(void) { return 1; }\n")
    so = work / "libx.so"
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    builtins = work / "b.txt"
    builtins.write_text("rt_a\n")
    p = make(native, tmp_path, builtin_lists=(str(builtins),), libraries=(LibrarySpec(str(so)),))
    assert p.resolve("x_two").status is S.UNRESOLVED and not p.stale()
    time.sleep(0.01)
    src.write_text("int x_one(void) { return 1; }\nint x_two(void) { return 2; }\n")
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(so) + ".tmp", str(src)], check=True)
    os.replace(str(so) + ".tmp", so)
    assert p.stale()
    assert p.refresh()
    assert p.resolve("x_two").status is S.RESOLVED and not p.stale()
    builtins.write_text("rt_a\nrt_b\n")
    assert p.stale() and p.refresh()
    assert p.resolve("rt_b").status is S.RESOLVED


def test_agrees_with_the_dynamic_linker(native: dict, tmp_path: Path) -> None:
    """Oracle: dlsym through ctypes on the same libraries (tests may load; the product never does)."""
    libs = ["libalpha", "libgamma", "libcompat", "libplug"]
    names = ["alpha_open", "alpha_close", "alpha_ratio", "beta_only", "beta_shared", "alpha_hidden", "gamma_fn",
             "compat_fn", "current_fn", "rt_plug_a", "nothing_at_all", "shared_name", "alpha_table"]
    for stem in libs:
        p = make(native, tmp_path, libraries=(lib(native, stem),))
        handle = ctypes.CDLL(str(native[stem]), mode=os.RTLD_LOCAL)
        for name in names:
            res = p.resolve(name)
            try:
                getattr(handle, name)
                real = True
            except AttributeError:
                real = False
            ours = res.status in (S.RESOLVED, S.DATA_NOT_FUNCTION)
            assert ours == real, (stem, name, res)


def test_signature_for_library_names_is_lazy_and_safe(native: dict, tmp_path: Path) -> None:
    p = make(native, tmp_path, libraries=(lib(native, "libalpha"),))
    r = p.resolve("alpha_open")
    answer = p.signature_answer(r)
    assert answer is not None and answer is p.signature_answer(r)  # memoised
    sig = p.signature_for(r)
    try:
        import sffi_lsp.binary.dwarf  # noqa: F401
    except ImportError:
        assert sig is None  # no DWARF reader yet: no signature, no crash
        return
    assert sig is not None and [c.type.size for c in sig.params] == [8, 8]
    assert p.signature_for(p.resolve("nothing_at_all")) is None


def test_unloadable_builtin_runtime_and_bare_names(native: dict, tmp_path: Path) -> None:
    p = make(native, tmp_path, builtin_runtime=str(native["lib"] / "libscript.so"),
             libraries=(LibrarySpec("libm.so.6"),))
    assert any(isinstance(o, str) and "runtime binary" in o for o, _ in p.library_problems())
    r = p.resolve("cos")
    assert r.status is S.RESOLVED and os.path.basename(r.provider.library).startswith("libm")


def _random_vocabulary(rnd, n: int) -> list[str]:
    """C-like names: prefixes, words, digits, some upper case, some near-duplicates."""
    words = ["open", "close", "read", "write", "len", "length", "init", "free", "alloc", "get", "set",
             "file", "buf", "str", "map", "vec", "aa", "x", "q", "zz", "torch", "tensor", "llvm", "geo"]
    prefixes = ["", "rt_", "spl_", "lib_", "c10_", "_", "g_", "Gdk"]
    out = []
    for _ in range(n):
        parts = [rnd.choice(words) for _ in range(rnd.randint(1, 4))]
        name = rnd.choice(prefixes) + "_".join(parts)
        if rnd.random() < 0.3:
            name += str(rnd.randint(0, 999))
        if rnd.random() < 0.1:
            name = name.upper()
        out.append(name)
    return out


def _typo(rnd, name: str) -> str:
    if len(name) < 2:
        return name + "x"
    i = rnd.randrange(len(name) - 1)
    op = rnd.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1:]
    if op == 1:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if op == 2:
        return name[:i] + rnd.choice("aeiou_x1") + name[i:]
    return name[:i] + rnd.choice("aeiou_x1") + name[i + 1:]


def test_suggest_equals_brute_force_reference() -> None:
    """The length index keeps exactly what scoring every name keeps (no shortlist heuristics);
    the families (next test) are the one narrowing that can differ."""
    import random

    from sffi_lsp.check.providers.suggest import Suggester as _Suggester, suggest_reference

    rnd = random.Random(20240607)
    for round_ in range(2):
        names = _random_vocabulary(rnd, 1200)
        names += [n.lower() for n in names[:50]] + names[:20]  # case variants and duplicates
        names += ["a" * 300, "b" * 260 + "_x", "ab"]  # counts beyond a byte lane, tiny names
        sg = _Suggester(names, families=False)
        queries = [_typo(rnd, rnd.choice(names)) for _ in range(45)]
        queries += [rnd.choice(names) for _ in range(8)]  # exact names: never suggested to themselves
        queries += ["", "a", "zzzzqqqq", "a" * 299, "c" * 400, "RT_OPEN_FILE"]
        for q in queries:
            for limit in (1, 5):  # 1: the best 12 by ratio re-ranked; 5: the best 20
                assert sg.suggest(q, limit) == suggest_reference(names, q, limit), (round_, q, limit)


def test_candidate_names_match_candidates(native: dict, tmp_path: Path) -> None:
    builtins = tmp_path / "b.txt"
    builtins.write_text("rt_file_exists(path: text) -> bool\nalpha_open\n")
    p = make(native, tmp_path, builtin_lists=(str(builtins),), libraries=(lib(native, "libalpha"),),
             manifest=write_manifest(tmp_path, native, "rt_plug_a"))
    fast = p.candidate_names()
    assert fast == [c.name for c in p.candidates()]
    assert "alpha_table" not in fast and "rt_plug_data" not in fast and "beta_only" in fast
    assert p.candidate_names() == fast  # also from the memoised candidates


def test_resolve_decls_batches_per_serving_libraries(native: dict, tmp_path: Path) -> None:
    """The batch the engine uses answers exactly as one resolve() per declaration."""
    src = tmp_path / "src"
    limited = lib(native, "libgamma", files=(str(src / "g" / "*.spl"),))
    p = make(native, tmp_path, libraries=(lib(native, "libalpha"), limited))
    pairs = [(n, str(src / d / "m.spl")) for d in ("g", "other") for n in ("gamma_fn", "alpha_open", "shared_name",
                                                                          "rt_demo_ping", "nope")]
    pairs.append(("gamma_fn", None))
    batch = p.resolve_decls(pairs)
    fresh = make(native, tmp_path, libraries=(lib(native, "libalpha"), limited))
    assert batch == {(path, n): fresh.resolve(n, source_path=path) for n, path in pairs}
    assert batch[(str(src / "g" / "m.spl"), "gamma_fn")].status is S.RESOLVED
    assert batch[(str(src / "other" / "m.spl"), "gamma_fn")].status is S.UNRESOLVED


def test_nearest_name_cases() -> None:
    """The suggestions users should get for the usual slips (issue 14: same quality with rapidfuzz)."""
    from sffi_lsp.check.providers.suggest import NameSuggester as _NameSuggester

    names = ["rt_torch_available", "rt_torch_version", "rt_file_exists", "rt_file_exists_at", "rt_file_read_text",
             "rt_file_write_text", "rt_clock_now_ms", "rt_clock_now_ns", "getopt_long", "geo_length", "cblas_sgemm",
             "cblas_dgemm", "LLVMBuildAdd", "LLVMBuildFAdd", "_ZN5torch3addEv", "spl_json_parse", "rt_json_parse"]
    sg = _NameSuggester(names)
    cases = {
        "rt_torch_availble": "rt_torch_available",  # a dropped letter
        "rt_file_exsits": "rt_file_exists",  # swapped neighbours
        "rt_file_exist": "rt_file_exists",
        "RT_CLOCK_NOW_MS": "rt_clock_now_ms",  # case
        "rt_clock_now_us": "rt_clock_now_ms",  # ms and ns tie on ratio and distance: by name
        "geo_lenght": "geo_length",  # not getopt_long
        "cblas_sgem": "cblas_sgemm",
        "LLVMBuildAd": "LLVMBuildAdd",
        "rt_json_prase": "rt_json_parse",
        "spl_json_pars": "spl_json_parse",
    }
    for query, best in cases.items():
        assert sg.suggest(query)[:1] == [best], (query, sg.suggest(query))
    assert "getopt_long" not in sg.suggest("geo_lenght")
    assert sg.suggest("rt_file_read_txt", limit=2) == ["rt_file_read_text", "rt_file_write_text"]
    assert sg.suggest("zzzzqqqqzzzz") == []
    assert sg.suggest("_ZN5torch3adEv") == ["_ZN5torch3addEv"]  # mangled only for a mangled query
    assert "_ZN5torch3addEv" not in sg.suggest("torch3add")


def test_families_find_every_single_slip() -> None:
    """Prefix/suffix families: a slip in a query of 9+ characters leaves one family intact, so the
    intended name is always a candidate. The whole window can still rank another near name first
    (this vocabulary is full of near-duplicates): measured 297/300 same first suggestion, and
    160/300 same three (the second and third often come from outside the families here; on
    the real exports of bench_suggest.py: 100/100 and 80/100)."""
    import random

    from sffi_lsp.check.providers.suggest import Suggester as _Suggester, suggest_reference

    rnd = random.Random(7)
    names = [n for n in _random_vocabulary(rnd, 3000) if len(n) >= 8]
    sg = _Suggester(names)
    same_first = same_list = 0
    picked = [rnd.choice(names) for _ in range(300)]
    queries = [_typo(rnd, n) for n in picked]
    for n, q in zip(picked, queries):
        assert q == n or n in sg.suggest(q, limit=50) or n not in suggest_reference(names, q, limit=50)
        got, want = sg.suggest(q), suggest_reference(names, q)
        same_first += got[:1] == want[:1]
        same_list += got == want
        assert set(got) <= set(suggest_reference(names, q, limit=50))  # never a name the window refuses
    assert same_first >= 0.97 * len(queries), same_first
    assert same_list >= 0.5 * len(queries), same_list
