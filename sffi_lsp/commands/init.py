"""`sffi-check init [DIR] [--force] [--stdout]`: look at a project and write an
`sffi.toml` that finds what it uses.

Looks for (a bounded walk; never opens more than the first bytes of a file):
shared libraries (`lib*.so*`, ELF), relocatable objects (`.o`) and archives
(`.a`), satellites `libspl_<prefix>.so` and `libsimple_runtime.so`, the
directories that hold them (build directories: searched as `LD_LIBRARY_PATH`
would be, so their `DT_NEEDED` neighbours are found), plugin manifests
(`*.sdn` holding a plugin list), built-ins lists, and a Simple checkout (this
directory, an ancestor or a child holding `src/compiler_rust/`). Writes every
finding as a commented setting; refuses to overwrite an existing file without
`--force`.
"""

from __future__ import annotations

import argparse
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import UsageError

CONFIG_NAME = "sffi.toml"
MAX_ENTRIES = 100_000  # directory entries looked at: a walk of a huge tree stops, and says so
MAX_DEPTH = 12
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".sffi_cache", "__pycache__",
                          ".tox", ".mypy_cache", ".pytest_cache"})
# Cargo's per-crate intermediates: copies of the libraries with hashed names
CARGO_INTERMEDIATE = frozenset({"deps", "incremental", ".fingerprint", "build", "examples"})
GLOB_ABOVE = 4  # more files of one kind in one directory than this: one glob for them
_SHARED = re.compile(r"^lib.+\.so(\.\d+)*$")
_SATELLITE = re.compile(r"^libspl_([a-z0-9_]+)\.so$")
RUNTIME_LIBRARY = "libsimple_runtime.so"
ELF_MAGIC = b"\x7fELF"
AR_MAGIC = b"!<arch>\n"
SIMPLE_COMPILER_DIR = os.path.join("src", "compiler_rust")


@dataclass
class ProjectScan:
    """What `init` found under `root` (paths absolute)."""

    root: str
    shared: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # .o and .a
    satellites: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # dir -> prefixes
    runtime_libraries: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    builtin_lists: list[str] = field(default_factory=list)
    simple_checkout: str | None = None
    spl_files: int = 0
    truncated: bool = False


