"""The package's import graph has no cycle, and no source file grows past 700 lines.

The graph is read from the AST of every module under `sffi_lsp/`: imports at module level
and inside functions alike (a local import does not make a cycle go away, it only hides it),
relative and absolute. Imports under `if TYPE_CHECKING:` are left out: they never run, so
they cannot form an import-time cycle (annotations are strings under
`from __future__ import annotations`).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sffi_lsp"
MAX_LINES = 700
# Generated tables may be longer (none today).
LONG_FILES_ALLOWED: frozenset[str] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    walk_one(sub)
                continue
            walk_one(child)

    def walk_one(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        walk(node)

    walk(tree)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a `from pkg import name` counts as importing
    `pkg.name` when that is a module, else `pkg`)."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                for a in node.names:
                    sub = f"{prefix}.{a.name}"
                    targets.append(sub if sub in files else prefix)
            for t in targets:
                # `import a.b.c` imports a, a.b and a.b.c: the deepest package module names the edge.
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_graph_sees_relative_absolute_and_local_imports() -> None:
    graph = import_graph()
    assert "sffi_lsp.check.types" in graph["sffi_lsp.check.engine"]  # relative, module level
    assert "sffi_lsp.check.providers.configured" in graph["sffi_lsp.check.providers"]  # from the package
    assert "sffi_lsp.check.providers" in graph["sffi_lsp.cli"]  # inside a function


def test_a_made_up_cycle_is_found() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_source_file_over_700_lines() -> None:
    long = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in LONG_FILES_ALLOWED:
            long[rel] = lines
    assert not long, f"files over {MAX_LINES} lines (split them along a real seam): {long}"


# Floors, lowest first: a module imports only from its own floor or lower ones.
FLOORS = {
    "model": 0, "atomic_file": 0, "config_types": 0, "grammar_cache": 0,
    "abi_profiles": 1, "config_lines": 1, "config_paths": 1, "config_targets": 1, "config_runtime": 1, "config_keys": 1, "sdn_blocks": 1, "sdn": 1, "wrapper_spec": 1,
    "config": 2, "syntax": 2, "binary": 2, "rust_source": 2, "runtime_model": 2,
    "check": 3,
    "cache": 4, "output": 4, "tree_parse": 4, "rule_docs": 4, "warm": 4, "incremental": 4,
    "cli": 5, "commands": 5, "runtime_command": 5, "server": 5, "__main__": 5, "sffi_lsp": 5,
}


def _floor_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_module_imports_one_on_a_higher_floor() -> None:
    graph = import_graph()
    unplaced = sorted({_floor_of(m) for m in graph} - set(FLOORS))
    assert not unplaced, f"give these a floor in FLOORS: {unplaced}"
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                    if FLOORS[_floor_of(b)] > FLOORS[_floor_of(a)])
    assert not upward, "imports of a higher floor: " + ", ".join(upward)
