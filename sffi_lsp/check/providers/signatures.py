"""Signatures from DWARF for library-provided names: asked in batches, one per library, memoised."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..types import Resolution
from .protocol import ProviderContext

if TYPE_CHECKING:
    from ...binary.types import CSignature, Library, NoSignature
    from ...model import ExternDecl

# NoSignature reasons that hold as long as the library file does (anything else may be transient).
_LASTING_NO_SIGNATURE = ("no debug information", "the debug information has no function named",
                         "no signature information", "the library was not found")
_NAMES_PER_TIMEOUT = 50
# No DWARF entry for the name: a Rust (tier-1) library's own sources may still say it.
_CRATE_FALLBACK = ("the debug information has no function named", "no debug information")  # names a batch may answer in one name's timeout, beyond the first


_UNKNOWN = object()  # a name nobody has asked DWARF for yet

class SignatureReader:
    """DWARF answers memoised until the providers are refreshed."""

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self._answers: dict[tuple[str, str], CSignature | NoSignature] = {}
        self._crates: dict[str, dict[str, CSignature]] = {}  # library path -> its crate's C-ABI functions
        self._rust_files: dict[str, tuple[tuple[int, int], tuple[CSignature, ...]]] = {}  # .rs path -> (stamp, fns)

    def signature_for(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | ExternDecl | None:
        """The signature to check a declaration against: a built-in list's, or DWARF's (lazily)."""
        if resolution.builtin_signature is not None:
            return resolution.builtin_signature
        answer = self.signature_answer(resolution, timeout)
        if answer is None:
            return None
        from ...binary.types import CSignature  # noqa: PLC0415

        return answer if isinstance(answer, CSignature) else None

    def signature_answer(self, resolution: Resolution, timeout: float = 10.0) -> CSignature | NoSignature | None:
        """DWARF's answer for a library-provided name, including why there is none."""
        found = resolution.found
        if found is None:
            return None
        key = (found.provider, resolution.name)
        if key in self._answers:
            return self._answers[key]
        self._ask(found.provider, self._library(resolution), [resolution.name], timeout)
        return self._answers[key]

    def known(self, resolution: Resolution) -> tuple[bool, CSignature | ExternDecl | None]:
        """(True, signature) when the signature is at hand without reading DWARF (a built-in
        list's, or an answer already read); (False, None) when only asking would tell."""
        if resolution.builtin_signature is not None:
            return True, resolution.builtin_signature
        found = resolution.found
        if found is None:
            return True, None
        answer = self._answers.get((found.provider, resolution.name), _UNKNOWN)
        if answer is _UNKNOWN:
            return False, None
        from ...binary.types import CSignature  # noqa: PLC0415

        return True, answer if isinstance(answer, CSignature) else None

    def prefetch(self, resolutions: Iterable[Resolution], timeout: float = 10.0) -> None:
        """Read DWARF for every library-provided name of `resolutions` in one `index.signatures`
        call per library (one worker request, one cache write), so that the `signature_for`/
        `signature_answer` calls that follow are answered from memory. Asking name by name
        costs a worker round trip and a cache-file rewrite each: quadratic on hundreds of names.
        `timeout` is per name, as for one-by-one asking; a batch gets a share of it per name."""
        groups: dict[str, tuple[Library, list[str]]] = {}
        for res in resolutions:
            found = res.found
            if res.builtin_signature is not None or found is None:
                continue
            if (found.provider, res.name) in self._answers:
                continue
            group = groups.get(found.provider)
            if group is None:
                group = groups[found.provider] = (self._library(res), [])
            if res.name not in group[1]:
                group[1].append(res.name)
        for provider, (lib, names) in groups.items():
            self._ask(provider, lib, names, batch_timeout(timeout, len(names)))

    def _library(self, resolution: Resolution) -> Library:
        assert resolution.found is not None
        lib = resolution.library
        if lib is None or lib.path != resolution.found.provider:
            lib = self.ctx.index.library(resolution.found.provider)
        return lib

    def _crate_signatures(self, provider: str, lib: Library) -> dict[str, CSignature]:
        """The C-ABI functions (`#[no_mangle] extern "C" fn`) of the library's own Rust crate."""
        held = self._crates.get(provider)
        if held is None:
            held = self._crates[provider] = self.crate_functions(_crate_dirs(self.ctx, provider, lib))
        return held

    def crate_functions(self, dirs: Iterable[str]) -> dict[str, CSignature]:
        """The C-ABI functions defined in the `.rs` files of the crate directories `dirs` (their
        `src/`, else the whole directory, `target/` skipped), first definition winning. Each file
        is re-read only when its size or mtime changed (an edited crate is seen on the next
        check). tree-sitter is imported here, on first use only."""
        import os  # noqa: PLC0415

        out: dict[str, CSignature] = {}
        dirs = list(dict.fromkeys(dirs))
        if not dirs:
            return out
        from ...rust_source import available  # noqa: PLC0415  (tree-sitter, lazily)

        if available() is not None:
            return out
        for crate in dirs:
            src = os.path.join(crate, "src")
            for directory, subdirs, files in os.walk(src if os.path.isdir(src) else crate):
                subdirs[:] = sorted(d for d in subdirs if d != "target")
                for f in sorted(files):
                    if f.endswith(".rs"):
                        for sig in self._rust_file_functions(os.path.join(directory, f)):
                            out.setdefault(sig.name, sig)
        return out

    def _rust_file_functions(self, path: str) -> tuple[CSignature, ...]:
        import os  # noqa: PLC0415

        from ...rust_source import read_rust_file  # noqa: PLC0415
        from ..rust_abi import c_signature_for_rust  # noqa: PLC0415

        try:
            st = os.stat(path)
        except OSError:
            return ()
        stamp = (st.st_size, st.st_mtime_ns)
        held = self._rust_files.get(path)
        if held is not None and held[0] == stamp:
            return held[1]
        sigs = tuple(c_signature_for_rust(fn.name, tuple((p.name, p.type) for p in fn.params), fn.returns,
                                          path=path, line=fn.line)
                     for fn in read_rust_file(path, signatures_only=True).functions if fn.defined)
        self._rust_files[path] = (stamp, sigs)
        return sigs

    def library_crate_dirs(self, provider: str, lib: Library) -> list[str]:
        """The library's `libraries.sources` (configuration only: no DWARF read, which a release
        build lacks anyway and which cost a worker round trip per spec on every check)."""
        return _configured_sources(self.ctx, provider, lib) or []

    def _ask(self, provider: str, lib: Library, names: list[str], timeout: float) -> None:
        """Ask the index about `names` of `lib` at once and memoise every answer (under `provider`)."""
        from ...binary.types import NoSignature  # noqa: PLC0415

        try:
            answers: dict[str, CSignature | NoSignature] = dict(self.ctx.index.signatures(lib, names,
                                                                                          timeout=timeout))
        except Exception as exc:  # noqa: BLE001  (DWARF trouble must not stop a check)
            why = f"debug information could not be read ({type(exc).__name__})"
            answers = {n: NoSignature(n, why) for n in names}
        missing = [n for n in names if isinstance(answers.get(n), NoSignature)
                   and answers[n].reason.startswith(_CRATE_FALLBACK)]
        if missing:
            crate = self._crate_signatures(provider, lib)
            for name in missing:
                if name in crate:
                    answers[name] = crate[name]
        for name in names:
            answer = answers.get(name)
            if answer is None:
                answer = NoSignature(name, "no debug information")
            if isinstance(answer, NoSignature) and not answer.reason.startswith(_LASTING_NO_SIGNATURE):
                # A worker failure or timeout: the next run may answer differently. (A debug-link
                # file not found is lasting: the fingerprint watches where it would be installed.)
                self.ctx.unsettled = True
            self._answers[(provider, name)] = answer


