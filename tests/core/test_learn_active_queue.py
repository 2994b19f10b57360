"""Active learning's queue: the head of learn:uncertain is picked for uncertainty and spread
over the model's features (a batch is not near copies of one region; a kind of row far from
every label gets asked about), the rest is uncertainty alone, and the same input gives the
same queue, with no vectors, nothing labelled, or fewer rows than the head."""

from __future__ import annotations

import numpy as np

from inspector.core.labels.queues import build_queue, learned_rows
from inspector.core.labels.states import NO_DECISION
from inspector.core.learn.active import HEAD, query_space, review_head
from inspector.core.learn.model import uncertain_queue, uncertainty


def _twins_and_others():
    """30 near-identical rows at p = 0.5 around (0, 0), 20 rows each alone on a circle of
    radius 5 at p = 0.35; two labelled rows sit at (0, 0) and (0, 1)."""
    rng = np.random.default_rng(0)
    twins = rng.normal(scale=0.01, size=(30, 2))
    angle = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    others = 5 * np.column_stack([np.cos(angle), np.sin(angle)])
    space = np.vstack([twins, others, [[0.0, 0.0], [0.0, 1.0]]]).astype(np.float32)
    p = np.r_[np.full(30, 0.5), np.full(20, 0.35), [0.9, 0.1]]
    labelled = np.r_[np.zeros(50, bool), [True, True]]
    return p, labelled, space


def test_a_batch_is_spread_over_the_space_not_near_copies_of_one_region():
    p, labelled, space = _twins_and_others()
    head = review_head(p, labelled, space, head=25)
    assert len(head) == 25 and len(set(head.tolist())) == 25
    # every row alone on the circle first, though each twin is more uncertain; then twins
    assert set(head[:20].tolist()) == set(range(30, 50)) and int((head < 30).sum()) == 5
    alone = review_head(p, labelled, space, head=25, diversity=0.0)  # uncertainty alone
    assert alone.tolist() == list(range(25))


def test_a_row_far_from_every_label_is_asked_about_though_the_model_is_sure():
    # the model is sure of row 40 (p 0.98), a kind of row nothing labelled resembles
    rng = np.random.default_rng(1)
    space = rng.normal(scale=0.3, size=(60, 3)).astype(np.float32)
    space[40] = [8.0, 8.0, 8.0]
    p = rng.uniform(0.3, 0.7, 60)
    p[40] = 0.98
    labelled = np.zeros(60, bool)
    labelled[:10] = True
    assert 40 in review_head(p, labelled, space, head=5).tolist()
    assert 40 not in review_head(p, labelled, space, head=5, diversity=0.0).tolist()


def test_the_head_is_the_same_for_the_same_input_and_ties_go_to_the_lower_row():
    rng = np.random.default_rng(2)
    space = np.repeat(rng.normal(size=(1, 4)), 40, axis=0).astype(np.float32)  # all one point
    p = np.full(40, 0.5)
    labelled = np.zeros(40, bool)
    labelled[[0, 7]] = True
    head = review_head(p, labelled, space, head=6)
    assert head.tolist() == [1, 2, 3, 4, 5, 6]
    rng = np.random.default_rng(3)
    space = rng.normal(size=(300, 5)).astype(np.float32)
    p = rng.random(300)
    labelled = rng.random(300) < 0.1
    a = review_head(p, labelled, space)
    b = review_head(p.copy(), labelled.copy(), space.copy())
    assert np.array_equal(a, b) and len(a) == HEAD and not labelled[a].any()


