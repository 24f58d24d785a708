"""The runtime's resolution order, and what `dynamic` / `builtin-only` make of its answers.

`ORDER` is the order in which a Simple runtime asks: its built-in table
(`TABLE` phase), then, only in `dynamic` mode, `dlsym` on each handle in turn:
the plugins whose manifest entry lists the name, `libsimple_runtime.so`, the
satellite `libspl_<prefix>.so` for `rt_<prefix>_*`, the configured libraries
(those serving the source file), then `LD_PRELOAD` libraries. The first handle
whose dependency tree defines the name wins, data or not (dlsym returns data
addresses too). In `builtin-only` mode the handles are still asked, to say
which library *would* have answered (REFUSED_BUILTIN_ONLY).

Adding a provider kind: one module with one `SymbolProvider` class, and one
line here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..types import ProviderKind, ProviderRef, Resolution, ResolutionStatus, slot_constructor
from .builtin_table import BuiltinTable
from .libraries import ConfiguredLibraries
from .manifest import ManifestPlugins
from .preload import Preloaded
from .protocol import Phase, ProviderStep, SymbolProvider
from .runtime_library import RuntimeLibrary
from .runtime_source import RuntimeSource
from .satellites import Satellites
from .simple_functions import SimpleFunctions
from .static_objects import StaticObjects

if TYPE_CHECKING:
    from ...binary.types import Absent, Found, Library

ORDER: tuple[type[SymbolProvider], ...] = (
    BuiltinTable,  # built-ins lists, the runtime binary's exports, prefix families
    RuntimeSource,  # the runtime's own Rust sources (interpreter table, compiled registry)
    SimpleFunctions,  # the checked tree's own functions, linked by their mangled names
    StaticObjects,  # configured .o / .a: bound by the program's static link, whatever the runtime's mode
    ManifestPlugins,  # dlsym from here on
    RuntimeLibrary,
    Satellites,
    ConfiguredLibraries,
    Preloaded,
)

_new_resolution = slot_constructor(Resolution)  # one per unresolved extern of a cold run


def scope_key(providers: Sequence[SymbolProvider], source_path: str | None) -> tuple[int, ...]:
    """What of `source_path` changes the answers (memo and answers-store keys). Only the
    configured libraries and the static objects have a scope (the latter's indices are
    negative, so the parts cannot be confused); a further kind with one must tag its part."""
    key: tuple[int, ...] = ()
    for p in providers:
        key += p.scope_key(source_path)
    return key


def resolve_table(providers: Sequence[SymbolProvider], names: Sequence[str], source_path: str | None = None
                  ) -> tuple[dict[str, Resolution], list[str]]:
    """The built-in table's answers, and the names left for the handles (in `names` order)."""
    out: dict[str, Resolution] = {}
    rest = list(names)
    for p in providers:
        if p.phase is Phase.TABLE and rest:
            decided = p.lookup(rest, source_path)
            if decided:
                out.update(decided)
                rest = [n for n in rest if n not in decided]
    return out, rest


def handles(providers: Sequence[SymbolProvider], names: Sequence[str] = (), source_path: str | None = None,
            every: bool = False) -> list[ProviderStep]:
    """The dlsym handles in the runtime's order (satellites for the prefixes of `names`)."""
    steps: list[ProviderStep] = []
    for p in providers:
        if p.phase is Phase.HANDLE:
            steps += p.handles(names, source_path, every)
    return steps


def resolve_handles(steps: Sequence[ProviderStep], index, names: list[str], builtin_only: bool,  # noqa: ANN001
                    held: Callable[[], Sequence[ProviderStep]]) -> dict[str, Resolution]:
    """Walk `steps` in order for `names`; `held()` (every handle held) names the library of a
    telling absence."""
    found_at: dict[str, tuple[ProviderStep, Found]] = {}
    absences: dict[str, list[tuple[str, Absent]]] = {n: [] for n in names}
    remaining = set(names)
    for step in steps:
        asked = [n for n in names if n in remaining and step.answers(n)]
        if not asked:
            continue
        from ...binary.types import Absent, AbsenceReason, Found  # noqa: PLC0415

        lib = step.library
        where = lib.path or lib.spec
        if not lib.loadable:
            detail = lib.problem.message if lib.problem else "cannot be loaded"
            for n in asked:
                absences[n].append((where, Absent(n, AbsenceReason.LIBRARY_NOT_LOADABLE, detail, where)))
            continue
        answers = index.lookup(lib, asked)
        for n in asked:
            ans = answers.get(n)
            if isinstance(ans, Found):
                found_at[n] = (step, ans)
                remaining.discard(n)
            elif isinstance(ans, Absent):
                absences[n].append((where, ans))
    out: dict[str, Resolution] = {}
    for name in names:
        absent = tuple(absences[name])
        if name in found_at:
            step, ans = found_at[name]
            out[name] = _found_resolution(name, step, ans, absent, builtin_only)
        else:
            out[name] = _absent_resolution(name, absent, builtin_only, held)
    return out


