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
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

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
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
