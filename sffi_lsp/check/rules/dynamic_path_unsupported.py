"""SFFI013 dynamic-path-unsupported."""

from __future__ import annotations

from ..types import ProviderKind, Rule, Severity
from ._common import is_class_member
from .signature_mismatch import _describe, _span_for

MAX_DYNAMIC_ARGS = 12

RULE = Rule(
    code="SFFI013",
    name="dynamic-path-unsupported",
    severity=Severity.ERROR,
    summary="Under the `dynamic` ABI profile: a type the interpreter's i64 path cannot carry, or more than 12 arguments.",
    doc="""
## What it does
Active when the ABI profile is `dynamic` (the interpreter's generic call path,
which passes every argument and the result as one 64-bit integer and supports
at most 12 arguments). For every extern that is not a runtime built-in (those
have their own glue), reports parameter and return types that cannot travel
as one `i64` (floats, and values without a single-word form under the
profile), and declarations with more than 12 parameters. Under the `native`
and `cstring` profiles this rule stays silent.

## Why is this bad?
Floating-point values travel in different registers than integers, so a
`f64` argument passed as an `i64` arrives as garbage; a 13th argument is
never passed at all.

## Example
```simple
extern fn rt_plot_point(x: f64, y: f64)   # floats cannot pass through the i64 path
```
Pass scaled integers, or make the function a runtime built-in.
""",
)


def _fallback_problems(decl) -> list[str]:
    out = []
    for i, p in enumerate(decl.params):
        if p.type is not None and p.type.name in ("f32", "f64"):
            out.append(f"parameter `{p.name}` ({p.type.text}) is a float, which the i64 path cannot carry")
    if decl.returns is not None and decl.returns.name in ("f32", "f64"):
        out.append(f"the {decl.returns.text} result is a float, which the i64 path cannot carry")
    return out


def _problems(decl) -> list:
    try:
        from .. import abi  # noqa: PLC0415

        found = list(abi.dynamic_path_problems(decl, MAX_DYNAMIC_ARGS) or ())
    except ImportError:
        found = _fallback_problems(decl)
    if decl.arity > MAX_DYNAMIC_ARGS and not any("argument" in _describe(m) and "12" in _describe(m) for m in found):
        found.append(f"{decl.arity} parameters, but the dynamic path passes at most {MAX_DYNAMIC_ARGS} arguments")
    return found


def check(ctx):
    if not ctx.runtime_dynamic_path:
        return
    for _, decl in ctx.externs():
        if is_class_member(decl):
            continue
        res = ctx.resolve(decl)
        if res.provider is not None and res.provider.kind is ProviderKind.BUILTIN:
            continue
        problems = _problems(decl)
        if not problems:
            continue
        span = _span_for(decl, problems[0]) if len(problems) == 1 else decl.name_span
        yield RULE.finding(
            decl.path,
            span,
            f"`{decl.name}` cannot be called through the dynamic i64 path: " + "; ".join(_describe(m) for m in problems),
            symbol=decl.name,
        )
