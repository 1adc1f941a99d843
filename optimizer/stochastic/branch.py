"""Branch on the first stage with Lagrangian block bounds (dual decomposition).

When the Lagrangian bound of :mod:`optimizer.stochastic.decompose` leaves the gap open, the
reason is a duality gap: a scenario's value as a function of the first stage is not concave
(price menus, integer units), so at any multipliers some blocks prefer first stages far
apart (on the reference's scenarios, one block's best 2026 GB200 count jumps between ~370
and ~1,020 as the multipliers move). Branching on the first stage closes it (Caroe and
Schultz's dual decomposition): a node is a box ``lo <= x <= hi`` on the first-stage
variables; with the box imposed on every block's copy, the Lagrangian bound holds for the
EF restricted to the box, and the boxes of the open and pruned nodes partition the first
stages, so the largest of their bounds bounds the EF. In each node:

1. The Lagrangian blocks at the parent's best multipliers, then up to ``NODE_STEPS``
   subgradient steps (Polyak's length towards the incumbent, halved when a step does not
   lower the bound); the node keeps the least bound (any multipliers bound).
2. Each round's first stages, averaged by probability and rounded, re-planned in every block
   (``decompose._incumbent``) unless already tried: a better EF solution is kept.
3. The node is pruned when its bound is within the target of the incumbent, or when its
   blocks agree on one first stage (the Lagrangian solution is then an EF solution; its
   re-plan is the incumbent candidate). Otherwise it splits on the first-stage variable the
   blocks disagree on most (probability-weighted variance): ``x_j <= floor(mean)`` and
   ``x_j >= floor(mean) + 1``.

Nodes are taken best bound first, so the global bound (the largest open or pruned bound)
falls as fast as it can; the search stops when it is within the target, after
``BRANCH_NODES`` nodes, or at its time budget (``BRANCH_TIME_SHARE``), leaving the best
bound and incumbent in the certificate (valid whatever the stop).
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimizer.stochastic.decompose import (
    MIN_LP_SCALE,
    Certificate,
    _incumbent,
    _lagrangian,
    _mean_first_stage,
    _rounded,
    _Split,
)

# Nodes solved at most before the caller's EF MILP takes over (each costs one to
# 1 + NODE_STEPS rounds of block MILPs, plus re-plans for new incumbents).
BRANCH_NODES = 200
# ... and seconds at most, as a multiple of the seconds the proof took before branching,
# and never more than half the time left to a deadline (on 3 reference scenarios 73 rounds
# moved the bound by 1e-4 only: where it does not converge, the EF MILP must get its turn).
BRANCH_TIME_SHARE = 2.0
# ... though never fewer nodes than this before a deadline (a small two-stage program's proof
# takes milliseconds: its budget would depend on the machine's load).
BRANCH_MIN_NODES = 20
# Subgradient steps in a node after its first Lagrangian round.
NODE_STEPS = 1
# A node is pruned when its bound is within this share of the target gap of the incumbent
# (below 1, so the pruned nodes' bounds also leave the global gap under the target).
PRUNE_SHARE = 0.9


@dataclass(order=True)
class _Node:
    key: float  # minus the node's bound: heapq pops the largest bound first
    seq: int
    lo: np.ndarray = field(compare=False)  # per first-stage variable
    hi: np.ndarray = field(compare=False)
    y: np.ndarray = field(compare=False)  # multipliers to start from
    chosen: np.ndarray | None = field(compare=False, default=None)  # maximiser at y, if known

    @property
    def bound(self) -> float:
        return -self.key


@dataclass
class Search:
    """What the branching did (the certificate holds the bound and incumbent)."""

    nodes: int = 0
    rounds: int = 0
    open_nodes: int = 0
    stopped: str = ""


def branch(
    split: _Split,
    y_na: np.ndarray,
    b_na: np.ndarray,
    bound: float,
    chosen: np.ndarray,
    abs_gap: float,
    mip_gap: float,
    deadline: float | None,
    cert: Certificate,
    tried: list[np.ndarray],
    started: float,
) -> Search:
    """Branch on the first stage from the root's Lagrangian round (bound ``bound`` at
    multipliers ``y_na``, block maximisers ``chosen``); see the module doc. ``started``: when
    the proof started (``time.perf_counter()``), for the time budget."""
    first = split.first_by_block
    lower0 = np.asarray(split.lp.col_lower_, dtype=float)
    upper0 = np.asarray(split.lp.col_upper_, dtype=float)
    integer = split.integer[first[0]]
    # Every block's copy equals the common first stage: its box is the blocks' intersection.
    lo, hi = lower0[first].max(axis=0), upper0[first].min(axis=0)
    search = Search()
    now = time.perf_counter()
    budget = now + BRANCH_TIME_SHARE * (now - started)  # no new node after it (soft)
    # Half of what is left to a deadline, the EF MILP getting the other half (hard: the
    # node solves stop there too).
    limit = None if deadline is None else now + (deadline - now) / 2
    if (lo > hi).any():
        search.stopped = "no first stage fits every scenario's bounds"
        return search

    def box(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lower, upper = lower0.copy(), upper0.copy()
        lower[first] = np.maximum(lower0[first], lo)
        upper[first] = np.minimum(upper0[first], hi)
        return lower, upper

    def closes(b: float) -> bool:
        if b == -math.inf:  # a block is infeasible in the box
            return True
        if cert.objective is None:
            return False
        scale = max(MIN_LP_SCALE, min(abs(b), abs(cert.objective)))
        return b - cert.objective <= PRUNE_SHARE * mip_gap * scale

    def candidate(x: np.ndarray) -> None:
        """Re-plan the rounded probability-weighted mean of the blocks' first stages."""
        x_mean = _rounded(split, _mean_first_stage(split, x))
        if all(not np.array_equal(x_mean, t) for t in tried):
            tried.append(x_mean)
            _incumbent(split, x_mean, abs_gap, limit, cert)

    seq = 0
    heap = [_Node(-bound, seq, lo, hi, y_na, chosen)]
    pruned = -math.inf  # the largest bound of a pruned node
    while heap:
        top = max(pruned, heap[0].bound)
        cert.bound = min(top, cert.bound if cert.bound is not None else math.inf)
        if cert.gap is not None and cert.gap <= mip_gap:
            search.stopped = "gap closed"
            break
        if search.nodes >= BRANCH_NODES:
            search.stopped = f"{BRANCH_NODES} nodes"
            break
        now = time.perf_counter()
        if (now >= budget and search.nodes >= BRANCH_MIN_NODES) or (
            limit is not None and now >= limit
        ):
            search.stopped = "its time budget"
            break
        node = heapq.heappop(heap)
        if closes(node.bound):
            pruned = max(pruned, node.bound)
            continue
        search.nodes += 1
        solved = _solve_node(split, node, b_na, abs_gap, limit, cert, box, closes, candidate)
        search.rounds += solved[2]
        if solved[0] is None:  # a block found no bound in time: the node stays open
            heapq.heappush(heap, node)
            search.stopped = "a block of a node did not solve in time"
            break
        node_bound, (y_best, x_best) = solved[0], solved[1]
        if closes(node_bound):
            pruned = max(pruned, node_bound)
            continue
        j = _branching_variable(split, x_best, node.lo, node.hi)
        if j is None:  # the blocks agree: their solution is an EF solution, re-planned above
            pruned = max(pruned, node_bound)
            continue
        mean = float(np.average(x_best[first[:, j]], weights=split.probabilities))
        if integer[j]:
            cut = min(max(math.floor(mean), node.lo[j]), node.hi[j] - 1)
            left_hi, right_lo = cut, cut + 1
        else:
            left_hi = right_lo = mean
        for new_lo, new_hi in (
            (node.lo, _with(node.hi, j, left_hi)),
            (_with(node.lo, j, right_lo), node.hi),
        ):
            seq += 1
            heapq.heappush(heap, _Node(-node_bound, seq, new_lo, new_hi, y_best))
    else:
        cert.bound = min(pruned, cert.bound if cert.bound is not None else math.inf)
        search.stopped = "every node pruned"
    search.open_nodes = len(heap)
    return search


