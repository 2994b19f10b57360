"""Leakage against an evaluation set: which training rows repeat an eval item, exactly, by
MinHash Jaccard or (with vectors for both) by cosine — the check to run before training on a
set that will be scored on a benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data.normalize import EXACT, LEXICAL, Normalization
from inspector.core.junk import minhash
from inspector.core.junk.duplicates import (
    EXACT_DUPLICATE,
    MINHASH_DUPLICATE,
    SEMANTIC_DUPLICATE,
    exact_keys,
    id_series,
)
from inspector.core.map.models import normalise


def find_eval_leaks(
    train_texts: pl.Series | Sequence[str | None],
    eval_texts: pl.Series | Sequence[str | None],
    eval_ids: pl.Series | Sequence[Any] | None = None,
    *,
    norm: Normalization = EXACT,
    lexical_norm: Normalization = LEXICAL,
    jaccard_threshold: float | None = 0.8,
    params: minhash.MinHashParams = minhash.MinHashParams(),
    train_vectors: np.ndarray | None = None,
    eval_vectors: np.ndarray | None = None,
    semantic_threshold: float | None = None,
    block: int = 8192,
) -> pl.DataFrame:
    """Per train row: eval_leak, eval_match_id, eval_match_kind, eval_similarity.

    A row leaks when its normalised text equals an eval text (exact), or its MinHash Jaccard
    with one is ≥ jaccard_threshold, or (with both vector sets and a semantic_threshold) its
    cosine to one is ≥ that threshold. The strongest kind wins: exact, then MinHash, then
    semantic. Empty texts never leak.
    """
    tk = exact_keys(train_texts, norm).with_row_index("row")
    ek = exact_keys(eval_texts, norm).with_row_index("col")
    n, m = len(tk), len(ek)
    ids = id_series(eval_ids, m)
    match = np.full(n, -1, dtype=np.int64)
    kind = np.full(n, None, dtype=object)
    sim = np.zeros(n, dtype=np.float32)
    t_ok = tk.get_column("nonempty").to_numpy()
    e_ok = ek.get_column("nonempty").to_numpy()

    def take(rows: np.ndarray, cols: np.ndarray, s: np.ndarray, name: str) -> None:
        free = match[rows] < 0
        rows, cols, s = rows[free], cols[free], s[free]
        match[rows], sim[rows], kind[rows] = cols, s, name

    exact = (
        tk.filter(pl.col("nonempty"))
        .join(
            ek.filter(pl.col("nonempty")).group_by("h1", "h2").agg(pl.col("col").min()),
            on=["h1", "h2"],
        )
        .select(pl.col("row").cast(pl.Int64), pl.col("col").cast(pl.Int64))
    )
    take(
        exact.get_column("row").to_numpy(),
        exact.get_column("col").to_numpy(),
        np.ones(len(exact), np.float32),
        EXACT_DUPLICATE,
    )

    if jaccard_threshold is not None and n and m:
        sig_t = minhash.text_signatures(_series(train_texts), params, lexical_norm)
        sig_e = minhash.text_signatures(_series(eval_texts), params, lexical_norm)
        bands, rows_per = minhash.optimal_bands(jaccard_threshold, params.num_perm)
        keys_t = _band_keys(sig_t, bands, rows_per)
        keys_e = _band_keys(sig_e, bands, rows_per)
        t_valid = t_ok & ~minhash.empty_rows(sig_t)
        e_valid = e_ok & ~minhash.empty_rows(sig_e)
        cands = []
        for k in range(bands):
            left = pl.DataFrame({"key": keys_t[:, k], "row": np.arange(n)}).filter(
                pl.Series(t_valid)
            )
            right = pl.DataFrame({"key": keys_e[:, k], "col": np.arange(m)}).filter(
                pl.Series(e_valid)
            )
            cands.append(left.join(right, on="key").select("row", "col"))
        cand = pl.concat(cands).unique()
        r = cand.get_column("row").to_numpy()
        c = cand.get_column("col").to_numpy()
        s = minhash.estimated_jaccard(sig_t, r, c, sig_e)
        best = (
            pl.DataFrame({"row": r, "col": c, "s": s})
            .filter(pl.col("s") >= jaccard_threshold)
            .sort(["row", "s", "col"], descending=[False, True, False])
            .unique("row", keep="first")
        )
        take(
            best.get_column("row").to_numpy(),
            best.get_column("col").to_numpy(),
            best.get_column("s").to_numpy(),
            MINHASH_DUPLICATE,
        )

    if semantic_threshold is not None and train_vectors is not None and eval_vectors is not None:
        tv = normalise(train_vectors)
        ev = normalise(eval_vectors)
        for start in range(0, n, block):
            prod = tv[start : start + block] @ ev.T
            best_col = prod.argmax(axis=1) if m else np.zeros(0, np.int64)
            best_sim = prod[np.arange(len(prod)), best_col] if m else np.zeros(0)
            rows = np.arange(start, start + len(prod))
            hit = (best_sim >= semantic_threshold) & t_ok[rows] & e_ok[best_col]
            take(rows[hit], best_col[hit], best_sim[hit].astype(np.float32), SEMANTIC_DUPLICATE)

    hit = match >= 0
    return pl.DataFrame(
        {
            "eval_leak": hit,
            "eval_match_id": ids.gather(np.maximum(match, 0)) if m else pl.Series([None] * n),
            "eval_match_kind": pl.Series(kind.tolist(), dtype=pl.String),
            "eval_similarity": pl.Series(sim, dtype=pl.Float32),
        }
    ).with_columns(
        [
            pl.when(pl.col("eval_leak")).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("eval_match_id", "eval_similarity")
        ]
    )


def _series(texts: pl.Series | Sequence[str | None]) -> pl.Series:
    return (
        texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts), dtype=pl.String)
    )


def _band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    if len(sig):
        minhash._kernels().band_keys(np.ascontiguousarray(sig), bands, rows, out)
    return out
