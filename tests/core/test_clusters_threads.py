"""HDBSCAN's tree must not depend on how numba's threads interleave.

fast_hdbscan's parallel Borůvka picks among equally short edges in whatever order its threads
finish (mutual-reachability distances tie often: many edges weigh a point's core distance), so
the same points gave different fine clusters in two processes now and then. The clustering runs
it on one thread, where the order is fixed."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from inspector.core.map import clusters


def _blobs(n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(12, 2)) * 8
    return (centres[rng.integers(0, 12, n)] + rng.normal(size=(n, 2))).astype(np.float32)


def test_hdbscan_runs_on_one_numba_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import fast_hdbscan

    seen: list[int] = []
    real = fast_hdbscan.fast_hdbscan

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(numba.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(fast_hdbscan, "fast_hdbscan", spy)
    before = numba.get_num_threads()
    labels = clusters._hdbscan(_blobs(), 40)
    assert seen == [1]
    assert numba.get_num_threads() == before  # the caller's setting comes back
    assert labels.max() >= 1


def test_thread_count_comes_back_when_hdbscan_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import fast_hdbscan

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(fast_hdbscan, "fast_hdbscan", broken)
    before = numba.get_num_threads()
    with pytest.raises(RuntimeError):
        clusters._hdbscan(_blobs(200), 40)
    assert numba.get_num_threads() == before


def test_same_points_same_labels_whatever_the_callers_threads() -> None:
    xy = _blobs()
    before = numba.get_num_threads()
    try:
        first = clusters._hdbscan(xy, 40)
        numba.set_num_threads(1)
        second = clusters._hdbscan(xy, 40)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(first, second)
