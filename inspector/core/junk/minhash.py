"""Vectorised MinHash and LSH banding for lexical near-duplicates.

datasketch hashes row by row in Python (~1M rows take many minutes). Here the texts' UTF-8
bytes and offsets (Arrow's layout) go to small numba kernels that run over all rows in
parallel: each shingle is hashed once, and its 32-bit hash is pushed through every permutation
``(a*x + b) >> 32`` (multiply-shift, a 2-independent family) keeping the minimum. Banding,
candidate pairs and the verification of each pair's estimated Jaccard are vectorised the same
way.

numba comes with pynndescent/umap (project dependencies); it is imported inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import polars as pl

EMPTY = np.uint32(0xFFFFFFFF)  # signature value of a text with no shingles
BUCKET_ALL_PAIRS = 24  # buckets up to this size emit all pairs; larger ones a star + a chain


@dataclass(frozen=True)
class MinHashParams:
    """Shingling and signature size. Word 3-grams suit instructions and answers; character
    5-grams suit short or unsegmented (e.g. Chinese) text."""

    num_perm: int = 128
    shingle: Literal["word", "char"] = "word"
    ngram: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        if not 16 <= self.num_perm <= 1024:
            raise ValueError(f"num_perm must be between 16 and 1024, got {self.num_perm}")
        if self.ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {self.ngram}")
        if self.shingle not in ("word", "char"):
            raise ValueError(f"shingle must be 'word' or 'char', got {self.shingle!r}")


def string_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int64 (n+1,), utf-8 bytes uint8) of a String Series, nulls as ""."""
    from inspector.core.data.dataset import utf8_buffers

    return utf8_buffers(texts.cast(pl.String).fill_null(""))


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def _kernels() -> Any:
    """The compiled kernels (numba compiles them once per machine, then loads them)."""
    from inspector.core.junk import text_kernels

    return text_kernels


def signatures(texts: pl.Series, params: MinHashParams = MinHashParams()) -> np.ndarray:
    """MinHash signatures, uint32 (n, num_perm), of already normalised texts.

    Words are runs of non-whitespace; a row with no shingle (empty text) gets all ``EMPTY``.
    """
    offsets, data = string_buffers(texts)
    a, b = _permutations(params.num_perm, params.seed)
    out = np.full((len(texts), params.num_perm), EMPTY, dtype=np.uint32)
    if len(texts):
        kernel = (
            _kernels().word_signatures if params.shingle == "word" else _kernels().char_signatures
        )
        kernel(offsets, data, params.ngram, a, b, out)
    return out


@lru_cache(maxsize=2)
def fold_table(unicode: bool = True) -> np.ndarray:
    """Per code point (below U+30000) the text_kernels F_* bits, computed with polars' own
    Unicode functions so that the fast path and polars agree. Without NFKC (unicode=False)
    no non-ASCII character is taken as stable."""
    from inspector.core.junk import text_kernels

    limit = 0x30000
    chars = pl.Series([" " if 0xD800 <= c < 0xE000 else chr(c) for c in range(limit)])
    lone = chars.str.contains(r"^[\p{M}\x{1100}-\x{11FF}\x{A960}-\x{A97F}\x{D7B0}-\x{D7FF}]$")
    stable = (chars.str.normalize("NFKC") == chars) & (chars.str.to_lowercase() == chars) & ~lone
    out = np.zeros(limit, dtype=np.uint8)
    if unicode:
        out |= stable.to_numpy().astype(np.uint8) * text_kernels.F_STABLE
    out |= chars.str.contains(r"^[\p{P}\p{S}]$").to_numpy().astype(np.uint8) * text_kernels.F_PUNCT
    out |= chars.str.contains(r"^\p{Nd}$").to_numpy().astype(np.uint8) * text_kernels.F_DIGIT
    out |= (chars.str.normalize("NFD") == chars).to_numpy().astype(
        np.uint8
    ) * text_kernels.F_NOACCENT
    out |= chars.str.contains(r"^\s$").to_numpy().astype(np.uint8) * text_kernels.F_SPACE
    out[0xD800:0xE000] = 0
    return out