def _crate_dirs(ctx: ProviderContext, provider: str, lib: Library) -> list[str]:
    """The Rust crates a library was built from: `libraries.sources`, else the crate
    directories its DWARF compile units name (`src/lib.rs/@/crate-cgu.0` in the crate's dir)."""
    import os  # noqa: PLC0415

    configured = _configured_sources(ctx, provider, lib)
    if configured is not None:
        return configured
    dirs: list[str] = []
    try:
        units = ctx.index.compile_units(ctx.index.library(provider) if lib.path != provider else lib)
    except Exception:  # noqa: BLE001  (no DWARF to read: no crate known)
        return []
    for name, comp_dir in units:
        source = name.split("/@/", 1)[0]
        if not source.endswith(".rs") or not comp_dir:
            continue
        path = source if os.path.isabs(source) else os.path.join(comp_dir, source)
        cur = os.path.dirname(path)
        while cur and cur != os.path.dirname(cur):
            if os.path.isfile(os.path.join(cur, "Cargo.toml")):
                if cur not in dirs and not cur.startswith(("/rustc/", "/rust/deps/")):
                    dirs.append(cur)
                break
            cur = os.path.dirname(cur)
    return dirs


def _configured_sources(ctx: ProviderContext, provider: str, lib: Library) -> list[str] | None:
    """`libraries.sources` of the configured library that is `provider` (None when none is)."""
    import os  # noqa: PLC0415

    real = os.path.realpath(provider)
    for spec in ctx.config.libraries:
        if spec.sources and (spec.spec == provider or os.path.realpath(spec.spec) == real
                             or (lib.path and os.path.realpath(spec.spec) == os.path.realpath(lib.path))):
            return list(spec.sources)
    return None


def batch_timeout(per_name: float, count: int) -> float:
    """The time one worker request for `count` names may take: a name's timeout, plus a share of
    it for each further name (a batch must not time out where the names asked one by one would
    not, nor one pathological library hold a check for count x per_name)."""
    return per_name + per_name * max(count - 1, 0) / _NAMES_PER_TIMEOUT
