"""Run the rules over a workspace: `check(workspace, providers, config) -> CheckResult`.

Pure: the only outside knowledge comes through `providers` (which memoise
resolutions and library reads), so the language server can call `check` after
every edit. Per-file work is a few dictionary look-ups per extern and call;
cross-file indexes are rebuilt only when the workspace changed.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any, Protocol

from ..config_types import AbiProfile, Config, LibrarySpec
from ..model import ExternDecl, SourceFile, Span
from .rules import AFTER_SUPPRESSION, ALL_RULES, RULE_CHECKS, lookup_rule
from .suppress import apply_suppressions
from .types import CheckResult, Finding, Resolution, Rule, Severity, Workspace, zero_span


class SymbolProviders(Protocol):
    """What the engine needs from `sffi_lsp.check.providers.Providers`."""

    def resolve(self, name: str, source_path: str | None = None) -> Resolution: ...

    def suggest(self, name: str, limit: int = 3) -> Sequence[Any]: ...

    def library_problems(self) -> Iterable[Any]: ...

    def manifest_entries(self) -> Iterable[Any]: ...

    def signature_for(self, resolution: Resolution) -> Any: ...


@dataclass(eq=False)  # one per check, never compared
class CheckContext:
    """What a rule sees: the workspace, the providers, the configuration."""

    workspace: Workspace
    providers: SymbolProviders
    config: Config
    profile: AbiProfile | str | None = None
    _resolutions: dict[tuple[str, str], Resolution] = field(default_factory=dict)
    _suggestions: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    # (source, decl, resolution) of every extern outside an extern class, by status: the
    # resolution rules each ask for one status, and walking all externs per rule adds up.
    _by_status: dict[Any, list[tuple[SourceFile, ExternDecl, Resolution]]] | None = field(default=None, repr=False)
    # What several rules derive from the same inputs (library problems, signature comparisons),
    # computed by the first rule that asks: keyed by the deriving function's name.
    shared: dict[str, Any] = field(default_factory=dict, repr=False)
    # set before the rules about suppressions run: (path, index) -> codes that hid a finding
    suppressions_used: dict[tuple[str, int], set[str]] = field(default_factory=dict, repr=False)
    rules_on: frozenset[str] = frozenset()
    all_rules: tuple[Rule, ...] = ()  # every rule (the suppression rules check codes against them)

    def externs(self) -> Iterator[tuple[SourceFile, ExternDecl]]:
        for f in self.workspace.files:
            for e in f.externs:
                yield f, e

    def externs_with_status(self, status: Any) -> list[tuple[SourceFile, ExternDecl, Resolution]]:
        """(source, decl, resolution) for the externs (extern class members aside) whose
        resolution has `status`, in file order. Resolutions are memoised, so grouping them
        once gives what walking every extern per rule would."""
        groups = self._by_status
        if groups is None:
            groups = {}
            for source, decl in self.externs():
                if decl.block and decl.block.startswith("class"):  # see rules._common.is_class_member
                    continue
                res = self.resolve(decl)
                groups.setdefault(res.status, []).append((source, decl, res))
            self._by_status = groups
        return groups.get(status, [])

    def resolve(self, decl: ExternDecl) -> Resolution:
        key = (decl.path, decl.name)
        res = self._resolutions.get(key)
        if res is None:
            res = self.providers.resolve(decl.name, source_path=decl.path or None)
            self._resolutions[key] = res
        return res

    def suggestions(self, name: str, limit: int = 3) -> tuple[str, ...]:
        key = (name, limit)
        if key not in self._suggestions:
            self._suggestions[key] = self._suggest(name, limit)
        return self._suggestions[key]

    def _suggest(self, name: str, limit: int) -> tuple[str, ...]:
        try:
            raw = self.providers.suggest(name, limit=limit)
        except Exception:  # a suggestion is a nicety: never let it stop a check
            return ()
        out = []
        for item in raw or ():
            s = item if isinstance(item, str) else getattr(item, "name", None)
            if s and s != name and s not in out:
                out.append(s)
        return tuple(out[:limit])

    def rule_selected(self, code: str) -> bool:
        """True when the rule with `code` runs in this check (a rule that defers to another
        reports after all when the other is switched off)."""
        selected = self.shared.get("selected_codes")
        if selected is None:
            selected = self.shared["selected_codes"] = {r.code for r in selected_rules(self.config)}
        return code in selected

    @property
    def runtime_dynamic_path(self) -> bool:
        """True when externs are called through the interpreter's generic i64 path."""
        if isinstance(self.profile, str) or self.profile is None:
            return (self.profile or self.config.abi) == "dynamic"
        return self.profile.name == "dynamic" or self.profile.max_args is not None

    @property
    def profile_name(self) -> str:
        if isinstance(self.profile, str):
            return self.profile
        return self.profile.name if self.profile is not None else self.config.abi

    def library_spec_for(self, library_spec: str | None, library_path: str | None) -> LibrarySpec | None:
        for spec in self.config.libraries:
            if spec.spec in (library_spec, library_path):
                return spec
            if library_path and os.path.realpath(spec.spec) == library_path:
                return spec
        return None

    def config_location(self, origin: str | None) -> tuple[str, Span] | None:
        """Where to report a problem with something configured at `origin` ("sffi.toml:12").

        Only when that configuration file lies inside the checked tree (an editor
        or CI annotation on a file outside the tree helps nobody); otherwise None
        and the caller attaches the finding to the declarations it affects.
        """
        if not origin:
            return None
        path, _, line = origin.rpartition(":")
        if not path or not line.isdigit():
            return None  # "--library", "LD_PRELOAD", ...: not a place in a file
        cfg = self.config.config_file
        if not os.path.isabs(path):
            if not cfg:
                return None
            path = cfg if os.path.basename(path) == os.path.basename(cfg) else os.path.join(os.path.dirname(cfg), path)
        roots_known = bool(self.workspace.roots)
        inside = self.workspace.contains_path(path) if roots_known else path.startswith(self.config.root)
        if not inside or not os.path.isabs(path):
            return None
        return path, zero_span(max(int(line) - 1, 0), 0)

    def files_served_by(self, spec: LibrarySpec | None) -> list[SourceFile]:
        if spec is None or not spec.files:
            return self.workspace.files
        return [f for f in self.workspace.files if any(fnmatch.fnmatch(f.path, g) for g in spec.files)]


