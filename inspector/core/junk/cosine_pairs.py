"""Every pair of rows with cosine ≥ a threshold, exactly, without a kNN graph.

Semantic duplicates need the pairs above a high threshold (0.9-0.99), not each row's
neighbours. Rows are cut into spherical k-means cells; each cell keeps its centre and its
radius (the largest angle from the centre to a member). For unit vectors, cos ≥ t means
an angle ≤ θ = arccos t, and by the triangle inequality on angles a row ``x`` can pair
with a member of cell ``c`` only when ``angle(x, centre) - radius ≤ θ``. Each row is
compared with the members of every cell that this bound cannot rule out, so no pair is
missed, whatever the cells are: they only decide how much is compared.

The bound is conservative for float32 arithmetic: every product is taken as possibly off
by ``γ_d |x| |y|`` (the textbook bound on a d-term dot product's rounding, whatever the
summation order), the threshold for vectors whose norms are within 1e-3 of 1 (taken as
they are, as :func:`inspector.core.map.neighbors.as_unit_vectors` does) is widened by
their norms, so a pair whose float32 product is ≥ t is never in a skipped cell.

Each pair is compared once: a row meets the members of its own cell above it and of the
probed cells after its own. Zero (and non-finite) vectors pair with nothing.

Exact, but only as fast as the bound prunes: on 32,192 real answers (the default model,
t = 0.98) leaves of 128 rows have a median radius of 0.86 rad against θ = 0.20, and the
search took 12.7 CPU-s against 8.5 for the full similarity matrix and 3.0 for the ivf kNN
graph (benchmarks/results/bench_junk.json, issue15_part2_exact_summary); analyze does not
use it.
"""

from __future__ import annotations

import numpy as np

from inspector.core.jobs import Progress

PAIR_STAGE = "similar pairs"
LEAF = 128  # most rows a cell of the tree keeps before it is split
BRANCH = 16  # children of a split cell
BLOCK = 1 << 22  # similarities computed at a time (16 MB of float32)
KMEANS_ITERS = 5
TRAIN_PER_CELL = 32


