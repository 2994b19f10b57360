"""Quality signals per field, vectorised: Gopher, C4, FineWeb rules and chat-data checks.

Line, paragraph and character rules are polars expressions over exploded lines. Word-level
rules (Gopher's word counts and n-gram repetition) need a tokeniser and per-text hash tables;
they run in one numba kernel over the texts' Arrow buffers. The tokeniser approximates
datatrove's English word tokeniser (spaCy): whitespace chunks, punctuation split into its own
tokens, kept inside numbers ("3.5", "1,000"), dotted words ("e.g") and snake_case, with
contractions split before the apostrophe.

Output of :func:`evaluate`: for each enabled rule and field ``<field>.<rule>`` (value, null
where undefined) and ``<field>.<rule>.flag`` (bool, never null), then ``n_flags``, ``any_flag``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.minhash import string_buffers
from inspector.core.quality_rules import CATALOGUE, ROW_LEVEL, RuleSet, load_rules

# datatrove's PUNCTUATION (ASCII and CJK punctuation, control characters)
PUNCTUATION = "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»" + "".join(
    chr(c) for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for c in range(a, b)
)  # fmt: skip
TERMINAL = r"[\p{Sentence_Terminal}៖៙៚]"
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
REFUSAL = (
    r"(?i)as an ai(?: language model| assistant| model)?\b|as a (?:large )?language model"
    r"|i(?:'m| am) (?:just |only )?an ai\b|i (?:cannot|can't|can not|am unable to|'m unable to)"
    r" (?:fulfill|fulfil|comply with|assist with|help with) (?:this|that|your)"
    r"|i(?:'m| am) (?:sorry|afraid),? but i (?:cannot|can't|can not|am unable|'m unable|won't)"
    r"|i apologi[sz]e,? but i (?:cannot|can't|am unable|'m unable)"
    r"|i (?:do not|don't) have (?:personal )?(?:opinions|feelings|emotions|beliefs)"
    r"|my (?:knowledge )?cut-?off date|openai'?s (?:content|use case) polic"
)
WORD_COLS = ("n_tokens", "n_words", "sum_word_len", "n_alpha_tokens", "n_stop_words", "n_chars",
             "top_2", "top_3", "top_4", "dup_5", "dup_6", "dup_7", "dup_8", "dup_9", "dup_10")  # fmt: skip
_CLASS_LIMIT = 0x30000  # code points above get class 0 (a letter-like, non-punctuation char)


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """1 space, 2 punctuation (datatrove's set), 4 alphabetic, 8 digit, per code point."""
    punct = set(PUNCTUATION)
    out = np.zeros(_CLASS_LIMIT, dtype=np.uint8)
    for c in range(_CLASS_LIMIT):
        ch = chr(c)
        out[c] = ch.isspace() | ((ch in punct) << 1) | (ch.isalpha() << 2) | (ch.isdigit() << 3)
    return out


def _fnv(word: str) -> int:
    h = 0xCBF29CE484222325
    for ch in word:
        h = ((h ^ ord(ch)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


@lru_cache(maxsize=1)
def _word_kernel() -> Any:
    import numba as nb

    m1, m2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
    s33 = np.uint64(33)
    fnv_off, fnv_p = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)

    @nb.njit(cache=True, nogil=True)
    def mix(x):
        x ^= x >> s33
        x *= m1
        x ^= x >> s33
        x *= m2
        x ^= x >> s33
        return x | np.uint64(1)  # 0 marks an empty slot

    @nb.njit(cache=True, nogil=True)
    def lookup(keys, h):
        mask = keys.shape[0] - 1
        slot = np.int64(h & np.uint64(mask))
        while keys[slot] != 0 and keys[slot] != h:
            slot = (slot + 1) & mask
        return slot

    @nb.njit(cache=True, nogil=True, parallel=True)
    def word_stats(offsets, data, cls, stop_h, ngrams, out):
        n = offsets.shape[0] - 1
        for i in nb.prange(n):
            start, end = offsets[i], offsets[i + 1]
            cp = np.empty(end - start, np.int64)
            L = 0
            p = start
            while p < end:  # utf-8 decode
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
                cp[L] = c
                L += 1
                p += k
            kind = np.empty(L, np.uint8)
            for j in range(L):
                kind[j] = cls[cp[j]] if cp[j] < cls.shape[0] else 0
            t_start = np.empty(L + 1, np.int64)
            t_end = np.empty(L + 1, np.int64)
            nt = 0
            j = 0
            while j < L:
                while j < L and kind[j] & 1:
                    j += 1
                s = j
                while j < L and not kind[j] & 1:
                    j += 1
                e = j
                if e == s:
                    break
                url = (
                    e - s > 7
                    and cp[s] == 104
                    and cp[s + 1] == 116
                    and cp[s + 2] == 116
                    and cp[s + 3] == 112
                )
                if url:  # "http...": one token, trailing punctuation split off
                    ue = e
                    while ue > s and kind[ue - 1] & 2:
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
                    if not kind[q] & 2:
                        if open_at < 0:
                            open_at = q
                        q += 1
                        continue
                    nxt_word = q + 1 < e and not kind[q + 1] & 2
                    if open_at >= 0 and nxt_word:
                        digits = (kind[q - 1] & 8) and (kind[q + 1] & 8)
                        if (c == 46 or c == 95) or (digits and (c == 44 or c == 58)):
                            q += 1  # 3.5, e.g, snake_case, 1,000, 10:30
                            continue
                        if (c == 39 or c == 8217) and kind[q + 1] & 4:
                            t_start[nt], t_end[nt] = open_at, q  # don't -> don 't
                            nt += 1
                            open_at = q
                            q += 1
                            continue
                    if open_at >= 0:
                        t_start[nt], t_end[nt] = open_at, q
                        nt += 1
                        open_at = -1
                    r = q + 1
                    if c == 46 or c == 45:  # "..." and "--" stay one token
                        while r < e and cp[r] == c:
                            r += 1
                    t_start[nt], t_end[nt] = q, r
                    nt += 1
                    q = r
                if open_at >= 0:
                    t_start[nt], t_end[nt] = open_at, e
                    nt += 1
            th = np.empty(nt, np.uint64)
            tl = np.empty(nt + 1, np.int64)  # prefix sums of token lengths
            tl[0] = 0
            n_words = 0
            sum_len = 0
            n_alpha = 0
            stop_mask = 0
            for t in range(nt):
                h = fnv_off
                sym = True
                alpha = False
                for q in range(t_start[t], t_end[t]):
                    h = (h ^ np.uint64(cp[q])) * fnv_p
                    if not kind[q] & 2:
                        sym = False
                    if kind[q] & 4:
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
            row[0], row[1], row[2], row[3], row[4], row[5] = (
                nt,
                n_words,
                sum_len,
                n_alpha,
                n_stop,
                L,
            )
            for k in range(6, 15):
                row[k] = 0.0
            if not ngrams or nt < 2:
                continue
            size = 16
            while size < 2 * nt + 2:
                size *= 2
            keys = np.zeros(size, np.uint64)
            count = np.zeros(size, np.int64)
            first = np.zeros(size, np.int64)
            for g in range(2, 5):  # the most frequent n-gram (ties: seen first)
                if nt < g:
                    break
                keys[:] = 0
                best_c, best_f, best_len = 0, 0, 0
                for t in range(nt - g + 1):
                    h = np.uint64(g)
                    for q in range(t, t + g):
                        h = mix(h ^ th[q])
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
                keys[:] = 0
                rep = 0
                t = 0
                while t < nt - g + 1:
                    h = np.uint64(g)
                    for q in range(t, t + g):
                        h = mix(h ^ th[q])
                    slot = lookup(keys, h)
                    if keys[slot] == h:
                        rep += tl[t + g] - tl[t]
                        t += g
                    else:
                        keys[slot] = h
                        t += 1
                row[9 + g - 5] = rep

    return word_stats


def word_stats(texts: pl.Series, ngrams: bool = True) -> pl.DataFrame:
    """Token counts, stop words, characters and n-gram repetition per text (see WORD_COLS)."""
    offsets, data = string_buffers(texts)
    out = np.zeros((len(texts), len(WORD_COLS)), dtype=np.float64)
    if len(texts):
        stop = np.array([_fnv(w) for w in STOP_WORDS], dtype=np.uint64)
        _word_kernel()(offsets, data, _char_classes(), stop, ngrams, out)
    return pl.DataFrame({c: out[:, k] for k, c in enumerate(WORD_COLS)})


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null (never NaN or inf) when den is 0 or null."""
    return pl.when(den > 0).then(num.cast(pl.Float64) / den).otherwise(None)


def line_stats(texts: pl.Series) -> pl.DataFrame:
    """Per text the line- and paragraph-level values of the Gopher, C4 and FineWeb rules."""
    n = len(texts)
    t = texts.cast(pl.String).fill_null("")
    lines = (
        pl.DataFrame({"row": np.arange(n, dtype=np.int64), "line": t.str.split("\n")})
        .with_columns(pl.col("line").list.len().alias("n"))
        .explode("line")
        .with_columns(pl.int_range(pl.len()).over("row").alias("pos"))
    )
    line = pl.col("line")
    stripped = line.str.strip_chars()
    sl = ~((pl.col("pos") == pl.col("n") - 1) & (line == ""))  # str.splitlines() view
    rep = (
        (line != "") | (pl.col("pos") == 0) | (pl.col("pos") == pl.col("n") - 1)
    )  # re.split("\n+")
    nonblank = stripped != ""
    c4_terminal = stripped.str.replace_all(r"\[\d*]|\[edit]|\[citation needed]", "")
    low = c4_terminal.str.to_lowercase()
    long_word = stripped.str.contains(r"\S{1001}")
    c4_base = (
        sl
        & ~long_word
        & c4_terminal.str.contains(r"[.?!\"']$")
        & ~c4_terminal.str.ends_with("...")
        & (stripped.str.count_matches(r"\S+") >= 3)
    )
    not_js = ~low.str.contains("javascript", literal=True)
    policy = low.str.contains(
        r"terms of use|privacy policy|cookie policy|uses cookies|use of cookies|use cookies"
    )
    sentences = 1 + c4_terminal.str.count_matches(r"[.!?。！？]+[\p{P}]*\s+[^\s\p{P}]")
    dup_rep = rep & ~pl.struct("row", pl.when(rep).then(line.hash())).is_first_distinct()
    dup_fw = nonblank & ~pl.struct("row", pl.when(nonblank).then(line.hash())).is_first_distinct()
    agg = lines.group_by("row").agg(
        n_sl=sl.sum(),
        bullets=(sl & line.str.strip_chars_start().str.contains(r"^[•-]")).sum(),
        ell_lines=(sl & line.str.strip_chars_end().str.contains(r"(?:\.\.\.|…)$")).sum(),
        n_rep=rep.sum(),
        dup_lines=dup_rep.sum(),
        dup_line_chars=pl.when(dup_rep).then(line.str.len_chars()).otherwise(0).sum(),
        lorem=(c4_base & low.str.contains("lorem ipsum", literal=True)).sum(),
        curly=(c4_base & not_js & c4_terminal.str.contains("{", literal=True)).sum(),
        c4_sent=pl.when(c4_base & not_js & ~policy).then(sentences).otherwise(0).sum(),
        n_fw=nonblank.sum(),
        fw_punct=(nonblank & line.str.contains(TERMINAL + "$")).sum(),
        fw_short=(nonblank & (line.str.len_chars() <= 30)).sum(),
        fw_dup_chars=pl.when(dup_fw).then(line.str.len_chars()).otherwise(0).sum(),
    )
    paras = (
        pl.DataFrame({"row": np.arange(n, dtype=np.int64), "p": t.str.strip_chars()})
        .with_columns(pl.col("p").str.replace_all(r"\n{2,}", "\x00").str.split("\x00"))
        .explode("p")
    )
    dup_p = ~pl.struct("row", pl.col("p").hash()).is_first_distinct()
    pagg = paras.group_by("row").agg(
        n_para=pl.len(),
        dup_para=dup_p.sum(),
        dup_para_chars=pl.when(dup_p).then(pl.col("p").str.len_chars()).otherwise(0).sum(),
    )
    base = pl.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "len": t.str.len_chars(),
            "hashes": t.str.count_matches("#", literal=True),
            "ellipses": t.str.count_matches("...", literal=True)
            + t.str.count_matches("…", literal=True),
            "newlines": t.str.count_matches("\n", literal=True),
            "len_no_nl": t.str.len_chars() - t.str.count_matches("\n", literal=True),
        }
    )
    return base.join(agg, on="row", how="left").join(pagg, on="row", how="left").sort("row")


def _chat_values(t: pl.Series, prompt: pl.Series | None) -> pl.DataFrame:
    from inspector.core.normalize import normalize_texts

    s = t.cast(pl.String).fill_null("")
    stripped = s.str.strip_chars()
    nonspace = s.str.count_matches(r"\S")
    letters = s.str.count_matches(r"\p{L}")
    alnum = s.str.count_matches(r"[\p{L}\p{N}]")
    last_line = stripped.str.extract(r"([^\n]*)$", 1)
    prose_end = (
        ~last_line.str.contains(r"^\s*(?:[-*+•>|#]|\d+[.)]|```|    )")
        & last_line.str.contains(r"[\p{L},;:(&\-–—]$")
        & (last_line.str.count_matches(r"\S+") >= 4)
    )
    fence_open = (stripped.str.count_matches(r"(?m)^\s*```") % 2) == 1
    frame = pl.DataFrame({"s": s, "stripped": stripped}).select(
        empty=pl.col("stripped").str.len_chars(),
        too_long=pl.col("s").str.len_chars(),
        refusal=pl.col("s").str.count_matches(REFUSAL),
    )
    frame = frame.with_columns(
        too_short=frame.get_column("empty"),
        cut_off=pl.Series((prose_end | fence_open).fill_null(False)).cast(pl.Int64)
        * (stripped.str.len_chars() > 0).cast(pl.Int64),
        symbol_ratio=pl.Series(_safe_div(nonspace - alnum, nonspace)),
        non_letter_ratio=pl.Series(_safe_div(nonspace - letters, nonspace)),
    )
    if prompt is not None:
        a = normalize_texts(s)
        b = normalize_texts(prompt)
        frame = frame.with_columns(echo_prompt=((a == b) & (a != "")).cast(pl.Int64))
    return frame


def _safe_div(num: pl.Series, den: pl.Series) -> pl.Series:
    return pl.select(_ratio(pl.lit(num), pl.lit(den))).to_series()


_GROUP_OF = {
    "gopher_quality": "word",
    "gopher_repetition": "word",
    "c4": "line",
    "fineweb": "line",
}


def text_values(texts: pl.Series, names: set[str], prompt: pl.Series | None = None) -> pl.DataFrame:
    """The raw value of each rule in ``names`` for one field's texts, plus ``_words`` (the
    word count used for the ``min_words`` gate)."""
    ngrams = any(
        n.startswith(("gopher_top", "gopher_dup_")) and "para" not in n and "line" not in n
        for n in names
    )
    w = word_stats(texts, ngrams=ngrams)
    need_lines = any(_group(n) in ("c4", "fineweb") or n in _LINE_RULES for n in names)
    ln = line_stats(texts) if need_lines else None
    chat = _chat_values(texts, prompt) if any(_group(n) == "chat" for n in names) else None
    cols: dict[str, pl.Series] = {"_words": w.get_column("n_words")}

    def wcol(c: str) -> pl.Expr:
        return pl.lit(w.get_column(c))

    def lcol(c: str) -> pl.Expr:
        assert ln is not None
        return pl.lit(ln.get_column(c))

    exprs: dict[str, pl.Expr] = {
        "gopher_short_doc": wcol("n_words"),
        "gopher_long_doc": wcol("n_words"),
        "gopher_avg_word_length": _ratio(wcol("sum_word_len"), wcol("n_words")),
        "gopher_alpha_words": _ratio(wcol("n_alpha_tokens"), wcol("n_tokens")),
        "gopher_stop_words": wcol("n_stop_words"),
    }
    for g in (2, 3, 4):
        exprs[f"gopher_top_{g}_gram"] = _ratio(wcol(f"top_{g}"), wcol("n_chars"))
    for g in range(5, 11):
        exprs[f"gopher_dup_{g}_gram"] = _ratio(wcol(f"dup_{g}"), wcol("n_chars"))
    if ln is not None:
        exprs.update(
            {
                "gopher_hash_ratio": _ratio(lcol("hashes"), wcol("n_tokens")),
                "gopher_ellipsis_ratio": _ratio(lcol("ellipses"), wcol("n_tokens")),
                "gopher_bullet_lines": _ratio(lcol("bullets"), lcol("n_sl")),
                "gopher_ellipsis_lines": _ratio(lcol("ell_lines"), lcol("n_sl")),
                "gopher_dup_para_frac": _ratio(lcol("dup_para"), lcol("n_para")),
                "gopher_dup_para_char_frac": _ratio(lcol("dup_para_chars"), lcol("len")),
                "gopher_dup_line_frac": _ratio(lcol("dup_lines"), lcol("n_rep")),
                "gopher_dup_line_char_frac": _ratio(lcol("dup_line_chars"), lcol("len")),
                "c4_lorem_ipsum": lcol("lorem"),
                "c4_curly_bracket": lcol("curly"),
                "c4_sentences": lcol("c4_sent"),
                "fineweb_line_punct_ratio": _ratio(lcol("fw_punct"), lcol("n_fw")),
                "fineweb_short_line_ratio": _ratio(lcol("fw_short"), lcol("n_fw")),
                "fineweb_char_dup_ratio": _ratio(lcol("fw_dup_chars"), lcol("len_no_nl")),
                "fineweb_list_ratio": _ratio(lcol("newlines"), wcol("n_tokens")),
            }
        )
    # repetition ratios are undefined for empty text (datatrove: "empty"); FineWeb needs a line
    empty = w.get_column("n_chars") == 0
    for name in sorted(names):
        if chat is not None and name in chat.columns:
            cols[name] = chat.get_column(name)
        elif name in exprs:
            value = pl.select(exprs[name]).to_series()
            if _group(name) in ("gopher_repetition", "c4"):
                value = pl.select(
                    pl.when(pl.lit(empty)).then(None).otherwise(pl.lit(value))
                ).to_series()
            cols[name] = value
    return pl.DataFrame(cols)


_LINE_RULES = {"gopher_hash_ratio", "gopher_ellipsis_ratio", "gopher_bullet_lines",
               "gopher_ellipsis_lines", "gopher_dup_para_frac", "gopher_dup_para_char_frac",
               "gopher_dup_line_frac", "gopher_dup_line_char_frac"}  # fmt: skip


def _group(name: str) -> str:
    return CATALOGUE[name].group


def outlier_scores(
    knn_indices: np.ndarray, knn_sims: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(score, robust z) per row: score = 1 - mean similarity to its valid neighbours;
    NaN for rows with no valid neighbour (empty texts), which callers show as null."""
    idx = np.asarray(knn_indices, dtype=np.int64)
    sims = np.asarray(knn_sims, dtype=np.float64)
    n = idx.shape[0]
    ok = (idx >= 0) & (idx < n) & np.isfinite(sims) & (idx != np.arange(n)[:, None])
    if valid is not None:
        v = np.asarray(valid, dtype=bool)
        ok &= v[:, None] & v[np.clip(idx, 0, max(n - 1, 0))]
    count = ok.sum(axis=1)
    total = np.where(ok, sims, 0.0).sum(axis=1)
    score = np.full(n, np.nan)
    has = count > 0
    score[has] = 1.0 - total[has] / count[has]
    z = np.full(n, np.nan)
    if has.any():
        med = np.median(score[has])
        mad = 1.4826 * np.median(np.abs(score[has] - med))
        if mad <= 0:
            mad = np.mean(np.abs(score[has] - med)) * 1.2533
        z[has] = (score[has] - med) / mad if mad > 0 else 0.0
    return score.astype(np.float32), z.astype(np.float32)


def evaluate(
    frame: pl.DataFrame,
    fields: Mapping[str, str],
    rules: RuleSet | None = None,
    *,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    valid: np.ndarray | None = None,
    progress: Progress = NULL_PROGRESS,
) -> pl.DataFrame:
    """Run the enabled rules. ``fields`` maps a role (prompt, response, chosen, rejected) to
    a column of ``frame``; a rule runs on each of its configured roles that is mapped."""
    rules = rules or load_rules()
    for role, col in fields.items():
        if col not in frame.columns:
            raise ValueError(f"{role} column {col!r} not in the data; it has {frame.columns}")
    out: dict[str, pl.Series] = {}
    flags: list[str] = []
    enabled = [r for r in rules.enabled if r.name not in ROW_LEVEL or r.name == "echo_prompt"]
    roles = [f for f in fields if any(f in r.fields for r in enabled)]
    progress.status("quality rules", total=len(roles) + 2)
    for role in roles:
        mine = [
            r
            for r in enabled
            if role in r.fields and (r.name != "echo_prompt" or role == "response")
        ]
        names = {r.name for r in mine}
        if "echo_prompt" in names and "prompt" not in fields:
            names.discard("echo_prompt")
        prompt = frame.get_column(fields["prompt"]) if "echo_prompt" in names else None
        values = text_values(frame.get_column(fields[role]), names, prompt)
        for rule in mine:
            if rule.name not in values.columns:
                continue
            col = f"{role}.{rule.name}"
            out[col] = values.get_column(rule.name).alias(col)
            out[col + ".flag"] = _flag(out[col], values.get_column("_words"), rule).alias(
                col + ".flag"
            )
            flags.append(col + ".flag")
        progress.advance()
    _pair_rules(frame, fields, rules, out, flags)
    if knn is not None and "outlier" in {r.name for r in rules.enabled}:
        score, z = outlier_scores(knn[0], knn[1], valid)
        rule = rules["outlier"]
        out["outlier_score"] = pl.Series("outlier_score", score).fill_nan(None)
        out["row.outlier"] = pl.Series("row.outlier", z).fill_nan(None)
        out["row.outlier.flag"] = _flag(out["row.outlier"], None, rule)
        flags.append("row.outlier.flag")
    progress.advance()
    result = pl.DataFrame(out) if out else pl.DataFrame({"_": np.zeros(len(frame))}).drop("_")
    if flags:
        result = result.with_columns(
            n_flags=pl.sum_horizontal([pl.col(f).cast(pl.Int32) for f in flags]),
        ).with_columns(any_flag=pl.col("n_flags") > 0)
    else:
        result = result.with_columns(
            n_flags=pl.repeat(0, len(frame), dtype=pl.Int32), any_flag=pl.repeat(False, len(frame))
        )
    progress.advance()
    return result


def _flag(value: pl.Series, words: pl.Series | None, rule: Any) -> pl.Series:
    v = pl.lit(value.cast(pl.Float64))
    verdict = pl.lit(False)
    if rule.min is not None:
        verdict = verdict | (v < rule.min)
    if rule.max is not None:
        verdict = verdict | (v > rule.max)
    if words is not None and rule.min_words > 0:
        verdict = verdict & (pl.lit(words) >= rule.min_words)
    return pl.select(verdict.fill_null(False).alias(value.name + ".flag")).to_series()


def _pair_rules(
    frame: pl.DataFrame, fields: Mapping[str, str], rules: RuleSet, out: dict, flags: list
) -> None:
    if "chosen" not in fields or "rejected" not in fields:
        return
    from inspector.core import minhash
    from inspector.core.normalize import LEXICAL, normalize_texts

    chosen = frame.get_column(fields["chosen"])
    rejected = frame.get_column(fields["rejected"])
    on = {r.name for r in rules.enabled}
    if "chosen_rejected_similarity" in on:
        params = minhash.MinHashParams(num_perm=128, shingle="char", ngram=5)
        a = minhash.signatures(normalize_texts(chosen, LEXICAL), params)
        b = minhash.signatures(normalize_texts(rejected, LEXICAL), params)
        rows = np.arange(len(frame))
        sim = minhash.estimated_jaccard(a, rows, rows, b).astype(np.float64)
        sim[minhash.empty_rows(a) | minhash.empty_rows(b)] = np.nan
        col = "pair.chosen_rejected_similarity"
        out[col] = pl.Series(col, sim).fill_nan(None)
        out[col + ".flag"] = _flag(out[col], None, rules["chosen_rejected_similarity"])
        flags.append(col + ".flag")
    if "empty_side" in on:
        empty = (chosen.cast(pl.String).fill_null("").str.strip_chars() == "") | (
            rejected.cast(pl.String).fill_null("").str.strip_chars() == ""
        )
        col = "pair.empty_side"
        out[col] = empty.cast(pl.Int64).alias(col)
        out[col + ".flag"] = _flag(out[col], None, rules["empty_side"])
        flags.append(col + ".flag")
