"""The columns a candidate model learns from (its view), and a linear model on a view turned
back into one on every column.

The full view is every feature. The compact view keeps the non-embedding columns (signals,
their "measured" flags, lengths) and replaces the answer and answer-minus-prompt embeddings by
a few principal components of each, fitted on the labelled rows: with a few hundred labels,
768 embedding columns drown the signals (see ``model.CANDIDATES``). A view is plain arrays,
so a model on it is saved like any other (``fold_linear``; the trees renumber their features).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COMPONENTS = 8  # principal components of each projected embedding block
PROJECTED = ("answer_emb_", "diff_emb_")  # the blocks the compact view projects
EMBEDDING_PREFIXES = ("answer_emb_", "prompt_emb_", "diff_emb_")


@dataclass
class View:
    """``keep``: columns used as they are; then each block's principal components (the
    block's columns, their mean, components k x columns)."""

    keep: np.ndarray
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def apply(self, X: np.ndarray) -> np.ndarray:
        parts = [np.asarray(X[:, self.keep], dtype=np.float64)]
        for cols, mean, comp in self.blocks:
            parts.append((np.asarray(X[:, cols], dtype=np.float64) - mean) @ comp.T)
        return np.hstack(parts)

    def describe(self) -> str:
        what = f"{len(self.keep)} columns"
        for cols, _mean, comp in self.blocks:
            what += f" + {len(comp)} components of {len(cols)}"
        return what


def has_embeddings(features: list[str]) -> bool:
    return any(f.startswith(EMBEDDING_PREFIXES) for f in features)


def full_view(n_features: int) -> View:
    return View(np.arange(n_features))


def compact_view(X: np.ndarray, features: list[str], components: int = COMPONENTS) -> View:
    """The non-embedding columns, plus ``components`` principal components of each
    ``PROJECTED`` block fitted on ``X``'s rows (0: none, the signals and lengths only)."""
    names = [str(f) for f in features]
    emb = np.array([f.startswith(EMBEDDING_PREFIXES) for f in names], dtype=bool)
    view = View(np.flatnonzero(~emb))
    if components > 0:
        for prefix in PROJECTED:
            cols = np.array([i for i, f in enumerate(names) if f.startswith(prefix)], np.int64)
            if len(cols):
                view.blocks.append(_components(X[:, cols], cols, components))
    return view


def _components(
    block: np.ndarray, cols: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal components of ``block`` (rows x columns), each signed so that its largest
    entry is positive (same rows, same components)."""
    B = np.asarray(block, dtype=np.float64)
    mean = B.mean(axis=0)
    k = max(1, min(k, len(B) - 1, B.shape[1]))
    _u, _s, vt = np.linalg.svd(B - mean, full_matrices=False)
    comp = vt[:k]
    sign = np.sign(comp[np.arange(len(comp)), np.argmax(np.abs(comp), axis=1)])
    return cols, mean, comp * np.where(sign == 0, 1.0, sign)[:, None]


def fold_linear(a: dict[str, np.ndarray], view: View, n: int) -> dict[str, np.ndarray]:
    """A linear model on ``view`` (arrays ``mean``, ``scale``, ``coef``, ``intercept`` over
    the view's columns) as the same model on all ``n`` columns: a kept column keeps its mean,
    scale and coefficient; a projected column gets the weight its components give it, on its
    mean with scale 1, so per-column contributions (the explainer's) still sum to the view's."""
    mean, scale, coef = np.zeros(n), np.ones(n), np.zeros(n)
    k = len(view.keep)
    mean[view.keep] = a["mean"][:k]
    scale[view.keep] = a["scale"][:k]
    coef[view.keep] = a["coef"][:k]
    intercept = float(a["intercept"][0])
    at = k
    for cols, m, comp in view.blocks:
        j = slice(at, at + len(comp))
        w = a["coef"][j] / a["scale"][j]  # per component, on its unscaled value
        coef[cols] += comp.T @ w
        mean[cols] = m
        intercept -= float(a["mean"][j] @ w)  # the components' own mean (0 on these rows)
        at += len(comp)
    return {"mean": mean, "scale": scale, "coef": coef, "intercept": np.array([intercept])}
