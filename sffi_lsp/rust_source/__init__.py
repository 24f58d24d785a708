"""The Rust source reader: facts about `.rs` files (dispatch-table rows, match
arms, name tests, `#[cfg]` conditions, C-ABI functions) read with tree-sitter.

A layer of its own: it knows nothing of Simple text (`syntax`), of ELF
(`binary`), of checks or of LSP. tree-sitter is imported on first use only."""

from .cfg import CfgEnvironment, all_hold, evaluate_cfg, is_test_only, parse_cfg
from .reader import MAX_FILE_BYTES, available, parse_rust, read_rust_file
from .types import (
    CFunction,
    Include,
    MatchArm,
    ModuleDecl,
    NameTest,
    RustFileFacts,
    RustParam,
    StringArray,
    TableRow,
    TierArm,
)

__all__ = [
    "CfgEnvironment", "all_hold", "evaluate_cfg", "is_test_only", "parse_cfg",
    "MAX_FILE_BYTES", "available", "parse_rust", "read_rust_file",
    "CFunction", "Include", "MatchArm", "ModuleDecl", "NameTest", "RustFileFacts",
    "RustParam", "StringArray", "TableRow", "TierArm",
]