def _found_resolution(name: str, step: ProviderStep, ans: Found, absent: tuple[tuple[str, Absent], ...],
                      builtin_only: bool) -> Resolution:
    from ...binary.types import SymbolKind  # noqa: PLC0415

    provider = ProviderRef(step.kind, library=ans.provider, version=ans.symbol.version, via=ans.via,
                           detail=step.detail, source=step.source)
    lib_name = os.path.basename(step.library.path or step.library.spec)
    via = ""
    if ans.via:
        via = f" through its dependency {os.path.basename(ans.provider)} ({' -> '.join(ans.via)})"
    kind = ans.symbol.kind
    if kind in (SymbolKind.DATA, SymbolKind.TLS):
        what = "a thread-local variable" if kind is SymbolKind.TLS else "a data object"
        extra = " (and the runtime is builtin-only)" if builtin_only else ""
        return Resolution(name, ResolutionStatus.DATA_NOT_FUNCTION, provider, ans, step.library, absent,
                          note=f"{lib_name}{via} exports {name} as {what} "
                               f"({ans.symbol.size} bytes), not a function{extra}")
    if builtin_only:
        return Resolution(name, ResolutionStatus.REFUSED_BUILTIN_ONLY, provider, ans, step.library, absent,
                          note=f"{lib_name}{via} exports {name}, but the runtime is builtin-only: it refuses "
                               "every extern that is not in its built-in table, even one a loaded library "
                               "exports")
    note = f"{lib_name}{via} exports {name} ({step.detail})"
    if kind is SymbolKind.OTHER:
        note += "; the symbol has no type (STT_NOTYPE), assumed callable"
    return Resolution(name, ResolutionStatus.RESOLVED, provider, ans, step.library, absent, note=note)


def _absent_resolution(name: str, absent: tuple[tuple[str, Absent], ...], builtin_only: bool,
                       held: Callable[[], Sequence[ProviderStep]]) -> Resolution:
    if not absent:  # nobody was asked (no library): the common case of a tree without libraries
        note = _unresolved_note(name, (), (), builtin_only)
        return _new_resolution(name, ResolutionStatus.UNRESOLVED, None, None, None, absent, None, note)
    from ...binary.types import AbsenceReason  # noqa: PLC0415

    telling = {AbsenceReason.COMPAT_ONLY: ResolutionStatus.COMPAT_ONLY,
               AbsenceReason.HIDDEN: ResolutionStatus.HIDDEN, AbsenceReason.LOCAL: ResolutionStatus.HIDDEN}
    if not builtin_only:
        for reason, status in telling.items():
            for where, a in absent:
                if a.reason is reason:
                    step_lib = _library_by_path(held(), where)
                    provider = ProviderRef(ProviderKind.LIBRARY, library=a.object or where, detail=a.detail)
                    lib_name = os.path.basename(where)
                    detail = f": {a.detail}" if a.detail else ""
                    if status is ResolutionStatus.COMPAT_ONLY:
                        note = f"{lib_name} has only a non-default (compat) version of {name}, which dlsym " \
                               f"cannot return{detail}"
                    else:
                        note = f"{lib_name} defines {name} but does not export it ({a.reason.value}){detail}"
                    return Resolution(name, status, provider, None, step_lib, absent, note=note)
    unloadable = [w for w, a in absent if a.reason is AbsenceReason.LIBRARY_NOT_LOADABLE]
    asked = [w for w, a in absent if a.reason is not AbsenceReason.LIBRARY_NOT_LOADABLE]
    note = _unresolved_note(name, asked, unloadable, builtin_only)
    return Resolution(name, ResolutionStatus.UNRESOLVED, None, None, None, absent, note=note)


def _unresolved_note(name: str, asked: Sequence[str], unloadable: Sequence[str], builtin_only: bool) -> str:
    """One sentence: who was asked for `name` and why none of them answers."""
    if builtin_only:
        return f"{name} is not in the runtime's built-in table, and the runtime is builtin-only"
    shown = list(dict.fromkeys(os.path.basename(w) for w in asked))
    one = len(shown) == 1
    if len(shown) > 3:
        shown = shown[:3] + [f"{len(shown) - 3} more"]
    if shown:
        listed = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]
        note = f"{name} is not a built-in, and {listed} {'does' if one else 'do'} not export it"
    elif unloadable:
        note = f"{name} is not a built-in, and no library that loads was there to ask"
    else:
        note = f"{name} is not a built-in, and no plugin, runtime library, satellite or configured library " \
               "was there to ask"
    if unloadable:
        broken = list(dict.fromkeys(os.path.basename(u) for u in unloadable))
        note += f" ({', '.join(broken)} could not be loaded)"
    return note


def _library_by_path(steps: Sequence[ProviderStep], path: str) -> Library | None:
    for step in steps:
        if step.library.path == path or step.library.spec == path:
            return step.library
    return None
