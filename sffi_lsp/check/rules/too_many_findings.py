"""SFFI040 too-many-findings: the summary the per-file cap leaves in place of what it drops."""

from __future__ import annotations

from ..types import Rule, Severity

RULE = Rule(
    code="SFFI040",
    name="too-many-findings",
    severity=Severity.INFO,
    summary="A file has more findings than `max-findings-per-file`: the rest are counted in one.",
    doc="""
## What it does
When a file has more findings than `max-findings-per-file` (default 1000),
keeps that many (errors first, then warnings, infos and hints, each in file
order) and reports one more finding at the top of the file saying how many
were left out and of which rules.

## Why is this bad?
A generated or broken file can yield tens of thousands of findings at once:
an editor that receives them all freezes, and a report that lists them all
hides every other file. The count tells you the file needs attention; fix
the first ones (they are usually one cause) or raise the limit (0: no limit).

## Example
```toml
# sffi.toml
max-findings-per-file = 200
```
""",
)


def check(ctx):
    """Made by `limits.capped_with_summaries` once every other rule has run, not here (the
    language server shows the same count as its own note)."""
    return ()
