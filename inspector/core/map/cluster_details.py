"""What the map shows about each cluster beyond its name: who is a weak member, which rows
stand for it, and how well its name fits. Qt-free; produced by the map job
(``mapping.build_map`` -> ``MapResult.details``) and shown by the map panel."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEVELS = ("coarse", "fine")


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
