"""Layered left-to-right placement: nodes into columns by layer, ordered to cross few edges.

Pure and deterministic: the same nodes and edges always give the same columns and order.
Big answers are cut per column before anything else, so the work stays bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Slot:
    """One node to place: its layer (columns go by ascending layer) and its rank in a column."""

    id: str
    layer: int
    rank: tuple[Hashable, ...]
    """Initial order within a column (ascending); also decides who is kept when cutting."""
    anchor: str | None = None
    """A node of the same column this one is kept right after (equipment after its step)."""


@dataclass(slots=True)
class Columns:
    """Kept node ids per column in drawing order, and how many each column left out."""

    layers: list[int]
    ids: list[list[str]]
    hidden: list[int]
    anchors: dict[str, str] = field(default_factory=dict)

    @property
    def hidden_total(self) -> int:
        return sum(self.hidden)

    def column_of(self) -> dict[str, int]:
        return {node_id: c for c, column in enumerate(self.ids) for node_id in column}

    def kept(self) -> list[str]:
        return [node_id for column in self.ids for node_id in column]


def columns_of(slots: Iterable[Slot], *, max_nodes: int, column_cap: int) -> Columns:
    """Columns by ascending layer, each in rank order; when there are more than ``max_nodes``
    slots, every column keeps only its first ``column_cap`` and counts the rest."""
    by_layer: dict[int, list[Slot]] = defaultdict(list)
    total = 0
    for slot in slots:
        by_layer[slot.layer].append(slot)
        total += 1
    cut = total > max_nodes
    layers = sorted(by_layer)
    ids: list[list[str]] = []
    hidden: list[int] = []
    anchors: dict[str, str] = {}
    for layer in layers:
        column = sorted(by_layer[layer], key=lambda s: (s.rank, s.id))
        kept = column[: max(1, column_cap)] if cut else column
        ids.append([s.id for s in kept])
        hidden.append(len(column) - len(kept))
        anchors.update({s.id: s.anchor for s in kept if s.anchor is not None})
    return Columns(layers=layers, ids=ids, hidden=hidden, anchors=anchors)


def move_to_layers(columns: Columns, moves: dict[str, int]) -> Columns:
    """The same columns with some kept nodes moved to other layers (new columns as needed);
    counts of nodes left out stay with their layers. Moved nodes go last in their column."""
    layers = sorted(set(columns.layers) | set(moves.values()))
    ids: dict[int, list[str]] = {layer: [] for layer in layers}
    hidden = dict.fromkeys(layers, 0)
    for layer, column, left_out in zip(columns.layers, columns.ids, columns.hidden, strict=True):
        hidden[layer] = left_out
        ids[layer].extend(node_id for node_id in column if node_id not in moves)
    for node_id in sorted(moves, key=lambda n: (moves[n], n)):
        ids[moves[node_id]].append(node_id)
    kept = [layer for layer in layers if ids[layer] or hidden[layer]]
    return Columns(
        layers=kept,
        ids=[ids[layer] for layer in kept],
        hidden=[hidden[layer] for layer in kept],
        anchors=dict(columns.anchors),
    )


def order_columns(
    columns: Columns, edges: Iterable[tuple[str, str]], *, sweeps: int = 2
) -> Columns:
    """The same columns reordered by barycentre sweeps (left to right, then back), ``sweeps``
    times, so that connected nodes sit at similar heights. Ties keep the previous order;
    anchored nodes follow their anchor."""
    column_of = columns.column_of()
    neighbours: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        if source == target or source not in column_of or target not in column_of:
            continue
        if column_of[source] != column_of[target]:
            neighbours[source].append(target)
            neighbours[target].append(source)
    order = [list(column) for column in columns.ids]
    position = _positions(order)
    count = len(order)
    for _ in range(max(0, sweeps)):
        for rightwards in (True, False):
            sequence = range(1, count) if rightwards else range(count - 2, -1, -1)
            for c in sequence:
                order[c] = _by_barycentre(
                    order[c], c, rightwards, neighbours, column_of, position, columns.anchors
                )
                position.update(_positions([order[c]]))
    return Columns(
        layers=list(columns.layers),
        ids=order,
        hidden=list(columns.hidden),
        anchors=dict(columns.anchors),
    )


def _positions(order: Sequence[Sequence[str]]) -> dict[str, float]:
    """Each node's height in its column as a fraction, so columns of any length compare."""
    return {
        node_id: (row + 0.5) / len(column) for column in order for row, node_id in enumerate(column)
    }


def _by_barycentre(
    column: list[str],
    c: int,
    rightwards: bool,
    neighbours: dict[str, list[str]],
    column_of: dict[str, int],
    position: dict[str, float],
    anchors: dict[str, str],
) -> list[str]:
    members = set(column)
    attached = {n for n in column if anchors.get(n) in members and anchors[n] != n}
    keys: dict[str, tuple[float, int]] = {}
    for row, node_id in enumerate(column):
        if node_id in attached:
            continue
        seen = [
            position[other]
            for other in neighbours.get(node_id, ())
            if (column_of[other] < c) == rightwards and column_of[other] != c
        ]
        centre = sum(seen) / len(seen) if seen else position[node_id]
        keys[node_id] = (centre, row)
    placed = sorted(keys, key=keys.__getitem__)
    followers: dict[str, list[str]] = defaultdict(list)
    for node_id in column:
        if node_id in attached:
            followers[anchors[node_id]].append(node_id)
    result: list[str] = []
    done: set[str] = set()

    def put(node_id: str) -> None:
        if node_id in done:
            return
        done.add(node_id)
        result.append(node_id)
        for follower in followers.get(node_id, ()):
            put(follower)

    for node_id in placed:
        put(node_id)
    for node_id in column:  # anchored in a ring of anchors: keep them anyway
        put(node_id)
    return result
