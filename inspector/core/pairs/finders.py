"""Pair checks over preference data (prompt, chosen, rejected), beside the quality rules.

Per row (columns ``pairs.<name>`` with a ``pairs.<name>.flag``):

- ``same_prompt_chosen``: another pair has the same prompt and the same chosen side, with a
  different rejected side (normal in sets that pit one reference against several models, but
  such a chosen side weighs several times in training). Listed, not proposed for removal.
- ``swapped_elsewhere``: another pair has the same prompt with the two sides swapped: the
  pairs contradict each other. Proposed for removal (both), a person keeps one or neither.
- ``chosen_flagged``: the chosen side has a quality flag and the rejected side none (the
  value: how many flags the chosen side has). The learned quality model, when it scored both
  sides, counts as one more flag on a side whose keep probability is under the cut.
  Listed, not proposed.

Identical or near-identical sides (``pair.chosen_rejected_similarity``), an empty side
(``pair.empty_side``) and a cut-off side (``chosen.cut_off``, ``rejected.cut_off``) are
quality rules (``inspector.core.junk.quality``).

Per dataset: :func:`length_bias`, the share of pairs whose chosen side is much longer than
the rejected one (a DPO model learns "longer wins" from such a set).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

PREFIX = "pairs."
SAME_PROMPT_CHOSEN = "pairs.same_prompt_chosen"
SWAPPED_ELSEWHERE = "pairs.swapped_elsewhere"
CHOSEN_FLAGGED = "pairs.chosen_flagged"
#: Flags listed in the Issues lists but not proposed for removal.
LISTED_ONLY = (SAME_PROMPT_CHOSEN + ".flag", CHOSEN_FLAGGED + ".flag")
#: Flags proposed for removal.
PROPOSED = (SWAPPED_ELSEWHERE + ".flag",)

LEARNED_CUT = 0.5  # a side the learned model keeps with p under this counts as flagged
MUCH_LONGER = 2.0  # chosen ≥ this many times the rejected side's characters
BIASED_SHARE = 0.25  # a set is length-biased when this share of pairs or more is, and...
BIASED_OVER = 2.0  # ...at least this many times the share the other way round


def _keys(texts: pl.Series) -> np.ndarray:
    """A 64-bit key per text of its exact-duplicate normal form (0 for an empty text)."""
    from inspector.core.junk.duplicates import exact_keys

    keys = exact_keys(texts)
    h1 = keys.get_column("h1").to_numpy()
    h2 = keys.get_column("h2").to_numpy()
    out = h1 ^ (h2 * np.uint64(0x9E3779B97F4A7C15))
    return np.where(keys.get_column("nonempty").to_numpy(), out, np.uint64(0))


def pair_columns(
    frame: pl.DataFrame,
    prompt_col: str,
    chosen_col: str,
    rejected_col: str,
    quality: pl.DataFrame | None = None,
    learned: tuple[np.ndarray, np.ndarray] | None = None,
    cut: float = LEARNED_CUT,
) -> pl.DataFrame:
    """The per-row pair checks (see the module doc) for ``frame``; ``quality`` is the quality
    rules' table (its ``chosen.*.flag`` / ``rejected.*.flag`` columns) and ``learned`` the
    learned model's keep probability of the chosen and the rejected side (NaN: not scored),
    for ``chosen_flagged``."""
    p = _keys(frame.get_column(prompt_col))
    c = _keys(frame.get_column(chosen_col))
    r = _keys(frame.get_column(rejected_col))
    keys = pl.DataFrame({"p": p, "c": c, "r": r}).with_row_index("row")
    same = keys.with_columns(
        n=pl.col("r").n_unique().over("p", "c"),
        size=pl.len().over("p", "c"),
    )
    same_count = np.where(same["n"].to_numpy() > 1, same["size"].to_numpy(), 0)
    mirrored = keys.select("p", c="r", r="c").unique()
    swapped = (
        keys.filter(pl.col("c") != pl.col("r"))
        .join(mirrored, on=["p", "c", "r"], how="semi")
        .get_column("row")
        .to_numpy()
    )
    swapped_flag = np.zeros(frame.height, dtype=bool)
    swapped_flag[swapped] = True
    out = {
        SAME_PROMPT_CHOSEN: pl.Series(SAME_PROMPT_CHOSEN, same_count, pl.Int32),
        SAME_PROMPT_CHOSEN + ".flag": pl.Series(SAME_PROMPT_CHOSEN + ".flag", same_count > 0),
        SWAPPED_ELSEWHERE: pl.Series(SWAPPED_ELSEWHERE, swapped_flag.astype(np.int32)),
        SWAPPED_ELSEWHERE + ".flag": pl.Series(SWAPPED_ELSEWHERE + ".flag", swapped_flag),
    }
    n_chosen = np.zeros(frame.height, dtype=np.int32)
    n_rejected = np.zeros(frame.height, dtype=np.int32)
    measured = False
    if quality is not None:
        for side, count in (("chosen.", n_chosen), ("rejected.", n_rejected)):
            cols = [f for f in quality.columns if f.startswith(side) and f.endswith(".flag")]
            measured |= side == "chosen." and bool(cols)
            for f in cols:
                count += quality.get_column(f).fill_null(False).to_numpy().astype(np.int32)
    if learned is not None:
        measured = True
        for p, count in zip(learned, (n_chosen, n_rejected)):
            p = np.asarray(p, dtype=np.float64)
            count += (~np.isnan(p) & (np.nan_to_num(p, nan=1.0) < cut)).astype(np.int32)
    if measured:
        worse = (n_chosen > 0) & (n_rejected == 0)
        out[CHOSEN_FLAGGED] = pl.Series(CHOSEN_FLAGGED, np.where(worse, n_chosen, 0), pl.Int32)
        out[CHOSEN_FLAGGED + ".flag"] = pl.Series(CHOSEN_FLAGGED + ".flag", worse)
    return pl.DataFrame(out)


def length_bias(
    chosen: pl.Series, rejected: pl.Series, ratio: float = MUCH_LONGER
) -> dict[str, Any]:
    """The dataset-level length finding: how many pairs (both sides non-empty) have a chosen
    side at least ``ratio`` times as long as the rejected one, and the other way round."""
    lc = chosen.cast(pl.String).fill_null("").str.strip_chars().str.len_chars().to_numpy()
    lr = rejected.cast(pl.String).fill_null("").str.strip_chars().str.len_chars().to_numpy()
    both = (lc > 0) & (lr > 0)
    n = int(both.sum())
    much = int((both & (lc >= ratio * lr)).sum())
    other = int((both & (lr >= ratio * lc)).sum())
    longer = int((both & (lc > lr)).sum())
    share = much / n if n else 0.0
    share_other = other / n if n else 0.0
    biased = bool(n and share >= BIASED_SHARE and share >= BIASED_OVER * share_other)
    median = float(np.median(lc[both] / lr[both])) if n else None
    message = (
        f"chosen at least {ratio:g}x as long as rejected in {much:,} of {n:,} pairs "
        f"({100 * share:.1f}%); the other way round in {other:,} ({100 * share_other:.1f}%); "
        f"chosen longer in {100 * (longer / n if n else 0):.1f}%"
        + ("; a model trained on it may learn that longer wins" if biased else "")
    )
    return {
        "finder": "length_bias",
        "pairs": n,
        "ratio": ratio,
        "chosen_much_longer": much,
        "share": share,
        "rejected_much_longer": other,
        "share_rejected": share_other,
        "chosen_longer_share": longer / n if n else 0.0,
        "median_length_ratio": median,
        "biased": biased,
        "message": message,
    }
