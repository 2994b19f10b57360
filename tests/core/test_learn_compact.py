"""The compact candidates (core/learn/views.py): signals and lengths plus a few principal
components of the embeddings. A kind of bad row that one signal shows is learnt from a few
labels even beside hundreds of embedding columns; where the labels follow the embeddings, the
full models still win; a compact model is saved and scored in the full model's form."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from inspector.core.learn import model as learn_model
from inspector.core.learn.model import (
    BOOSTING,
    BOOSTING_SIGNALS,
    LOGISTIC,
    LOGISTIC_COMPACT,
    feature_names,
    load_model,
    save_model,
    train,
)
from inspector.core.learn.views import compact_view, fold_linear

DIM = 64
SIGNALS = ["off_topic", "word_salad", "symbol_soup", "cut_off", "repetition_loop"]
NAMES = feature_names(DIM, SIGNALS)


def rows(n: int, seed: int, by: str = "signal"):
    """Feature rows laid out as feature_matrix lays them (answer, prompt, diff embeddings,
    signals, measured flags, 2 log lengths), the embeddings noise. ``by="signal"``: every
    fourth row is a drop of one of five kinds in turn, each shown by its own signal (raised by
    1-3 over a 0-0.5 background); ``by="embedding"``: drop when the answer embedding's column
    3 (a small-variance direction, which the principal components miss) is below 0."""
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(n, DIM))
    r[:, 3] *= 0.2
    p = rng.normal(size=(n, DIM))
    s = rng.random((n, len(SIGNALS))) * 0.5
    y = np.ones(n, dtype=np.int8)
    if by == "signal":
        drop = np.flatnonzero(np.arange(n) % 4 == 0)
        s[drop, np.arange(len(drop)) % len(SIGNALS)] += rng.uniform(1, 3, len(drop))
    else:
        drop = np.flatnonzero(r[:, 3] < 0)
    y[drop] = 0
    lengths = np.log1p(rng.integers(50, 3000, size=(n, 2)))
    X = np.hstack([r, p, r - p, s, np.ones_like(s), lengths]).astype(np.float32)
    return X, y


def test_kinds_of_bad_rows_that_signals_show_are_learnt_from_sixty_labels():
    # 15 drops, 3 of each kind, beside 192 embedding columns of noise: the full models
    # cannot hold them apart (logistic spreads its weight, a boosting leaf needs 5 rows)
    X, y = rows(60, seed=0)
    model = train(X, y, [f"r{i}" for i in range(60)], NAMES)
    assert model.report["model"] in (LOGISTIC_COMPACT, BOOSTING_SIGNALS)
    assert set(model.report["cv_auc"]) == {LOGISTIC, BOOSTING, LOGISTIC_COMPACT, BOOSTING_SIGNALS}
    Xt, yt = rows(1500, seed=1)
    compact_auc = roc_auc_score(yt, model.keep_probability(Xt))
    full = train(X, y, [f"r{i}" for i in range(60)], NAMES, candidates=(LOGISTIC, BOOSTING))
    assert compact_auc > 0.95
    assert compact_auc > roc_auc_score(yt, full.keep_probability(Xt)) + 0.1


def test_labels_that_follow_the_embeddings_keep_a_full_model():
    X, y = rows(200, seed=2, by="embedding")
    model = train(X, y, [f"r{i}" for i in range(200)], NAMES)
    assert model.report["model"] in (LOGISTIC, BOOSTING)
    assert model.report["cv_auc"][model.report["model"]] > model.report["cv_auc"][LOGISTIC_COMPACT]
    Xt, yt = rows(1000, seed=3, by="embedding")
    assert roc_auc_score(yt, model.keep_probability(Xt)) > 0.9


def test_below_forty_labels_only_the_linear_candidates_are_chosen():
    X, y = rows(30, seed=4)
    model = train(X, y, [f"r{i}" for i in range(30)], NAMES)
    assert model.kind == LOGISTIC and model.report["model"] in (LOGISTIC, LOGISTIC_COMPACT)
    assert BOOSTING_SIGNALS in model.report["cv_auc"]  # measured and reported all the same


@pytest.mark.parametrize("kind", [LOGISTIC_COMPACT, BOOSTING_SIGNALS])
def test_a_compact_model_scores_the_full_rows_as_its_view_does(kind, tmp_path):
    X, y = rows(90, seed=5)
    fitted = learn_model._fit_candidate(kind, X, y, 0, NAMES)
    model = train(X, y, [f"r{i}" for i in range(90)], NAMES, candidates=(kind,))
    Xq, _ = rows(400, seed=6)
    exported = learn_model.QualityModel(
        model.kind, NAMES, fitted.export(X.shape[1]), (1.0, 0.0), [], y
    )
    assert np.allclose(exported.raw_scores(Xq), fitted.raw(Xq), atol=1e-9)
    # saved and reloaded: the same scores, in the full form (no view is saved)
    again = load_model(save_model(model, tmp_path))
    assert np.array_equal(again.keep_probability(Xq), model.keep_probability(Xq))
    assert set(again.arrays) == set(model.arrays)
    assert model.report["features_used"].startswith(f"{2 * len(SIGNALS) + 2} columns")


def test_folded_contributions_sum_to_the_views_score():
    # the explainer reads (x - mean) / scale * coef per column: over the folded columns these
    # add up to the linear model's score on its view
    X, y = rows(80, seed=7)
    view = compact_view(X, NAMES, components=4)
    V = view.apply(X)
    rng = np.random.default_rng(0)
    a = {
        "mean": V.mean(axis=0),
        "scale": V.std(axis=0) + 0.5,
        "coef": rng.normal(size=V.shape[1]),
        "intercept": np.array([0.3]),
    }
    on_view = (V - a["mean"]) / a["scale"] @ a["coef"] + 0.3
    folded = fold_linear(a, view, X.shape[1])
    on_rows = (X - folded["mean"]) / folded["scale"] @ folded["coef"] + folded["intercept"][0]
    assert np.allclose(on_rows, on_view, atol=1e-9)
    emb = [i for i, f in enumerate(NAMES) if f.startswith(("answer_emb_", "diff_emb_"))]
    assert np.count_nonzero(folded["coef"][emb]) == len(emb)  # projected columns carry weight
    prompt = [i for i, f in enumerate(NAMES) if f.startswith("prompt_emb_")]
    assert not folded["coef"][prompt].any()  # the prompt block is not in the compact view


def test_the_components_are_the_same_for_the_same_rows():
    X, _ = rows(50, seed=8)
    a, b = compact_view(X, NAMES), compact_view(X.copy(), NAMES)
    assert all(np.array_equal(x[2], z[2]) for x, z in zip(a.blocks, b.blocks, strict=True))
    assert len(a.blocks) == 2 and a.blocks[0][2].shape == (8, DIM)
    few = compact_view(X[:3], NAMES)  # fewer rows than components: rows - 1 components
    assert few.blocks[0][2].shape == (2, DIM)
