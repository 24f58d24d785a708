"""The checker: findings from a workspace model plus providers (pure; no LSP types).

    from sffi_lsp.check import Workspace, check
    result = check(Workspace(files), providers, config)
"""

from .engine import CheckContext, Workspace, check, selected_rules
from .rules import ALL_RULES, lookup_rule
from .types import (
    CheckResult,
    Finding,
    Fix,
    ProviderKind,
    ProviderRef,
    Related,
    Resolution,
    ResolutionStatus,
    Rule,
    Severity,
    TextEdit,
)

__all__ = [
    "ALL_RULES",
    "CheckContext",
    "CheckResult",
    "Finding",
    "Fix",
    "ProviderKind",
    "ProviderRef",
    "Related",
    "Resolution",
    "ResolutionStatus",
    "Rule",
    "Severity",
    "TextEdit",
    "Workspace",
    "check",
    "lookup_rule",
    "selected_rules",
]
