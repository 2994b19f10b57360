"""Which rows to label next (active learning): uncertainty, spread over the model's features.

Uncertainty alone keeps asking about the boundary the model already has and never about a kind
of bad row it has not seen: a model that learnt from no self-repeating answers is sure they
are fine. So the head of the ``learn:uncertain`` queue is picked greedily by

    uncertainty + DIVERSITY * (distance to the nearest labelled or already picked row) / d0

in :func:`query_space` (the signals, their "measured" flags, log lengths and a few principal
components of the answer and answer-minus-prompt embeddings, each column standardised; d0 is
the median distance of the open rows to the labelled ones): a row far from everything
labelled (a kind of bad row not yet seen) can outrank a slightly more uncertain one, and a
batch is not 25 near copies of one uncertain region. Past the head, uncertainty alone.

bench_learn --only auc (first labels from random:N, then retrain every 25 labels and label
the queue's top 25; 10 seeds; held-out AUC at 50/100/150 labels): uncertainty alone
(``--diversity 0``) 0.870/0.928/0.972, this (0.5) 0.898/0.986/0.992; random labels
0.893/0.958/0.979, at 300 0.989. Trials with weight 0.25 and 1 gave 0.966/0.991 and
0.983/0.992 at 100/150; spreading over the embeddings alone (k-center among the 100 most
uncertain) 0.934/0.987; density-weighted uncertainty 0.889/0.920: it steers away from the
outlying rows that are the unseen kinds of bad rows.

The learn job picks the head (it has the features) and saves its ids in the model JSON
(``project_learn``, ``review_head``); the queue builder puts those rows first
(``model.uncertain_queue``). The first labels, before any model, are the curator's (the
benchmark: the random:N queue).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

HEAD = 100  # rows of the queue picked for diversity (the rest: uncertainty alone)
DIVERSITY = 0.5  # weight of the normalised distance against uncertainty (0..1)
COMPONENTS = 8  # principal components of each embedding block in the space
SAMPLE = 20_000  # rows the components are fitted on (seeded sample)
_CHUNK = 65_536


def query_space(
    prompt_vectors: np.ndarray,
    response_vectors: np.ndarray,
    signal_values: np.ndarray,
    lengths: np.ndarray,
    *,
    components: int = COMPONENTS,
    seed: int = 0,
) -> np.ndarray:
    """float32 (n, columns): the no-label signals (NaN as 0), whether each was measured, log
    lengths of prompt and answer, and ``components`` principal components of the answer and of
    the answer-minus-prompt embeddings (fitted on at most ``SAMPLE`` rows, seeded); every
    column standardised (a constant column stays 0). Same input, same space."""
    r = np.asarray(response_vectors)
    p = np.asarray(prompt_vectors)
    n = len(r)
    s = np.asarray(signal_values, dtype=np.float32)
    s = s[:, None] if s.ndim == 1 else s
    lengths = np.asarray(lengths, dtype=np.float32)
    parts = [
        np.nan_to_num(s, nan=0.0),
        (~np.isnan(s)).astype(np.float32),
        np.log1p(lengths[:, None] if lengths.ndim == 1 else lengths),
    ]
    if n and r.ndim == 2 and r.shape[1] and components > 0:
        rng = np.random.default_rng(seed)
        fit_rows = np.sort(rng.choice(n, min(n, SAMPLE), replace=False))
        for block in (lambda sl: r[sl], lambda sl: r[sl] - p[sl]):
            parts.append(_project(block, fit_rows, n, components))
    Z = np.hstack(parts).astype(np.float32)
    if not n:
        return Z
    mean = Z.mean(axis=0, dtype=np.float64)
    sd = Z.std(axis=0, dtype=np.float64)
    sd[sd < 1e-9] = np.inf  # a constant column: 0 everywhere
    return ((Z - mean) / sd).astype(np.float32)


def _project(
    block: Callable[[Any], np.ndarray], fit_rows: np.ndarray, n: int, k: int
) -> np.ndarray:
    """``block(rows)`` projected on its top ``k`` principal components (fitted on
    ``fit_rows``), signed so that each component's largest entry is positive."""
    B = np.asarray(block(fit_rows), dtype=np.float64)
    mean = B.mean(axis=0)
    k = max(1, min(k, len(B) - 1, B.shape[1])) if len(B) > 1 else 1
    _u, _s, vt = np.linalg.svd(B - mean, full_matrices=False)
    comp = vt[:k]
    sign = np.sign(comp[np.arange(len(comp)), np.argmax(np.abs(comp), axis=1)])
    comp = (comp * np.where(sign == 0, 1.0, sign)[:, None]).astype(np.float32)
    out = np.empty((n, len(comp)), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(n, start + _CHUNK))
        out[sl] = (np.asarray(block(sl), dtype=np.float32) - mean.astype(np.float32)) @ comp.T
    return out


