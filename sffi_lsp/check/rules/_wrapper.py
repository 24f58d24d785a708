"""The three tiers of each wrapper spec, gathered once per check (not a rule itself).

For every readable spec in the workspace: the externs the generator would emit
(`tiers.expected_externs`), the bindings that declare them, the library that
serves the spec and its answers for the spec's symbols, and the native
signatures of the exported ones. The SFFI031-SFFI036 rules only read this.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ...model import ExternDecl, SourceFile, Span
from ...wrapper_spec import SpecReadError, WrapperSpec
from ..tiers import ExpectedExtern, expected_externs, symbol_prefix, tier1_extras


@dataclass(eq=False)
class SpecTiers:
    spec: WrapperSpec
    expected: tuple[ExpectedExtern, ...]
    bindings: dict[str, list[ExternDecl]]  # expected symbol -> declarations of it
    prefixed: list[ExternDecl]  # every extern named rt_<name>_*
    library: object | None = None  # WrapperLibrary
    answers: dict[str, object] = field(default_factory=dict)  # symbol -> Found | Absent
    export_names: tuple[str, ...] = ()
    signatures: dict[str, object] = field(default_factory=dict)  # symbol -> CSignature | NoSignature
    missing_bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # symbol -> did-you-mean

    @property
    def expected_symbols(self) -> set[str]:
        return {e.symbol for e in self.expected}

    def backed(self, name: str) -> bool:
        """Declared by the generator's tier 2 or exported by its tier 1 (drop functions included)."""
        if name in self.expected_symbols or name in tier1_extras(self.spec):
            return True
        return any(h.drop_fn == name for h in self.spec.handle_types)

    def expected_named(self, symbol: str) -> ExpectedExtern | None:
        for e in self.expected:
            if e.symbol == symbol:
                return e
        return None


def readable_specs(ctx) -> list[WrapperSpec]:
    specs = getattr(ctx.workspace, "specs", None) or []
    return [s for s in specs if isinstance(s, WrapperSpec) and s.name]


def unreadable_specs(ctx) -> list[SpecReadError]:
    specs = getattr(ctx.workspace, "specs", None) or []
    return [s for s in specs if isinstance(s, SpecReadError)]


def spec_span(line: int, column: int, length: int) -> Span:
    return Span(0, 0, line, column, line, column + max(length, 0))


def _owner(name: str, specs: list[WrapperSpec]) -> WrapperSpec | None:
    """The spec whose `rt_<name>_` prefix is the longest one `name` starts with."""
    best = None
    for s in specs:
        p = symbol_prefix(s)
        if name.startswith(p) and (best is None or len(p) > len(symbol_prefix(best))):
            best = s
    return best


def spec_tiers(ctx) -> list[SpecTiers]:
    """Memoised on the check context: each of the six rules asks."""
    cached = ctx.__dict__.get("_wrapper_tiers")
    if cached is not None:
        return cached
    specs = readable_specs(ctx)
    out: list[SpecTiers] = []
    if specs:
        prefixed: dict[str, list[ExternDecl]] = {s.path: [] for s in specs}
        for _source, decl in ctx.externs():
            owner = _owner(decl.name, specs)
            if owner is not None:
                prefixed[owner.path].append(decl)
        for spec in specs:
            expected = expected_externs(spec)
            names = {e.symbol for e in expected}
            bindings = {e.symbol: [] for e in expected}
            for decl in prefixed[spec.path]:
                if decl.name in names:
                    bindings[decl.name].append(decl)
            tiers = SpecTiers(spec, expected, bindings, prefixed[spec.path])
            _bind_suggestions(tiers)
            _read_library(ctx, tiers)
            out.append(tiers)
    ctx.__dict__["_wrapper_tiers"] = out
    return out


def _bind_suggestions(tiers: SpecTiers) -> None:
    unbacked = sorted({d.name for d in tiers.prefixed if not tiers.backed(d.name)})
    taken: set[str] = set()
    for e in tiers.expected:
        if tiers.bindings[e.symbol]:
            continue
        near = [n for n in difflib.get_close_matches(e.symbol, unbacked, n=3, cutoff=0.75) if n not in taken]
        if near:
            taken.add(near[0])  # one stray binding explains one missing entry
        tiers.missing_bindings[e.symbol] = tuple(near)


def _read_library(ctx, tiers: SpecTiers) -> None:
    providers = ctx.providers
    symbols = [e.symbol for e in tiers.expected] + [h.drop_fn for h in tiers.spec.handle_types if h.drop_fn]
    find = getattr(providers, "wrapper_library", None)
    if find is None:  # providers without libraries (tests of the model rules)
        return
    try:
        found = find(tiers.spec, symbols)
    except Exception:  # noqa: BLE001  (a library problem must not stop a check)
        return
    tiers.library = found
    _read_exports(providers, tiers)
    _read_crate(providers, tiers)


def _read_exports(providers, tiers: SpecTiers) -> None:
    lib = getattr(tiers.library, "library", None)
    index = getattr(providers, "index", None)
    if lib is None or index is None:
        return
    from ...binary.types import Found  # noqa: PLC0415

    symbols = [e.symbol for e in tiers.expected] + [h.drop_fn for h in tiers.spec.handle_types if h.drop_fn]
    try:
        tiers.answers = dict(index.lookup(lib, symbols))
        listing = index.exports(lib)
        tiers.export_names = tuple(s.name for s in listing.symbols if s.kind.is_function)
        present = [e.symbol for e in tiers.expected if isinstance(tiers.answers.get(e.symbol), Found)]
        if present:
            tiers.signatures = dict(index.signatures(lib, present))
    except Exception:  # noqa: BLE001
        return


def _read_crate(providers, tiers: SpecTiers) -> None:
    """The tier-1 crate's own `extern "C" fn`s, when its sources are found, override DWARF's
    answers (a release build has none): the symbols the library exports, or every symbol
    when no library is built yet (the crate disagrees with the spec before it is built)."""
    read = getattr(providers, "wrapper_crate_signatures", None)
    if read is None:
        return
    try:
        crate = read(tiers.spec, tiers.library)
    except Exception:  # noqa: BLE001  (an unreadable crate leaves DWARF's answers)
        return
    if not crate:
        return
    from ...binary.types import Found  # noqa: PLC0415

    built = getattr(tiers.library, "library", None) is not None
    for e in tiers.expected:
        if e.symbol in crate and (not built or isinstance(tiers.answers.get(e.symbol), Found)):
            tiers.signatures[e.symbol] = crate[e.symbol]


def binding_file(ctx, tiers: SpecTiers) -> SourceFile | None:
    """The bindings file of a spec: the one declaring most of its externs."""
    counts: dict[str, int] = {}
    for d in tiers.prefixed:
        counts[d.path] = counts.get(d.path, 0) + 1
    if not counts:
        return None
    best = max(sorted(counts), key=lambda p: counts[p])
    return ctx.workspace.get(best)


def suggestions_in(names, symbol: str) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(symbol, list(names), n=3, cutoff=0.75))


__all__ = ["SpecTiers", "binding_file", "readable_specs", "spec_span", "spec_tiers", "suggestions_in",
           "unreadable_specs"]