@lru_cache(maxsize=4)
def letters_table(unicode: bool, case: bool, accents: bool) -> np.ndarray:
    """Per code point (below U+30000), uint8 (n, 4): the 1-4 ASCII letters that a letter
    (``\\p{L}``) the fold table cannot take as it is becomes alone under NFKC (``unicode``),
    lower-casing (``case``) and accent stripping (``accents``), as polars' normalisation
    makes it ("é" -> "e", "Ž" -> "z", "ﬁ" -> "fi"), zero-padded; all zero for any other
    character. The MinHash kernel hashes those letters instead of sending the row to polars.

    A letter's part of a normalised text is its own result: NFKC composes nothing across it
    (its decomposition starts with a letter and ends in letters or marks, and a mark or a
    conjoining jamo next to it sends the row to polars anyway), lower-casing depends on the
    neighbours only for a capital sigma (not ASCII), and the digit and punctuation steps
    touch no letter (tests/core/test_duplicates::test_letters_folded_while_hashing...)."""
    from inspector.core.data.normalize import Normalization, normalize_expr
    from inspector.core.junk import text_kernels

    limit = 0x30000
    out = np.zeros((limit, 4), dtype=np.uint8)
    fold = fold_table(unicode)
    codes = np.arange(128, limit)
    flags = fold[128:]
    needs = (flags & text_kernels.F_STABLE) == 0
    if accents:
        needs |= (flags & text_kernels.F_NOACCENT) == 0
    codes = codes[needs & ((codes < 0xD800) | (codes >= 0xE000))]
    chars = pl.Series([chr(c) for c in codes])
    steps = Normalization(unicode=unicode, case=case, accents=accents, whitespace=False)
    folded = pl.select(normalize_expr(pl.lit(chars), steps)).to_series()
    ok = (chars.str.contains(r"^\p{L}$") & folded.str.contains(r"^[A-Za-z]{1,4}$")).to_numpy()
    for c, letters in zip(codes[ok].tolist(), folded.filter(pl.Series(ok)).to_list()):
        out[c, : len(letters)] = np.frombuffer(letters.encode("ascii"), dtype=np.uint8)
    return out


def text_signatures(
    texts: pl.Series, params: MinHashParams = MinHashParams(), norm: Any = None
) -> np.ndarray:
    """Signatures of raw texts under a normalisation (default: LEXICAL).

    Word shingles take a fast path: case, digit runs and punctuation are folded while
    hashing, and letters that NFKC, lower-casing or accent stripping turn into ASCII letters
    are hashed as those (:func:`letters_table`); only rows with other characters that those
    steps would change go through polars' normalisation first. The result equals
    ``signatures(normalize_texts(texts, norm), params)``.
    """
    from inspector.core.data.normalize import LEXICAL, normalize_texts

    norm = LEXICAL if norm is None else norm
    texts = texts.cast(pl.String).fill_null("")
    if params.shingle != "word":
        return signatures(normalize_texts(texts, norm), params)
    a, b = _permutations(params.num_perm, params.seed)
    out = np.full((len(texts), params.num_perm), EMPTY, dtype=np.uint32)
    if not len(texts):
        return out
    fold = fold_table(norm.unicode)
    letters = letters_table(norm.unicode, norm.case, norm.accents)
    fallback = np.zeros(len(texts), dtype=bool)
    offsets, data = string_buffers(texts)
    args = (
        letters,
        params.ngram,
        norm.case,
        norm.digits,
        norm.punctuation,
        norm.accents,
        norm.whitespace,
        a,
        b,
    )
    _kernels().folded_word_signatures(offsets, data, fold, True, *args, out, fallback)
    other = np.flatnonzero(fallback)
    if len(other):
        offsets, data = string_buffers(normalize_texts(texts.gather(other), norm))
        sub = np.full((len(other), params.num_perm), EMPTY, dtype=np.uint32)
        _kernels().folded_word_signatures(offsets, data, fold, False, *args, sub, fallback[other])
        out[other] = sub
    return out


