"""A library restored from the verdict cache answers exactly as a freshly analysed one.

A restored closure opens its objects lazily (a dependency only when a name is not found in the
objects before it) and looks names up without counting symbols first; the answers, reasons and
providers must not change. The fresh answers are held to the dynamic linker in test_oracle.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex, Found

from .conftest import Built
from .test_oracle import BATTERY, EXTRA_NAMES, dynamic_names


@pytest.mark.parametrize("key", BATTERY)
def test_restored_answers_equal_fresh_ones(built: Built, tmp_path: Path, key: str) -> None:
    if key not in built.libs:
        pytest.skip(f"{key} could not be built here")
    path = str(built[key])
    names = sorted(set(dynamic_names(path) if os.path.isfile(path) else []) | set(EXTRA_NAMES) - {""})
    fresh_ix = ExportIndex(ld_library_path=[], cache_dir=tmp_path)
    fresh_lib = fresh_ix.library(path)
    fresh = fresh_ix.lookup(fresh_lib, names)
    restored_ix = ExportIndex(ld_library_path=[], cache_dir=tmp_path)
    lib = restored_ix.library(path)
    assert lib == fresh_lib
    entry = restored_ix._entry_for(lib)
    if lib.loadable:
        assert entry is not None and entry.outcome is None  # came from the verdict file, not the loader
        assert all(img is None for img in entry.images)  # nothing opened before a lookup
    assert restored_ix.lookup(lib, names) == fresh


def test_dependencies_are_opened_only_when_needed(built: Built, tmp_path: Path) -> None:
    path = str(built["rchain"])
    ExportIndex(ld_library_path=[], cache_dir=tmp_path).library(path)
    ix = ExportIndex(ld_library_path=[], cache_dir=tmp_path)
    lib = ix.library(path)
    entry = ix._entry_for(lib)
    assert len(entry.reals) > 2
    plain = ExportIndex(ld_library_path=[])
    plain_answers = plain.lookup(plain.library(path), dynamic_names(path))
    own = next(n for n, a in plain_answers.items() if isinstance(a, Found) and a.direct)
    assert isinstance(ix.lookup(lib, [own])[own], Found)
    assert [img is not None for img in entry.images][:1] == [True] and all(img is None for img in entry.images[1:])
    deep = ix.lookup(lib, ["dep3_fn"])["dep3_fn"]  # defined at the end of the chain
    assert isinstance(deep, Found) and not deep.direct
    assert all(img is not None for img in entry.images[: entry.reals.index(deep.provider) + 1])
