"""What the map shows about each cluster beyond its name: who is a weak member, which rows
stand for it, and how well its name fits. Qt-free; produced by the map job
(``mapping.build_map`` -> ``MapResult.details``) and shown by the map panel."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEVELS = ("coarse", "fine")
REPRESENTATIVES = 3  # rows shown for each cluster


@dataclass
class ClusterDetails:
    """Per-cluster extras of one map.

    ``representatives``: level ("coarse"/"fine") -> cluster code -> row indices, best first
    (the rows nearest the cluster's centre). ``low_confidence``: bool per row, True where a
    point HDBSCAN left as noise was reassigned to a nearby cluster. ``member_share``: level ->
    cluster code -> share of the cluster's members whose name text holds at least one of the
    cluster's name words (0..1).
    """

    representatives: dict[str, dict[int, list[int]]] = field(default_factory=dict)
    low_confidence: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    member_share: dict[str, dict[int, float]] = field(default_factory=dict)

    @classmethod
    def empty(cls, n: int) -> ClusterDetails:
        """No clusters: no representatives, every row a confident (or no) member."""
        return cls(
            representatives={level: {} for level in LEVELS},
            low_confidence=np.zeros(n, dtype=bool),
            member_share={level: {} for level in LEVELS},
        )

    def to_json(self) -> dict:
        """The per-cluster parts (not ``low_confidence``, cached with the clusters)."""
        return {
            "representatives": {
                level: {str(c): rows for c, rows in by.items()}
                for level, by in self.representatives.items()
            },
            "member_share": {
                level: {str(c): share for c, share in by.items()}
                for level, by in self.member_share.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict, low_confidence: np.ndarray) -> ClusterDetails:
        return cls(
            representatives={
                level: {int(c): [int(r) for r in rows] for c, rows in by.items()}
                for level, by in data["representatives"].items()
            },
            low_confidence=np.asarray(low_confidence, dtype=bool),
            member_share={
                level: {int(c): float(s) for c, s in by.items()}
                for level, by in data["member_share"].items()
            },
        )


def representatives(
    vectors: np.ndarray,
    labels: np.ndarray,
    low_confidence: np.ndarray | None = None,
    keys: np.ndarray | None = None,
    k: int = REPRESENTATIVES,
) -> dict[int, list[int]]:
    """Cluster id -> up to ``k`` rows nearest the cluster's centre, best first.

    The centre is the normalised mean of the members' (unit) vectors; nearness is cosine
    similarity. Confident members come before reassigned (``low_confidence``) ones, and a
    row whose ``keys`` value (e.g. its text's hash) an earlier pick has is skipped, so three
    copies of one prompt never stand for a cluster. Ties go to the lower row: the same input
    gives the same rows.
    """
    import scipy.sparse as sp

    labels = np.asarray(labels)
    n = len(labels)
    members = np.flatnonzero(labels >= 0)
    if len(members) == 0:
        return {}
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2 or v.shape[1] == 0:
        v = np.zeros((n, 1), np.float32)
    n_clusters = int(labels.max()) + 1
    onehot = sp.csr_matrix(
        (np.ones(len(members), np.float32), (labels[members], members)), shape=(n_clusters, n)
    )
    centres = np.asarray(onehot @ v, dtype=np.float64)
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    centres = np.divide(centres, norms, out=np.zeros_like(centres), where=norms > 0)
    sims = np.empty(len(members), dtype=np.float64)
    for lo in range(0, len(members), 65_536):
        rows = members[lo : lo + 65_536]
        sims[lo : lo + len(rows)] = np.einsum("ij,ij->i", v[rows], centres[labels[rows]])
    sims = np.round(sims, 6)  # float noise must not decide between equal rows
    low = np.zeros(n, bool) if low_confidence is None else np.asarray(low_confidence, bool)
    order = members[np.lexsort((members, -sims, low[members], labels[members]))]
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, np.arange(n_clusters))
    ends = np.searchsorted(sorted_labels, np.arange(n_clusters), side="right")
    out: dict[int, list[int]] = {}
    for c in range(n_clusters):
        if starts[c] == ends[c]:
            continue
        picked: list[int] = []
        seen: set = set()
        for row in order[starts[c] : ends[c]]:
            if keys is not None:
                key = bytes(keys[row])
                if key in seen:
                    continue
                seen.add(key)
            picked.append(int(row))
            if len(picked) == k:
                break
        out[c] = picked
    return out
