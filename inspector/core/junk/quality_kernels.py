"""Compiled kernels behind the quality rules: word statistics (a spaCy-like tokeniser, stop
words, Gopher's n-gram repetition) and line statistics (Gopher, C4, FineWeb line rules).

Like :mod:`inspector.core.junk.text_kernels` (whose helpers they use), import only inside
functions; each runs over all rows of a string column's Arrow buffers in parallel.
Character classes ``cls``: 1 whitespace, 2 punctuation (datatrove's set), 4 alphabetic,
8 digit, 16 sentence terminal.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from inspector.core.junk.text_kernels import (
    FNV_OFF,
    FNV_P,
    M2,
    decode,
    jit,
    lookup,
    mix,
    pjit,
    table_size,
)

SPACE, PUNCT, ALPHA, DIGIT, STERM = 1, 2, 4, 8, 16


# -- word statistics -------------------------------------------------------------------------

N_WORD_STATS = 21


@jit
def _tokenise(cp, kind, L, t_start, t_end):  # type: ignore[no-untyped-def]
    """spaCy-like tokens: whitespace chunks; punctuation split off as its own tokens but
    kept inside numbers (3.5, 1,000, 10:30), dotted words (e.g) and snake_case; contractions
    split before the apostrophe; "..." and "--" one token; http... chunks whole."""
    nt = 0
    j = 0
    while j < L:
        while j < L and kind[j] & SPACE:
            j += 1
        s = j
        while j < L and not kind[j] & SPACE:
            j += 1
        e = j
        if e == s:
            break
        if (
            e - s > 7
            and cp[s] == 104
            and cp[s + 1] == 116
            and cp[s + 2] == 116
            and cp[s + 3] == 112
        ):
            ue = e
            while ue > s and kind[ue - 1] & PUNCT:
                ue -= 1
            t_start[nt], t_end[nt] = s, ue
            nt += 1
            for q in range(ue, e):
                t_start[nt], t_end[nt] = q, q + 1
                nt += 1
            continue
        open_at = -1
        q = s
        while q < e:
            c = cp[q]
            if not kind[q] & PUNCT:
                if open_at < 0:
                    open_at = q
                q += 1
                continue
            if open_at >= 0 and q + 1 < e and not kind[q + 1] & PUNCT:
                digits = (kind[q - 1] & DIGIT) and (kind[q + 1] & DIGIT)
                if c == 46 or c == 95 or (digits and (c == 44 or c == 58)):
                    q += 1
                    continue
                if (c == 39 or c == 8217) and kind[q + 1] & ALPHA:
                    t_start[nt], t_end[nt] = open_at, q
                    nt += 1
                    open_at = q
                    q += 1
                    continue
            if open_at >= 0:
                t_start[nt], t_end[nt] = open_at, q
                nt += 1
                open_at = -1
            r = q + 1
            if c == 46 or c == 45:
                while r < e and cp[r] == c:
                    r += 1
            t_start[nt], t_end[nt] = q, r
            nt += 1
            q = r
        if open_at >= 0:
            t_start[nt], t_end[nt] = open_at, e
            nt += 1
    return nt


@pjit
def word_stats(offsets, data, cls, stop_h, ngrams, out):  # type: ignore[no-untyped-def]
    """Per text (columns in quality.WORD_COLS): tokens, words, word characters, tokens with a
    letter, distinct stop words, characters, Gopher's top 2/3/4-gram and duplicated 5..10-gram
    character counts, non-space / letter / letter-or-digit counts, stripped length, and the
    start and length of the stripped text's last line."""
    for i in nb.prange(offsets.shape[0] - 1):
        start, end = offsets[i], offsets[i + 1]
        cp = np.empty(end - start, np.int64)
        L = decode(data, start, end, cp)
        kind = np.empty(L, np.uint8)
        n_nonspace, n_letters, n_alnum = 0, 0, 0
        first_ns, last_ns = -1, -1
        for j in range(L):
            k = cls[cp[j]] if cp[j] < cls.shape[0] else 0
            kind[j] = k
            if not k & SPACE:
                n_nonspace += 1
                if first_ns < 0:
                    first_ns = j
                last_ns = j
                if k & ALPHA:
                    n_letters += 1
                if k & (ALPHA | DIGIT):
                    n_alnum += 1
        last_line = first_ns
        for j in range(last_ns, first_ns - 1, -1):
            if cp[j] == 10:
                last_line = j + 1
                break
        t_start = np.empty(L + 1, np.int64)
        t_end = np.empty(L + 1, np.int64)
        nt = _tokenise(cp, kind, L, t_start, t_end)
        th = np.empty(nt, np.uint64)
        tl = np.empty(nt + 1, np.int64)  # prefix sums of token lengths
        tl[0] = 0
        n_words, sum_len, n_alpha, stop_mask = 0, 0, 0, 0
        for t in range(nt):
            h = FNV_OFF
            sym = True
            alpha = False
            for q in range(t_start[t], t_end[t]):
                h = (h ^ np.uint64(cp[q])) * FNV_P
                if not kind[q] & PUNCT:
                    sym = False
                if kind[q] & ALPHA:
                    alpha = True
            length = t_end[t] - t_start[t]
            for w in range(stop_h.shape[0]):
                if h == stop_h[w]:
                    stop_mask |= 1 << w
            th[t] = mix(h)
            tl[t + 1] = tl[t] + length
            if not sym:
                n_words += 1
                sum_len += length
            if alpha:
                n_alpha += 1
        n_stop = 0
        for w in range(stop_h.shape[0]):
            if stop_mask & (1 << w):
                n_stop += 1
        row = out[i]
        row[0], row[1], row[2], row[3], row[4], row[5] = nt, n_words, sum_len, n_alpha, n_stop, L
        for k in range(6, 15):
            row[k] = 0.0
        row[15], row[16], row[17] = n_nonspace, n_letters, n_alnum
        row[18] = last_ns - first_ns + 1 if first_ns >= 0 else 0
        row[19] = last_line if first_ns >= 0 else 0
        row[20] = last_ns - last_line + 1 if first_ns >= 0 else 0
        if not ngrams or nt < 2:
            continue
        # n-gram hashes in O(1) each: a polynomial rolling hash over the token hashes
        pre = np.empty(nt + 1, np.uint64)
        pre[0] = 0
        for t in range(nt):
            pre[t + 1] = pre[t] * FNV_P + th[t]
        powers = np.empty(11, np.uint64)
        powers[0] = 1
        for g in range(1, 11):
            powers[g] = powers[g - 1] * FNV_P
        size = table_size(nt)
        keys = np.zeros(size, np.uint64)
        count = np.zeros(size, np.int64)
        first = np.zeros(size, np.int64)
        for g in range(2, 5):  # the most frequent n-gram (ties: the one seen first)
            if nt < g:
                break
            if not ngrams & (1 << g):
                continue
            keys[:] = 0
            best_c, best_f, best_len = 0, 0, 0
            pg = powers[g]
            salt = np.uint64(g) * M2
            for t in range(nt - g + 1):
                h = ((pre[t + g] - pre[t] * pg) ^ salt) | np.uint64(
                    1
                )  # token hashes are mixed already
                slot = lookup(keys, h)
                if keys[slot] == 0:
                    keys[slot], count[slot], first[slot] = h, 0, t
                count[slot] += 1
                c = count[slot]
                f = first[slot]
                if c > best_c or (c == best_c and f < best_f):
                    best_c, best_f = c, f
                    best_len = tl[f + g] - tl[f] + g - 1
            row[6 + g - 2] = best_len * best_c
        for g in range(5, 11):  # characters in repeated n-grams (datatrove's walk)
            if nt < g:
                break
            if not ngrams & (1 << g):
                continue
            keys[:] = 0
            rep = 0
            t = 0
            pg = powers[g]
            salt = np.uint64(g) * M2
            while t < nt - g + 1:
                h = ((pre[t + g] - pre[t] * pg) ^ salt) | np.uint64(
                    1
                )  # token hashes are mixed already
                slot = lookup(keys, h)
                if keys[slot] == h:
                    rep += tl[t + g] - tl[t]
                    t += g
                else:
                    keys[slot] = h
                    t += 1
            row[9 + g - 5] = rep