def _solve_node(
    split: _Split,
    node: _Node,
    b_na: np.ndarray,
    abs_gap: float,
    deadline: float | None,
    cert: Certificate,
    box: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    closes: Callable[[float], bool],
    candidate: Callable[[np.ndarray], None],
) -> tuple[float | None, tuple[np.ndarray, np.ndarray], int]:
    """The node's least Lagrangian bound (None: a block ran out of time), the multipliers
    and block maximisers that gave it, and how many Lagrangian rounds it took."""
    bounds = box(node.lo, node.hi)
    y_best, x_best, best = node.y, np.zeros(0), math.inf
    y, rounds, step = node.y, 0, 1.0
    for k in range(1 + NODE_STEPS):
        if k == 0 and node.chosen is not None:  # the root: certify's round at these y
            value, x = node.bound, node.chosen
        else:
            found = _lagrangian(split, y, b_na, abs_gap, deadline, cert, box=bounds)
            rounds += 1
            if found is None:
                return None, (y_best, x_best), rounds
            value, x = found
        if value < best:
            best, y_best, x_best = value, y, x
        else:
            step /= 2  # the step overshot: a shorter one from the best multipliers
        candidate(x)
        bound = min(node.bound, best)
        if closes(bound) or _branching_variable(split, x_best, node.lo, node.hi) is None:
            break
        # Polyak's step from the best multipliers towards the incumbent (L is convex in y,
        # b - A x* a subgradient); any y bounds, so a step that does not help costs a round.
        g = b_na - split.matrix[split.na_rows, :] @ x_best
        norm = float(g @ g)
        target = cert.objective if cert.objective is not None else best - abs(best) * 1e-3
        if norm <= 1e-12 or best <= target:
            break
        y = y_best - step * (best - target) / norm * g
    return min(node.bound, best), (y_best, x_best), rounds


def _branching_variable(split: _Split, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> int | None:
    """The first-stage variable the blocks disagree on most (probability-weighted variance)
    that the box can still split, None if they agree on every variable."""
    values = x[split.first_by_block]  # (blocks, first-stage variables)
    mean = np.average(values, axis=0, weights=split.probabilities)
    spread = np.average((values - mean) ** 2, axis=0, weights=split.probabilities)
    spread[(hi - lo) <= 1e-9] = 0.0
    j = int(np.argmax(spread))
    return j if spread[j] > 1e-9 else None


def _with(a: np.ndarray, j: int, value: float) -> np.ndarray:
    out = a.copy()
    out[j] = value
    return out
