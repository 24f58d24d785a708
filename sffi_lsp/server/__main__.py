"""`sffi-lsp`: the language server (stdio by default, `--tcp HOST:PORT` for debugging).

Logs go to stderr or `--log-file`, never stdout (stdout is the protocol).
"""

from __future__ import annotations

import argparse
import logging
import sys


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sffi-lsp", description="Language server for Simple extern fn declarations")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead of stdio")
    parser.add_argument("--log-file", metavar="PATH", help="write logs here instead of stderr")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    handler: logging.Handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(args.log_level)
    if args.log_level != "DEBUG":
        logging.getLogger("pygls").setLevel(logging.WARNING)  # every message at INFO: too chatty

    from .features import create_server  # noqa: PLC0415 - after logging is set up

    server = create_server()
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
