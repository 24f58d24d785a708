"""SFFI019 provider-file-problem."""

from __future__ import annotations

from ..types import Rule, Severity, zero_span

RULE = Rule(
    code="SFFI019",
    name="provider-file-problem",
    severity=Severity.WARNING,
    summary="A plugin manifest or built-ins list has lines that cannot be read.",
    doc="""
## What it does
Reports lines of the plugin manifest (SDN) and of the built-ins lists that the
checker could not read: malformed SDN, a plugin entry without `library`, a
built-ins line that is neither a name nor a Simple signature. The finding is
placed on the offending line of that file.

## Why is this bad?
The runtime reads the same files: an entry it cannot read provides nothing,
and every extern that relied on it fails at run time.

## Example
```sdn
plugins:
    -
        name: demo
        functions: [rt_demo_open]     # no `library:`: the runtime cannot load the plugin
```
""",
)


def check(ctx):
    manifest_problems = getattr(ctx.providers, "manifest_problems", None)
    list_problems = getattr(ctx.providers, "list_problems", None)
    try:
        for path, line, column, message in (manifest_problems() if manifest_problems else ()):
            yield RULE.finding(path or "manifest.sdn", zero_span(line, column), f"plugin manifest: {message}")
    except Exception:  # a provider bug must not hide the other findings
        pass
    try:
        for problem in (list_problems() if list_problems else ()):
            yield RULE.finding(problem.path, zero_span(problem.line, 0), f"built-ins list: {problem.message}")
    except Exception:
        pass