# -- line statistics -------------------------------------------------------------------------

N_LINE_STATS = 22


@jit
def _scan(cp, s, e, pats, plen):  # type: ignore[no-untyped-def]
    """Bit k set when lower-case ASCII pattern k occurs in cp[s:e] (ASCII case ignored);
    one pass, trying only the patterns whose first letter matches."""
    starts = np.zeros(26, np.int64)  # patterns by first letter
    for k in range(pats.shape[0]):
        starts[pats[k, 0] - 97] |= 1 << k
    found = 0
    for q in range(s, e):
        c = cp[q] | 32  # ASCII lower case (other characters never match below)
        if c > 122 or c < 97 or starts[c - 97] == 0:
            continue
        cand = starts[c - 97] & ~found
        k = 0
        while cand:
            if cand & 1 and q + plen[k] <= e:
                ok = True
                for r in range(1, plen[k]):
                    d = cp[q + r]
                    if 65 <= d <= 90:
                        d += 32
                    if d != pats[k, r]:
                        ok = False
                        break
                if ok:
                    found |= 1 << k
            cand >>= 1
            k += 1
    return found


@jit
def _is_citation(cp, a, b):  # type: ignore[no-untyped-def]
    """cp[a:b] is "[digits]", "[edit]" or "[citation needed]"."""
    inner = b - a - 2
    digits = True
    for q in range(a + 1, b - 1):
        if not (48 <= cp[q] <= 57):
            digits = False
    if digits:
        return True
    edit = np.array([101, 100, 105, 116])
    cit = np.array([99, 105, 116, 97, 116, 105, 111, 110, 32, 110, 101, 101, 100, 101, 100])
    for pat in (edit, cit):
        if inner == pat.shape[0]:
            same = True
            for r in range(inner):
                if cp[a + 1 + r] != pat[r]:
                    same = False
            if same:
                return True
    return False