# -- rule selection ---------------------------------------------------------


def _matches(rule: Rule, selector: str) -> bool:
    sel = selector.strip()
    if not sel:
        return False
    if sel.upper() == "ALL":
        return True
    return rule.code.upper().startswith(sel.upper()) or rule.name == sel.lower()


def selected_rules(config: Config, rules: Sequence[Rule] | None = None) -> list[Rule]:
    """Rules on for `config.rules`: ruff's select/extend-select/ignore semantics.

    A selector is a code, a code prefix ("SFFI01"), a rule name, or "ALL".
    An empty `select` means the default-enabled rules; opt-in rules are on only
    when a selector names them (or their prefix)."""
    rules = list(rules if rules is not None else ALL_RULES)
    settings = config.rules
    if settings.select:
        on = [r for r in rules if any(_matches(r, s) for s in settings.select)]
    else:
        on = [r for r in rules if r.default_enabled]
    for s in settings.extend_select:
        on.extend(r for r in rules if _matches(r, s) and r not in on)
    on = [r for r in on if not any(_matches(r, s) for s in settings.ignore)]
    return sorted(on, key=lambda r: r.code)


def severity_overrides(config: Config) -> dict[str, Severity]:
    """Rule code -> the severity `[rules] severity` gives it (names or codes as keys)."""
    out: dict[str, Severity] = {}
    for key, value in config.rules.severity.items():
        rule = lookup_rule(key)
        if rule is not None:
            out[rule.code] = Severity(value)
    return out


def _profile_for(config: Config) -> AbiProfile | str:
    from . import abi  # noqa: PLC0415

    try:
        return abi.profile_for(config)
    except KeyError:  # the config loader rejects unknown names; stay usable regardless
        return config.abi


