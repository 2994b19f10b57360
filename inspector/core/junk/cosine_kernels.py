"""Compiled kernels of the cosine pair search (:mod:`inspector.core.junk.cosine_pairs`).

Import this module only inside functions: numba loads in ~0.3 s and compiles each kernel once
per machine (cached on disk next to this file).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# one block of rows a call: the caller runs blocks on its own threads (nogil), as it runs
# the matrix products single-threaded (BLAS threads that wait on a busy machine cost more
# than they bring)
jit = nb.njit(cache=True, nogil=True)


@nb.njit(cache=True, nogil=True, inline="always")
def _probes(
    row: np.ndarray,
    h: int,
    dist: np.ndarray,
    reach: float,
    near: float,
    cap: int,
    slack: float,
    out: np.ndarray,
    ratio: np.ndarray,
) -> int:
    """The cells (other than ``h``) whose bisector with ``h`` is within ``reach`` of the row,
    nearest first (ties: the lower cell), at most ``out.shape[0]`` of them: every one within
    ``near`` and the ``cap`` nearest. Written to ``out``; returns how many."""
    best = row[h]
    floor = best - 2.0 * reach - slack  # |h - c| <= 2: a cell further below is never probed
    to_cell = dist[h]
    k = 0
    room = out.shape[0]
    for c in range(row.shape[0]):
        s = row[c]
        if s < floor or c == h:
            continue
        gap = best - s
        if gap > reach * to_cell[c] + slack:
            continue
        r = (gap - slack) / max(to_cell[c], 1e-12)  # the row's distance to the bisector
        if k == room and r >= ratio[k - 1]:
            continue
        j = min(k, room - 1)  # insertion into the nearest ``room``, in order
        while j > 0 and ratio[j - 1] > r:
            if j < room:
                ratio[j] = ratio[j - 1]
                out[j] = out[j - 1]
            j -= 1
        ratio[j] = r
        out[j] = c
        if k < room:
            k += 1
    kept = min(k, cap)
    while kept < k and ratio[kept] <= near:
        kept += 1
    return kept


@jit
def place_rows(
    scores: np.ndarray,
    dist: np.ndarray,
    reach: float,
    near: float,
    cap: int,
    slack: float,
    home: np.ndarray,
    counts: np.ndarray,
    cells: np.ndarray,
) -> None:
    """Per row of ``scores`` (row . centre, rows x cells): its home, the nearest centre (ties
    to the lower cell), and the cells it probes (:func:`_probes`): a cell's bisector with the
    home cell is ``(best - score) / dist[home, c]`` from the row (``slack`` allows for
    rounding). Row i's are ``cells[i, :counts[i]]``."""
    for i in range(scores.shape[0]):
        row = scores[i]
        h = 0
        best = row[0]
        for c in range(1, row.shape[0]):
            if row[c] > best:
                best = row[c]
                h = c
        home[i] = h
        ratio = np.empty(cells.shape[1], dtype=np.float32)
        counts[i] = _probes(row, h, dist, reach, near, cap, slack, cells[i], ratio)