@jit
def _hash_span(cp, s, e):  # type: ignore[no-untyped-def]
    h = FNV_OFF
    for q in range(s, e):
        h = (h ^ np.uint64(cp[q])) * FNV_P
    return mix(h ^ np.uint64(e - s))


@pjit
def line_stats(offsets, data, cls, pats, plen, out):  # type: ignore[no-untyped-def]
    """Per text (columns in quality.LINE_COLS) the line and paragraph counts behind the Gopher
    quality/repetition, C4 and FineWeb rules. ``pats``: lower-case ASCII patterns, padded
    with -1 (``plen`` their lengths): lorem ipsum, javascript, then the cookie/policy phrases."""
    for i in nb.prange(offsets.shape[0] - 1):
        start, end = offsets[i], offsets[i + 1]
        cp = np.empty(end - start, np.int64)
        L = decode(data, start, end, cp)
        kind = np.empty(L, np.uint8)
        hashes, ellipses, newlines, fences = 0, 0, 0, 0
        for j in range(L):
            kind[j] = cls[cp[j]] if cp[j] < cls.shape[0] else 0
            if cp[j] == 35:
                hashes += 1
            elif cp[j] == 8230:
                ellipses += 1
            elif cp[j] == 10:
                newlines += 1
        j = 0
        while j + 2 < L:
            if cp[j] == 46 and cp[j + 1] == 46 and cp[j + 2] == 46:
                ellipses += 1
                j += 3
            else:
                j += 1
        n_lines = newlines + 1
        size = table_size(n_lines)
        rep_keys = np.zeros(size, np.uint64)
        fw_keys = np.zeros(size, np.uint64)
        n_sl, bullets, ell_lines, n_rep, dup_lines, dup_line_chars = 0, 0, 0, 0, 0, 0
        lorem, curly, c4_sent, n_fw, fw_punct, fw_short, fw_dup_chars = 0, 0, 0, 0, 0, 0, 0
        ls = 0
        for pos in range(n_lines):
            le = ls
            while le < L and cp[le] != 10:
                le += 1
            length = le - ls
            s = ls
            while s < le and kind[s] & SPACE:
                s += 1
            e = le
            while e > s and kind[e - 1] & SPACE:
                e -= 1
            blank = s == e
            h = _hash_span(cp, ls, le)
            if length > 0 or pos == 0 or pos == n_lines - 1:  # re.split("\n+", text)
                n_rep += 1
                slot = lookup(rep_keys, h)
                if rep_keys[slot] == h:
                    dup_lines += 1
                    dup_line_chars += length
                else:
                    rep_keys[slot] = h
            if not blank:  # FineWeb: non-blank lines as they are
                n_fw += 1
                if kind[le - 1] & STERM:
                    fw_punct += 1
                if length <= 30:
                    fw_short += 1
                slot = lookup(fw_keys, h)
                if fw_keys[slot] == h:
                    fw_dup_chars += length
                else:
                    fw_keys[slot] = h
            if not (pos == n_lines - 1 and length == 0):  # str.splitlines()
                n_sl += 1
                if not blank and (cp[s] == 8226 or cp[s] == 45):
                    bullets += 1
                if not blank and (
                    cp[e - 1] == 8230
                    or (e - s >= 3 and cp[e - 1] == 46 and cp[e - 2] == 46 and cp[e - 3] == 46)
                ):
                    ell_lines += 1
                if not blank and e - s >= 3 and cp[s] == 96 and cp[s + 1] == 96 and cp[s + 2] == 96:
                    fences += 1
                # C4: words and the too-long-word test on the stripped line
                words, longest, run = 0, 0, 0
                for q in range(s, e + 1):
                    if q < e and not kind[q] & SPACE:
                        run += 1
                    else:
                        if run > 0:
                            words += 1
                            longest = max(longest, run)
                        run = 0
                ce = e  # citations removed from the end (the line is not stripped again)
                while ce - s >= 3 and cp[ce - 1] == 93:
                    a = ce - 2
                    while a >= s and cp[a] != 91:
                        a -= 1
                    if a < s or not _is_citation(cp, a, ce):
                        break
                    ce = a
                term = ce > s and (
                    cp[ce - 1] == 46
                    or cp[ce - 1] == 63
                    or cp[ce - 1] == 33
                    or cp[ce - 1] == 34
                    or cp[ce - 1] == 39
                )
                if (
                    term
                    and ce - s >= 3
                    and cp[ce - 1] == 46
                    and cp[ce - 2] == 46
                    and cp[ce - 3] == 46
                ):
                    term = False
                if longest <= 1000 and term and words >= 3:
                    found = _scan(cp, s, ce, pats, plen)
                    is_js = (found & 2) != 0
                    if found & 1:
                        lorem += 1
                    has_curly = False
                    for q in range(s, ce):
                        if cp[q] == 123:
                            has_curly = True
                            break
                    if has_curly and not is_js:
                        curly += 1
                    policy = (found >> 2) != 0
                    if not is_js and not policy:
                        sent = 1
                        q = s
                        while q < ce:
                            c = cp[q]
                            if (
                                c == 46
                                or c == 33
                                or c == 63
                                or c == 12290
                                or c == 65281
                                or c == 65311
                            ):
                                r = q + 1
                                while r < ce and kind[r] & PUNCT:
                                    r += 1
                                if r < ce and kind[r] & SPACE:
                                    while r < ce and kind[r] & SPACE:
                                        r += 1
                                    if r < ce and not kind[r] & PUNCT:
                                        sent += 1
                                q = r
                            else:
                                q += 1
                        c4_sent += sent
            ls = le + 1
        # paragraphs: text.strip() split on runs of two or more newlines
        s = 0
        while s < L and kind[s] & SPACE:
            s += 1
        e = L
        while e > s and kind[e - 1] & SPACE:
            e -= 1
        para_keys = np.zeros(size, np.uint64)
        n_para, dup_para, dup_para_chars = 0, 0, 0
        ps = s
        q = s
        while q <= e:
            at_sep = q < e and cp[q] == 10 and q + 1 < e and cp[q + 1] == 10
            if q == e or at_sep:
                n_para += 1
                h = _hash_span(cp, ps, q)
                slot = lookup(para_keys, h)
                if para_keys[slot] == h:
                    dup_para += 1
                    dup_para_chars += q - ps
                else:
                    para_keys[slot] = h
                if q == e:
                    break
                while q < e and cp[q] == 10:
                    q += 1
                ps = q
            else:
                q += 1
        row = out[i]
        row[0], row[1], row[2], row[3], row[4], row[5] = (
            n_sl,
            bullets,
            ell_lines,
            n_rep,
            dup_lines,
            dup_line_chars,
        )
        row[6], row[7], row[8] = n_para, dup_para, dup_para_chars
        row[9], row[10], row[11] = lorem, curly, c4_sent
        row[12], row[13], row[14], row[15] = n_fw, fw_punct, fw_short, fw_dup_chars
        row[16], row[17], row[18], row[19] = L, hashes, ellipses, newlines
        row[20], row[21] = L - newlines, fences
