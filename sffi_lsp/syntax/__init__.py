"""The syntax layer: Simple (`.spl`) text -> `sffi_lsp.model.SourceFile`.

Public API (everything else in this package is internal):

- `parse_source(text, path="") -> SourceFile`: read source text. Never raises.
- `parse_file(path) -> SourceFile`: read a file (UTF-8, bad bytes replaced, BOM
  stripped, CRLF accepted). Never raises; an unreadable file gives a
  `SyntaxProblem`. Safe to call in worker processes.
- `IncrementalParser(path).update(text) -> SourceFile`: for editors; re-reads
  only the top-level chunks whose text changed since the previous `update`.
- `preload()`: build the Lark parser now (e.g. in a parent process before
  forking workers). Optional: it is otherwise built on first need.

What is read: every extern declaration (top level, inside `@when/@else/@end`,
local to a function, members of `extern class Name:` / `extern "C":` blocks),
`extern type` (recorded for the checker, it is not valid Simple), non-extern
functions, every parenthesised call with its argument count and enclosing
function, `use`/`export`/`mod` items and `# sffi: ignore[...]` comments.
Only malformed extern declarations are reported as problems; the rest of the
language is read leniently (the Simple toolchain reports its own errors).

How (see ARCHITECTURE.md): `lexer` masks strings and comments (one `re.sub`
per file); `scanner` splits top-level chunks and reads them with whole-file
regex passes over the masked text (each search bounded by its chunk);
`decl` parses each extern declaration with `grammar/simple.lark` (Lark LALR,
imported only when needed) behind a strict fast path for the usual shapes
(one or several lines, trailing comma, simple generics).
Positions are 0-based lines and code-point columns.

`SourceFile.calls` holds `positions.LazyCallSite` and `functions`
`positions.LazyFunctionDecl`: subclasses that build their spans on first use,
compare equal to (and pickle as) plain `CallSite` / `FunctionDecl`. Worker
processes can send models compactly after `positions.register_process_pickling()`.
"""

from __future__ import annotations

from sffi_lsp.syntax.incremental import IncrementalParser
from sffi_lsp.syntax.parser import parse_file, parse_source, read_text


def preload() -> None:
    """Build the Lark parser (uses the on-disk grammar cache when it can)."""
    from sffi_lsp.syntax.decl import lark_parser

    lark_parser()


__all__ = ["IncrementalParser", "parse_file", "parse_source", "preload", "read_text"]
