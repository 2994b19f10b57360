"""Which rows to label next (active learning), spread over the map's clusters.

A session starts cold: :func:`warm_start` takes rows at random from every cluster in turn, so
the first labels cover the data rather than its densest region. Once a model exists,
:func:`active_batch` mixes the rows the model is least sure of (taken in turns from each
cluster: :func:`inspector.core.learn.model.uncertain_queue`) with a share of random rows, again
spread over clusters: uncertainty alone keeps asking about one boundary the model already
knows and never finds the kinds of bad rows it has not seen yet.
"""

from __future__ import annotations

import numpy as np

from inspector.core.learn.model import uncertain_queue

EXPLORE = 0.3  # share of each batch drawn at random (spread over clusters)


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


def active_batch(
    keep_prob: np.ndarray,
    labelled: np.ndarray,
    groups: np.ndarray,
    n: int,
    *,
    seed: int = 0,
    explore: float = EXPLORE,
) -> np.ndarray:
    """The next ``n`` rows to label: the most uncertain unlabelled rows spread over groups,
    then ``explore`` of the batch at random from the groups in turn. No row twice."""
    labelled = np.asarray(labelled, dtype=bool)
    n_random = int(round(n * explore))
    uncertain = uncertain_queue(keep_prob, labelled, groups, n - n_random)
    taken = labelled.copy()
    taken[uncertain] = True
    extra = warm_start(groups, n - len(uncertain), seed=seed, exclude=taken)
    return np.r_[uncertain, extra].astype(np.int64)
