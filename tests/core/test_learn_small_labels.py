"""The model on label sets of a curator's first hour (tens of labels): a kind of bad row that
only a handful of labels show must still be learnt."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from inspector.core.learn.model import BOOSTING, LOGISTIC, MIN_LABELS_BOOSTING, train


def few_drops(n: int, n_drop: int, seed: int):
    """Rows of noise; the drops (a few) stand out on feature 0 only."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10)).astype(np.float32)
    y = np.ones(n, dtype=np.int8)
    drop = rng.choice(n, n_drop, replace=False)
    y[drop] = 0
    X[drop, 0] += 4.0
    return X, y


def test_boosting_learns_a_kind_of_bad_row_that_only_eight_labels_show():
    # 8 drops among 80 labels: a tree whose leaves need 20 rows cannot hold them apart
    X, y = few_drops(80, 8, seed=0)
    model = train(X, y, [f"r{i}" for i in range(80)], [f"f{i}" for i in range(10)],
                  candidates=(BOOSTING,))  # fmt: skip
    Xt, yt = few_drops(2000, 200, seed=1)
    assert roc_auc_score(yt, model.keep_probability(Xt)) > 0.95


def test_with_few_labels_the_linear_model_is_chosen_and_both_are_reported():
    # a pattern only trees can learn; with 30 labels (about 3 of the smaller class a fold)
    # cross-validation cannot tell the two models apart reliably: the linear model is taken
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 6)).astype(np.float32)
    y = ((X[:, 0] > 0) == (X[:, 1] > 0)).astype(np.int8)
    names = [f"f{i}" for i in range(6)]
    few = train(X, y, [f"r{i}" for i in range(30)], names)
    assert few.kind == LOGISTIC
    assert set(few.report["cv_auc"]) == {LOGISTIC, BOOSTING}
    assert few.report["boosting_from_labels"] == MIN_LABELS_BOOSTING
    X2 = rng.normal(size=(400, 6)).astype(np.float32)
    y2 = ((X2[:, 0] > 0) == (X2[:, 1] > 0)).astype(np.int8)
    many = train(X2, y2, [f"r{i}" for i in range(400)], names)
    assert many.kind == BOOSTING
