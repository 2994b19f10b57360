"""The model registry and cached embedding with the REAL default model (distilled once per
session, or shared through INSPECTOR_MODEL_DIR): hit, miss, resume after cancel, blanks."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.jobs import Cancelled, Progress
from inspector.core.map import embed, models

WORDS = (
    "python code function compile bug recipe salt oven bake flour goal team match player "
    "league planet star orbit galaxy telescope violin piano melody concert orchestra"
).split()


def make_texts(n: int, seed: int, prefix: str = "") -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"{prefix}{i} " + " ".join(rng.choice(WORDS, size=8)) for i in range(n)]


@pytest.fixture(scope="session")
def default_model() -> models.Embedder:
    return models.load_embedder("default")


def test_registry_lists_builtins() -> None:
    infos = {info.name: info for info in models.list_models()}
    assert infos["default"].kind == "static"
    assert infos["default"].default_dup_threshold == 0.98
    assert infos["minilm"].kind == "transformer" and infos["minilm"].prepared
    assert infos["minilm"].default_dup_threshold == 0.95
    assert infos["minilm"].dim == 384


def test_default_model_is_prepared_once_and_encodes(default_model: models.Embedder) -> None:
    assert models.is_default_prepared()
    assert any(i.name == "default" and i.prepared for i in models.list_models())
    assert default_model.identity.startswith("m2v:default:")
    assert models.model_identity("default") == default_model.identity  # stable, no reload
    assert models.load_embedder("default") is default_model
    vecs = default_model.encode(["How do I bake bread?", "", "   \n", "python list sort"])
    assert vecs.dtype == np.float32 and vecs.shape == (4, default_model.dim)
    assert np.all(np.isfinite(vecs))
    np.testing.assert_allclose(np.linalg.norm(vecs[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not vecs[1].any() and not vecs[2].any()  # blanks are zero vectors


def test_prepare_reports_progress_and_is_atomic(tmp_path, monkeypatch) -> None:
    """A cancelled preparation leaves no model behind (nothing half-written)."""
    monkeypatch.setenv("INSPECTOR_MODEL_DIR", str(tmp_path))
    seen: list[str] = []

    def on_update(p: Progress) -> None:
        seen.append(p.stage)
        if p.done >= 512:
            p.cancel()

    with pytest.raises(Cancelled):
        models.prepare_default(Progress(on_update=on_update))
    assert models.PREPARE_STAGE in seen
    assert not models.is_default_prepared()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_cache_hit_miss_and_dedupe(default_model: models.Embedder, monkeypatch) -> None:
    texts = make_texts(300, seed=1, prefix="hit ")
    texts = texts + texts[:50] + ["", "  "]  # duplicates and blanks
    first = embed.embed_texts_full(texts)
    assert first.embedded_rows == 300  # each unique non-blank text once
    assert first.vectors.shape == (352, default_model.dim)
    np.testing.assert_array_equal(first.vectors[300:350], first.vectors[:50])
    assert not first.vectors[-2:].any()

    # Reopening: every vector comes from the cache and the model is never touched.
    def no_model(*_a, **_k):
        raise AssertionError("the model should not be needed")

    monkeypatch.setattr(embed, "load_embedder", no_model)
    second = embed.embed_texts_full(texts)
    assert second.embedded_rows == 0
    np.testing.assert_array_equal(second.vectors, first.vectors)
    monkeypatch.undo()

    # A miss: only the new texts are embedded.
    more = texts[:100] + make_texts(40, seed=2, prefix="miss ")
    third = embed.embed_texts_full(more)
    assert third.embedded_rows == 40
    np.testing.assert_array_equal(third.vectors[:100], first.vectors[:100])


def test_cold_and_cached_vectors_are_identical(default_model: models.Embedder) -> None:
    texts = make_texts(200, seed=3, prefix="same ")
    cold = embed.embed_texts(texts)
    warm = embed.embed_texts(texts)
    np.testing.assert_array_equal(cold, warm)
    nocache = embed.embed_texts(texts, cache=False)
    np.testing.assert_array_equal(cold, nocache)
    direct = default_model.encode(texts)
    np.testing.assert_allclose(cold, direct, atol=2e-3)  # float16 rounding only


def test_resume_after_cancel(default_model: models.Embedder, monkeypatch) -> None:
    monkeypatch.setattr(embed, "CHUNK_ROWS", 2000)
    texts = make_texts(6000, seed=4, prefix="resume ")

    def cancel_after_first_chunk(p: Progress) -> None:
        if p.stage == embed.EMBED_STAGE and p.done >= 2000:
            p.cancel()

    with pytest.raises(Cancelled):
        embed.embed_texts(
            texts, progress=Progress(on_update=cancel_after_first_chunk), batch_size=1000
        )

    totals: list[int | None] = []
    resumed = embed.embed_texts_full(
        texts, progress=Progress(on_update=lambda p: totals.append(p.total)), batch_size=1000
    )
    assert resumed.embedded_rows == 4000  # the first chunk survived the cancel
    assert 4000 in totals  # progress counts only the rows the model still has to embed
    np.testing.assert_array_equal(resumed.vectors, embed.embed_texts(texts))


def test_only_blank_texts(default_model: models.Embedder) -> None:
    vecs = embed.embed_texts(["", " ", "\t"])
    assert vecs.shape == (3, default_model.dim) and not vecs.any()
    assert embed.embed_texts([]).shape[0] == 0
