"""Vectorised MinHash and LSH banding for lexical near-duplicates.

datasketch hashes row by row in Python (~1M rows take many minutes). Here the texts' Arrow
buffers go to small numba kernels that run over all rows in parallel: each shingle is hashed
once, and its 32-bit hash is pushed through every permutation ``(a*x + b) >> 32`` (multiply-shift,
a 2-independent family) keeping the minimum. Banding, candidate pairs and the verification of
each pair's estimated Jaccard are vectorised the same way.

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
    import pyarrow as pa

    arr = texts.cast(pl.String).fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return np.ascontiguousarray(offsets), data


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@lru_cache(maxsize=1)
def _kernels() -> dict[str, Any]:
    """Compile (or load from numba's cache) the kernels once per process."""
    import numba as nb

    jit = nb.njit(cache=True, nogil=True)
    pjit = nb.njit(cache=True, nogil=True, parallel=True)
    m1 = np.uint64(0xFF51AFD7ED558CCD)
    m2 = np.uint64(0xC4CEB9FE1A85EC53)
    fnv_off = np.uint64(0xCBF29CE484222325)
    fnv_p = np.uint64(0x100000001B3)
    s33 = np.uint64(33)
    s32 = np.uint64(32)

    @jit
    def mix(x):  # murmur3 finaliser
        x ^= x >> s33
        x *= m1
        x ^= x >> s33
        x *= m2
        x ^= x >> s33
        return x

    @jit
    def is_sep(c):  # ASCII whitespace and the field separator
        return c == 32 or c == 10 or c == 9 or c == 13 or c == 11 or c == 12 or c == 31

    @jit
    def push(sig, a, b, h):
        x = (h ^ (h >> s32)) & np.uint64(0xFFFFFFFF)
        for p in range(a.shape[0]):
            v = np.uint32((a[p] * x + b[p]) >> s32)
            if v < sig[p]:
                sig[p] = v

    @pjit
    def word_signatures(offsets, data, ngram, a, b, out):
        n = offsets.shape[0] - 1
        for i in nb.prange(n):
            sig = out[i]
            ring = np.zeros(ngram, np.uint64)
            nw = 0
            pos = offsets[i]
            end = offsets[i + 1]
            while pos < end:
                while pos < end and is_sep(data[pos]):
                    pos += 1
                if pos >= end:
                    break
                h = fnv_off
                while pos < end and not is_sep(data[pos]):
                    h = (h ^ np.uint64(data[pos])) * fnv_p
                    pos += 1
                ring[nw % ngram] = mix(h)
                nw += 1
                if nw >= ngram:
                    s = np.uint64(ngram)
                    for j in range(ngram):
                        s = mix(s ^ ring[(nw - ngram + j) % ngram])
                    push(sig, a, b, s)
            if 0 < nw < ngram:  # a text shorter than one shingle is one shingle
                s = np.uint64(ngram)
                for j in range(nw):
                    s = mix(s ^ ring[j])
                push(sig, a, b, s)

    @pjit
    def char_signatures(offsets, data, ngram, a, b, out):
        n = offsets.shape[0] - 1
        for i in nb.prange(n):
            sig = out[i]
            starts = np.zeros(ngram + 1, np.int64)
            nc = 0
            start, end = offsets[i], offsets[i + 1]
            for pos in range(start, end + 1):
                if pos < end and (data[pos] & 0xC0) == 0x80:
                    continue  # continuation byte of a multi-byte character
                starts[nc % (ngram + 1)] = pos
                nc += 1
                if nc > ngram:
                    lo = starts[(nc - 1 - ngram) % (ngram + 1)]
                    h = fnv_off
                    for q in range(lo, pos):
                        h = (h ^ np.uint64(data[q])) * fnv_p
                    push(sig, a, b, mix(h))
            if 1 < nc <= ngram:  # fewer characters than one shingle: the whole text
                h = fnv_off
                for q in range(start, end):
                    h = (h ^ np.uint64(data[q])) * fnv_p
                push(sig, a, b, mix(h))

    @pjit
    def band_keys(sig, bands, rows, out):
        for i in nb.prange(sig.shape[0]):
            for k in range(bands):
                h = np.uint64(k + 1)
                for j in range(k * rows, (k + 1) * rows):
                    h = mix(h ^ np.uint64(sig[i, j]))
                out[i, k] = h

    @jit
    def bucket_pairs(order, keys, cap, out_a, out_b):
        # runs of equal keys (sorted by `order`) become pairs; with empty outputs, only count
        fill = out_a.shape[0] > 0
        n = order.shape[0]
        cnt = 0
        i = 0
        while i < n:
            j = i + 1
            while j < n and keys[order[j]] == keys[order[i]]:
                j += 1
            if j - i > 1:
                for x in range(i, j):
                    if j - i <= cap:
                        for y in range(x + 1, j):
                            if fill:
                                out_a[cnt] = order[x]
                                out_b[cnt] = order[y]
                            cnt += 1
                    elif x > i:  # large bucket: a star on the first member plus a chain
                        if fill:
                            out_a[cnt] = order[i]
                            out_b[cnt] = order[x]
                        cnt += 1
                        if x + 1 < j:
                            if fill:
                                out_a[cnt] = order[x]
                                out_b[cnt] = order[x + 1]
                            cnt += 1
            i = j
        return cnt

    @pjit
    def agreement(sig_a, sig_b, a, b, out):
        m = sig_a.shape[1]
        for t in nb.prange(a.shape[0]):
            same = 0
            for p in range(m):
                if sig_a[a[t], p] == sig_b[b[t], p]:
                    same += 1
            out[t] = same / m

    return {
        "word": word_signatures,
        "char": char_signatures,
        "band_keys": band_keys,
        "bucket_pairs": bucket_pairs,
        "agreement": agreement,
    }


def signatures(texts: pl.Series, params: MinHashParams = MinHashParams()) -> np.ndarray:
    """MinHash signatures, uint32 (n, num_perm), of already normalised texts.

    Words are runs of non-whitespace; a row with no shingle (empty text) gets all ``EMPTY``.
    """
    offsets, data = string_buffers(texts)
    a, b = _permutations(params.num_perm, params.seed)
    out = np.full((len(texts), params.num_perm), EMPTY, dtype=np.uint32)
    if len(texts):
        _kernels()[params.shingle](offsets, data, params.ngram, a, b, out)
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
        _kernels()["agreement"](
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
        _kernels()["band_keys"](sig, 1, sig.shape[1], keys)
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
        _kernels()["band_keys"](np.ascontiguousarray(sig[uniq]), bands, rows, keys)
        pairs_fn = _kernels()["bucket_pairs"]
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
