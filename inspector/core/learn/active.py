"""Which rows to label next (active learning), spread over the map's clusters.

A session starts cold: :func:`warm_start` takes rows at random from every cluster in turn, so
the first labels cover the data rather than its densest region. Once a model exists, the rows
to label are the top of the ``learn:uncertain`` queue
(:func:`inspector.core.learn.model.uncertain_queue`: most uncertain first), retrained every
``retrain.RETRAIN_EVERY`` labels. A share of random rows in each round
(tried: 30%) cost AUC in bench_learn rather than finding unseen kinds of bad rows: the warm
start already covers every cluster.
"""

from __future__ import annotations

import numpy as np


def warm_start(
    groups: np.ndarray, n: int, *, seed: int = 0, exclude: np.ndarray | None = None
) -> np.ndarray:
    """``n`` rows taken at random from each group in turn (round robin, groups in order);
    rows where ``exclude`` is True are skipped. Same groups and seed, same rows."""
    groups = np.asarray(groups)
    rng = np.random.default_rng(seed)
    rows = np.arange(len(groups))
    if exclude is not None:
        rows = rows[~np.asarray(exclude, dtype=bool)]
    if not len(rows) or n <= 0:
        return rows[:0].astype(np.int64)
    shuffled = rows[rng.permutation(len(rows))]
    g = groups[shuffled]
    order = np.argsort(g, kind="stable")  # by group, random within a group
    shuffled, g = shuffled[order], g[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    turn = np.lexsort((g, rank))  # round r: every group's r-th row, groups in order
    return shuffled[turn][:n].astype(np.int64)
