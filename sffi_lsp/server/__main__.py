"""`sffi-lsp`: the language server (stdio by default, `--tcp HOST:PORT` for debugging).

Logs go to stderr or `--log-file`, never stdout (stdout is the protocol).

Start-up speed matters (the editor waits for the first diagnostic): this module
imports nothing heavy before the logging is set up, and keeps a cache of the
code that `attrs` generates for lsprotocol's ~560 classes (see `_AttrsCodeCache`).
"""

from __future__ import annotations

import time

PROCESS_T0 = time.time()  # noqa: E402 - first thing: the start-up log measures from here

import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

log = logging.getLogger("sffi_lsp.server.startup")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sffi-lsp", description="Language server for Simple extern fn declarations")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead of stdio")
    parser.add_argument("--log-file", metavar="PATH", help="write logs here instead of stderr")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper
    )
    parser.add_argument(
        "--write-startup-cache",
        metavar="PATH",
        nargs="?",
        const="",
        help="write the start-up code cache (default: next to the package's byte code) and exit;"
        " install and bundling scripts run this",
    )
    return parser.parse_args(argv)


class _AttrsCodeCache:
    """Compiled code objects for the methods `attrs` generates at import time.

    Importing lsprotocol makes attrs write and `compile()` ~560 small scripts
    (`__init__`, `__eq__`, ... of every LSP type): about 0.25 s of every start,
    the largest single share of the server's time to first diagnostic. The
    compiled result depends only on the script, its file name and the
    interpreter, so it is kept (marshal, keyed by a hash of mode, name and
    script) like byte code: a seed next to the package's own byte code
    (written by scripts/install.sh and when the VS Code extension is bundled)
    and a copy in the user's cache directory written after a first start.
    Anything unexpected (another attrs, an unreadable or foreign file) falls
    back to plain compiling: the cache only ever saves time.
    """

    MISSES_WORTH_A_WRITE = 20  # a few scripts embed object ids and always miss

    def __init__(self) -> None:
        self.entries: dict[bytes, object] = {}
        self.used: dict[bytes, object] = {}
        self.misses = 0
        self.user_path: str | None = None
        self.seed_path: str | None = None
        self._module: object = None

    def _locate(self, make: object) -> None:
        """Name the files after everything the code objects depend on."""
        import hashlib  # noqa: PLC0415
        import marshal  # noqa: PLC0415

        with open(make.__file__, "rb") as handle:  # type: ignore[attr-defined]
            attrs_digest = hashlib.blake2b(handle.read(), digest_size=6).hexdigest()
        tag = f"{sys.implementation.cache_tag}-m{marshal.version}-o{sys.flags.optimize}-{attrs_digest}"
        name = f"attrs-code-{tag}.marshal"
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        self.user_path = os.path.join(base, "sffi-lsp", name)
        self.seed_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__", name)

    def _load(self) -> None:
        import marshal  # noqa: PLC0415

        for path in (self.user_path, self.seed_path):
            try:
                with open(path, "rb") as handle:  # type: ignore[arg-type]
                    entries = marshal.load(handle)
            except (OSError, EOFError, ValueError, TypeError):
                continue
            if isinstance(entries, dict):
                self.entries = entries
                return

    def compile(self, source: object, filename: object, mode: object, *args: object, **kwargs: object) -> object:
        import hashlib  # noqa: PLC0415 - imported once, by the first call

        if args or kwargs or not isinstance(source, str) or not isinstance(filename, str) or not isinstance(mode, str):
            return compile(source, filename, mode, *args, **kwargs)  # type: ignore[call-overload]
        key = hashlib.blake2b(f"{mode}\0{filename}\0{source}".encode(), digest_size=20).digest()
        code = self.entries.get(key)
        if code is None:
            self.misses += 1
            # Same compiler flags as attrs' own call: both modules use `from __future__ import annotations`.
            code = compile(source, filename, mode)
        self.used[key] = code
        return code

    def __enter__(self) -> "_AttrsCodeCache":
        try:
            import attr._make as make  # noqa: PLC0415

            if not callable(getattr(make, "_compile_and_eval", None)):
                return self  # an attrs that compiles differently: leave it alone
            self._locate(make)
            self._load()
            make.compile = self.compile  # type: ignore[attr-defined] # a module global shadows the builtin
            self._module = make
        except Exception:  # noqa: BLE001 - the cache only saves time
            log.debug("attrs code cache not used", exc_info=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._module is not None:
            try:
                del self._module.compile  # type: ignore[attr-defined]
            except AttributeError:
                pass

    def save(self, path: str | None = None, force: bool = False) -> bool:
        """Write what this start used (after a first start, or on request)."""
        path = path or self.user_path
        if path is None or not self.used or (not force and self.misses < self.MISSES_WORTH_A_WRITE):
            return False
        import marshal  # noqa: PLC0415

        from ..atomic_file import replace_atomically  # noqa: PLC0415

        used = dict(self.used)
        try:
            if not replace_atomically(path, lambda handle: marshal.dump(used, handle)):
                return False
            os.chmod(path, 0o644)  # like byte code: readable by every user of the installation
            return True
        except Exception:  # noqa: BLE001
            log.debug("attrs code cache not written", exc_info=True)
            return False


def _import_server() -> tuple[object, _AttrsCodeCache]:
    cache = _AttrsCodeCache()
    with cache:
        import lsprotocol.types  # noqa: F401, PLC0415 - the classes attrs builds
        import pygls.lsp.server  # noqa: F401, PLC0415

        from .features import create_server  # noqa: PLC0415
    return create_server, cache


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    handler: logging.Handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(args.log_level)
    if args.log_level != "DEBUG":
        logging.getLogger("pygls").setLevel(logging.WARNING)  # every message at INFO: too chatty

    # Start-up allocates hundreds of thousands of long-lived objects (the LSP types,
    # the providers, the first models) and no garbage cycles worth collecting: the
    # cyclic GC would run dozens of times for nothing (~0.1 s). On again once the
    # first check is done (lifecycle.STARTUP), or right here for other uses.
    gc.disable()
    create_server, cache = _import_server()
    if args.write_startup_cache is not None:
        gc.enable()
        target = args.write_startup_cache or cache.seed_path
        written = cache.save(target, force=True)
        print(f"sffi-lsp: start-up cache {'written to' if written else 'NOT written to'} {target}", file=sys.stderr)
        # and the analysed Lark grammars (declarations, manifest): a user's first
        # start copies them instead of building the LALR tables (~0.3 s)
        from .. import sdn  # noqa: PLC0415
        from ..syntax import decl  # noqa: PLC0415

        for kind, write in (("declaration", decl.write_seed), ("manifest", sdn.write_seed)):
            path = write()
            print(f"sffi-lsp: {kind} grammar cache {'written to ' + path if path else 'NOT written'}", file=sys.stderr)
        return 0 if written else 1

    from . import lifecycle  # noqa: PLC0415 - imported above, under the cache

    lifecycle.STARTUP.begin(PROCESS_T0, gc_paused=True)
    lifecycle.STARTUP.mark(f"imports done ({cache.misses} of {len(cache.used)} attrs scripts compiled)")
    lifecycle.STARTUP.after_startup(cache.save)  # a first start writes the cache off the critical path

    server = create_server()  # type: ignore[operator]
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        try:
            server.start_tcp(host or "127.0.0.1", int(port))
        except ValueError:
            print(f"sffi-lsp: --tcp wants HOST:PORT, got {args.tcp!r}", file=sys.stderr)
            return 2
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
