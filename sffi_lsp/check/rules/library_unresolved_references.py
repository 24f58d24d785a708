"""SFFI018 library-unresolved-references."""

from __future__ import annotations

from ..types import Rule, Severity
from ._libraries import display_name, lead, library_issues, placements, served_by

RULE = Rule(
    code="SFFI018",
    name="library-unresolved-references",
    severity=Severity.WARNING,
    summary="A library loads (lazy binding) but references functions that nothing in its dependency tree defines.",
    doc="""
## What it does
Reports libraries that load with lazy binding but contain undefined function
references that neither they nor any library of their `DT_NEEDED` tree
define.

## Why is this bad?
The Simple runtime opens libraries with `RTLD_LAZY`, so loading succeeds and
most externs work; but calling any function that reaches the missing
reference aborts the process with `symbol lookup error`. (`ctypes.CDLL`
binds eagerly and would refuse the library outright.)

## Example
`libspl_net.so` calls `tls_handshake` but is not linked against the library
defining it: add the dependency when linking (`-ltls`).
""",
)


def check(ctx):
    for issue in library_issues(ctx):
        lib = issue.library
        if lib.problem is not None or not lib.unresolved_functions:
            continue
        names = sorted(lib.unresolved_functions)
        shown = ", ".join(f"`{n}`" for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        message = (
            f"{lead(issue)}library `{display_name(issue)}` loads, but references functions nothing in its dependency tree defines: "
            f"{shown}; calling code that needs them aborts with 'symbol lookup error'"
        )
        for path, span, symbol in placements(ctx, issue, served_by(issue)):
            yield RULE.finding(path, span, message, symbol=symbol)
