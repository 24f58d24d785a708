"""The rules, one module each (ruff style): `RULE` (code, name, doc) and `check(ctx)`.

Codes are stable: a retired rule keeps its number reserved. The README rule
table, `sffi-check --explain` and SARIF rule metadata are generated from the
`RULE` objects listed here (see scripts/gen_docs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType

from ..types import Finding, Rule
from . import (
    call_arity_mismatch,
    compiled_gap,
    family_does_not_handle,
    interpreter_gap,
    not_on_bare_metal,
    runtime_signature_mismatch,
    compat_or_hidden_symbol,
    conflicting_declarations,
    data_not_function,
    duplicate_extern,
    dynamic_path_unsupported,
    extern_naming,
    extern_type,
    library_not_loadable,
    library_unresolved_references,
    manifest_function_missing,
    provided_via_dependency,
    provider_file_problem,
    refused_by_builtin_runtime,
    signature_mismatch,
    signature_unchecked,
    signedness_mismatch,
    static_archive_order,
    static_duplicate_definition,
    static_unresolved_reference,
    syntax_error,
    too_many_findings,
    unknown_suppression_code,
    unresolved_extern,
    unsupported_family,
    unused_extern,
    wrapper_binding_missing,
    wrapper_binding_type_mismatch,
    wrapper_binding_unbacked,
    wrapper_native_mismatch,
    wrapper_spec_unreadable,
    wrapper_symbol_not_exported,
    unused_suppression,
)

_MODULES: tuple[ModuleType, ...] = (
    unresolved_extern,
    library_not_loadable,
    data_not_function,
    compat_or_hidden_symbol,
    provided_via_dependency,
    refused_by_builtin_runtime,
    unsupported_family,
    signature_mismatch,
    signedness_mismatch,
    conflicting_declarations,
    duplicate_extern,
    call_arity_mismatch,
    unused_extern,
    dynamic_path_unsupported,
    manifest_function_missing,
    syntax_error,
    extern_type,
    extern_naming,
    library_unresolved_references,
    provider_file_problem,
    wrapper_spec_unreadable,
    wrapper_binding_missing,
    wrapper_binding_type_mismatch,
    wrapper_symbol_not_exported,
    wrapper_native_mismatch,
    wrapper_binding_unbacked,
    interpreter_gap,
    compiled_gap,
    not_on_bare_metal,
    runtime_signature_mismatch,
    family_does_not_handle,
    signature_unchecked,
    unknown_suppression_code,
    unused_suppression,
    static_duplicate_definition,
    static_unresolved_reference,
    static_archive_order,
    too_many_findings,
)

ALL_RULES: tuple[Rule, ...] = tuple(sorted((m.RULE for m in _MODULES), key=lambda r: r.code))
RULE_CHECKS: dict[str, Callable[..., Iterable[Finding]]] = {m.RULE.code: m.check for m in _MODULES}
# Rules about suppression comments themselves: run after the others' findings were suppressed.
AFTER_SUPPRESSION: dict[str, Callable[..., Iterable[Finding]]] = {
    m.RULE.code: m.check_after for m in _MODULES if hasattr(m, "check_after")
}
_BY_KEY: dict[str, Rule] = {r.code.upper(): r for r in ALL_RULES} | {r.name: r for r in ALL_RULES}


def lookup_rule(code_or_name: str) -> Rule | None:
    """A rule by code (any case) or by name."""
    key = code_or_name.strip()
    return _BY_KEY.get(key.upper()) or _BY_KEY.get(key.lower())


__all__ = ["AFTER_SUPPRESSION", "ALL_RULES", "RULE_CHECKS", "lookup_rule"]
