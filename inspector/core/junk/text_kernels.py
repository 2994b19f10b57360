"""Compiled kernels over Arrow string buffers: MinHash, exact keys, shared helpers.

Each kernel takes ``offsets`` (int64, n+1) and ``data`` (utf-8 bytes) of a string column and
runs over all rows in parallel (numba ``prange``), so 1M texts take seconds, not minutes.
Import this module only inside functions: numba loads in ~0.3 s and compiles each kernel once
per machine (cached on disk next to this file).

The quality rules' kernels are in :mod:`inspector.core.junk.quality_kernels`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

M1 = np.uint64(0xFF51AFD7ED558CCD)
M2 = np.uint64(0xC4CEB9FE1A85EC53)
S33 = np.uint64(33)
S32 = np.uint64(32)
LOW32 = np.uint64(0xFFFFFFFF)
FNV_OFF = np.uint64(0xCBF29CE484222325)
FNV_P = np.uint64(0x100000001B3)

jit = nb.njit(cache=True, nogil=True)
pjit = nb.njit(cache=True, nogil=True, parallel=True)


@jit
def mix(x: np.uint64) -> np.uint64:
    """murmur3's 64-bit finaliser; never returns 0 (0 marks an empty hash slot)."""
    x ^= x >> S33
    x *= M1
    x ^= x >> S33
    x *= M2
    x ^= x >> S33
    return x | np.uint64(1)


@jit
def is_sep(c: np.uint8) -> bool:
    """ASCII whitespace and the field separator 0x1f."""
    return c == 32 or c == 10 or c == 9 or c == 13 or c == 11 or c == 12 or c == 31


@jit
def decode(data, start, end, cp):  # type: ignore[no-untyped-def]
    """utf-8 bytes [start, end) into code points; returns how many."""
    n = 0
    p = start
    # next_cp's decoding, written out: calling it here measured ~40% slower (0.12 against
    # 0.08 s for 28M code points), and this loop runs over every byte of the dataset.
    while p < end:
        b = data[p]
        if b < 0x80:
            c, k = np.int64(b), 1
        elif b < 0xE0:
            c, k = np.int64(b & 0x1F), 2
        elif b < 0xF0:
            c, k = np.int64(b & 0x0F), 3
        else:
            c, k = np.int64(b & 0x07), 4
        for q in range(1, k):
            if p + q < end:
                c = (c << 6) | (data[p + q] & 0x3F)
        cp[n] = c
        n += 1
        p += k
    return n


@jit
def lookup(keys, h):  # type: ignore[no-untyped-def]
    """Slot of ``h`` in an open-addressing table (power-of-two size), or the free slot."""
    mask = keys.shape[0] - 1
    slot = np.int64(h & np.uint64(mask))
    while keys[slot] != 0 and keys[slot] != h:
        slot = (slot + 1) & mask
    return slot


@jit
def table_size(n):  # type: ignore[no-untyped-def]
    size = 16
    while size < 2 * n + 2:
        size *= 2
    return size


# -- MinHash ---------------------------------------------------------------------------------


@jit
def push(sig, a, b, h):  # type: ignore[no-untyped-def]
    x = (h ^ (h >> S32)) & LOW32
    for p in range(a.shape[0]):
        v = np.uint32((a[p] * x + b[p]) >> S32)
        if v < sig[p]:
            sig[p] = v


