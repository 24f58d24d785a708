"""The only place the server calls into the other layers (syntax, binary,
config, check): one seam, so the features below stay thin adapters."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from ..config_types import Config
from ..model import SourceFile

log = logging.getLogger(__name__)

DOCS_BASE = "https://github.com/sffi-lsp/sffi-lsp/blob/main/README.md"


def load_config(roots: list[str], settings: dict[str, Any] | None) -> tuple[Config, list[str]]:
    """sffi.toml found from the workspace roots, overlaid with client settings.

    Returns the config and the problems met: a broken sffi.toml falls back to
    the defaults, broken client settings are ignored (the file still counts)."""
    from .. import config as config_mod  # noqa: PLC0415

    problems: list[str] = []
    root = roots[0] if roots else os.getcwd()
    try:
        config = config_mod.load_config(paths=tuple(roots))
        if config.config_file is None and roots:
            # No sffi.toml: the project is the workspace folder, not the server's cwd.
            config = config_mod.default_config(root, dict(os.environ))
    except config_mod.ConfigError as exc:
        problems.append(str(exc))
        try:
            config = config_mod.default_config(root, dict(os.environ))
        except Exception:  # noqa: BLE001 - the environment itself may be the problem
            config = Config(root=root)
    if settings:
        try:
            config = config_mod.merge_client_settings(config, settings)
        except config_mod.ConfigError as exc:
            problems.append(f"{exc} (client settings ignored)")
    return config, problems


@dataclass
class Backend:
    """The providers for one configuration (rebuilt when config or files change)."""

    config: Config
    index: Any
    providers: Any

    @classmethod
    def build(cls, config: Config) -> "Backend":
        from ..check.providers import Providers  # noqa: PLC0415

        providers = Providers.from_config(config)
        return cls(config=config, index=providers.index, providers=providers)

    def stale(self) -> bool:
        try:
            return bool(self.providers.stale())
        except Exception:  # noqa: BLE001 - a watcher must never die
            log.warning("providers.stale() failed", exc_info=True)
            return False

    def refresh(self) -> bool:
        """Reload the libraries, lists and manifest that changed (keeps the rest cached)."""
        return bool(self.providers.refresh())


def new_workspace(roots: list[str]) -> Any:
    from ..check.engine import Workspace  # noqa: PLC0415

    return Workspace(roots=roots)


def set_file(workspace: Any, path: str, source: SourceFile) -> None:
    workspace.set_file(with_path(source, path))


def with_path(source: SourceFile, path: str) -> SourceFile:
    """The file (and its externs) carrying `path`, as findings and lookups expect."""
    if source.path != path or any(e.path != path for e in source.externs):
        return source.with_path(path)
    return source


def abi_mapping_lines(decl: Any, config: Config) -> list[str]:
    """`name: text -> (ptr, u64)` per parameter and for the result."""
    from ..check import abi  # noqa: PLC0415

    profile = abi.profile_for(config)
    native = abi.builtin_profile("native")

    def words(type_ref: Any, result: bool) -> str:
        category = abi.type_category(type_ref)
        table = profile.returns if result else profile.params
        mapping = table.get(category) or (native.returns if result else native.params).get(category)
        return f"({', '.join(mapping.words)})" if mapping is not None else "?"

    lines = [f"`{p.name}: {p.type.text if p.type else '?'}` → {words(p.type, False)}" for p in decl.params]
    ret = decl.returns
    lines.append(f"result `{ret.text if ret else '()'}` → {words(ret, True) if ret else '()'}")
    return lines


def run_check(workspace: Any, backend: Backend) -> Any:
    from ..check.engine import check  # noqa: PLC0415

    return check(workspace, backend.providers, backend.config)


def parse_source(text: str, path: str) -> SourceFile:
    from ..syntax import parse_source as parse  # noqa: PLC0415

    return with_path(parse(text, path), path)


def new_parser(path: str) -> Any:
    from ..syntax import IncrementalParser  # noqa: PLC0415

    try:
        return IncrementalParser(path)
    except TypeError:
        return IncrementalParser()


def parse_incremental(parser: Any, text: str, path: str) -> SourceFile:
    return with_path(parser.update(text), path)


def rule_doc_url(code: str) -> str:
    """Where a rule's documentation lives (README anchor of its code)."""
    try:
        from ..check import rules  # noqa: PLC0415

        url = getattr(rules, "doc_url", None)
        if callable(url):
            return str(url(code))
    except Exception:  # noqa: BLE001 - the link is a nicety
        pass
    return f"{DOCS_BASE}#{code.lower()}"