def review_head(
    keep_prob: np.ndarray,
    labelled: np.ndarray,
    space: np.ndarray,
    *,
    head: int = HEAD,
    diversity: float = DIVERSITY,
) -> np.ndarray:
    """The first ``head`` rows of the ``learn:uncertain`` queue, in order: open rows (not
    ``labelled``, keep_prob not NaN) picked one at a time by uncertainty + ``diversity`` x
    distance to the nearest labelled or picked row in ``space`` / the open rows' median such
    distance (to the centre of the space when nothing is labelled). Ties go to the lower row:
    same input, same rows."""
    from inspector.core.learn.model import uncertainty

    p = np.asarray(keep_prob, dtype=np.float64)
    done = np.asarray(labelled, dtype=bool)
    open_rows = np.flatnonzero(~done & ~np.isnan(p))
    k = min(int(head), len(open_rows))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    unc = uncertainty(np.nan_to_num(p[open_rows], nan=1.0)).astype(np.float64)
    Z = np.asarray(space, dtype=np.float32).reshape(len(p), -1)
    if diversity <= 0 or Z.shape[1] == 0:
        order = np.lexsort((open_rows, -unc))[:k]
        return open_rows[order].astype(np.int64)
    Zo = Z[open_rows]
    sq = np.einsum("ij,ij->i", Zo, Zo, dtype=np.float64)
    centres = np.flatnonzero(done)
    if len(centres):
        dist = _nearest(Zo, sq, Z[centres])
    else:
        dist = np.sqrt(np.maximum(_sq_to(Zo, sq, Z.mean(axis=0)), 0.0))
    scale = float(np.median(dist))
    scale = scale if scale > 0 else 1.0
    picked: list[int] = []
    taken = np.zeros(len(open_rows), dtype=bool)
    for _ in range(k):
        score = np.where(taken, -np.inf, unc + diversity * dist / scale)
        i = int(np.argmax(score))  # the first (lowest row) of equal scores
        picked.append(i)
        taken[i] = True
        dist = np.minimum(dist, np.sqrt(np.maximum(_sq_to(Zo, sq, Zo[i]), 0.0)))
    return open_rows[np.array(picked, dtype=np.int64)].astype(np.int64)


def _sq_to(Z: np.ndarray, sq: np.ndarray, v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return sq + float(v.astype(np.float64) @ v) - 2.0 * (Z @ v).astype(np.float64)


def _nearest(Z: np.ndarray, sq: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Distance of each row of ``Z`` to its nearest row of ``C`` (chunked)."""
    csq = np.einsum("ij,ij->i", C, C, dtype=np.float64)
    out = np.empty(len(Z), dtype=np.float64)
    for start in range(0, len(Z), _CHUNK):
        sl = slice(start, min(len(Z), start + _CHUNK))
        best = np.full(sl.stop - sl.start, np.inf)
        for c0 in range(0, len(C), 4096):
            cs = slice(c0, min(len(C), c0 + 4096))
            d2 = sq[sl, None] + csq[None, cs] - 2.0 * (Z[sl] @ C[cs].T).astype(np.float64)
            best = np.minimum(best, d2.min(axis=1))
        out[sl] = np.sqrt(np.maximum(best, 0.0))
    return out
