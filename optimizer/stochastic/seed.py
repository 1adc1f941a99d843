"""PH's weights W started at the extensive form's LP multipliers, not at zero.

mpi-sppy starts every W at 0 and moves it by ``rho * (x_s - xbar)`` per PH iteration, so the
Lagrangian spoke's first bounds are the trivial one (each scenario alone) or barely below:
on the 1 GW reference W grown from zero was still far from useful multipliers after 3
iterations (docs/stochastic.md). The EF's LP relaxation gives multipliers at once
(``ef.ph_weights``, the ones the block proof of :mod:`optimizer.stochastic.decompose`
starts from): with W set to them before iteration 0

- the Lagrangian spoke's first bound is the Lagrangian bound at the LP's multipliers (the
  block proof's first bound) instead of the trivial one;
- the hub's iteration 0 is unchanged (PH solves it without W: its trivial bound stays), and
  its first W update starts from the LP's multipliers: ``W = W_LP + rho * (x_s - xbar)``;
- PH alone (one rank) computes its post-solve Lagrangian bound from W's moved the same way.

Any W with ``sum_s p_s W_s = 0`` gives a valid bound, so this changes how good the bounds
are, never whether they hold. The weights are computed once, on rank 0, and broadcast: the
same on any number of ranks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.stochastic.model import ScenarioModels
    from optimizer.stochastic.ranks import Ranks

Weights = Mapping[str, list[float]]  # scenario name -> W in its nonant order


def lp_weights_on_ranks(
    models: ScenarioModels, ranks: Ranks, threads: int | None
) -> dict[str, list[float]] | None:
    """``ef.ph_weights`` computed on rank 0 and sent to every rank (None if it failed)."""
    from optimizer.stochastic.ef import ph_weights

    weights = ph_weights(models, threads) if ranks.rank == 0 else None
    if ranks.size > 1:
        weights = ranks.comm.bcast(weights, root=0)
    return weights


def seed_extension(weights: Weights) -> dict[str, Any]:
    """The ``extensions``/``extension_kwargs`` pair for mpi-sppy's PH, PHBase (hub, spoke)
    that set each local scenario's W to ``weights`` before iteration 0."""
    from mpisppy.extensions.extension import Extension

    class SeedW(Extension):  # type: ignore[misc]
        """Sets W before iteration 0 (mpi-sppy calls ``pre_iter0`` after creating W)."""

        def __init__(self, opt: Any, weights: Weights) -> None:
            super().__init__(opt)
            self.weights = weights

        def pre_iter0(self) -> None:
            set_weights(self.opt, self.weights)

    return {"extensions": SeedW, "extension_kwargs": {"weights": weights}}


def set_weights(opt: Any, weights: Weights) -> None:
    """W of ``opt``'s local scenarios from ``weights`` (keyed by mpi-sppy's nonant index)."""
    for name, s in opt.local_scenarios.items():
        w = weights[name]
        keys = list(s._mpisppy_data.nonant_indices)
        if len(keys) != len(w):
            raise ValueError(f"scenario {name}: {len(w)} weights for {len(keys)} nonants")
        for key, value in zip(keys, w, strict=True):
            s._mpisppy_model.W[key]._value = value
