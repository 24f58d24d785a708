"""\"Did you mean\": the offered names nearest an unresolved extern's name.

Scoring is rapidfuzz's (C++): `fuzz.ratio`, the normalised InDel similarity
`2 * LCS / (len(a) + len(b))` of the lowercased names, for the shortlist, and
the optimal-string-alignment distance (`distance.OSA`, a swap of neighbours
counts once) to order it. `suggest_reference` scores every name of the length
window; `Suggester` narrows first, with two indexes:

- a length index: names sorted by length, so the window of lengths a near
  name can have is one slice;
- prefix and suffix families: names sharing the query's first or last k
  characters (case-insensitive; k = 8 for queries of 17+ characters, 4 from
  9). A slip (one wrong, missing, extra or swapped character) in a query
  longer than 2k leaves one of the two intact, so the intended name is
  always among them.

Scoring the whole window costs ~40 ns a name in C++, ~1 ms a query among the
38k plain exports of the bench libraries; the families hold a few dozen.
Measured against the full window (bench/bench_suggest.py): the same first
suggestion for every single-slip query of the sample, the same list for
nearly all. Short queries, whose families are most of the window anyway,
are scored against the whole window. `NameSuggester` keeps mangled C++ names
apart.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

CUTOFF = 70.0  # fuzz.ratio, 0..100: 60 lets `getopt_long` pass for `geo_lenght`
FAMILIES = (8, 4)  # characters of the prefix / suffix a family shares: the longest the query allows


def _window(length: int) -> tuple[int, int]:
    """Lengths a suggestion may have: within a few edits of the query's."""
    slack = max(2, length // 4)
    return max(1, length - slack), length + slack


def _rank(scored: list[tuple[float, str]], q: str, limit: int) -> list[str]:
    """The best `max(limit * 4, 12)` by ratio (ties by name), ordered by edit distance."""
    from rapidfuzz.distance import OSA  # noqa: PLC0415

    scored.sort(key=lambda item: (-item[0], item[1]))
    best = scored[: max(limit * 4, 12)]
    best.sort(key=lambda item: (OSA.distance(q, item[1].lower()), -item[0], len(item[1]), item[1]))
    return [name for _, name in best[:limit]]


class Suggester:
    """Near names among tens of thousands: the query's families in its length window,
    scored by rapidfuzz (`families=False`: the whole window, as `suggest_reference`)."""

    CUTOFF = CUTOFF

    def __init__(self, names: Sequence[str], families: bool = True):
        unique = list(dict.fromkeys(names))
        # By length, then by name: a length window is one slice, and so is it in a family.
        unique.sort(key=lambda n: (len(n), n))
        self.names = unique
        self.lowered = [n.lower() for n in unique]
        self._lengths = [len(n) for n in unique]
        # per family length k: (names by first k characters, names by last k characters)
        self._families: dict[int, tuple[dict[str, list[int]], dict[str, list[int]]]] | None = None
        if families:
            self._families = {}
            for k in FAMILIES:
                prefix: dict[str, list[int]] = {}
                suffix: dict[str, list[int]] = {}
                for i, n in enumerate(self.lowered):
                    if len(n) >= k:
                        prefix.setdefault(n[:k], []).append(i)
                        suffix.setdefault(n[-k:], []).append(i)
                self._families[k] = (prefix, suffix)

    def _candidates(self, q: str) -> list[int] | range:
        lo, hi = _window(len(q))
        lengths = self._lengths
        # A slip leaves the first or the last k characters intact when the query is longer than 2k
        k = next((k for k in FAMILIES if len(q) > 2 * k), 0) if self._families is not None else 0
        if not k:
            return range(bisect_left(lengths, lo), bisect_right(lengths, hi))
        prefix, suffix = self._families[k]
        out: list[int] = []
        for family in (prefix.get(q[:k], ()), suffix.get(q[-k:], ())):
            if family:
                # indices ascend with length: the window is a slice of the family
                keys = _LengthsOf(family, lengths)
                out.extend(family[bisect_left(keys, lo):bisect_right(keys, hi)])
        return sorted(set(out)) if len(out) > 1 else out

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if not query or not self.names or limit <= 0:
            return []
        from rapidfuzz import fuzz, process  # noqa: PLC0415

        q = query.lower()
        picked = self._candidates(q)
        if not picked:
            return []
        names, lowered = self.names, self.lowered
        if isinstance(picked, range):
            a = picked.start
            choices = lowered[a:picked.stop]
            index = range(a, picked.stop)
        else:
            choices = [lowered[i] for i in picked]
            index = picked
        hits = process.extract(q, choices, scorer=fuzz.ratio, processor=None, score_cutoff=self.CUTOFF, limit=None)
        # hits come best first: only those tied with or above the keep-th can rank
        keep = max(limit * 4, 12) + 1  # (+1: the query itself may be among them)
        if len(hits) > keep:
            floor = hits[keep - 1][1]
            end = keep
            while end < len(hits) and hits[end][1] >= floor:
                end += 1
            hits = hits[:end]
        scored = [(score, names[index[k]]) for _, score, k in hits if names[index[k]] != query]
        return _rank(scored, q, limit)


class _LengthsOf:
    """The lengths of a family's names as a sequence bisect can search (no copy)."""

    __slots__ = ("family", "lengths")

    def __init__(self, family: list[int], lengths: list[int]) -> None:
        self.family, self.lengths = family, lengths

    def __len__(self) -> int:
        return len(self.family)

    def __getitem__(self, k: int) -> int:
        return self.lengths[self.family[k]]


def suggest_reference(names: Sequence[str], query: str, limit: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """The definition of "did you mean": every name scored (tests compare the index with it)."""
    from rapidfuzz import fuzz  # noqa: PLC0415

    if not query or limit <= 0:
        return []
    q = query.lower()
    lo, hi = _window(len(q))
    scored = []
    for name in dict.fromkeys(names):
        if name == query or not (lo <= len(name) <= hi):
            continue
        ratio = fuzz.ratio(q, name.lower())
        if ratio >= cutoff:
            scored.append((ratio, name))
    return _rank(scored, q, limit)


class NameSuggester:
    """C names and mangled C++ names (`_Z...`) apart: a Simple extern is almost
    never a mangled name, and libtorch has 50k of them, so they are searched
    only for a query that is itself mangled."""

    def __init__(self, names: Sequence[str]):
        self.plain = Suggester([n for n in names if not n.startswith("_Z")])
        self._mangled_names = [n for n in names if n.startswith("_Z")]
        self._mangled: Suggester | None = None

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        if query.startswith("_Z"):
            if self._mangled is None:
                self._mangled = Suggester(self._mangled_names)
            return self._mangled.suggest(query, limit)
        return self.plain.suggest(query, limit)


__all__ = ["NameSuggester", "Suggester", "suggest_reference"]
