"""Release review's privacy models and the optimal search over the generalization lattice.

A table's quasi-identifiers are generalized full-domain: each attribute to one level of its
hierarchy (ARX's format: one row per original value, one column per level, level 0 the value,
the last level ``*``). A *node* of the lattice is one level per attribute. The search finds the
node of least information loss whose table satisfies the privacy model:

* **k-anonymity** — every equivalence class (records equal on the generalized quasi-identifiers)
  holds at least ``k`` records; with a suppression budget, the records of the classes smaller than
  ``k`` may be suppressed while they are at most that share of the table.
* Loss is **non-uniform entropy** (Gionis & Tassa 2008, as ARX computes it): a record's value
  ``v`` generalized to ``g`` costs ``-log2(count(v) / count(g))`` bits; the loss of a node is the
  sum over records and attributes. It depends on each attribute's level alone, so the loss of
  every node is a sum of precomputed per-attribute terms, and it grows with every level.

Search (in the spirit of ARX's Flash and OLA, both exact): because k-anonymity is monotone
(a generalization of an anonymous node is anonymous) and the loss is monotone and additive, the
nodes are visited in order of loss and the first anonymous one is the optimum. A node below one
already found not anonymous (every level lower or equal) is known not anonymous without a check.
A check groups the table's distinct rows (weighted by their counts) on one integer key per row.

For the review: ℓ-diversity (distinct and entropy) and t-closeness of a sensitive attribute, the
re-identification risk of a release (prosecutor, journalist, marketer) and its utility
(non-uniform entropy, discernibility, Iyengar's loss).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Hierarchy:
    """One attribute's generalization: level → (map from level-0 code to that level's code, its
    number of values); level-0 codes index ``values``."""

    name: str
    values: list[str]  # level-0 values, by code
    maps: list[Codes]
    labels: list[list[str]]  # per level, the label of each code

    @property
    def height(self) -> int:
        return len(self.maps)

    @classmethod
    def from_rows(cls, name: str, rows: Sequence[Sequence[str]]) -> Hierarchy:
        values = [row[0] for row in rows]
        maps, labels = [], []
        for level in range(len(rows[0])):
            seen: dict[str, int] = {}
            maps.append(np.array([seen.setdefault(row[level], len(seen)) for row in rows], dtype=np.int64))
            labels.append(list(seen))
        return cls(name, values, maps, labels)

    @classmethod
    def read(cls, name: str, path: Path) -> Hierarchy:
        with path.open(newline="", encoding="utf-8") as handle:
            return cls.from_rows(name, [row for row in csv.reader(handle, delimiter=";") if row])


@dataclass
class Table:
    """A table's quasi-identifiers as level-0 codes, reduced to distinct rows with counts."""

    hierarchies: list[Hierarchy]
    rows: Codes  # distinct rows × attributes, level-0 codes
    counts: Codes  # records per distinct row
    sensitive: Codes | None = None  # per distinct row: the sensitive value's code (one per row)
    quasi: tuple[Codes, Codes] | None = None  # distinct quasi-identifier rows and their records

    @property
    def records(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def of(
        cls,
        columns: Mapping[str, Sequence[str]],
        hierarchies: Sequence[Hierarchy],
        sensitive: Sequence[str] | None = None,
        weights: Sequence[int] | None = None,
    ) -> Table:
        """Encode ``columns`` (attribute → values) with ``hierarchies``; ``sensitive`` values stay
        per record (rows equal on the quasi-identifiers but not on it are kept apart). With
        ``weights``, each given row stands for that many records (a table already grouped by an
        engine)."""
        codes = []
        for hierarchy in hierarchies:
            index = {value: code for code, value in enumerate(hierarchy.values)}
            missing = {v for v in columns[hierarchy.name] if v not in index}
            if missing:
                raise ValueError(f"{hierarchy.name}: values not in the hierarchy: {sorted(missing)[:5]}")
            codes.append(np.array([index[v] for v in columns[hierarchy.name]], dtype=np.int64))
        matrix = np.stack(codes, axis=1)
        secret: Codes | None = None
        if sensitive is not None:
            levels = {value: code for code, value in enumerate(sorted(set(sensitive)))}
            secret = np.array([levels[v] for v in sensitive], dtype=np.int64)
            matrix = np.concatenate([matrix, secret[:, None]], axis=1)
        distinct, inverse = unique_rows(matrix)
        counts = np.bincount(
            inverse, weights=None if weights is None else np.asarray(weights, dtype=np.int64)
        ).astype(np.int64)
        if secret is not None:
            return cls(
                list(hierarchies), distinct[:, :-1], counts.astype(np.int64), distinct[:, -1]
            ).grouped()
        return cls(list(hierarchies), distinct, counts.astype(np.int64)).grouped()

    def grouped(self) -> Table:
        """This table with its distinct quasi-identifier rows counted (what the search checks)."""
        quasi, inverse = unique_rows(self.rows, [len(h.values) for h in self.hierarchies])
        self.quasi = (quasi, np.bincount(inverse, weights=self.counts).astype(np.int64))
        return self

    def released(self, node: Sequence[int], k: int) -> Table:
        """The records a release at ``node`` keeps: the classes of at least ``k`` records (the
        smaller ones are suppressed)."""
        inverse, sizes = self.classes(node)
        keep = sizes[inverse] >= k
        sensitive = None if self.sensitive is None else self.sensitive[keep]
        return Table(self.hierarchies, self.rows[keep], self.counts[keep], sensitive).grouped()

    def classes(self, node: Sequence[int]) -> tuple[Codes, Codes]:
        """``(class of each distinct row, records per class)`` at ``node``."""
        key = np.zeros(len(self.rows), dtype=np.int64)
        span = 1
        for column, (hierarchy, level) in enumerate(zip(self.hierarchies, node, strict=True)):
            generalized = hierarchy.maps[level][self.rows[:, column]]
            key = key * len(hierarchy.labels[level]) + generalized
            span *= len(hierarchy.labels[level])
        inverse, _ = _group(key, span)
        sizes = np.bincount(inverse, weights=self.counts).astype(np.int64)
        return inverse, sizes


def _group(key: Codes, span: int) -> tuple[Codes, Codes]:
    """What ``np.unique(key, return_index=True, return_inverse=True)`` tells, ``(inverse, one row
    of each distinct key)``, keys in ``range(span)``: by counting when the span is small, without
    a sort when the keys are already in order (rows of a table are), else by one sort."""
    n = len(key)
    if span <= 4 * n + 4096:
        seen = np.zeros(span, dtype=np.int64)
        seen[key] = 1
        inverse = (np.cumsum(seen) - 1)[key]
        first = np.zeros(int(seen.sum()), dtype=np.int64)
        first[inverse] = np.arange(n)
        return inverse, first
    order = None if np.all(key[1:] >= key[:-1]) else np.argsort(key)
    ordered = key if order is None else key[order]
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    if order is None:
        return np.cumsum(new) - 1, np.flatnonzero(new)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return inverse, order[new]


def unique_rows(matrix: Codes, sizes: Sequence[int] | None = None) -> tuple[Codes, Codes]:
    """``np.unique(matrix, axis=0, return_inverse=True)`` (the distinct rows in order, and each
    row's place among them), through one integer per row when the codes fit: a 1-d sort. Column
    ``i`` holds codes below ``sizes[i]`` (found when not given)."""
    if not len(matrix):
        return matrix[:0], np.zeros(0, dtype=np.int64)
    radix = [int(size) for size in (matrix.max(axis=0) + 1 if sizes is None else sizes)]
    if float(np.prod(radix, dtype=np.float64)) >= 2.0**62:
        distinct, inverse = np.unique(matrix, axis=0, return_inverse=True)
        return distinct, inverse.ravel()
    key = np.zeros(len(matrix), dtype=np.int64)
    for column, size in enumerate(radix):
        key = key * size + matrix[:, column]
    inverse, first = _group(key, int(np.prod(radix)))
    return matrix[first], inverse


def k_anonymous(table: Table, node: Sequence[int], k: int, suppression: float = 0.0) -> bool:
    """Whether ``node`` is k-anonymous, suppressing at most ``suppression`` of the records."""
    _, sizes = table.classes(node)
    small = int(sizes[sizes < k].sum())
    return small <= suppression * table.records


def k_of(table: Table, node: Sequence[int]) -> int:
    """The table's k at ``node``: the size of its smallest equivalence class."""
    return int(table.classes(node)[1].min())


def _sensitive_cells(
    table: Table, node: Sequence[int], k: int
) -> tuple[Codes, Codes, npt.NDArray[np.float64]]:
    """The (class, sensitive value) pairs present at ``node`` — ``(class, value, records)`` of
    each, by class then value — without the classes smaller than ``k`` (the ones a release
    suppresses) unless none is left. Sparse: a class holds few of the values."""
    assert table.sensitive is not None, "ℓ-diversity and t-closeness need a sensitive attribute"
    inverse, sizes = table.classes(node)
    values = int(table.sensitive.max()) + 1
    key = inverse * values + table.sensitive
    where, first = _group(key, len(sizes) * values)
    records = np.bincount(where, weights=table.counts)
    classes, value = np.divmod(key[first], values)
    kept = sizes[classes] >= k
    if kept.any():
        classes, value, records = classes[kept], value[kept], records[kept]
    new = np.ones(len(classes), dtype=bool)  # the classes left, numbered 0, 1, … (in order already)
    np.not_equal(classes[1:], classes[:-1], out=new[1:])
    return np.cumsum(new) - 1, value.astype(np.int64), records.astype(np.float64)


def _l_of(cells: tuple[Codes, Codes, npt.NDArray[np.float64]]) -> tuple[int, float]:
    classes, _, records = cells
    share = records / np.bincount(classes, weights=records)[classes]
    entropy = -np.bincount(classes, weights=share * np.log2(share))
    return int(np.bincount(classes).min()), float(2 ** entropy.min())


def _t_of(cells: tuple[Codes, Codes, npt.NDArray[np.float64]]) -> float:
    classes, value, records = cells
    overall = np.bincount(value, weights=records) / records.sum()
    share = records / np.bincount(classes, weights=records)[classes]
    # a value absent from a class is as far as its whole overall share: Σ |share − overall| over
    # the values present plus Σ overall over the ones absent
    present = np.bincount(classes, weights=np.abs(share - overall[value]) - overall[value])
    return float(((overall.sum() + present) / 2).max())


def l_diversity(table: Table, node: Sequence[int], k: int = 1) -> tuple[int, float]:
    """``(distinct ℓ, entropy ℓ)``: the fewest distinct sensitive values in a class, and the
    smallest ``2 ** entropy`` of a class's sensitive values (classes below ``k`` suppressed)."""
    return _l_of(_sensitive_cells(table, node, k))


def t_closeness(table: Table, node: Sequence[int], k: int = 1) -> float:
    """The largest distance of a class's sensitive distribution from the table's (the equal
    ground distance for categories: half the L1 distance, as pycanon and ARX compute it;
    classes below ``k`` suppressed)."""
    return _t_of(_sensitive_cells(table, node, k))


def l_and_t(table: Table, node: Sequence[int], k: int = 1) -> tuple[int, float, float]:
    """``(distinct ℓ, entropy ℓ, t)`` of one look at the classes' sensitive values."""
    cells = _sensitive_cells(table, node, k)
    return (*_l_of(cells), _t_of(cells))


def entropy_costs(table: Table) -> list[npt.NDArray[np.float64]]:
    """Per attribute, per level: the non-uniform entropy (bits) of generalizing to that level."""
    costs = []
    for column, hierarchy in enumerate(table.hierarchies):
        original = np.bincount(table.rows[:, column], weights=table.counts, minlength=len(hierarchy.values))
        present = np.flatnonzero(original)  # summed per value, not per row: the same bits
        per_level = []
        for level in range(hierarchy.height):
            mapped = hierarchy.maps[level]
            general = np.bincount(mapped, weights=original, minlength=len(hierarchy.labels[level]))
            bits = -np.log2(original[present] / general[mapped[present]])
            per_level.append(float((bits * original[present]).sum()))
        costs.append(np.array(per_level))
    return costs


def losses(table: Table, nodes: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Every node's non-uniform entropy: the sum of its attributes' costs at their levels."""
    costs = entropy_costs(table)
    total: npt.NDArray[np.float64] = np.sum([costs[a][nodes[:, a]] for a in range(nodes.shape[1])], axis=0)
    return total


def lattice(table: Table) -> npt.NDArray[np.int64]:
    """Every node, one row each (levels per attribute)."""
    return np.array(list(itertools.product(*(range(h.height) for h in table.hierarchies))), dtype=np.int64)


@dataclass
class Found:
    node: tuple[int, ...] | None  # None: no node satisfies the model
    loss: float
    checks: int
    levels: dict[str, int] = field(default_factory=dict)


class _Checker:
    """k-anonymity checks that roll up: a node's classes are computed from the classes of the
    smallest checked node below it (full-domain generalization is a function of the original
    value, so a class's representative row generalizes for all its records)."""

    def __init__(self, table: Table, k: int, suppression: float, capacity: int) -> None:
        self.table, self.k = table, k
        self.budget = suppression * table.records
        self.nodes = np.zeros((capacity + 1, len(table.hierarchies)), dtype=np.int64)  # row 0: the bottom
        self.sizes = np.full(capacity + 1, np.iinfo(np.int64).max, dtype=np.int64)
        self.sizes[0] = len((table.quasi or (table.rows, table.counts))[0])
        self.snapshots: list[tuple[Codes, Codes]] = [table.quasi or (table.rows, table.counts)]
        self.checks = 0

    def anonymous(self, node: npt.NDArray[np.int64]) -> bool:
        known = self.checks + 1
        below = np.all(self.nodes[:known] <= node, axis=1)
        reps, weights = self.snapshots[
            int(np.argmin(np.where(below, self.sizes[:known], np.iinfo(np.int64).max)))
        ]
        key = np.zeros(len(reps), dtype=np.int64)
        span = 1
        for column, (hierarchy, level) in enumerate(zip(self.table.hierarchies, node, strict=True)):
            key = key * len(hierarchy.labels[level]) + hierarchy.maps[level][reps[:, column]]
            span *= len(hierarchy.labels[level])
        if span <= 4 * len(key) + 4096:  # few possible classes: count them directly, no sort
            dense = np.bincount(key, weights=weights, minlength=span)
            present = np.flatnonzero(dense)
            sizes = dense[present].astype(np.int64)
            first_of = np.empty(span, dtype=np.int64)
            first_of[key[::-1]] = np.arange(len(key) - 1, -1, -1)
            first = first_of[present]
        else:
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            sizes = np.bincount(inverse, weights=weights).astype(np.int64)
        self.checks = known
        self.nodes[known], self.sizes[known] = node, len(sizes)
        self.snapshots.append((reps[first], sizes))
        return int(sizes[sizes < self.k].sum()) <= self.budget


def search(
    table: Table, k: int, suppression: float = 0.0, *, min_l: int | None = None, max_t: float | None = None
) -> Found:
    """The k-anonymous node of least non-uniform entropy (see the module docstring): every node's
    anonymity is settled by binary searches along chains of unsettled nodes, each check settling
    the nodes above it (anonymous) or below it (not); then the least loss wins. With ``min_l``
    (distinct ℓ-diversity) or ``max_t`` (t-closeness) of the sensitive attribute as well, the
    k-anonymous nodes are tried in order of loss and the first that also satisfies them wins —
    still the optimum, since every node satisfying all three is k-anonymous."""
    nodes = lattice(table)
    heights = np.array([h.height for h in table.hierarchies])
    strides = np.array([int(np.prod(heights[a + 1 :])) for a in range(len(heights))])  # product() order
    status = np.zeros(len(nodes), dtype=np.int8)  # 1 anonymous, -1 not, 0 unsettled
    checker = _Checker(table, k, suppression, len(nodes))
    level_sum = nodes.sum(axis=1)
    while (unsettled := np.flatnonzero(status == 0)).size:
        chain = [int(unsettled[np.argmin(level_sum[unsettled])])]
        while True:  # up through unsettled nodes, one level at a time
            here = nodes[chain[-1]]
            ups = [chain[-1] + int(strides[a]) for a in range(len(heights)) if here[a] + 1 < heights[a]]
            step = next((i for i in ups if status[i] == 0), None)
            if step is None:
                break
            chain.append(step)
        low, high = 0, len(chain) - 1
        while low <= high:
            middle = (low + high) // 2
            index = chain[middle]
            if status[index] == 0:
                node = nodes[index]
                if checker.anonymous(node):
                    status[np.all(nodes >= node, axis=1)] = 1
                else:
                    status[np.all(nodes <= node, axis=1)] = -1
            if status[index] == 1:
                high = middle - 1
            else:
                low = middle + 1
    loss = losses(table, nodes)
    candidates = np.flatnonzero(status == 1)
    ordered = candidates[np.lexsort((level_sum[candidates], loss[candidates]))]
    checks = checker.checks
    for best in ordered:
        if min_l is None and max_t is None:
            break
        checks += 1
        node = nodes[best]
        if (min_l is None or l_diversity(table, node, k)[0] >= min_l) and (
            max_t is None or t_closeness(table, node, k) <= max_t
        ):
            break
    else:
        return Found(None, float("inf"), checks)
    chosen = tuple(int(level) for level in nodes[best])
    levels = {h.name: level for h, level in zip(table.hierarchies, chosen, strict=True)}
    return Found(chosen, float(loss[best]), checks, levels)


def exhaustive(table: Table, k: int, suppression: float = 0.0) -> Found:
    """Every node checked: the optimum by brute force (what :func:`search` must agree with)."""
    nodes = lattice(table)
    loss = losses(table, nodes)
    anonymous = np.array([k_anonymous(table, node, k, suppression) for node in nodes])
    if not anonymous.any():
        return Found(None, float("inf"), len(nodes))
    candidates = np.flatnonzero(anonymous)
    best = candidates[np.lexsort((nodes[candidates].sum(axis=1), loss[candidates]))[0]]
    chosen = tuple(int(level) for level in nodes[best])
    levels = {h.name: level for h, level in zip(table.hierarchies, chosen, strict=True)}
    return Found(chosen, float(loss[best]), len(nodes), levels)


@dataclass(frozen=True, slots=True)
class Risk:
    """Re-identification risk of a release (El Emam's three attacker models, as ARX reports them;
    the sample stands for the population, so the journalist's risk is the prosecutor's)."""

    prosecutor_highest: float  # 1 / the smallest class: the most exposed record
    prosecutor_average: float  # the share of records an attacker who knows a target finds on average
    journalist_highest: float
    marketer: float  # classes / records: the share re-identified when matching everyone
    records_at_highest: int  # records in the classes of the highest risk


def risk(table: Table, node: Sequence[int]) -> Risk:
    _, sizes = table.classes(node)
    highest = 1.0 / float(sizes.min())
    records = table.records
    return Risk(
        prosecutor_highest=highest,
        prosecutor_average=len(sizes) / records,
        journalist_highest=highest,
        marketer=len(sizes) / records,
        records_at_highest=int(sizes[sizes == sizes.min()].sum()),
    )


@dataclass(frozen=True, slots=True)
class Utility:
    """What a release keeps: non-uniform entropy (bits), discernibility (Σ class size²) and
    Iyengar's loss (0 = the raw table, 1 = every value ``*``)."""

    entropy_bits: float
    discernibility: int
    loss: float


def utility(table: Table, node: Sequence[int]) -> Utility:
    _, sizes = table.classes(node)
    costs = entropy_costs(table)
    entropy = float(sum(costs[a][level] for a, level in enumerate(node)))
    losses_per_attribute = []
    for column, (hierarchy, level) in enumerate(zip(table.hierarchies, node, strict=True)):
        leaves = np.bincount(hierarchy.maps[level], minlength=len(hierarchy.labels[level]))
        codes = table.rows[:, column]
        per_value = (leaves[hierarchy.maps[level][codes]] - 1) / max(len(hierarchy.values) - 1, 1)
        losses_per_attribute.append(float((per_value * table.counts).sum() / table.records))
    return Utility(entropy, int((sizes.astype(np.int64) ** 2).sum()), float(np.mean(losses_per_attribute)))