@pjit
def word_signatures(offsets, data, ngram, a, b, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(offsets.shape[0] - 1):
        sig = out[i]
        ring = np.zeros(ngram, np.uint64)
        nw = 0
        pos, end = offsets[i], offsets[i + 1]
        while pos < end:
            while pos < end and is_sep(data[pos]):
                pos += 1
            if pos >= end:
                break
            h = FNV_OFF
            while pos < end and not is_sep(data[pos]):
                h = (h ^ np.uint64(data[pos])) * FNV_P
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
def char_signatures(offsets, data, ngram, a, b, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(offsets.shape[0] - 1):
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
                h = FNV_OFF
                for q in range(lo, pos):
                    h = (h ^ np.uint64(data[q])) * FNV_P
                push(sig, a, b, mix(h))
        if 1 < nc <= ngram:  # fewer characters than one shingle: the whole text
            h = FNV_OFF
            for q in range(start, end):
                h = (h ^ np.uint64(data[q])) * FNV_P
            push(sig, a, b, mix(h))


@pjit
def band_keys(sig, bands, rows, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(sig.shape[0]):
        for k in range(bands):
            h = np.uint64(k + 1)
            for j in range(k * rows, (k + 1) * rows):
                h = mix(h ^ np.uint64(sig[i, j]))
            out[i, k] = h


@jit
def bucket_pairs(order, keys, cap, out_a, out_b):  # type: ignore[no-untyped-def]
    """Pairs within runs of equal keys (rows sorted by ``order``): all pairs in buckets up to
    ``cap``, a star on the first member plus a chain in larger ones. With empty outputs,
    only counts."""
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
                elif x > i:
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
def agreement(sig_a, sig_b, a, b, out):  # type: ignore[no-untyped-def]
    m = sig_a.shape[1]
    for t in nb.prange(a.shape[0]):
        same = 0
        for p in range(m):
            if sig_a[a[t], p] == sig_b[b[t], p]:
                same += 1
        out[t] = same / m


# -- normalising while hashing ------------------------------------------------------------------
# Case, whitespace, digit and punctuation normalisation are done on the fly while hashing, using
# a per-code-point table built with polars' own Unicode functions (``fold``): a text whose
# characters are all "stable" (unchanged alone by NFKC, lower-casing and, when accents are
# stripped, NFD; not a combining mark) needs nothing else. Other texts are flagged; callers
# normalise them with polars and hash them again with strict=False (then every non-ASCII
# character is taken as it is). The steps are idempotent, so both routes give the same hash.
F_STABLE, F_PUNCT, F_DIGIT, F_NOACCENT, F_SPACE = 1, 2, 4, 8, 16


@jit
def is_ws(c):  # type: ignore[no-untyped-def]
    return c == 32 or c == 9 or c == 10 or c == 11 or c == 12 or c == 13


@jit
def next_cp(data, p, end):  # type: ignore[no-untyped-def]
    """(code point, byte length) at data[p]."""
    b = data[p]
    if b < 0x80:
        return np.int64(b), 1
    if b < 0xE0:
        c, k = np.int64(b & 0x1F), 2
    elif b < 0xF0:
        c, k = np.int64(b & 0x0F), 3
    else:
        c, k = np.int64(b & 0x07), 4
    for q in range(1, k):
        if p + q < end:
            c = (c << 6) | (data[p + q] & 0x3F)
    return c, k


@jit
def _kind(c, fold, strict, accents, digits, punct, collapse=True):  # type: ignore[no-untyped-def]
    """0 separator, 1 word character, 2 digit (runs fold to "0"), -1 needs polars."""
    if c < 128:
        if c == 31 or is_ws(c):
            return 0
        if 48 <= c <= 57:
            return 2 if digits else 1
        if punct and 33 <= c <= 126 and not (65 <= c <= 90 or 97 <= c <= 122):
            return 0
        return 1
    if not strict:
        return 1
    f = fold[c] if c < fold.shape[0] else 0
    if f & F_SPACE:  # a separator when whitespace is normalised, else a character as it is
        if collapse:
            return 0
        return 1 if f & F_STABLE else -1
    if not f & F_STABLE or (accents and not f & F_NOACCENT):
        return -1
    if punct and f & F_PUNCT:
        return 0
    if digits and f & F_DIGIT:
        return 2
    return 1


@pjit
def exact_keys(
    offsets,
    data,
    fold,
    strict,
    lower,
    collapse,
    accents,
    out_h1,
    out_h2,
    out_nonempty,
    out_fallback,
):  # type: ignore[no-untyped-def]
    """Two independent 64-bit hashes of each text after lower-casing and whitespace
    collapsing (runs become one space; ends and the sides of the field separator stripped)."""
    for i in nb.prange(offsets.shape[0] - 1):
        h1 = FNV_OFF
        h2 = np.uint64(0x9E3779B97F4A7C15)
        pending = False
        at_start = True
        content = False
        fallback = False
        p, end = offsets[i], offsets[i + 1]
        while p < end:
            c, k = next_cp(data, p, end)
            kind = _kind(c, fold, strict, accents, False, False, collapse)
            if kind < 0:
                fallback = True
                break
            space = c == 32 or (kind == 0 and c != 31)
            if collapse and space:
                pending = True
                p += k
                continue
            if c == 31:
                at_start = True
            elif pending and not at_start:
                h1 = (h1 ^ np.uint64(32)) * FNV_P
                h2 = (h2 ^ np.uint64(32)) * M1
                h2 ^= h2 >> S33
            if c != 31:
                at_start = False
                if not (is_ws(c) or (c >= 128 and c < fold.shape[0] and fold[c] & F_SPACE)):
                    content = True
            pending = False
            for q in range(p, p + k):
                b = data[q]
                if lower and 65 <= b <= 90:
                    b += 32
                h1 = (h1 ^ np.uint64(b)) * FNV_P
                h2 = (h2 ^ np.uint64(b)) * M1
                h2 ^= h2 >> S33
            p += k
        out_h1[i] = mix(h1)
        out_h2[i] = mix(h2 ^ M2)
        out_nonempty[i] = content
        out_fallback[i] = fallback


@pjit
def folded_word_signatures(
    offsets,
    data,
    fold,
    strict,
    letters,
    ngram,
    lower,
    digits,
    punct,
    accents,
    collapse,
    a,
    b,
    out,
    out_fallback,
):  # type: ignore[no-untyped-def]
    """word_signatures with case, digit-run ("3.14" -> "0") and punctuation folding done
    while reading; with ``strict``, a character with ASCII ``letters`` (minhash.letters_table)
    is hashed as those letters."""
    for i in nb.prange(offsets.shape[0] - 1):
        sig = out[i]
        ring = np.zeros(ngram, np.uint64)
        nw = 0
        pos, end = offsets[i], offsets[i + 1]
        h = FNV_OFF
        in_word = False
        in_digits = False
        fallback = False
        while pos <= end:
            if in_digits and pos + 1 < end and (data[pos] == 46 or data[pos] == 44):
                c2, k2 = next_cp(data, pos + 1, end)
                if _kind(c2, fold, strict, accents, True, punct, collapse) == 2:
                    pos += 1 + k2  # "3.14", "1,000": the separator stays inside the digit run
                    continue
            if pos < end:
                c, k = next_cp(data, pos, end)
                if strict and 128 <= c < letters.shape[0] and letters[c, 0] != 0:
                    kind = 3  # a letter that normalises to ASCII letters
                else:
                    kind = _kind(c, fold, strict, accents, digits, punct, collapse)
            else:
                c, k, kind = 0, 1, 0
            if kind < 0:
                fallback = True
                break
            if kind == 3:
                for q in range(letters.shape[1]):
                    if letters[c, q] == 0:
                        break
                    h = (h ^ np.uint64(letters[c, q])) * FNV_P
                in_word = True
                in_digits = False
            elif kind == 0:
                if in_word:
                    ring[nw % ngram] = mix(h)
                    nw += 1
                    if nw >= ngram:
                        s = np.uint64(ngram)
                        for j in range(ngram):
                            s = mix(s ^ ring[(nw - ngram + j) % ngram])
                        push(sig, a, b, s)
                h = FNV_OFF
                in_word = False
                in_digits = False
            elif kind == 2:
                if not in_digits:
                    h = (h ^ np.uint64(48)) * FNV_P
                    in_digits = True
                in_word = True
            else:
                for q in range(pos, pos + k):
                    byte = data[q]
                    if lower and 65 <= byte <= 90:
                        byte += 32
                    h = (h ^ np.uint64(byte)) * FNV_P
                in_word = True
                in_digits = False
            pos += k
        out_fallback[i] = fallback
        if fallback:
            continue
        if 0 < nw < ngram:
            s = np.uint64(ngram)
            for j in range(nw):
                s = mix(s ^ ring[j])
            push(sig, a, b, s)