def _resolve_all(ctx: CheckContext) -> None:
    """Resolve every extern up front in one batch when the providers can (rules then only
    read `ctx.resolve`'s memo): per-extern resolution asks every library once per name."""
    batch = getattr(ctx.providers, "resolve_decls", None)
    if batch is None:
        return
    decls = [decl for _, decl in ctx.externs()]
    try:
        answers = batch([(d.name, d.path or None) for d in decls])
    except Exception:  # noqa: BLE001  (the per-extern path still works, and reports properly)
        return
    for d in decls:
        res = answers.get((d.path or None, d.name))
        if res is not None:
            ctx._resolutions[(d.path, d.name)] = res


def _finding_key(f: Finding) -> tuple:
    s = f.span
    return (f.path, s.start_line, s.start_column, f.code, f.message)  # Finding.sort_key() + message


def _sorted_unique(findings: list[Finding]) -> list[Finding]:
    """The findings without repeats, by (path, line, column, code, message).

    Equal findings have equal keys, so after sorting a repeat can only sit among the
    findings of its own key: only those few are compared, instead of hashing every finding
    (a finding's hash walks its spans, related notes and fixes)."""
    keyed = sorted([((f.path, f.span.start_line, f.span.start_column, f.code, f.message), f) for f in findings],
                   key=itemgetter(0))  # the key of `_finding_key`, inlined: thousands of findings
    out: list[Finding] = []
    group_start = 0
    last_key = None
    for key, f in keyed:
        if key != last_key:
            group_start = len(out)
            last_key = key
        elif any(f == g for g in out[group_start:]):
            continue
        out.append(f)
    return out


def check(
    workspace: Workspace,
    providers: SymbolProviders,
    config: Config,
    *,
    profile: AbiProfile | str | None = None,
    only_paths: Iterable[str] | None = None,
    skip_cross_file: bool = False,
) -> CheckResult:
    """Every finding for the workspace, sorted, suppressions applied.

    `only_paths` keeps only findings about those files (the server publishes
    per document); resolutions are still computed for the whole workspace
    because cross-file rules need them. `skip_cross_file` leaves out the rules
    that judge a file by the others (the server's check of an opened file
    before the workspace is indexed)."""
    if profile is None:
        profile = _profile_for(config)
    ctx = CheckContext(workspace, providers, config, profile, all_rules=ALL_RULES)
    use_workspace = getattr(providers, "use_workspace", None)
    if use_workspace is not None:  # the tree's own functions link by name (see providers.simple_functions)
        use_workspace(workspace.files)
    _resolve_all(ctx)
    overrides = severity_overrides(config)
    findings: list[Finding] = []
    rules = [r for r in selected_rules(config) if not (skip_cross_file and r.cross_file)]
    late = [r for r in rules if r.code in AFTER_SUPPRESSION]
    for rule in rules:
        if rule.code in AFTER_SUPPRESSION:
            continue
        for finding in RULE_CHECKS[rule.code](ctx):
            sev = overrides.get(finding.code)
            findings.append(replace(finding, severity=sev) if sev is not None else finding)
    # Resolve every extern even when no resolution rule is on: JSON and hovers show them.
    for _, decl in ctx.externs():
        ctx.resolve(decl)
    used: dict[tuple[str, int], set[str]] | None = {} if late else None
    hidden_in: dict[str, int] = {}
    kept, suppressed = apply_suppressions(findings, workspace, used, by_path=hidden_in)
    if late:
        # Rules about the suppressions themselves: which ones hid nothing is known only now.
        ctx.suppressions_used = used
        ctx.rules_on = frozenset(r.code for r in rules)
        extra = []
        for rule in late:
            for finding in AFTER_SUPPRESSION[rule.code](ctx):
                sev = overrides.get(finding.code)
                extra.append(replace(finding, severity=sev) if sev is not None else finding)
        more, hidden = apply_suppressions(extra, workspace, named_only=True, by_path=hidden_in)
        kept += more
        suppressed += hidden
    if only_paths is not None:
        wanted = set(only_paths)
        kept = [f for f in kept if f.path in wanted]
    kept = _sorted_unique(kept)  # deterministic order
    result = CheckResult(findings=kept, suppressed=suppressed, suppressed_by_path=hidden_in)
    result.by_decl = dict(ctx._resolutions)
    for (_, name), res in sorted(ctx._resolutions.items()):
        # One answer per name; a resolved one wins when files are served differently.
        if name not in result.resolutions or (res.resolved and not result.resolutions[name].resolved):
            result.resolutions[name] = res
    return result
