"""The map job: texts -> vectors -> kNN graph -> 2-D layout -> named clusters.

``build_map`` runs as a background job: it reports the stages "embedding", "neighbours",
"layout" and "clusters" through ``progress.status`` and hands over each result as soon as
it exists through ``progress.partial`` ("vectors", "knn", "layout", "clusters"). Every stage
is cached on disk (vectors by text, graph and layout by the vectors' digest, clusters and
their low-confidence members by the layout, names, member shares and representative rows
by the name texts, labels and vectors), so building the same map again takes seconds.

Names come from ``name_texts`` when given (the prompt side of chat and instruction data,
whatever text was embedded: see ``project_map.name_texts``), else from the embedded texts.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inspector.core.atomic import write_bytes
from inspector.core.jobs import Progress
from inspector.core.map.cluster_details import ClusterDetails, representatives
from inspector.core.map.clusters import CLUSTER_STAGE, Clusters, cluster_map
from inspector.core.map.embed import EMBED_STAGE, embed_texts_full
from inspector.core.map.layout import LAYOUT_STAGE, layout_2d
from inspector.core.map.neighbors import KNN_STAGE, as_unit_vectors, knn_graph, vectors_digest
from inspector.core.map.vector_cache import digest_hashes, hash_texts
from inspector.core.paths import cache_dir

STAGES = (EMBED_STAGE, KNN_STAGE, LAYOUT_STAGE, CLUSTER_STAGE)
_NAMES_VERSION = "4"  # 4: chat fillers (hi, did, trying…) are stop words


@dataclass
class MapResult:
    """Everything the map view, the CLI and the junk finders need about one embedding set."""

    vectors: np.ndarray  # float32 (n, dim), L2-normalised
    knn_indices: np.ndarray  # int32 (n, k), self excluded, best first
    knn_sims: np.ndarray  # float32 (n, k) cosine similarity
    xy: np.ndarray  # float32 (n, 2)
    cluster_coarse: np.ndarray  # int32 (n,), -1 = noise
    cluster_fine: np.ndarray  # int32 (n,), -1 = noise
    names_coarse: dict[int, str]
    names_fine: dict[int, str]
    model_identity: str
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    # Representatives, low-confidence members, name member shares; None: no clusters made.
    details: ClusterDetails | None = None

    @property
    def knn(self) -> tuple[np.ndarray, np.ndarray]:
        return self.knn_indices, self.knn_sims

    def __len__(self) -> int:
        return len(self.xy)


def build_map(
    texts: Sequence[str],
    model: str = "default",
    progress: Progress | None = None,
    vectors: np.ndarray | None = None,
    k: int = 15,
    seed: int = 0,
    cache: bool = True,
    name_texts: Sequence[str] | None = None,
) -> MapResult:
    """Build (or reload from the caches) the map of ``texts``.

    With ``vectors`` (e.g. a column of the data) no model runs: the vectors are normalised
    and used as they are, and ``texts`` only name the clusters. ``name_texts`` (one per
    row) name the clusters instead of ``texts``.
    """
    progress = progress if progress is not None else Progress()
    texts = ["" if t is None else str(t) for t in texts]
    timings: dict[str, float] = {}
    v, hashes, identity, digest = _embed(texts, model, progress, vectors, cache, timings)
    idx, sims = _graph(v, k, progress, seed, cache, digest, timings)
    t0 = time.perf_counter()
    progress.status(LAYOUT_STAGE, len(v))
    xy = layout_2d(v, (idx, sims), seed=seed, progress=progress, cache=cache, digest=digest)
    timings[LAYOUT_STAGE] = time.perf_counter() - t0
    progress.partial("layout", xy)

    t0 = time.perf_counter()
    progress.status(CLUSTER_STAGE, 2)
    found = cluster_map(xy, progress=progress, cache=cache, seed=seed)
    coarse, fine = found.coarse, found.fine
    timings["clusters_hdbscan"] = time.perf_counter() - t0
    progress.status(CLUSTER_STAGE, None, "naming clusters")
    t1 = time.perf_counter()
    named = _named_texts(texts, hashes, name_texts)
    names_coarse, names_fine, details = _details(v, digest, named, found, seed, cache)
    timings["clusters_names"] = time.perf_counter() - t1
    timings[CLUSTER_STAGE] = time.perf_counter() - t0
    progress.partial(
        "clusters",
        {
            "coarse": coarse,
            "fine": fine,
            "names_coarse": names_coarse,
            "names_fine": names_fine,
            "details": details,
        },
    )
    return MapResult(
        vectors=v,
        knn_indices=idx,
        knn_sims=sims,
        xy=xy,
        cluster_coarse=coarse,
        cluster_fine=fine,
        names_coarse=names_coarse,
        names_fine=names_fine,
        model_identity=identity,
        timings=timings,
        details=details,
    )


def build_graph(
    texts: Sequence[str],
    model: str = "default",
    progress: Progress | None = None,
    vectors: np.ndarray | None = None,
    k: int = 15,
    seed: int = 0,
    cache: bool = True,
    neighbours: bool = True,
    name_texts: Sequence[str] | None = None,
) -> MapResult:
    """The vectors and (with ``neighbours``) the kNN graph of ``texts``, without computing a
    layout: what the junk finders need. The layout and clusters come from the caches when a
    map of these vectors was made before; otherwise ``xy`` is NaN and every cluster -1."""
    from inspector.core.map.layout import cached_layout

    progress = progress if progress is not None else Progress()
    texts = ["" if t is None else str(t) for t in texts]
    timings: dict[str, float] = {}
    v, hashes, identity, digest = _embed(texts, model, progress, vectors, cache, timings)
    n = len(v)
    if neighbours:
        idx, sims = _graph(v, k, progress, seed, cache, digest, timings)
    else:
        idx, sims = np.zeros((n, 0), np.int32), np.zeros((n, 0), np.float32)
    # the layout's cache key holds the graph's k (capped at n - 1), computed or not
    xy = cached_layout(n, digest, max(0, min(k, n - 1)), seed) if cache else None
    if xy is None:
        nan = np.full((n, 2), np.nan, np.float32)
        none = np.full(n, -1, np.int32)
        return MapResult(v, idx, sims, nan, none, none.copy(), {}, {}, identity, timings)
    t0 = time.perf_counter()
    progress.status(CLUSTER_STAGE, 2)
    found = cluster_map(xy, progress=progress, cache=cache, seed=seed)
    named = _named_texts(texts, hashes, name_texts)
    names_coarse, names_fine, details = _details(v, digest, named, found, seed, cache)
    timings[CLUSTER_STAGE] = time.perf_counter() - t0
    return MapResult(
        v,
        idx,
        sims,
        xy,
        found.coarse,
        found.fine,
        names_coarse,
        names_fine,
        identity,
        timings,
        details,
    )


def _embed(
    texts: list[str],
    model: str,
    progress: Progress,
    vectors: np.ndarray | None,
    cache: bool,
    timings: dict[str, float],
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """(unit vectors, text hashes, model identity, vectors digest) of ``texts``."""
    t0 = time.perf_counter()
    progress.status(EMBED_STAGE, len(texts))
    if vectors is None:
        embedded = embed_texts_full(texts, model, progress, cache=cache)
        v, hashes, identity = embedded.vectors, embedded.hashes, embedded.identity
    else:
        v = as_unit_vectors(vectors)
        if len(v) != len(texts):
            raise ValueError(
                f"build_map: {len(texts):,} texts but {len(v):,} vectors; give one vector per row"
            )
        hashes = hash_texts(texts)
        identity = ""
    digest = vectors_digest(v)
    if vectors is not None:
        identity = f"vectors:{digest}"
    timings[EMBED_STAGE] = time.perf_counter() - t0
    progress.partial("vectors", v)
    return v, hashes, identity, digest


def _graph(
    v: np.ndarray,
    k: int,
    progress: Progress,
    seed: int,
    cache: bool,
    digest: str,
    timings: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    t0 = time.perf_counter()
    progress.status(KNN_STAGE, len(v))
    idx, sims = knn_graph(v, k=k, progress=progress, seed=seed, cache=cache, digest=digest)
    timings[KNN_STAGE] = time.perf_counter() - t0
    progress.partial("knn", (idx, sims))
    return idx, sims


def _named_texts(
    texts: list[str], hashes: np.ndarray, name_texts: Sequence[str] | None
) -> tuple[list[str], np.ndarray]:
    """The texts that name the clusters and their hashes (the embedded ones by default)."""
    if name_texts is None:
        return texts, hashes
    named = ["" if t is None else str(t) for t in name_texts]
    if len(named) != len(texts):
        raise ValueError(
            f"build_map: {len(texts):,} texts but {len(named):,} name texts; give one per row"
        )
    return named, hash_texts(named)


def _details(
    vectors: np.ndarray,
    digest: str,
    named: tuple[list[str], np.ndarray],
    found: Clusters,
    seed: int,
    cache: bool,
) -> tuple[dict[int, str], dict[int, str], ClusterDetails]:
    """Names of both levels and the clusters' details, cached by (name texts, labels,
    vectors)."""
    from inspector.core.map.keywords import name_clusters

    texts, hashes = named
    coarse, fine, low = found.coarse, found.fine, found.low_confidence
    path = None
    if cache:
        h = hashlib.blake2b(digest_size=16)
        h.update(digest_hashes(hashes).encode())
        h.update(digest.encode())
        h.update(np.ascontiguousarray(coarse, dtype=np.int32).tobytes())
        h.update(np.ascontiguousarray(fine, dtype=np.int32).tobytes())
        h.update(np.ascontiguousarray(low, dtype=bool).tobytes())
        path = cache_dir() / "names" / f"{h.hexdigest()}-s{seed}-v{_NAMES_VERSION}.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return (
                    {int(c): s for c, s in data["coarse"].items()},
                    {int(c): s for c, s in data["fine"].items()},
                    ClusterDetails.from_json(data["details"], low),
                )
            except (OSError, ValueError, KeyError, TypeError):
                pass
    naming_coarse, naming_fine = name_clusters(texts, [coarse, fine], seed=seed)
    details = ClusterDetails(
        representatives={
            "coarse": representatives(vectors, coarse, low, hashes),
            "fine": representatives(vectors, fine, low, hashes),
        },
        low_confidence=low,
        member_share={"coarse": naming_coarse.member_share, "fine": naming_fine.member_share},
    )
    if path is not None:
        payload = {
            "coarse": naming_coarse.names,
            "fine": naming_fine.names,
            "details": details.to_json(),
        }
        write_bytes(path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return naming_coarse.names, naming_fine.names, details