def test_no_vectors_nothing_labelled_few_rows_or_none_open():
    rng = np.random.default_rng(4)
    p = rng.random(20)
    none = np.zeros(20, bool)
    flat = np.zeros((20, 0), dtype=np.float32)  # no columns: uncertainty alone
    expected = np.lexsort((np.arange(20), -uncertainty(p)))[:5]
    assert review_head(p, none, flat, head=5).tolist() == expected.tolist()
    space = rng.normal(size=(20, 3)).astype(np.float32)
    first = review_head(p, none, space, head=5)  # nothing labelled: distance to the centre
    assert len(set(first.tolist())) == 5
    assert sorted(review_head(p, none, space, head=50).tolist()) == list(range(20))
    p[[3, 9]] = np.nan  # rows not scored are never asked about
    assert not {3, 9} & set(review_head(p, none, space, head=50).tolist())
    assert review_head(p, np.ones(20, bool), space).tolist() == []
    one = review_head(np.array([0.4]), np.zeros(1, bool), np.zeros((1, 3), np.float32))
    assert one.tolist() == [0]


def test_query_space_is_standardised_deterministic_and_keeps_rows_apart():
    rng = np.random.default_rng(5)
    n, dim = 400, 16
    pv = rng.normal(size=(n, dim)).astype(np.float32)
    rv = rng.normal(size=(n, dim)).astype(np.float32)
    sv = np.column_stack([rng.random(n), np.zeros(n), np.full(n, np.nan)]).astype(np.float32)
    sv[::50, 1] = 9.0  # a few rows a signal marks
    lengths = rng.integers(10, 3000, size=(n, 2))
    z = query_space(pv, rv, sv, lengths, components=4)
    assert z.shape == (n, 3 + 3 + 2 + 4 + 4) and z.dtype == np.float32
    assert np.allclose(z.mean(axis=0), 0, atol=1e-4)
    assert np.allclose(z.std(axis=0)[z.std(axis=0) > 0], 1, atol=1e-3)
    assert not z[:, 2].any() and not z[:, 5].any()  # never measured: constant, 0
    assert z[::50, 1].min() > 3  # the marked rows stand apart on their signal
    again = query_space(pv.copy(), rv.copy(), sv.copy(), lengths.copy(), components=4)
    assert np.array_equal(z, again)
    empty = query_space(pv[:0], rv[:0], sv[:0], lengths[:0])
    assert empty.shape[0] == 0


def test_the_queue_starts_with_the_head_then_uncertainty_without_decided_rows():
    p = np.array([0.5, 0.52, 0.1, 0.9, 0.45, 0.05, 0.3, 0.6])
    labelled = np.zeros(8, bool)
    labelled[1] = True
    head = np.array([3, 1, 5, 3, 99])  # a decided row, a repeat, a row not in the data
    q = uncertain_queue(p, labelled, np.zeros(8, int), first=head)
    assert q[:2].tolist() == [3, 5]
    assert sorted(q.tolist()) == [0, 2, 3, 4, 5, 6, 7]
    rest = q[2:]
    assert np.all(np.diff(uncertainty(p[rest])) <= 0)
    assert np.array_equal(uncertain_queue(p, labelled, np.zeros(8, int), first=None),
                          uncertain_queue(p, labelled, np.zeros(8, int)))  # fmt: skip


def test_the_windows_learn_uncertain_queue_is_this_queue():
    # the benchmark labels the top of learned_rows("uncertain") with the learn job's head, the
    # queue the window's review shows (build_queue with the saved head)
    rng = np.random.default_rng(1)
    p = rng.random(300)
    groups = rng.integers(0, 6, 300)
    codes = np.full(300, NO_DECISION)
    codes[:40] = 0  # decided rows are not queued
    space = rng.normal(size=(300, 4)).astype(np.float32)
    head = review_head(p, codes != NO_DECISION, space, head=25)
    q = learned_rows("uncertain", p, codes, groups, head=head)
    assert np.array_equal(q, uncertain_queue(p, codes != NO_DECISION, groups, first=head))
    assert q[:25].tolist() == head.tolist()
    built = build_queue(
        "learn:uncertain", n_rows=300, decision_codes=codes, cluster_codes=groups,
        keep_probability=p, learned_head=head,
    )  # fmt: skip
    assert np.array_equal(built.rows, q)
