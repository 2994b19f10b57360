"""What drove a row's learned keep probability, in words a curator understands.

Two parts, both computed per row from arrays prepared once per model (:class:`Explainer`):

- the nearest rows the curator labelled: cosine in the model's embedding space (the answer
  and prompt embeddings side by side), "Like 4 rows you dropped, 1 you kept", with the
  nearest few and their decision. The labelled rows' unit vectors are one matrix built once;
  a row costs one matrix-vector product.
- the non-embedding features (the no-label signals, the lengths): with the linear model,
  each one's contribution to the raw score (coefficient x standardised value, a signal's
  value and its "measured" flag counted together), the largest few by magnitude, plus the
  embeddings' contribution as one figure; with gradient boosting (no per-feature
  contribution to read off), the signals the trees use whose value lies outside their usual
  range (5th-95th percentile over the scored rows).

Qt-free; the window calls :meth:`Explainer.explain` on every current-row change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from inspector.core.learn.model import LOGISTIC, QualityModel
from inspector.core.learn.signals import SIGNALS

NEAREST = 5  # labelled rows counted ("like 4 rows you dropped, 1 you kept")
SHOWN = 3  # of which shown with a snippet
TOP_DRIVERS = 3
MIN_EFFECT = 0.05  # a contribution (raw-score units) smaller than this drives nothing
SNIPPET_CHARS = 100
USUAL = (5.0, 95.0)  # percentiles that bound a signal's usual range (boosting)

# what a signal's value measures, in words ("relevance 0.12")
VALUE_NAMES = {
    "off_topic": "relevance",
    "shared_answer": "prompts sharing it",
    "word_salad": "common word pairs",
    "symbol_soup": "non-word share",
    "language_mismatch": "confidence",
    "cut_off": "cut off",
    "repetition_loop": "repeats",
    "ai_boilerplate": "phrases",
}
_EMB_PREFIXES = ("answer_emb_", "prompt_emb_", "diff_emb_")


@dataclass(frozen=True)
class Neighbour:
    """A labelled row near the explained one."""

    row: int
    id: str
    keep: bool
    similarity: float
    snippet: str


@dataclass(frozen=True)
class Driver:
    """One feature (group) that moved the score, as a sentence."""

    name: str  # signal name, "answer_chars", "prompt_chars", "embeddings"
    text: str  # "Answer unrelated to its prompt (relevance 0.12) lowers the score"
    effect: float | None  # raw-score contribution (linear); None: out of range (boosting)


@dataclass(frozen=True)
class LearnedExplanation:
    row: int
    model_kind: str
    kept: int  # among the NEAREST labelled rows
    dropped: int
    neighbours: list[Neighbour] = field(default_factory=list)  # the SHOWN nearest
    drivers: list[Driver] = field(default_factory=list)
    content: Driver | None = None  # the embeddings' total contribution (linear)
    own_label: str | None = None  # "keep"/"drop" when the row itself was a training label

    @property
    def summary(self) -> str:
        """The neighbours in words: "Like 4 rows you dropped, 1 you kept" ("" without labelled neighbours)."""
        if not self.kept + self.dropped:
            return ""
        parts = []
        if self.dropped:
            parts.append(f"{_rows(self.dropped)} you dropped")
        if self.kept:
            parts.append(f"{self.kept if parts else _rows(self.kept)} you kept")
        return "Like " + ", ".join(parts)


class Explainer:
    """Per-row explanations of one model's scores over one dataset's rows.

    ``prompt_vectors``/``response_vectors``: the embeddings the model was trained and scored
    on, (n, dim) in row order (kept as float16); ``signal_values``: (n, signals) NaN where not
    measured; ``lengths``: (n, 2) characters of prompt and answer; ``ids``: each row's id
    (the model's training labels are found by id, so rows added or removed since are fine);
    ``answers``: the answer texts, for the labelled rows' snippets (optional).
    Raises ValueError when the arrays do not fit the model (another embedding model or
    signal set: a stale model)."""

    def __init__(
        self,
        model: QualityModel,
        prompt_vectors: np.ndarray,
        response_vectors: np.ndarray,
        signal_values: np.ndarray,
        lengths: np.ndarray,
        signal_names: Sequence[str],
        ids: Sequence[str] | pl.Series,
        answers: Sequence[str] | pl.Series | None = None,
    ) -> None:
        n, dim = response_vectors.shape
        signal_names = list(signal_names)
        expected = 3 * dim + 2 * len(signal_names) + 2
        if len(model.features) != expected or prompt_vectors.shape != (n, dim):
            raise ValueError(
                f"the model has {len(model.features)} features; these rows give {expected} "
                f"({dim}-d embeddings, {len(signal_names)} signals): retrain the model"
            )
        self.model = model
        self.dim = dim
        self.signal_names = signal_names
        self.pv = np.asarray(prompt_vectors, dtype=np.float16)
        self.rv = np.asarray(response_vectors, dtype=np.float16)
        self.sv = np.asarray(signal_values, dtype=np.float32)
        self.lengths = np.asarray(lengths, dtype=np.float32)
        id_series = pl.Series("id", ids).cast(pl.String)
        # the training labels on the rows they are now (by id)
        trained = pl.DataFrame(
            {"id": [str(i) for i in model.trained_ids], "label": model.trained_labels}
        )
        where = (
            pl.DataFrame({"id": id_series, "row": pl.int_range(n, eager=True, dtype=pl.Int64)})
            .join(trained, on="id", how="inner")
            .sort("row")
        )
        self.labelled_rows = where["row"].to_numpy().astype(np.int64)
        self.labelled_keep = where["label"].to_numpy().astype(bool)
        self.labelled_ids = where["id"].to_list()
        self._label_of = dict(zip(self.labelled_rows.tolist(), self.labelled_keep.tolist()))
        self.labelled_unit = self._unit(self._space(self.labelled_rows))
        self.snippets: list[str] = []
        if answers is not None:
            texts = pl.Series("a", answers).cast(pl.String).gather(self.labelled_rows)
            self.snippets = [_snippet(t) for t in texts.to_list()]
        self._linear = model.kind == LOGISTIC
        self._groups = self._feature_groups()
        self._usual = self._usual_ranges() if not self._linear else {}
        self._used = self._tree_features() if not self._linear else set()

    # -- one row -----------------------------------------------------------------------------
    def features_of(self, row: int) -> np.ndarray:
        """The model's feature vector of ``row`` (as model.feature_matrix builds it)."""
        r = self.rv[row].astype(np.float32)
        p = self.pv[row].astype(np.float32)
        s = self.sv[row]
        return np.concatenate(
            [r, p, r - p, np.nan_to_num(s, nan=0.0), ~np.isnan(s), np.log1p(self.lengths[row])]
        ).astype(np.float32)

    def explain(self, row: int) -> LearnedExplanation:
        """The nearest labelled rows and the drivers of ``row``'s score."""
        if not 0 <= row < len(self.rv):
            raise IndexError(f"row {row} is not among the {len(self.rv):,} scored rows")
        kept, dropped, shown = self._nearest(row)
        own = self._label_of.get(row)
        drivers: list[Driver]
        content = None
        if self._linear:
            drivers, content = self._contributions(row)
        else:
            drivers = self._out_of_range(row)
        return LearnedExplanation(
            row,
            self.model.kind,
            kept,
            dropped,
            shown,
            drivers,
            content,
            None if own is None else ("keep" if own else "drop"),
        )

    # -- the nearest labelled rows ----------------------------------------------------------
    def _space(self, rows: np.ndarray | int) -> np.ndarray:
        return np.hstack(
            [
                np.atleast_2d(self.rv[rows]).astype(np.float32),
                np.atleast_2d(self.pv[rows]).astype(np.float32),
            ]
        )

    @staticmethod
    def _unit(x: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)

    def _nearest(self, row: int) -> tuple[int, int, list[Neighbour]]:
        if not len(self.labelled_rows):
            return 0, 0, []
        v = self._unit(self._space(row))[0]
        if not v.any():  # a blank row has no direction: nothing is near it
            return 0, 0, []
        sims = self.labelled_unit @ v
        sims[self.labelled_rows == row] = -np.inf  # not the row itself
        valid = np.flatnonzero(np.isfinite(sims) & self.labelled_unit.any(axis=1))
        if not len(valid):
            return 0, 0, []
        k = min(NEAREST, len(valid))
        part = valid[np.argpartition(-sims[valid], k - 1)[:k]] if len(valid) > k else valid
        order = part[np.lexsort((self.labelled_rows[part], -sims[part]))]
        keep = self.labelled_keep[order]
        shown = [
            Neighbour(
                int(self.labelled_rows[i]),
                str(self.labelled_ids[i]),
                bool(self.labelled_keep[i]),
                float(sims[i]),
                self.snippets[i] if self.snippets else "",
            )
            for i in order[:SHOWN]
        ]
        return int(keep.sum()), int((~keep).sum()), shown

    # -- the linear model's contributions ---------------------------------------------------
    def _feature_groups(self) -> list[tuple[str, np.ndarray]]:
        names = self.model.features
        groups: list[tuple[str, np.ndarray]] = []
        for s in self.signal_names:
            idx = [i for i, f in enumerate(names) if f in (f"signal.{s}", f"measured.{s}")]
            groups.append((s, np.array(idx, dtype=np.int64)))
        for name, feature in (("prompt_chars", "log_prompt_chars"), ("answer_chars", "log_answer_chars")):  # fmt: skip
            groups.append((name, np.array([names.index(feature)], dtype=np.int64)))
        emb = [i for i, f in enumerate(names) if f.startswith(_EMB_PREFIXES)]
        groups.append(("embeddings", np.array(emb, dtype=np.int64)))
        return groups

    def _contributions(self, row: int) -> tuple[list[Driver], Driver | None]:
        a = self.model.arrays
        x = self.features_of(row).astype(np.float64)
        contrib = (x - a["mean"]) / a["scale"] * a["coef"]
        drivers: list[Driver] = []
        content = None
        for name, idx in self._groups:
            effect = float(contrib[idx].sum())
            if name == "embeddings":
                if abs(effect) >= MIN_EFFECT:
                    content = Driver(
                        name, f"What the answer and prompt are about {_moves(effect)}", effect
                    )
                continue
            if abs(effect) < MIN_EFFECT:
                continue
            drivers.append(Driver(name, f"{self._what(name, row)} {_moves(effect)}", effect))
        drivers.sort(key=lambda d: (-abs(d.effect or 0.0), d.name))
        return drivers[:TOP_DRIVERS], content

    def _what(self, name: str, row: int) -> str:
        if name == "answer_chars":
            return f"Answer length ({int(self.lengths[row, 1]):,} characters)"
        if name == "prompt_chars":
            return f"Prompt length ({int(self.lengths[row, 0]):,} characters)"
        j = self.signal_names.index(name)
        value = float(self.sv[row, j])
        sig = SIGNALS.get(name)
        title = sig.title if sig is not None else name
        measure = VALUE_NAMES.get(name, name)
        shown = "not measured" if np.isnan(value) else f"{measure} {value:.3g}"
        return f"{title} ({shown})"

    # -- gradient boosting: signals out of their usual range ---------------------------------
    def _usual_ranges(self) -> dict[str, tuple[float, float]]:
        out = {}
        for j, name in enumerate(self.signal_names):
            col = self.sv[:, j]
            col = col[~np.isnan(col)]
            if len(col):
                lo, hi = np.percentile(col, USUAL)
                out[name] = (float(lo), float(hi))
        return out

    def _tree_features(self) -> set[str]:
        a = self.model.arrays
        if "node_feature_idx" not in a:
            return set()
        split = ~a["node_is_leaf"].astype(bool)
        used = {self.model.features[int(i)] for i in np.unique(a["node_feature_idx"][split])}
        return {s for s in self.signal_names if f"signal.{s}" in used or f"measured.{s}" in used}

    def _out_of_range(self, row: int) -> list[Driver]:
        out = []
        for j, name in enumerate(self.signal_names):
            value = float(self.sv[row, j])
            usual = self._usual.get(name)
            if name not in self._used or usual is None or np.isnan(value):
                continue
            lo, hi = usual
            if lo <= value <= hi or lo == hi:
                continue
            sig = SIGNALS.get(name)
            title = sig.title if sig is not None else name
            measure = VALUE_NAMES.get(name, name)
            out.append(
                Driver(
                    name,
                    f"{title}: {measure} {value:.3g}, usually {lo:.3g}–{hi:.3g}",
                    None,
                )
            )
        return out[:TOP_DRIVERS]


def _rows(n: int) -> str:
    return f"{n} row" + ("" if n == 1 else "s")


def _moves(effect: float) -> str:
    return "raises the score" if effect > 0 else "lowers the score"


def _snippet(text: str | None) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= SNIPPET_CHARS else t[: SNIPPET_CHARS - 1] + "…"
