"""Bounds for huge inputs (issue 14): at most `max-findings-per-file` findings per file plus one
SFFI040 summary (`check.limits`, which the server uses too); a 10 MB file in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.limits import capped_with_summaries
from sffi_lsp.check.types import Severity
from sffi_lsp.config_types import Config
from sffi_lsp.syntax import parse_source

REPO = Path(__file__).resolve().parents[2]


def _many_unresolved(n: int, dup_every: int = 0) -> str:
    lines = []
    for i in range(n):
        lines.append(f"extern fn rt_gen_{i}(a: i64) -> i64")
        if dup_every and i % dup_every == 0:
            lines.append(f"extern fn rt_gen_{i}(a: i64) -> i64")  # a warning (duplicate) as well
    return "\n".join(lines) + "\n"


class _NoProviders:
    """Nothing provides anything: every extern is unresolved."""


def _check(text: str, **config) -> list:
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.cli import _capped

    cfg = Config(root="/tmp", **config)
    providers = Providers.from_config(cfg, index_for_config(cfg), answers_file=None)
    ws = Workspace([parse_source(text, "/tmp/big.spl")], roots=["/tmp"])
    return _capped(check(ws, providers, cfg).findings, cfg)


def test_cap_keeps_errors_first_and_summarises():
    text = _many_unresolved(1500, dup_every=100)
    findings = _check(text)
    summary = [f for f in findings if f.code == "SFFI040"]
    assert len(summary) == 1 and len(findings) == 1001
    assert summary[0].span.start_line == 0 and summary[0].severity is Severity.INFO
    # 1515 unresolved (errors), 15 duplicates (warnings), 1515 unused (infos): the 1000 kept
    # are errors, the summary counts the rest by rule
    assert all(f.severity is Severity.ERROR for f in findings if f.code != "SFFI040")
    assert summary[0].message.startswith("2045 more findings")
    assert all(part in summary[0].message for part in ("1515 SFFI012", "515 SFFI001", "15 SFFI010"))
    assert findings[1:] == sorted(findings[1:], key=lambda f: f.sort_key()) and findings[0] is summary[0]

    assert len(_check(text, max_findings_per_file=0)) == 3045  # 0: no limit
    few = _check(text, max_findings_per_file=10)
    assert len(few) == 11
    from sffi_lsp.config_types import RuleSettings

    quiet = _check(text, max_findings_per_file=10, rules=RuleSettings(ignore=("SFFI040",)))
    assert len(quiet) == 10  # the summary is a rule like any other


def test_cap_is_per_file():
    from sffi_lsp.check.types import Finding

    def f(path: str, line: int) -> Finding:
        from sffi_lsp.model import Span

        return Finding("SFFI001", "unresolved-extern", Severity.ERROR, path, Span(line, line, line, 0, line, 1), "m")

    findings = [f("a.spl", i) for i in range(5)] + [f("b.spl", i) for i in range(2)]
    out = capped_with_summaries(findings, 3)
    assert [x.path for x in out].count("a.spl") == 4 and [x.path for x in out].count("b.spl") == 2
    assert out[0].code == "SFFI040" and "2 more findings" in out[0].message and "2 SFFI001" in out[0].message
    assert capped_with_summaries(findings, 5) == findings
    assert len(capped_with_summaries(findings, 3, summarise=False)) == 5


def test_config_key_reaches_the_cli(tmp_path, sffi):
    (tmp_path / "sffi.toml").write_text("max-findings-per-file = 5\n")
    (tmp_path / "a.spl").write_text(_many_unresolved(20))
    doc = json.loads(sffi("--output-format", "json", "--no-cache", tmp_path).out)
    codes = [d["code"] for d in doc["diagnostics"]]
    assert codes.count("SFFI001") == 5 and codes.count("SFFI040") == 1
    (tmp_path / "sffi.toml").write_text("max-findings-per-file = -1\n")
    r = sffi("--no-cache", tmp_path)
    assert r.code == 2 and "max-findings-per-file" in r.err


def _huge(path: Path, megabytes: float) -> None:
    """Our own shapes, repeated: externs (half unresolved-looking), functions calling them, classes."""
    block = []
    for i in range(40):
        block += [f"extern fn rt_big_{i}(path: text, n: i64) -> i64",
                  f"fn use_{i}(x: i64) -> i64:",
                  f"    val r = rt_big_{i}(\"f{{x}}\", x)",
                  "    # a comment mentioning extern fn nothing() -> i64",
                  "    if r > 0: r else: helper(r, [1, 2, 3])",
                  "",
                  f"class Box{i}:",
                  "    value: i64",
                  "    fn get() -> i64: self.value",
                  ""]
    unit = "\n".join(block) + "\n"
    reps = int(megabytes * 1e6 / len(unit)) + 1
    path.write_text(unit * reps, encoding="utf-8")


_MEASURED = (
    "import resource, runpy, sys\n"
    "sys.argv = ['sffi-check', *sys.argv[1:]]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_module('sffi_lsp.cli', run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.stderr.write('\\nsffi-peak-rss-kb %d\\n' % peak)\n"
    "sys.exit(code)\n"
)


def _run_measured(args: list[str], cwd: Path) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB of this one CLI run and its workers, stdout).

    The run reports its own peak: the test process's RUSAGE_CHILDREN would also
    count every earlier child of the suite (in a full CI run, a bigger one)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURED, *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    wall = time.perf_counter() - t
    assert proc.returncode in (0, 1), proc.stderr
    peak = int(proc.stderr.rsplit("sffi-peak-rss-kb ", 1)[1].split()[0])
    return wall, peak // 1024, proc.stdout


def test_ten_megabyte_file_bounded(tmp_path):
    _huge(tmp_path / "huge.spl", 10)
    wall, rss, out = _run_measured(["--no-cache", "--output-format", "json", "--exit-zero", "."], tmp_path)
    doc = json.loads(out)
    per_file = [d for d in doc["diagnostics"] if d["path"].endswith("huge.spl")]
    assert len(per_file) <= 1001 and any(d["code"] == "SFFI040" for d in per_file)
    print(f"10 MB file: {wall:.2f} s, peak RSS {rss} MB")
    # issue 14: RSS under 300 MB
    assert rss < 300, f"peak RSS {rss} MB"
