"""The per-file cap on findings and the cross-file rule marking (check layer)."""

from __future__ import annotations

from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.limits import cap_per_file
from sffi_lsp.check.rules import ALL_RULES
from sffi_lsp.check.types import Finding, Severity
from sffi_lsp.config_types import Config
from sffi_lsp.model import Span
from sffi_lsp.syntax import parse_source


def finding(path: str, line: int, severity: Severity, code: str = "SFFI001") -> Finding:
    return Finding(code=code, name="x", severity=severity, path=path, span=Span(0, 0, line, 0, line, 1), message=f"{line}")


def test_cap_keeps_the_most_severe_then_the_earliest_in_order() -> None:
    findings = [
        finding("a.spl", 0, Severity.INFO),
        finding("a.spl", 1, Severity.ERROR),
        finding("a.spl", 2, Severity.WARNING),
        finding("a.spl", 3, Severity.ERROR),
        finding("b.spl", 0, Severity.INFO),
    ]
    kept, left_out = cap_per_file(findings, 2)
    assert [(f.path, f.span.start_line) for f in kept] == [("a.spl", 1), ("a.spl", 3), ("b.spl", 0)]
    assert left_out == {"a.spl": 2}
    kept, left_out = cap_per_file(findings, 3)
    assert [(f.path, f.span.start_line) for f in kept] == [("a.spl", 1), ("a.spl", 2), ("a.spl", 3), ("b.spl", 0)]
    assert cap_per_file(findings, 0) == (findings, {})
    assert cap_per_file(findings, 4) == (findings, {})


def test_cross_file_rules_are_the_ones_that_read_other_files() -> None:
    # the wrapper rules 032/033/036 judge a bindings file against its spec and the other files;
    # SFFI030: what a suppression comment hides may be one of their findings
    assert {r.code for r in ALL_RULES if r.cross_file} == {"SFFI009", "SFFI011", "SFFI012", "SFFI030", "SFFI032",
                                                          "SFFI033", "SFFI036"}


class NoProviders:
    def resolve(self, name, source_path=None):
        from sffi_lsp.check.types import Resolution, ResolutionStatus

        return Resolution(name=name, status=ResolutionStatus.UNRESOLVED)

    def suggest(self, name, limit=3):
        return ()

    def library_problems(self):
        return ()

    def manifest_entries(self):
        return ()

    def signature_for(self, resolution):
        return None


def test_skip_cross_file_leaves_out_exactly_those_rules() -> None:
    text = "extern fn rt_one() -> i64\nextern fn rt_one() -> i64\nfn f():\n    rt_one(1)\n"
    ws = Workspace([parse_source(text, "/p/a.spl")], roots=["/p"])
    config = Config(root="/p")
    every = {f.code for f in check(ws, NoProviders(), config).findings}
    alone = {f.code for f in check(ws, NoProviders(), config, skip_cross_file=True).findings}
    assert {"SFFI001", "SFFI010", "SFFI011"} <= every
    assert alone == every - {"SFFI009", "SFFI011", "SFFI012"}