def cosine_pairs(
    vectors: np.ndarray,
    threshold: float,
    progress: Progress | None = None,
    seed: int = 0,
    leaf: int = LEAF,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a int64, b int64, similarity float32)``: every pair ``a < b`` whose float32 dot
    product of unit vectors is ≥ ``threshold``, sorted by ``(a, b)``, each once.

    The cells form a tree (k-means splits of ``BRANCH`` until a cell holds ``leaf`` rows or
    fewer); a row descends into every child the angle bound does not rule out. ``leaf``
    only changes how much is compared (tests make it small to force deep trees): the
    pairs are the same for any.
    """
    from inspector.core.map.neighbors import as_unit_vectors

    progress = progress if progress is not None else Progress()
    v = as_unit_vectors(vectors)
    n, d = v.shape
    norms = _norms(v)
    live = np.flatnonzero(np.isfinite(norms) & (norms > 0.5))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if len(live) < 2 or not np.isfinite(threshold) or threshold > 2.0:
        return empty
    gamma = _gamma(d)
    # a pair passes when fl(x.y) >= t, so its true cosine is at least t/(|x||y|) - gamma
    lo, hi = float(norms[live].min()), float(norms[live].max())
    reach = min(threshold / hi**2, threshold / lo**2) - gamma
    theta = float(np.arccos(np.clip(reach, -1.0, 1.0))) + 1e-9
    progress.status(PAIR_STAGE, None, f"cutting {len(live):,} rows into cells")
    tree = _Tree(v, norms, gamma)
    tree.build(live, max(2, int(leaf)) if theta < np.pi else len(live), seed, progress)
    home = np.full(n, -1, dtype=np.int64)
    for i, rows in enumerate(tree.leaf_rows):
        home[rows] = i
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    progress.status(
        PAIR_STAGE, len(tree.leaf_rows), f"pairs of {len(live):,} rows above {threshold:.3f}"
    )
    stack = [(0, live)]
    while stack:
        node, queries = stack.pop()
        kids = tree.children[node]
        if not kids:
            leaf_id = tree.leaf_id[node]
            own = home[queries] == leaf_id
            found.append(_pairs_in_cell(v, queries, tree.leaf_rows[leaf_id], own, threshold))
            progress.advance()
            if leaf_id % 32 == 0:
                progress.check()
            continue
        keep = tree.reachable(queries, kids, theta, home)
        for j in range(len(kids) - 1, -1, -1):  # children in order: leaves in order
            q = queries[keep[:, j]]
            if len(q):
                stack.append((kids[j], q))
    if not found:
        return empty
    a = np.concatenate([f[0] for f in found])
    b = np.concatenate([f[1] for f in found])
    s = np.concatenate([f[2] for f in found])
    order = np.lexsort((b, a))
    return a[order], b[order], s[order]


class _Tree:
    """Cells within cells: each node's unit centre and radius (the largest angle from it to
    a row below, rounding counted against it); leaves hold rows, numbered left to right."""

    def __init__(self, v: np.ndarray, norms: np.ndarray, gamma: float) -> None:
        self.v, self.norms, self.gamma = v, norms, gamma
        self.centres: list[np.ndarray] = []
        self.radius: list[float] = []
        self.children: list[list[int]] = []
        self.last_leaf: list[int] = []  # the highest leaf number below each node
        self.leaf_id: dict[int, int] = {}
        self.leaf_rows: list[np.ndarray] = []

    def _node(self, centre: np.ndarray, rows: np.ndarray, cos: np.ndarray) -> int:
        scale = self.norms[rows] * float(np.linalg.norm(centre.astype(np.float64)))
        low = (cos - self.gamma * scale) / scale
        self.centres.append(centre)
        self.radius.append(float(np.arccos(np.clip(low.min(), -1.0, 1.0))) + 1e-9)
        self.children.append([])
        self.last_leaf.append(-1)
        return len(self.centres) - 1

    def build(self, live: np.ndarray, leaf: int, seed: int, progress: Progress) -> None:
        """Split cells until each holds ``leaf`` rows or fewer (or only identical rows)."""
        centre = _mean_direction(self.v[live])[0]
        root = self._node(centre, live, (self.v[live] @ centre).astype(np.float64))
        stack: list[tuple[int, np.ndarray, bool]] = [(root, live, False)]
        while stack:
            node, rows, done = stack.pop()
            if done:  # every child numbered: the node's last leaf is its last child's
                self.last_leaf[node] = self.last_leaf[self.children[node][-1]]
                continue
            parts = self._split(rows, leaf, seed + node) if len(rows) > leaf else []
            if len(parts) < 2:
                self.leaf_id[node] = len(self.leaf_rows)
                self.last_leaf[node] = len(self.leaf_rows)
                self.leaf_rows.append(rows)
                continue
            kids = [self._node(c, r, cos) for c, r, cos in parts]
            self.children[node] = kids
            stack.append((node, rows, True))
            for kid, (_, r, _) in reversed(list(zip(kids, parts, strict=True))):
                stack.append((kid, r, False))
            progress.check()

    def _split(
        self, rows: np.ndarray, leaf: int, seed: int
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        k = int(min(BRANCH, max(2, -(-len(rows) // leaf))))
        centres = _kmeans(self.v[rows], k, seed)
        assign = np.empty(len(rows), dtype=np.int64)
        cos = np.empty(len(rows), dtype=np.float64)
        for s in range(0, len(rows), 8192):
            scores = self.v[rows[s : s + 8192]] @ centres.T
            best = np.argmax(scores, axis=1)
            assign[s : s + 8192] = best
            cos[s : s + 8192] = scores[np.arange(len(best)), best]
        order = np.argsort(assign, kind="stable")
        starts = np.searchsorted(assign[order], np.arange(k + 1))
        parts = []
        for j in range(k):
            take = order[starts[j] : starts[j + 1]]
            if len(take) == len(rows):
                return []  # no split (identical rows): a leaf
            if len(take):
                parts.append((centres[j], rows[np.sort(take)], cos[np.sort(take)]))
        return parts

    def reachable(
        self, queries: np.ndarray, kids: list[int], theta: float, home: np.ndarray
    ) -> np.ndarray:
        """(queries x kids) True where a query may have a pair below the kid: the angle
        bound allows it and the kid holds a leaf at or after the query's own."""
        centres = np.stack([self.centres[k] for k in kids])
        c_norms = np.linalg.norm(centres.astype(np.float64), axis=1)
        radius = np.array([self.radius[k] for k in kids])
        limit = np.cos(np.minimum(theta + radius, np.pi))
        last = np.array([self.last_leaf[k] for k in kids])
        out = np.empty((len(queries), len(kids)), dtype=bool)
        for s in range(0, len(queries), 8192):
            q = queries[s : s + 8192]
            scores = (self.v[q] @ centres.T).astype(np.float64)
            scale = self.norms[q][:, None] * c_norms[None, :]
            upper = (scores + self.gamma * scale) / scale  # the cosine to the centre, at most
            out[s : s + 8192] = (upper >= limit[None, :]) & (last[None, :] >= home[q][:, None])
        return out