def empty_rows(sig: np.ndarray) -> np.ndarray:
    """Rows whose text had no shingle at all (their signatures must never match)."""
    return np.all(sig == EMPTY, axis=1)


def estimated_jaccard(
    sig_a: np.ndarray, a: np.ndarray, b: np.ndarray, sig_b: np.ndarray | None = None
) -> np.ndarray:
    """Estimated Jaccard (fraction of equal signature values) of pairs (a[t], b[t])."""
    out = np.zeros(len(a), dtype=np.float32)
    if len(a):
        _kernels().agreement(
            sig_a, sig_a if sig_b is None else sig_b, a.astype(np.int64), b.astype(np.int64), out
        )
    return out


def optimal_bands(threshold: float, num_perm: int, recall: float = 0.995) -> tuple[int, int]:
    """(bands, rows): the longest bands (fewest false candidates) that still make a pair at
    exactly ``threshold`` a candidate with probability ≥ ``recall``. Candidates are verified
    afterwards, so a false candidate costs time, a missed one costs a duplicate."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"Jaccard threshold must be in (0, 1], got {threshold}")
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


def _full_keys(sig: np.ndarray) -> np.ndarray:
    keys = np.empty((sig.shape[0], 1), dtype=np.uint64)
    if len(sig):
        _kernels().band_keys(sig, 1, sig.shape[1], keys)
    return keys[:, 0]


def candidate_pairs(
    sig: np.ndarray, bands: int, rows: int, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Unique candidate pairs (a < b) sharing at least one band; rows with identical
    signatures are paired with their first occurrence and banded once."""
    n = sig.shape[0]
    ok = ~empty_rows(sig) if valid is None else (valid & ~empty_rows(sig))
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    full = _full_keys(sig[idx])
    _, first, inverse = np.unique(full, return_index=True, return_inverse=True)
    firsts = idx[first]
    same_a = firsts[inverse]
    same_b = idx
    keep = same_a != same_b
    pa, pb = [same_a[keep]], [same_b[keep]]

    uniq = np.sort(firsts)
    if len(uniq) > 1:
        keys = np.empty((len(uniq), bands), dtype=np.uint64)
        _kernels().band_keys(np.ascontiguousarray(sig[uniq]), bands, rows, keys)
        pairs_fn = _kernels().bucket_pairs
        for k in range(bands):
            col = np.ascontiguousarray(keys[:, k])
            order = np.argsort(col, kind="stable")
            none = np.zeros(0, np.int64)
            count = pairs_fn(order, col, BUCKET_ALL_PAIRS, none, none)
            if count:
                ba, bb = np.empty(count, np.int64), np.empty(count, np.int64)
                pairs_fn(order, col, BUCKET_ALL_PAIRS, ba, bb)
                pa.append(uniq[ba])
                pb.append(uniq[bb])
    a = np.concatenate(pa).astype(np.int64)
    b = np.concatenate(pb).astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    code = np.unique(lo.astype(np.uint64) * np.uint64(n) + hi.astype(np.uint64))
    return (code // np.uint64(n)).astype(np.int64), (code % np.uint64(n)).astype(np.int64)


def near_duplicate_pairs(
    sig: np.ndarray, threshold: float = 0.8, valid: np.ndarray | None = None
) -> pl.DataFrame:
    """Pairs (a, b, similarity) whose estimated Jaccard is ≥ threshold, via LSH banding."""
    bands, rows = optimal_bands(threshold, sig.shape[1])
    a, b = candidate_pairs(sig, bands, rows, valid)
    sim = estimated_jaccard(sig, a, b)
    keep = sim >= threshold
    return pl.DataFrame(
        {"a": a[keep], "b": b[keep], "similarity": sim[keep]},
        schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32},
    )
