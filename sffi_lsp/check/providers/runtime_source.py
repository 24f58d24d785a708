"""The runtime as its own Rust sources describe it (a Simple checkout).

Answers in the built-in table's phase, before any `dlsym`: a name the
interpreter handles (its dispatch table, a match arm, a family module) or that
the runtime registers for compiled code is RESOLVED, with both verdicts kept
for the gap rules (SFFI020-SFFI024); a name of a refused (capability-gap)
family, or a prefixed name its family module does not handle, is
UNSUPPORTED_FAMILY (SFFI007). Other names are left to the next providers.

The checkout is `runtime.source`, else the nearest ancestor of the project
root holding `src/compiler_rust/`. The model is read lazily (tree-sitter is
imported only then) and kept on disk by file identity (`runtime_model.cache`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..types import ProviderKind, ProviderRef, Resolution, ResolutionStatus
from .protocol import Offer, Phase, ProviderBase, ProviderContext

if TYPE_CHECKING:
    from ...runtime_model import Definition, InterpreterEntry, InterpreterVerdict, RuntimeModel, RuntimeView

MODES = ("interpreter", "compiled")


@dataclass(frozen=True, slots=True)
class RuntimeVerdicts:
    """What the runtime's sources say about one name: the two verdicts and the definition."""

    name: str
    interpreter: InterpreterVerdict
    registration: InterpreterEntry | None
    tier: str
    on_baremetal: bool
    definition: Definition | None

    @property
    def compiled(self) -> bool:
        return self.registration is not None

    def describe(self) -> str:
        """One line per fact, for hovers: where it is handled, registered, defined."""
        parts = [self.interpreter.describe()]
        if self.registration is not None:
            parts.append(f"registered for compiled code ({self.registration.site.where()}, tier {self.tier or '?'})")
        else:
            parts.append("not registered for compiled code")
        d = self.definition
        if d is not None:
            what = "C ABI" if d.defined else "C ABI (defined in C, declared in Rust)"
            parts.append(f"{what} `{d.signature()}` at {d.site.where()}")
        return "; ".join(parts)


class RuntimeSource(ProviderBase):
    phase = Phase.TABLE

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        cfg = ctx.config
        self.source: str | None = cfg.runtime_source
        if self.source is None and cfg.runtime_source_auto:
            from ...runtime_model.checkout import find_checkout  # noqa: PLC0415  (os only)

            self.source = find_checkout(cfg.root)
        self.modes = tuple(cfg.runtime_modes)
        self.features = tuple(cfg.runtime_features)
        self.bare_metal = cfg.runtime_bare_metal
        self._model: RuntimeModel | None = None
        self._view: RuntimeView | None = None
        self._problem: str | None = None
        self._dynamic_library: str | None = None  # the dlopen fallback's libsimple_runtime.so, when built

    # -- the model, read on first use -------------------------------------------

    def view(self) -> RuntimeView | None:
        if self._view is None and self.source is not None and self._problem is None:
            from ...runtime_model import load_runtime_model  # noqa: PLC0415  (tree-sitter behind it)
            from ...rust_source import available  # noqa: PLC0415

            problem = available()
            if problem:
                self._problem = problem
                return None
            cache_dir = os.path.join(self.ctx.config.cache_dir or os.path.join(self.ctx.config.root, ".sffi_cache"),
                                     "runtime")
            self._model = load_runtime_model(self.source, cache_dir, jobs=1)
            self._view = self._model.view(features=set(self.features) or None)
            if self._model.dynamic_fallback is not None:
                self._dynamic_library = self._find_dynamic_library()
                if self._dynamic_library is not None:
                    listing = self.ctx.index.exports(self._dynamic_library)
                    self._view.dynamic_exports = frozenset(listing.symbols.function_names())
        return self._view

    def _find_dynamic_library(self) -> str | None:
        """`libsimple_runtime.so` where the interpreter's dlopen fallback looks for it, from the
        checkout: next to `bin/simple`, in `lib/`, in the cargo target directories."""
        from ...runtime_model import DYNAMIC_FALLBACK_DIRS, DYNAMIC_FALLBACK_LIBRARY  # noqa: PLC0415

        if self.ctx.config.runtime_library and os.path.isfile(self.ctx.config.runtime_library):
            return self.ctx.config.runtime_library
        for rel in DYNAMIC_FALLBACK_DIRS:
            candidate = os.path.join(self.source, rel, DYNAMIC_FALLBACK_LIBRARY)
            if os.path.isfile(candidate):
                return candidate
        return None

    @property
    def model(self) -> RuntimeModel | None:
        self.view()
        return self._model

    @property
    def problem(self) -> str | None:
        """Why the sources could not be read (None when they were, or none are configured)."""
        self.view()
        return self._problem

    def verdicts(self, name: str) -> RuntimeVerdicts | None:
        view = self.view()
        if view is None:
            return None
        return RuntimeVerdicts(name, view.interpreter(name), view.registration(name), view.tier_of(name),
                               view.on_baremetal(name), view.definition(name))

    # -- the provider protocol ----------------------------------------------------

    def _ref(self, detail: str) -> ProviderRef:
        return ProviderRef(ProviderKind.BUILTIN, detail=f"runtime sources: {detail}", source=self.source)

    def lookup(self, names: Sequence[str], source_path: str | None = None) -> dict[str, Resolution]:
        if self.source is None or self.view() is None:
            return {}
        out: dict[str, Resolution] = {}
        interpreted = "interpreter" in self.modes
        for name in names:
            v = self.verdicts(name)
            how = v.interpreter.how
            if interpreted and (how == "refused" or (how == "family-missing" and not v.compiled)):
                out[name] = Resolution(
                    name, ResolutionStatus.UNSUPPORTED_FAMILY, self._ref(v.interpreter.describe()),
                    note=v.interpreter.describe() + (
                        "" if v.compiled else "; not registered for compiled code either"),
                )
            elif v.interpreter.handled or v.compiled:
                first = v.interpreter.describe() if v.interpreter.handled else "registered for compiled code"
                out[name] = Resolution(name, ResolutionStatus.RESOLVED, self._ref(first), note=v.describe())
        return out

    def offers(self) -> Iterator[Offer]:
        view = self.view() if self.source is not None else None
        if view is None:
            return
        yield sorted(view.all_names()), self._ref("a runtime name")

    def fingerprint(self) -> dict[str, object]:
        if self.source is None:
            return {}
        import hashlib  # noqa: PLC0415  (only with a runtime source)
        import json  # noqa: PLC0415

        model = self.model
        identity = ""
        if model is not None:
            ident = model.__dict__.get("identities")
            identity = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16] if ident else ""
        return {"runtime_source": [self.source, identity, list(self.modes), list(self.features), self.bare_metal]}

    def stale(self) -> bool:
        if self._model is None:
            return False
        from ...runtime_model.cache import is_current  # noqa: PLC0415

        return not is_current(self._model)