def _gamma(d: int) -> float:
    """Bound on a float32 d-term dot product's relative rounding error (γ_d, doubled for
    the norms' own rounding), plus float64 slack for the angles."""
    u = 2.0**-24
    return 2.0 * (d + 2) * u / (1.0 - (d + 2) * u) + 1e-12


def _norms(v: np.ndarray) -> np.ndarray:
    out = np.empty(len(v), dtype=np.float64)
    for s in range(0, len(v), 65536):
        block = v[s : s + 65536].astype(np.float64)
        out[s : s + 65536] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out


def _mean_direction(v: np.ndarray) -> np.ndarray:
    m = v.astype(np.float64).sum(axis=0)
    norm = float(np.linalg.norm(m))
    if norm == 0:
        m = np.zeros(v.shape[1])
        m[0], norm = 1.0, 1.0
    return (m / norm).astype(np.float32)[None, :]


def _kmeans(v: np.ndarray, cells: int, seed: int) -> np.ndarray:
    """Unit centres of ``cells`` spherical k-means cells trained on a seeded sample (any
    cells are correct; tighter ones compare less)."""
    rng = np.random.default_rng(seed)
    n = len(v)
    train = v[np.sort(rng.choice(n, min(n, TRAIN_PER_CELL * cells), replace=False))]
    centres = train[np.sort(rng.choice(len(train), cells, replace=False))].copy()
    for _ in range(KMEANS_ITERS):
        assign = np.empty(len(train), dtype=np.int64)
        for s in range(0, len(train), 8192):
            assign[s : s + 8192] = np.argmax(train[s : s + 8192] @ centres.T, axis=1)
        sums = np.zeros_like(centres, dtype=np.float64)
        np.add.at(sums, assign, train)
        lengths = np.linalg.norm(sums, axis=1)
        alive = lengths > 0
        centres[alive] = (sums[alive] / lengths[alive, None]).astype(np.float32)
    return np.ascontiguousarray(centres)


def _pairs_in_cell(
    v: np.ndarray, queries: np.ndarray, base: np.ndarray, own: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (min, max, sim) of ``queries`` x ``base`` with sim ≥ threshold; a query of this
    cell (``own``) pairs only with members above it (the others meet it from their side)."""
    out_a, out_b, out_s = [], [], []
    vb = v[base]
    step = max(1, BLOCK // len(base))
    for s0 in range(0, len(queries), step):
        q = queries[s0 : s0 + step]
        sims = v[q] @ vb.T
        qi, bi = np.nonzero(sims >= threshold)
        if not len(qi):
            continue
        ra, rb = q[qi], base[bi]
        ok = ~own[s0 : s0 + step][qi] | (rb > ra)
        ra, rb = ra[ok], rb[ok]
        out_a.append(np.minimum(ra, rb))
        out_b.append(np.maximum(ra, rb))
        out_s.append(sims[qi[ok], bi[ok]].astype(np.float32))
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return (
        np.concatenate(out_a).astype(np.int64),
        np.concatenate(out_b).astype(np.int64),
        np.concatenate(out_s),
    )
