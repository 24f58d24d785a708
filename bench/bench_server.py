"""Benchmark of the language server, driven over stdio like an editor would.

Figures printed:
- edit-to-diagnostics in a 170 KB file (debounce 0, pull client): p50/p95 ms
- hover on extern names: p50/p95 ms
- completion after `extern fn ` among ~60,000 provider names: p50/p95 ms
- server RSS with a large tree open and the big library configured: MB

The 60,000 names come from libtorch_cpu.so (unzipped from the torch wheel in
/opt/wheels, with its sibling libraries so its dependencies resolve), or from
a generated library with 60,000 exports when the wheel is absent (--library
generated). Nothing is committed: everything lives in a temp dir.

    .venv/bin/python bench/bench_server.py [--library auto|torch|generated] [--keep]
    .venv/bin/python bench/bench_server.py --startup [--repeat N]   # spawn -> first diagnostics
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

TARGETS = {"edit": 50.0, "hover": 10.0, "completion": 50.0, "rss": 150.0}
GENERATED_EXPORTS = 60_000
BENCH_C = """\
#include <stdint.h>
int64_t rt_bench_add(int64_t a, int64_t b) { return a + b; }
double rt_bench_scale(double x) { return x * 2; }
"""


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def torch_library(work: Path) -> Path | None:
    cached = Path(tempfile.gettempdir()) / "sffi-bench-torch" / "libtorch_cpu.so"
    if cached.exists():
        return cached
    wheels = sorted(glob.glob("/opt/wheels/torch-*.whl"))
    if not wheels:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        for info in wheel.infolist():
            name = info.filename
            if name.startswith("torch/lib/") and ".so" in os.path.basename(name):
                target = cached.parent / os.path.basename(name)
                with wheel.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return cached if cached.exists() else None


def generated_library(work: Path) -> Path:
    """A library with 60,000 exported functions, assembled (gcc on C would be slow)."""
    asm = work / "gen60k.s"
    with open(asm, "w") as out:
        out.write(".text\n")
        for i in range(GENERATED_EXPORTS):
            name = f"rt_gen_{i:05d}_fn"
            out.write(f".globl {name}\n.type {name},@function\n{name}:\n\tret\n")
    lib = work / "libgen60k.so"
    subprocess.run(["gcc", "-shared", "-o", str(lib), str(asm)], check=True)
    return lib


def build_project(work: Path, big_library: Path, unresolved_every: int) -> tuple[Path, Path]:
    """A project whose externs mostly bind (as in real code): one extern in
    `unresolved_every` names nothing the providers offer."""
    root = work / "proj"
    (root / "build").mkdir(parents=True)
    big_names = [f"rt_bench_fn_{i}" for i in range(1200)]
    tree_names = [[f"rt_tree_{n}_{k}" for k in range(10)] for n in range(400)]
    c_lines = ["#include <stdint.h>", "int64_t rt_bench_add(int64_t a, int64_t b) { return a + b; }"]
    for name in big_names + [x for names in tree_names for x in names]:
        c_lines.append(f"int64_t {name}(int64_t a, int64_t b) {{ return a + b; }}")
    c_file = root / "build" / "bench.c"
    c_file.write_text("\n".join(c_lines) + "\n")
    subprocess.run(
        # No -g: release libraries carry no DWARF (the DWARF reader has its own benchmark).
        ["gcc", "-shared", "-fPIC", "-o", str(root / "build" / "libbench.so"), str(c_file)], check=True
    )
    (root / "sffi.toml").write_text(
        f'libraries = ["build/libbench.so", "{big_library}"]\n[server]\ndebounce-ms = 0\n'
    )
    src = root / "src"
    src.mkdir()

    def declared(name: str, i: int) -> str:
        return f"rt_nowhere_{i}" if unresolved_every and i % unresolved_every == unresolved_every - 1 else name

    # The 170 KB file: externs, functions calling them, comments.
    lines: list[str] = ["extern fn rt_bench_add(a: i64, b: i64) -> i64"]
    i = 0
    while sum(len(x) + 1 for x in lines) < 170_000:
        name = declared(big_names[i], i)
        lines += [
            f"extern fn {name}(a: i64, b: i64) -> i64",
            f"# helper {i}: adds two numbers through the native library",
            f"fn use_{i}(x: i64) -> i64:",
            f"    val y = {name}(x, {i})",
            "    if y > 10:",
            "        return y - 1",
            "    y + rt_bench_add(1, 2)",
            "",
        ]
        i += 1
    big = src / "big.spl"
    big.write_text("\n".join(lines) + "\n")
    # A large tree: 400 more files.
    for n, names in enumerate(tree_names):
        sub = src / f"mod{n // 40}"
        sub.mkdir(exist_ok=True)
        body = [f"extern fn {declared(x, k)}(a: i64, b: i64) -> i64" for k, x in enumerate(names)]
        body += [f"fn tree_{n}_{k}(a: i64) -> i64:\n    {declared(x, k)}(a, 1)\n" for k, x in enumerate(names)]
        (sub / f"f{n}.spl").write_text("\n".join(body) + "\n")
    return root, big


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_ms(pid: int) -> float:
    """User + system CPU time of the server process so far (robust to other load on the machine)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def idle(pid: int, timeout: float = 120.0) -> None:
    """Until the server uses under 5% of a core for half a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_ms(pid)
        await asyncio.sleep(0.5)
        if cpu_ms(pid) - before < 25:
            return


async def pull(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    return list(getattr(report, "items", []) or [])


async def run(args: argparse.Namespace) -> int:
    reuse = args.work is not None and (Path(args.work) / "proj").exists()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sffi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        library = None
        if args.library in ("auto", "torch"):
            library = torch_library(work)
            if library is None and args.library == "torch":
                print("torch wheel not found", file=sys.stderr)
                return 2
        if library is None:
            library = work / "libgen60k.so" if reuse else generated_library(work)
        print(f"library: {library} ({library.stat().st_size / 1e6:.0f} MB)")
        if reuse:
            root, big = work / "proj", work / "proj" / "src" / "big.spl"  # and its warm .sffi_cache
        else:
            root, big = build_project(work, library, args.unresolved_every)
        print(f"big file: {big.stat().st_size / 1000:.0f} KB, tree: 401 files")

        env = dict(os.environ, PYTHONPATH=str(REPO), SIMPLE_PLUGIN_MANIFEST=str(root / "none.sdn"))
        config = ClientServerConfig(server_command=[sys.executable, "-m", "sffi_lsp.server"], server_env=env)
        client = await config.start()
        assert isinstance(client, LanguageClient)

        @client.feature(lsp.WORKSPACE_INLAY_HINT_REFRESH)
        def inlay_hint_refresh(params: None) -> None:  # Neovim answers it; pytest-lsp does not
            return None

        started = time.perf_counter()
        await client.initialize_session(
            lsp.InitializeParams(
                capabilities=client_capabilities("neovim@v0.10.0"),
                root_uri=from_fs_path(str(root)),
                workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(root)), name="bench")],
            )
        )
        uri = from_fs_path(str(big))
        text = big.read_text()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="simple", version=1, text=text)
            )
        )
        # Ready once the workspace is indexed and checked (re-index returns after that).
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="sffi.reindex"))
        first = await pull(client, uri)
        server_pid = client._server.pid  # type: ignore[union-attr]
        stages = {"after first check": rss_mb(server_pid)}
        print(f"startup + index + first check: {time.perf_counter() - started:.1f} s, {len(first)} diagnostics")

        # Edit-to-diagnostics: rename one extern back and forth (resolved <-> unresolved).
        lines = text.split("\n")
        target_line = next(i for i, line in enumerate(lines) if line.startswith("extern fn rt_bench_add"))
        column = len("extern fn ")
        edit_times: list[float] = []
        version = 1
        cpu_start = cpu_ms(server_pid)
        for i in range(args.edits):
            version += 1
            new = "rt_bench_adX" if i % 2 == 0 else "rt_bench_add"
            rng = lsp.Range(
                start=lsp.Position(line=target_line, character=column),
                end=lsp.Position(line=target_line, character=column + len("rt_bench_add")),
            )
            t0 = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangePartial(range=rng, text=new)],
                )
            )
            diags = await pull(client, uri)
            edit_times.append((time.perf_counter() - t0) * 1000)
            unresolved_here = any(d.range.start.line == target_line and d.code == "SFFI001" for d in diags)
            assert unresolved_here == (new == "rt_bench_adX"), "diagnostics did not follow the edit"
        edit_findings = len(diags)
        cpu = {"edit": (cpu_ms(server_pid) - cpu_start) / args.edits}

        stages["after edits"] = rss_mb(server_pid)
        # Hover on extern names (declarations and calls).
        hover_positions = [
            lsp.Position(line=i, character=column + 2) for i, line in enumerate(lines) if line.startswith("extern fn ")
        ]
        rnd = random.Random(1)
        hover_times: list[float] = []
        cpu_start = cpu_ms(server_pid)
        for _ in range(args.hovers):
            position = rnd.choice(hover_positions)
            t0 = time.perf_counter()
            result = await client.text_document_hover_async(
                lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)
            )
            hover_times.append((time.perf_counter() - t0) * 1000)
            assert result is not None

        cpu["hover"] = (cpu_ms(server_pid) - cpu_start) / args.hovers
        stages["after hovers"] = rss_mb(server_pid)
        # Completion after `extern fn ` at the end of the file, various prefixes.
        end_line = len(lines) - 1
        version += 1
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(start=lsp.Position(line=end_line, character=0), end=lsp.Position(line=end_line, character=0)),
                        text="extern fn ",
                    )
                ],
            )
        )
        prefixes = ["", "_", "_Z", "_ZN", "_ZN2at", "rt_", "rt_gen_1", "rt_gen_12", "x"]
        completion_times: list[float] = []
        cpu_start = cpu_ms(server_pid)
        counts: dict[str, int] = {}
        by_prefix: dict[str, list[float]] = {}
        for i in range(args.completions):
            prefix = prefixes[i % len(prefixes)]
            version += 1
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(
                                start=lsp.Position(line=end_line, character=column),
                                end=lsp.Position(line=end_line, character=10_000),
                            ),
                            text=prefix,
                        )
                    ],
                )
            )
            t0 = time.perf_counter()
            result = await client.text_document_completion_async(
                lsp.CompletionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    position=lsp.Position(line=end_line, character=column + len(prefix)),
                )
            )
            completion_times.append((time.perf_counter() - t0) * 1000)
            by_prefix.setdefault(prefix, []).append(completion_times[-1])
            counts[prefix] = len(result.items) if result else 0
        cpu["completion (with its edit)"] = (cpu_ms(server_pid) - cpu_start) / args.completions
        stages["after completions"] = rss_mb(server_pid)
        # sffi.showExports pages (a QuickPick asks for the first page, then filters).
        export_times: list[float] = []
        for filter_text in ["", "tensor", "_zn2at6native", "rt_bench_fn_1"]:
            t0 = time.perf_counter()
            total_names = await client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(
                    command="sffi.showExports", arguments=[{"library": str(library), "filter": filter_text, "limit": 200}]
                )
            )
            export_times.append((time.perf_counter() - t0) * 1000)
            if not filter_text:
                exports_total = total_names.get("total", total_names.get("count", "?"))

        rss = rss_mb(server_pid)
        stages["after showExports"] = rss

        def line(label: str, values: list[float], target: float) -> None:
            p95 = percentile(values, 95)
            verdict = "ok" if p95 < target else "OVER TARGET"
            print(
                f"{label:<34} n={len(values):<4} p50={statistics.median(values):7.1f} ms  "
                f"p95={p95:7.1f} ms  (target < {target:.0f} ms: {verdict})"
            )

        print()
        line(f"edit -> diagnostics (170 KB, {edit_findings} diags)", edit_times, TARGETS["edit"])
        line("hover", hover_times, TARGETS["hover"])
        line(f"completion ({exports_total} exports)", completion_times, TARGETS["completion"])
        print(f"{'showExports page (4 filters)':<34} " + ", ".join(f"{t:.0f}" for t in export_times) + " ms")
        print(f"{'completion items per prefix':<34} {counts}")
        print(f"{'completion ms per prefix (1st/max)':<34} "
              + ", ".join(f"{p!r}: {v[0]:.0f}/{max(v):.0f}" for p, v in by_prefix.items()))
        print(f"{'server CPU per request (ms)':<34} " + ", ".join(f"{k}: {v:.1f}" for k, v in cpu.items()))
        print(f"{'server RSS by stage (MB)':<34} " + ", ".join(f"{k}: {v:.0f}" for k, v in stages.items()))
        print(
            f"{'server RSS (tree + library)':<34} {rss:.0f} MB  (target < {TARGETS['rss']:.0f} MB: "
            f"{'ok' if rss < TARGETS['rss'] else 'OVER TARGET'})"
        )
        await client.shutdown_session()
        await client.stop()
        return 0
    finally:
        if args.keep or args.work:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------ scale ---
# Item 1/2/5 of issue 14: a small (500-file) and a big (9,100-file, ~1.7M-line)
# workspace measured in the same run, cold (empty .sffi_cache) and warm; and
# huge single files (1 MB, 10 MB).

SCALE_TARGETS = {"first_ratio": 1.5, "rss_index": 200.0, "warm_index": 1.0, "huge_first": 1.0, "huge_rss": 300.0}


def generate_tree(root: Path, files: int, seed: int = 14) -> int:
    """The issue-14 tree from the CLI bench's generator (bench/gen_big_tree.py: our own
    sample tree replicated) when it is there, else the syntax bench's synthetic modules;
    returns the number of lines."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen_big_tree  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        gen_big_tree = None
    if gen_big_tree is not None:
        sizes = {n: (n, lines, copies) for n, lines, copies in gen_big_tree.SIZES.values()}
        n, lines, copies = sizes.get(files, (files, files * 176, max(1, files // 455)))
        return int(gen_big_tree.generate(root, n, lines, copies, seed)["lines"])
    from bench_syntax import generate  # noqa: PLC0415

    _paths, lines, _externs = generate(root, files, seed)
    return lines


class ServerWatch:
    """One server process with what the bench needs to time: diagnostics as they
    arrive for each file, `sffi/status` (sent after each full check)."""

    def __init__(self, client: LanguageClient, t0: float) -> None:
        self.client = client
        self.t0 = t0
        self.statuses: list[tuple[float, dict]] = []

        @client.feature("sffi/status")
        def status(params: Any) -> None:
            files = params.get("files") if isinstance(params, dict) else getattr(params, "files", None)
            self.statuses.append((time.perf_counter() - self.t0, {"files": files}))

        @client.feature(lsp.WORKSPACE_INLAY_HINT_REFRESH)
        def inlay_hint_refresh(params: None) -> None:
            return None

    @property
    def pid(self) -> int:
        return self.client._server.pid  # type: ignore[union-attr]

    async def full_index(self, files: int, timeout: float = 300.0) -> float:
        """Seconds from t0 to the first full check that saw `files` files."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, status in self.statuses:
                if (status.get("files") or 0) >= files:
                    return at
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no full check of {files} files within {timeout:.0f} s")


async def start_watched(root: Path, capabilities: str, env: dict[str, str], log_file: Path | None = None) -> ServerWatch:
    logging = ["--log-level", "INFO", "--log-file", str(log_file)] if log_file else []
    config = ClientServerConfig(server_command=[sys.executable, "-m", "sffi_lsp.server", *logging], server_env=env)
    t0 = time.perf_counter()
    client = await config.start()
    assert isinstance(client, LanguageClient)
    watch = ServerWatch(client, t0)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(capabilities),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(root)), name="scale")],
        )
    )
    return watch


async def first_diagnostics(watch: ServerWatch, path: Path, pull_client: bool, timeout: float = 120.0) -> tuple[float, int]:
    """Open `path`; seconds from didOpen to its first non-empty diagnostics, and their count."""
    client = watch.client
    uri = from_fs_path(str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    t0 = time.perf_counter()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id="simple", version=1, text=text))
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pull_client:
            items = await pull(client, uri)
        else:
            items = list(client.diagnostics.get(uri, []))
            if not items:
                await asyncio.sleep(0.002)
        if items:
            return time.perf_counter() - t0, len(items)
    raise TimeoutError(f"no diagnostics for {path} within {timeout:.0f} s")


async def stop_watched(watch: ServerWatch) -> None:
    await watch.client.shutdown_session()
    await watch.client.stop()


async def run_scale(args: argparse.Namespace) -> int:
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sffi-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    pull_client = args.client == "pull"
    capabilities = "neovim@v0.10.0" if pull_client else "neovim@v0.7.0"
    try:
        trees = {}
        for label, files in (("small", args.small_files), ("big", args.big_files)):
            root = work / label
            if not (root / "sffi.toml").exists():
                t0 = time.perf_counter()
                lines = generate_tree(root / "src", files)
                (root / "sffi.toml").write_text('include = ["**/*.spl"]\n')
                (root / "lines.txt").write_text(str(lines))
                print(f"generated {label}: {files} files, {lines:,} lines in {time.perf_counter() - t0:.1f} s")
            spl = sorted((root / "src").rglob("*.spl"))
            # The file opened first must have findings: an empty answer cannot be told from
            # "not checked yet". With no library configured every declared extern is SFFI001.
            spl.sort(key=lambda p: "extern fn" not in p.read_text(encoding="utf-8", errors="replace"))
            trees[label] = (root, spl, int((root / "lines.txt").read_text()))
        print(f"client: {capabilities} ({args.client} diagnostics); load average {os.getloadavg()[0]:.2f}")
        figures: dict[str, dict[str, float]] = {}
        # First diagnostics: the two trees alternately, `--repeat` server starts each (median),
        # each stopped once the opened file has its diagnostics.
        firsts: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        for _ in range(args.repeat):
            for label, (root, spl, lines) in trees.items():
                env = dict(os.environ, PYTHONPATH=str(REPO), SIMPLE_PLUGIN_MANIFEST=str(root / "none.sdn"))
                watch = await start_watched(root, capabilities, env)
                try:
                    first, count = await first_diagnostics(watch, spl[0], pull_client)
                    firsts[label].append((first, cpu_ms(watch.pid)))
                finally:
                    await stop_watched(watch)
        for label, (root, spl, lines) in trees.items():
            shutil.rmtree(root / ".sffi_cache", ignore_errors=True)
            env = dict(os.environ, PYTHONPATH=str(REPO), SIMPLE_PLUGIN_MANIFEST=str(root / "none.sdn"))
            row: dict[str, float] = {
                "first": statistics.median(f for f, _c in firsts[label]),
                "first cpu": statistics.median(c for _f, c in firsts[label]),
            }
            for start in ("cold", "warm"):
                watch = await start_watched(root, capabilities, env)
                try:
                    await first_diagnostics(watch, spl[0], pull_client)
                    row[f"{start} index"] = await watch.full_index(len(spl))
                    row[f"{start} index cpu"] = cpu_ms(watch.pid) / 1000
                    await asyncio.sleep(0.3)
                    row[f"{start} rss"] = rss_mb(watch.pid)
                finally:
                    await stop_watched(watch)
            figures[label] = row
            print(
                f"{label:>5} ({len(spl):,} files, {lines:,} lines): first diagnostics of an opened file "
                f"{row['first']:.2f} s after didOpen (median of {args.repeat}; server CPU since spawn {row['first cpu']:.0f} ms); "
                + ", ".join(
                    f"{start} start: full index {row[f'{start} index']:.2f} s (CPU {row[f'{start} index cpu']:.2f} s), "
                    f"RSS {row[f'{start} rss']:.0f} MB"
                    for start in ("cold", "warm")
                )
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        small, big = figures["small"], figures["big"]
        ratio = big["first"] / small["first"]
        print()
        print(
            f"first diagnostics, big / small: {ratio:.2f}x (CPU {big['first cpu'] / small['first cpu']:.2f}x)  (target <= {SCALE_TARGETS['first_ratio']}x: "
            f"{'ok' if ratio <= SCALE_TARGETS['first_ratio'] else 'OVER TARGET'})"
        )
        print(
            f"RSS after the full index (big, cold): {big['cold rss']:.0f} MB  (target < {SCALE_TARGETS['rss_index']:.0f} MB: "
            f"{'ok' if big['cold rss'] < SCALE_TARGETS['rss_index'] else 'OVER TARGET'})"
        )
        print(
            f"warm start to the full index (big): {big['warm index']:.2f} s, cold {big['cold index']:.2f} s "
            f"({big['cold index'] / big['warm index']:.1f}x)  (target <= {SCALE_TARGETS['warm_index']:.0f} s: "
            f"{'ok' if big['warm index'] <= SCALE_TARGETS['warm_index'] else 'OVER TARGET'})"
        )
        return 0
    finally:
        if args.keep or args.work:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def huge_file(path: Path, size: int) -> int:
    """A `.spl` file of about `size` bytes: generated modules one after another, every
    extern unresolved (a finding each: the flood case). Returns its line count."""
    import random as random_mod  # noqa: PLC0415

    from bench_syntax import gen_file  # noqa: PLC0415

    rng = random_mod.Random(5)
    parts, total, idx = [], 0, 0
    while total < size:
        text, _n = gen_file(rng, idx, 200, 6)
        parts.append(text)
        total += len(text)
        idx += 1
    text = "".join(parts)
    path.write_text(text)
    return text.count("\n")


async def run_huge(args: argparse.Namespace) -> int:
    """Item 5: a 1 MB and a 10 MB file opened in a small project; first diagnostics,
    how many were sent, RSS, and hovers on a small file answered while the huge one is read."""
    sys.path.insert(0, str(REPO / "bench"))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sffi-huge-"))
    pull_client = args.client == "pull"
    capabilities = "neovim@v0.10.0" if pull_client else "neovim@v0.7.0"
    try:
        for label, size in (("1MB", 1_000_000), ("10MB", 10_000_000)):
            root = work / label
            (root / "src").mkdir(parents=True, exist_ok=True)
            big = root / "src" / "huge.spl"
            small = root / "src" / "small.spl"
            small.write_text("extern fn rt_small_one(a: i64) -> i64\nfn f() -> i64:\n    rt_small_one(1)\n")
            env = dict(os.environ, PYTHONPATH=str(REPO), SIMPLE_PLUGIN_MANIFEST=str(root / "none.sdn"))
            watch = await start_watched(root, capabilities, env)
            try:
                client = watch.client
                await watch.full_index(1)
                lines = huge_file(big, size)  # written after the index: opening it is what is timed
                small_uri = from_fs_path(str(small))
                client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
                    uri=small_uri, language_id="simple", version=1, text=small.read_text())))
                hover_times: list[float] = []

                hovering_on = [True]

                async def hovers() -> None:
                    while hovering_on[0]:
                        t0 = time.perf_counter()
                        await client.text_document_hover_async(lsp.HoverParams(
                            text_document=lsp.TextDocumentIdentifier(uri=small_uri), position=lsp.Position(line=0, character=12)))
                        hover_times.append((time.perf_counter() - t0) * 1000)
                        await asyncio.sleep(0.02)

                hovering = asyncio.get_running_loop().create_task(hovers())
                first, count = await first_diagnostics(watch, big, pull_client)
                await asyncio.sleep(1.0)
                hovering_on[0] = False
                await hovering
                await idle(watch.pid)  # the incremental parser's table is built after the first answer
                peak = rss_mb(watch.pid)
                with open(f"/proc/{watch.pid}/status") as status:
                    hwm = next((int(x.split()[1]) / 1024 for x in status if x.startswith("VmHWM:")), float("nan"))
                target = SCALE_TARGETS["huge_first"]
                print(
                    f"{label} file ({big.stat().st_size / 1e6:.1f} MB, {lines:,} lines): first diagnostics {first:.2f} s "
                    f"({count} diagnostics{'' if label != '1MB' else f'; target < {target:.0f} s: ' + ('ok' if first < target else 'OVER TARGET')}), "
                    f"RSS {peak:.0f} MB (peak {hwm:.0f} MB; target < {SCALE_TARGETS['huge_rss']:.0f}), "
                    f"hover on another file while reading it: n={len(hover_times)} p95={percentile(hover_times, 95) if hover_times else float('nan'):.0f} ms "
                    f"max={max(hover_times) if hover_times else float('nan'):.0f} ms"
                )
            finally:
                await stop_watched(watch)
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


async def run_startup(args: argparse.Namespace) -> int:
    """Issue 14 item 6, the server's share of an editor's activation-to-first-squiggle: process
    spawn -> initialize -> didOpen -> first diagnostics (pull client), against references timed in
    the same run: `python -c pass` (the interpreter's floor) and importing lsprotocol + pygls
    (the LSP libraries' floor, which every pygls server pays). Median of --repeat starts."""
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sffi-startup-"))
    root = work / "proj"
    (root / "src").mkdir(parents=True, exist_ok=True)
    main_spl = root / "src" / "main.spl"
    main_spl.write_text("extern fn rt_startup_missing(a: i64) -> i64\nfn f() -> i64:\n    rt_startup_missing(1)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), SIMPLE_PLUGIN_MANIFEST=str(root / "none.sdn"))

    def wall(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    floor: list[float] = []
    libraries: list[float] = []
    server: list[float] = []
    stages: dict[str, list[float]] = {}
    try:
        for _ in range(args.repeat):
            floor.append(wall([sys.executable, "-c", "pass"]))
            libraries.append(wall([sys.executable, "-c", "import lsprotocol.types, pygls.lsp.server"]))
            log_file = work / "server.log"
            log_file.unlink(missing_ok=True)
            watch = await start_watched(root, "neovim@v0.10.0", env, log_file)
            try:
                await first_diagnostics(watch, main_spl, pull_client=True)
                server.append(time.perf_counter() - watch.t0)
            finally:
                await stop_watched(watch)
            # the server's own stages, seconds since its process started (lifecycle.StartupClock)
            for line in log_file.read_text(errors="replace").splitlines():
                found = re.search(r"start-up \+([0-9.]+) s \(cpu ([0-9.]+) s\): (imports done|first check done)", line)
                if found:
                    stages.setdefault(found.group(3), []).append(float(found.group(1)))
        load = os.getloadavg()[0]
        f, lib, srv = (statistics.median(v) for v in (floor, libraries, server))
        print(f"start-up, median of {args.repeat} (load {load:.1f} on {os.cpu_count()} CPUs, {time.strftime('%H:%M:%S')} UTC)")
        print(f"{'python -c pass':<44} {f * 1000:7.0f} ms   (reference)")
        print(f"{'import lsprotocol.types + pygls':<44} {lib * 1000:7.0f} ms   {lib / f:5.1f}x the reference")
        print(f"{'sffi-lsp spawn -> first diagnostics':<44} {srv * 1000:7.0f} ms   {srv / f:5.1f}x the reference, "
              f"{srv / lib:4.2f}x the LSP libraries' import (target: VS Code activation -> squiggle < 1 s)")
        for stage, values in stages.items():
            print(f"{'  server log: ' + stage:<44} {statistics.median(values) * 1000:7.0f} ms after its process started")
        return 0
    finally:
        if not (args.keep or args.work):
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", choices=["auto", "torch", "generated"], default="auto")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--hovers", type=int, default=300)
    parser.add_argument("--completions", type=int, default=90)
    parser.add_argument("--keep", action="store_true", help="keep the temp project")
    parser.add_argument("--work", help="project directory to create, or to reuse when it exists (warm caches)")
    parser.add_argument(
        "--unresolved-every", type=int, default=25,
        help="one extern in N is unresolved (default 25); 1 = every extern (worst case: a finding per extern)",
    )
    parser.add_argument("--scale", action="store_true", help="open-file-first, index, RSS and warm start at two sizes")
    parser.add_argument("--huge", action="store_true", help="a 1 MB and a 10 MB file: first diagnostics, count, RSS")
    parser.add_argument("--startup", action="store_true",
                        help="spawn -> first diagnostics against python start-up and the LSP libraries' import")
    parser.add_argument("--client", choices=["pull", "push"], default="pull", help="--scale: diagnostics model")
    parser.add_argument("--small-files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5, help="--scale: server starts timed to the first diagnostics")
    parser.add_argument("--big-files", type=int, default=9100)
    args = parser.parse_args()
    return asyncio.run(run_scale(args) if args.scale else run_huge(args) if args.huge
                       else run_startup(args) if args.startup else run(args))


if __name__ == "__main__":
    sys.exit(main())
