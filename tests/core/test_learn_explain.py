"""What drove a row's learned score (core/learn/explain.py): the nearest labelled rows in the
model's embedding space, and the signals' contributions (linear) or the signals out of their
usual range (gradient boosting), on data whose drop rows are planted."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.learn.explain import Explainer
from inspector.core.learn.model import BOOSTING, LOGISTIC, feature_matrix, feature_names, train
from inspector.core.learn.signals import compute_signals

DIM = 16


def planted(n: int = 240, seed: int = 0):
    """Garden questions with on-topic answers (answer vector = prompt vector + noise); every
    fourth answer is off-topic (a random vector). Rows 200..204 are five near copies of one
    direction (the 'twins'), labelled; row 205 is one more, unlabelled."""
    rng = np.random.default_rng(seed)
    prompts = [f"How do I care for garden number {i} in the spring?" for i in range(n)]
    answers = [
        f"Water garden number {i} every morning and check its soil weekly." for i in range(n)
    ]
    pv = rng.normal(size=(n, DIM)).astype(np.float32)
    rv = pv + 0.3 * rng.normal(size=(n, DIM)).astype(np.float32)
    off = np.arange(n) % 4 == 0
    rv[off] = rng.normal(size=(int(off.sum()), DIM))
    twin_p, twin_r = rng.normal(size=DIM) * 3, rng.normal(size=DIM) * 3
    for i in range(200, 206):
        pv[i] = twin_p + 0.05 * rng.normal(size=DIM)
        rv[i] = twin_r + 0.05 * rng.normal(size=DIM)
        off[i] = False
    pv /= np.linalg.norm(pv, axis=1, keepdims=True)
    rv /= np.linalg.norm(rv, axis=1, keepdims=True)
    keep = (~off).astype(np.int8)
    return prompts, answers, pv, rv, keep


def fitted(kind: str):
    prompts, answers, pv, rv, keep = planted()
    table = compute_signals(prompts, answers, pv, rv)
    sv = table.values()
    lengths = np.column_stack([[len(p) for p in prompts], [len(a) for a in answers]])
    labelled = np.r_[np.arange(0, 120), np.arange(200, 205)]
    names = feature_names(DIM, list(table.signals))
    ids = [f"r{i}" for i in range(len(prompts))]
    X = feature_matrix(pv, rv, sv, lengths, labelled)
    model = train(X, keep[labelled], [ids[i] for i in labelled], names, candidates=(kind,))
    explainer = Explainer(model, pv, rv, sv, lengths, list(table.signals), ids, answers)
    return explainer, keep, labelled, sv, list(table.signals)


def test_the_nearest_labelled_rows_are_the_planted_twins():
    explainer, keep, labelled, _sv, _names = fitted(LOGISTIC)
    ex = explainer.explain(205)  # the unlabelled twin
    assert {n.row for n in ex.neighbours} <= {200, 201, 202, 203, 204}
    assert len(ex.neighbours) == 3 and ex.kept == 5 and ex.dropped == 0
    assert ex.summary == "Like 5 rows you kept"
    assert all(n.keep and n.similarity > 0.9 for n in ex.neighbours)
    assert ex.neighbours[0].snippet.startswith("Water garden number 20")
    assert ex.own_label is None
    # a labelled row is not its own neighbour, and its label is said
    own = explainer.explain(200)
    assert own.own_label == "keep" and 200 not in {n.row for n in own.neighbours}


def test_an_off_topic_answer_is_explained_by_the_relevance_signal():
    explainer, keep, labelled, sv, names = fitted(LOGISTIC)
    assert explainer.model.kind == LOGISTIC
    off_rows = [r for r in range(120, 200) if keep[r] == 0]  # planted, never labelled
    ex = explainer.explain(off_rows[0])
    top = ex.drivers[0]
    assert top.name == "off_topic" and top.effect is not None and top.effect < 0
    assert "Answer unrelated to its prompt (relevance" in top.text
    assert top.text.endswith("lowers the score")
    rel = sv[off_rows[0], names.index("off_topic")]
    assert f"relevance {rel:.3g}" in top.text
    assert len(ex.drivers) <= 3
    # the driver's effect is coefficient x standardised value of its two features
    a = explainer.model.arrays
    x = explainer.features_of(off_rows[0]).astype(np.float64)
    contrib = (x - a["mean"]) / a["scale"] * a["coef"]
    off_idx = [
        explainer.model.features.index(f) for f in ("signal.off_topic", "measured.off_topic")
    ]
    assert top.effect == pytest.approx(contrib[off_idx].sum())
    # the linear model's raw score is the intercept plus all contributions
    raw = explainer.model.raw_scores(x[None, :].astype(np.float32))[0]
    assert raw == pytest.approx(float(a["intercept"][0]) + contrib.sum(), rel=1e-4)


def test_features_of_a_row_are_the_models_features():
    explainer, *_ = fitted(LOGISTIC)
    prompts, answers, pv, rv, _keep = planted()
    table = compute_signals(prompts, answers, pv, rv)
    lengths = np.column_stack([[len(p) for p in prompts], [len(a) for a in answers]])
    X = feature_matrix(pv, rv, table.values(), lengths, np.array([7]))
    np.testing.assert_allclose(explainer.features_of(7), X[0], atol=2e-3)  # float16 vectors


def test_gradient_boosting_names_signals_out_of_their_usual_range():
    explainer, keep, _labelled, sv, names = fitted(BOOSTING)
    assert explainer.model.kind == BOOSTING
    off_rows = [r for r in range(120, 200) if keep[r] == 0]
    j = names.index("off_topic")
    lo = np.nanpercentile(sv[:, j], 5)
    low = [r for r in off_rows if sv[r, j] < lo]
    assert low  # some planted off-topic answers are below the usual range
    ex = explainer.explain(low[0])
    assert ex.content is None
    hit = [d for d in ex.drivers if d.name == "off_topic"]
    assert hit and hit[0].effect is None and "usually" in hit[0].text
    assert hit[0].text.startswith("Answer unrelated to its prompt: relevance")


def test_a_model_of_other_features_is_refused():
    explainer, *_ = fitted(LOGISTIC)
    prompts, answers, pv, rv, _keep = planted()
    with pytest.raises(ValueError, match="retrain"):
        Explainer(
            explainer.model, pv[:, :8], rv[:, :8], explainer.sv, explainer.lengths,
            explainer.signal_names, [f"r{i}" for i in range(len(pv))],
        )  # fmt: skip
