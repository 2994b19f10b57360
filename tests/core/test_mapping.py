"""The map job end to end with the real default model: stages, partial results, caching,
precomputed vectors, and semantic search over the result."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.jobs import Cancelled, Progress
from inspector.core.map import embed, layout
from inspector.core.map.mapping import STAGES, MapResult, build_map
from inspector.core.map.search import more_like_this, search_text

TOPICS = {
    "baking": "recipe oven flour bake dough butter sugar bread cake yeast",
    "football": "football goal striker league referee penalty stadium match coach",
    "astronomy": "planet orbit galaxy telescope comet nebula asteroid star moon",
    "music": "violin piano melody concert orchestra symphony chord guitar song",
}


def topic_texts(n_per: int = 150, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for g, words in enumerate(TOPICS.values()):
        vocab = words.split()
        for i in range(n_per):
            texts.append(f"{i}: " + " ".join(rng.choice(vocab, size=6)))
            truth.append(g)
    return texts, np.array(truth)


class Recorder(Progress):
    def __init__(self) -> None:
        self.stages: list[str] = []
        self.partials: dict[str, object] = {}
        super().__init__(on_update=self._update, on_partial=self._partial)

    def _update(self, p: Progress) -> None:
        if not self.stages or self.stages[-1] != p.stage:
            self.stages.append(p.stage)

    def _partial(self, name: str, value: object) -> None:
        self.partials[name] = value


@pytest.fixture(scope="module")
def topic_map() -> tuple[list[str], np.ndarray, MapResult, Recorder]:
    texts, truth = topic_texts()
    rec = Recorder()
    return texts, truth, build_map(texts, progress=rec), rec


def test_stages_partials_and_shapes(topic_map) -> None:
    texts, truth, r, rec = topic_map
    n = len(texts)
    # The four stages in order (sub-stages such as a model preparation may come first).
    seen = [s for s in rec.stages if s in STAGES]
    assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s] == list(STAGES)
    assert list(rec.partials) == ["vectors", "knn", "layout", "clusters"]
    assert r.vectors.dtype == np.float32 and r.vectors.shape[0] == n
    assert r.knn_indices.shape == (n, 15) and r.knn_indices.dtype == np.int32
    assert r.knn_sims.dtype == np.float32
    assert r.xy.shape == (n, 2) and r.xy.dtype == np.float32
    assert r.cluster_coarse.dtype == np.int32 and r.cluster_fine.dtype == np.int32
    assert r.model_identity.startswith("m2v:default:")
    assert len(r) == n


def test_topics_become_named_clusters(topic_map) -> None:
    from sklearn.metrics import adjusted_rand_score

    texts, truth, r, _ = topic_map
    clustered = r.cluster_coarse >= 0
    assert clustered.mean() > 0.7
    assert adjusted_rand_score(truth[clustered], r.cluster_coarse[clustered]) > 0.8
    vocab = [set(w.split()) for w in TOPICS.values()]
    assert r.names_coarse and set(r.names_coarse) == set(np.unique(r.cluster_coarse[clustered]))
    for c, name in r.names_coarse.items():
        majority = np.bincount(truth[r.cluster_coarse == c]).argmax()
        assert set(name.split(" · ")) <= vocab[majority], name
    assert set(r.names_fine) == set(np.unique(r.cluster_fine[r.cluster_fine >= 0]))


def test_second_build_comes_from_the_caches(topic_map, monkeypatch) -> None:
    texts, _, first, _ = topic_map

    def forbidden(*_a, **_k):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(embed, "load_embedder", forbidden)
    monkeypatch.setattr(layout, "_umap", forbidden)
    again = build_map(texts)
    np.testing.assert_array_equal(again.vectors, first.vectors)
    np.testing.assert_array_equal(again.knn_indices, first.knn_indices)
    np.testing.assert_array_equal(again.xy, first.xy)
    np.testing.assert_array_equal(again.cluster_fine, first.cluster_fine)
    assert again.names_coarse == first.names_coarse


def test_precomputed_vectors_need_no_model(monkeypatch) -> None:
    texts, truth = topic_texts(n_per=40, seed=1)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 12)) * 5
    vectors = (centres[truth] + rng.normal(size=(len(truth), 12))).astype(np.float32)
    monkeypatch.setattr(
        embed, "load_embedder", lambda *a, **k: (_ for _ in ()).throw(AssertionError)
    )
    r = build_map(texts, vectors=vectors)
    assert r.model_identity.startswith("vectors:")
    np.testing.assert_allclose(np.linalg.norm(r.vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="one vector per row"):
        build_map(texts[:-1], vectors=vectors)


def test_cancel_stops_the_job() -> None:
    texts, _ = topic_texts(n_per=20, seed=2)
    p = Progress(on_update=lambda p: p.cancel() if p.stage == "neighbours" else None)
    with pytest.raises(Cancelled):
        build_map(texts, progress=p, k=5)


def test_search_and_more_like_this(topic_map) -> None:
    texts, truth, r, _ = topic_map
    idx, sims = search_text("telescope galaxy comet", r.vectors, k=10)
    assert len(idx) == 10 and np.all(truth[idx] == 2)
    assert np.all(np.diff(sims) <= 1e-6)
    like, like_sims = more_like_this(5, knn=r.knn, k=10)
    assert 5 not in like and np.mean(truth[like] == truth[5]) >= 0.9


def test_empty_and_tiny_inputs() -> None:
    for texts in ([], ["only one"], ["a cat", "a dog", ""]):
        r = build_map(texts)
        assert r.xy.shape == (len(texts), 2) and np.all(np.isfinite(r.xy))
        assert r.cluster_fine.shape == (len(texts),)
        assert np.all(np.isfinite(r.knn_sims))