def _head(path: str, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def _is_manifest(path: str) -> bool:
    """A plugin manifest (SDN) names its plugins: a `plugins` table near the top."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r"^\s*plugins\s*[:=]", head, re.M) is not None


def _is_simple_checkout(directory: str) -> bool:
    return os.path.isdir(os.path.join(directory, SIMPLE_COMPILER_DIR))


def find_simple_checkout(root: str) -> str | None:
    """This directory or an ancestor, else a child (one level), holding `src/compiler_rust/`."""
    here = root
    while True:
        if _is_simple_checkout(here):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    try:
        children = sorted(e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
    except OSError:
        return None
    return next((c for c in children if _is_simple_checkout(c)), None)


def scan_project(root: str) -> ProjectScan:
    root = os.path.abspath(root)
    scan = ProjectScan(root)
    scan.simple_checkout = find_simple_checkout(root)
    seen = 0
    pending: list[tuple[str, int, bool]] = [(root, 0, False)]  # (dir, depth, inside a cargo target dir)
    while pending:
        directory, depth, in_target = pending.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                scan.truncated = True
                return scan
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name in SKIPPED_DIRS or depth >= MAX_DEPTH:
                        continue
                    if in_target and name in CARGO_INTERMEDIATE:
                        continue
                    if os.path.join(entry.path, "") == os.path.join(root, SIMPLE_COMPILER_DIR, ""):
                        continue  # the runtime's own sources: thousands of files, no libraries of the project
                    pending.append((entry.path, depth + 1, in_target or name == "target"))
                    continue
                if not entry.is_file():
                    continue
            except OSError:
                continue
            path = entry.path
            if name.endswith(".spl"):
                scan.spl_files += 1
            elif _SHARED.match(name) and _head(path, 4) == ELF_MAGIC:
                m = _SATELLITE.match(name)
                if m:
                    scan.satellites[directory].append(m.group(1))
                elif name == RUNTIME_LIBRARY:
                    scan.runtime_libraries.append(path)
                else:
                    scan.shared.append(path)
            elif name.endswith(".o") and _head(path, 4) == ELF_MAGIC:
                scan.objects.append(path)
            elif name.endswith(".a") and _head(path, 8) == AR_MAGIC:
                scan.objects.append(path)
            elif name.endswith(".sdn") and _is_manifest(path):
                scan.manifests.append(path)
            elif name.endswith(".txt") and "builtin" in name.lower():
                scan.builtin_lists.append(path)
    return scan


def _rel(scan: ProjectScan, path: str) -> str:
    rel = os.path.relpath(path, scan.root)
    return rel.replace(os.sep, "/") if not rel.startswith("..") else path


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _grouped(scan: ProjectScan, paths: Sequence[str]) -> list[str]:
    """Library paths, relative; many of one kind in one directory become one glob."""
    by_dir: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in paths:
        kind = ".a" if p.endswith(".a") else ".o" if p.endswith(".o") else ".so"
        by_dir[(os.path.dirname(p), kind)].append(p)
    out = []
    for (directory, kind), members in sorted(by_dir.items()):
        if len(members) > GLOB_ABOVE:
            pattern = "lib*.so*" if kind == ".so" else f"*{kind}"
            out.append(_rel(scan, os.path.join(directory, pattern)))
        else:
            out.extend(_rel(scan, m) for m in sorted(members))
    return out


def render_config(scan: ProjectScan) -> str:
    """The commented `sffi.toml` for what was found."""
    lines = [
        "# sffi-check configuration, written by `sffi-check init` (edit freely).",
        "# Paths are relative to this file. Reference: the README's Configuration section,",
        "# or `sffi-check --show-settings` for what a check will use.",
        "",
        f"# {scan.spl_files} .spl file(s) found; checked by default: every **/*.spl here.",
        '# include = ["src/**/*.spl"]',
        "",
        'runtime-mode = "dynamic"   # libraries may provide externs; "builtin-only" for older runtimes',
        'abi = "native"             # text parameters cross as (pointer, length)',
    ]
    if scan.truncated:
        lines.append(f"# NOTE: the project has more than {MAX_ENTRIES} entries; init stopped looking there.")
    lib_dirs = sorted({os.path.dirname(p) for p in scan.shared + scan.runtime_libraries} | set(scan.satellites))
    if lib_dirs:
        lines += ["", "# Directories holding the project's libraries, searched for bare names and for the",
                  "# libraries they need (DT_NEEDED), as LD_LIBRARY_PATH would be when the program runs."]
        lines.append("search-paths = [" + ", ".join(_q(_rel(scan, d)) for d in lib_dirs) + "]")
    if scan.runtime_libraries:
        lines += ["", "# The runtime library the interpreter falls back to (dlopen)."]
        lines.append(f"runtime-library = {_q(_rel(scan, scan.runtime_libraries[0]))}")
        lines += [f"# runtime-library = {_q(_rel(scan, p))}" for p in scan.runtime_libraries[1:]]
    if scan.simple_checkout:
        lines += ["", f"# A Simple checkout: {scan.simple_checkout}",
                  "# (its runtime's built-in table is in its Rust sources, src/compiler_rust/)."]
    if scan.builtin_lists:
        lines += ["", "[builtins]", "lists = [" + ", ".join(_q(_rel(scan, p)) for p in scan.builtin_lists) + "]"]
    if scan.manifests:
        lines += ["", "[manifest]", f"path = {_q(_rel(scan, scan.manifests[0]))}"]
        lines += [f"# path = {_q(_rel(scan, p))}" for p in scan.manifests[1:]]
    if scan.satellites:
        lines += ["", "# Satellite libraries libspl_<prefix>.so: rt_<prefix>_* externs are looked up there.",
                  "[satellites]", "paths = [" + ", ".join(_q(_rel(scan, d)) for d in sorted(scan.satellites)) + "]"]
        prefixes = sorted({p for ps in scan.satellites.values() for p in ps})
        lines.append(f"# found: {', '.join('libspl_' + p + '.so' for p in prefixes)}")
    if scan.shared:
        lines += ["", "# Shared libraries found in the project. Add `files = [\"src/x/**/*.spl\"]` to one that",
                  "# serves only some files, `linked = true` when the program links it with -l."]
        for path in _grouped(scan, scan.shared):
            lines += ["[[libraries]]", f"path = {_q(path)}", ""]
        lines.pop()
    if scan.objects:
        lines += ["", "# Objects and archives (statically linked externs, e.g. an OS kernel's C and assembly)."]
        for path in _grouped(scan, scan.objects):
            lines += ["[[libraries]]", f"path = {_q(path)}", ""]
        lines.pop()
    if not (scan.shared or scan.objects or scan.satellites or scan.runtime_libraries or scan.manifests):
        lines += ["", "# No library, object, manifest or satellite was found here. Name what provides your",
                  "# externs, for example:", "# [[libraries]]", '# path = "build/libfoo.so"',
                  "# [[libraries]]", '# name = "libm.so.6"   # found as the dynamic linker would']
    return "\n".join(lines) + "\n"


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{prog} init",
                                description="Look at a project and write an sffi.toml that finds its libraries.")
    p.add_argument("directory", nargs="?", default=".", help="project root (default: .)")
    p.add_argument("--force", action="store_true", help="overwrite an existing sffi.toml")
    p.add_argument("--stdout", action="store_true", help="print the configuration instead of writing it")
    return p


def run(prog: str, argv: Sequence[str]) -> tuple[str, str, int]:
    """(stdout text, stderr text, exit status)."""
    args = build_parser(prog).parse_args(argv)
    root = os.path.abspath(args.directory)
    if not os.path.isdir(root):
        raise UsageError(f"init: {args.directory}: not a directory")
    target = os.path.join(root, CONFIG_NAME)
    if not args.stdout and os.path.exists(target) and not args.force:
        raise UsageError(f"init: {target} exists; use --force to overwrite it (or --stdout to see the proposal)")
    text = render_config(scan_project(root))
    if args.stdout:
        return text, "", 0
    try:
        with open(target, "w" if args.force else "x", encoding="utf-8") as fh:  # "x": never over a file
            fh.write(text)
    except FileExistsError:
        raise UsageError(f"init: {target} exists; use --force to overwrite it") from None
    except OSError as exc:
        raise UsageError(f"init: cannot write {target}: {exc.strerror or exc}") from None
    return "", f"{prog}: wrote {target}; check with `{prog}` (see the settings with `{prog} --show-settings`)\n", 0
