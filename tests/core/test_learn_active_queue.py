"""Active learning's queues: the cold start covers every cluster, the uncertain queue puts
uncertainty first but lets no cluster fill a round, and the same input gives the same queue."""

from __future__ import annotations

import numpy as np

from inspector.core.labels.queues import learned_rows
from inspector.core.learn.active import warm_start
from inspector.core.learn.model import uncertain_queue, uncertainty


def _uneven_groups(rng: np.random.Generator) -> np.ndarray:
    sizes = [400, 120, 40, 9, 3, 1]  # one dense region, small and tiny clusters
    return rng.permutation(np.repeat(np.arange(len(sizes)), sizes))


def test_first_round_of_the_cold_start_covers_every_cluster():
    groups = _uneven_groups(np.random.default_rng(3))
    k = len(set(groups.tolist()))
    first = warm_start(groups, k, seed=7)
    assert sorted(groups[first].tolist()) == list(range(k))
    # the next round skips rows already taken and still covers every cluster it can
    taken = np.zeros(len(groups), bool)
    taken[first] = True
    second = warm_start(groups, k - 1, seed=7, exclude=taken)  # the 1-row cluster is used up
    assert not taken[second].any() and sorted(groups[second].tolist()) == list(range(k - 1))


def test_uncertain_queue_puts_the_most_uncertain_rows_first_across_clusters():
    # cluster 0 holds the boundary (p near 0.5), cluster 1 the rows the model is sure of:
    # the first rows of the queue come from cluster 0, not one each in turn
    p = np.r_[np.linspace(0.40, 0.60, 10), np.linspace(0.97, 0.99, 10)].astype(np.float32)
    groups = np.r_[np.zeros(10, int), np.ones(10, int)]
    q = uncertain_queue(p, np.zeros(20, bool), groups, 5)  # the default: uncertainty alone
    assert set(groups[q].tolist()) == {0}
    assert np.all(np.diff(uncertainty(p[q])) <= 0)


def test_a_round_never_takes_more_than_a_few_rows_of_one_cluster():
    # 30 near-identical rows (one cluster, all at p = 0.5) and a few less uncertain elsewhere:
    # a round of 25 takes at most per_group of the identical rows
    p = np.r_[np.full(30, 0.5), np.linspace(0.3, 0.35, 20)].astype(np.float32)
    groups = np.r_[np.zeros(30, int), np.arange(1, 21)]
    q = uncertain_queue(p, np.zeros(50, bool), groups, 25, per_group=5)
    assert int((groups[q] == 0).sum()) == 5 and len(set(q.tolist())) == 25
    # per_group=1 is strict round robin: the first round takes one row from every cluster
    q1 = uncertain_queue(p, np.zeros(50, bool), groups, 21, per_group=1)
    assert sorted(groups[q1].tolist()) == list(range(21))


def test_uncertain_queue_skips_labelled_rows_and_is_deterministic():
    rng = np.random.default_rng(0)
    p = rng.random(500).astype(np.float32)
    p[::7] = 0.5  # ties
    groups = rng.integers(0, 9, 500)
    labelled = rng.random(500) < 0.2
    a = uncertain_queue(p, labelled, groups)
    b = uncertain_queue(p.copy(), labelled.copy(), groups.copy())
    assert np.array_equal(a, b)
    assert not labelled[a].any() and sorted(a.tolist()) == np.flatnonzero(~labelled).tolist()
    tied = a[p[a] == 0.5]
    assert tied[:5].tolist() == sorted(tied[:5].tolist())  # ties break by row


def test_the_windows_learn_uncertain_queue_is_this_queue():
    # the benchmark labels the top of learned_rows("uncertain"), the queue the window shows
    rng = np.random.default_rng(1)
    p = rng.random(300)
    groups = rng.integers(0, 6, 300)
    codes = np.full(300, -1)
    codes[:40] = 0  # decided rows are not queued
    q = learned_rows("uncertain", p, codes, groups)
    assert np.array_equal(q, uncertain_queue(p, codes != -1, groups))
