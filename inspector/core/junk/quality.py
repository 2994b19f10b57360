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

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.junk.minhash import string_buffers
from inspector.core.junk.quality_rules import CATALOGUE, ROW_LEVEL, RuleSet, load_rules

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
# a text that stops on one of these words (or a comma, colon, dash...) was cut off
CUT_WORDS = (
    r"(?i)\s(?:the|a|an|and|or|but|of|to|with|for|in|on|at|by|from|that|which|is|are|was|were"
    r"|as|if|than|because|while|when|where|who|whose|this|these|their|its|our|your|my)$"
)
WORD_COLS = ("n_tokens", "n_words", "sum_word_len", "n_alpha_tokens", "n_stop_words", "n_chars",
             "top_2", "top_3", "top_4", "dup_5", "dup_6", "dup_7", "dup_8", "dup_9", "dup_10",
             "n_nonspace", "n_letters", "n_alnum", "stripped_len", "last_line_start",
             "last_line_len")  # fmt: skip
LINE_COLS = ("n_sl", "bullets", "ell_lines", "n_rep", "dup_lines", "dup_line_chars", "n_para",
             "dup_para", "dup_para_chars", "lorem", "curly", "c4_sent", "n_fw", "fw_punct",
             "fw_short", "fw_dup_chars", "len", "hashes", "ellipses", "newlines", "len_no_nl",
             "fences")  # fmt: skip
_CLASS_LIMIT = 0x30000  # code points above get class 0 (a letter-like, non-punctuation char)


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """Per code point: 1 space, 2 punctuation (datatrove's set), 4 alphabetic, 8 digit,
    16 sentence terminal (FineWeb's stop characters)."""
    punct = set(PUNCTUATION)
    chars = [chr(c) for c in range(_CLASS_LIMIT)]
    out = np.fromiter(
        (
            ch.isspace() | ((ch in punct) << 1) | (ch.isalpha() << 2) | (ch.isdigit() << 3)
            for ch in chars
        ),
        dtype=np.uint8,
        count=_CLASS_LIMIT,
    )
    safe = pl.Series([" " if 0xD800 <= ord(ch) < 0xE000 else ch for ch in chars])
    out[safe.str.contains("^" + TERMINAL + "$").to_numpy()] |= 16
    return out


def _fnv(word: str) -> int:
    h = 0xCBF29CE484222325
    for ch in word:
        h = ((h ^ ord(ch)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def word_stats(texts: pl.Series, ngrams: bool | set[int] = True) -> pl.DataFrame:
    """Token counts, stop words, characters and n-gram repetition per text (see WORD_COLS);
    ``ngrams``: which n-gram sizes (2-4 top, 5-10 duplicated) to compute, or all / none."""
    if isinstance(ngrams, bool):
        ngrams = set(range(2, 11)) if ngrams else set()
    mask = sum(1 << g for g in ngrams)
    from inspector.core.junk import quality_kernels

    offsets, data = string_buffers(texts)
    out = np.zeros((len(texts), quality_kernels.N_WORD_STATS), dtype=np.float64)
    if len(texts):
        stop = np.array([_fnv(w) for w in STOP_WORDS], dtype=np.uint64)
        quality_kernels.word_stats(offsets, data, _char_classes(), stop, mask, out)
    return pl.DataFrame({c: out[:, k] for k, c in enumerate(WORD_COLS)})


_C4_PATTERNS = ("lorem ipsum", "javascript", "terms of use", "privacy policy", "cookie policy",
                "uses cookies", "use of cookies", "use cookies")  # fmt: skip


def line_stats(texts: pl.Series) -> pl.DataFrame:
    """Per text the line and paragraph counts behind the Gopher, C4 and FineWeb rules."""
    from inspector.core.junk import quality_kernels

    offsets, data = string_buffers(texts)
    width = max(len(p) for p in _C4_PATTERNS)
    pats = np.full((len(_C4_PATTERNS), width), -1, dtype=np.int64)
    for k, p in enumerate(_C4_PATTERNS):
        pats[k, : len(p)] = [ord(c) for c in p]
    plen = np.array([len(p) for p in _C4_PATTERNS], dtype=np.int64)
    out = np.zeros((len(texts), quality_kernels.N_LINE_STATS), dtype=np.float64)
    if len(texts):
        quality_kernels.line_stats(offsets, data, _char_classes(), pats, plen, out)
    return pl.DataFrame({c: out[:, k] for k, c in enumerate(LINE_COLS)})


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null (never NaN or inf) when den is 0 or null."""
    return pl.when(den > 0).then(num.cast(pl.Float64) / den).otherwise(None)


def _chat_values(
    t: pl.Series, prompt: pl.Series | None, w: pl.DataFrame, ln: pl.DataFrame | None
) -> pl.DataFrame:
    """Checks for instruction data, from the kernels' counts plus a few regexes."""
    s = t.cast(pl.String).fill_null("")
    last_line = s.str.slice(
        pl.Series(w.get_column("last_line_start").cast(pl.Int64)),
        pl.Series(w.get_column("last_line_len").cast(pl.Int64)),
    )
    prose = ~last_line.str.contains(
        r"^\s*(?:[-*+•>|#]|\d+[.)]|```|    )"
    ) & ~last_line.str.contains(r"(?:#\w+|https?://\S+|\s[-–—]\s*\p{Lu}[\p{L}. ]+)$")
    dangling = last_line.str.contains(r"[,;:(\[{&\-–—]$") | last_line.str.contains(CUT_WORDS)
    mid_paragraph = (last_line.str.count_matches(r"\S+") >= 12) & last_line.str.contains(
        r"[.!?]\s.*[\p{L}\p{N}]$"
    )
    finished = last_line.str.contains(r"[.!?][\"')\]*_`]*$")
    fences = ln.get_column("fences") if ln is not None else s.str.count_matches(r"(?m)^\s*```")
    # an unclosed code block, unless the text still ends like a finished sentence
    fence_open = ((fences.cast(pl.Int64) % 2) == 1) & ~finished
    stripped_len = w.get_column("stripped_len")
    cut = ((prose & (dangling | mid_paragraph)) | fence_open).fill_null(False) & (stripped_len > 0)
    nonspace = w.get_column("n_nonspace")
    frame = pl.DataFrame(
        {
            "empty": stripped_len.cast(pl.Int64),
            "too_short": stripped_len.cast(pl.Int64),
            "too_long": w.get_column("n_chars").cast(pl.Int64),
            "refusal": s.str.count_matches(REFUSAL).cast(pl.Int64),
            "cut_off": cut.cast(pl.Int64),
        }
    ).with_columns(
        symbol_ratio=_ratio(pl.lit(nonspace - w.get_column("n_alnum")), pl.lit(nonspace)),
        non_letter_ratio=_ratio(pl.lit(nonspace - w.get_column("n_letters")), pl.lit(nonspace)),
    )
    if prompt is not None:
        frame = frame.with_columns(echo_prompt=_echo(s, prompt))
    return frame


def _echo(response: pl.Series, prompt: pl.Series) -> pl.Series:
    """1 where the normalised response equals the normalised prompt (non-empty)."""
    from inspector.core.data.normalize import normalize_texts

    p = prompt.cast(pl.String).fill_null("")
    rl, pl_ = response.str.len_bytes(), p.str.len_bytes()
    # only rows of comparable length can be equal after normalisation: normalise just those
    maybe = ((rl <= 2 * pl_ + 16) & (pl_ <= 2 * rl + 16)).to_numpy()
    out = np.zeros(len(response), dtype=np.int64)
    rows = np.flatnonzero(maybe)
    if len(rows):
        a = normalize_texts(response.gather(rows))
        b = normalize_texts(p.gather(rows))
        out[rows] = ((a == b) & (a != "")).cast(pl.Int64).to_numpy()
    return pl.Series("echo_prompt", out)


def text_values(texts: pl.Series, names: set[str], prompt: pl.Series | None = None) -> pl.DataFrame:
    """The raw value of each rule in ``names`` for one field's texts, plus the counts used
    by the ``min_words`` gate: ``_words`` (Gopher's words: tokens that are not pure
    punctuation) and ``_tokens`` (all tokens, punctuation included: the chat checks' gate,
    so that a text made only of symbols still counts)."""
    sizes = {
        int(m.group(1)) for n in names if (m := re.fullmatch(r"gopher_(?:top|dup)_(\d+)_gram", n))
    }
    w = word_stats(texts, ngrams=sizes)
    need_lines = any(_group(n) in ("c4", "fineweb") or n in _LINE_RULES for n in names)
    ln = line_stats(texts) if need_lines else None
    chat = (
        _chat_values(texts, prompt if "echo_prompt" in names else None, w, ln)
        if any(_group(n) == "chat" for n in names)
        else None
    )
    cols: dict[str, pl.Series] = {
        "_words": w.get_column("n_words"),
        "_tokens": w.get_column("n_tokens"),
    }

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
            gate = values.get_column("_tokens" if rule.info.group == "chat" else "_words")
            flag = _flag(out[col], gate, rule)
            if "prompt" in fields and role != "prompt":
                flag = excuse_by_prompt(
                    rule.name, frame.get_column(fields["prompt"]), frame.get_column(fields[role]),
                    flag,
                )  # fmt: skip
            out[col + ".flag"] = flag.alias(col + ".flag")
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
    from inspector.core.data.normalize import LEXICAL, normalize_texts
    from inspector.core.junk import minhash

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


# -- the prompt explains the text ----------------------------------------------------------

ASKS_PLACEHOLDER = r"(?i)lorem ipsum|placeholder|filler|dummy (?:text|content)|sample text"
ASKS_REPETITION = (
    r"(?i)\b(?:songs?|lyrics?|poems?|poetry|haikus?|limericks?|sonnets?|rap|verses?|chorus|"
    r"refrain|ballad|jingle|rhymes?|stanzas?|lists?|repeat\w*|times)\b"
)
REPETITION_RULES = frozenset(
    {f"gopher_dup_{g}_gram" for g in range(5, 11)}
    | {f"gopher_top_{g}_gram" for g in (2, 3, 4)}
    | {"gopher_dup_para_frac", "gopher_dup_para_char_frac", "gopher_dup_line_frac",
       "gopher_dup_line_char_frac", "fineweb_char_dup_ratio"}
)  # fmt: skip
HELP_AFTER_REFUSAL_WORDS = 40  # words after the last refusal phrase that make it an answer


def excuse_by_prompt(rule: str, prompts: pl.Series, texts: pl.Series, flag: pl.Series) -> pl.Series:
    """``flag`` without the rows the prompt explains: lorem ipsum the prompt names,
    repetition in lyrics, poems or lists the prompt asked for, and a refusal or disclaimer
    followed by real help (``HELP_AFTER_REFUSAL_WORDS`` words after it)."""
    if not flag.any():
        return flag
    p = prompts.cast(pl.String).fill_null("")
    if rule == "c4_lorem_ipsum":
        return flag & ~p.str.contains(ASKS_PLACEHOLDER)
    if rule in REPETITION_RULES:
        return flag & ~p.str.contains(ASKS_REPETITION)
    if rule == "refusal":
        keep = flag.to_numpy().copy()
        pattern = re.compile(REFUSAL.removeprefix("(?i)"), re.I)
        t = texts.cast(pl.String).fill_null("")
        for i in np.flatnonzero(keep):
            text = t[int(i)]
            matches = list(pattern.finditer(text))
            last = matches[-1] if matches else None
            if last is not None:
                after = text[last.end() :]
                sentence_end = re.search(r"[.!?](\s|$)", after)
                rest = after[sentence_end.end() :] if sentence_end else ""
                keep[i] = len(rest.split()) < HELP_AFTER_REFUSAL_WORDS
        return pl.Series(flag.name, keep)
    return flag


def proposal_actions(rules: RuleSet) -> dict[str, str]:
    """What each value column's hits propose (``<field>.<rule>`` -> flag or remove)."""
    return {col: r.action for r in rules for col in r.columns()}


def explain_row(
    table: pl.DataFrame,
    frame: pl.DataFrame,
    fields: Mapping[str, str],
    row: int,
    rules: RuleSet | None = None,
) -> list[dict[str, Any]]:
    """Each quality flag on ``row`` of ``table`` (evaluate's output or analysis.parquet) as
    the reader shows it: rule, title, field, value, min, max, action, and the matched span
    (start, end: character offsets in that field's text; None when the whole text is
    judged). ``frame``/``fields``: the texts (as for :func:`evaluate`)."""
    rules = rules or load_rules()
    by_name = {r.name: r for r in rules}
    out = []
    for col in table.columns:
        if not col.endswith(".flag") or not table[col][row]:
            continue
        value_col = col.removesuffix(".flag")
        field, _, name = value_col.partition(".")
        rule = by_name.get(name)
        if rule is None:
            continue
        text = ""
        if field in fields and fields[field] in frame.columns:
            text = frame[fields[field]].cast(pl.String).fill_null("")[row]
        start, end = rule_span(name, text)
        value = table[value_col][row] if value_col in table.columns else None
        out.append(
            {
                "rule": name,
                "title": rule.title,
                "field": field,
                "value": value,
                "min": rule.min,
                "max": rule.max,
                "action": rule.action,
                "start": start,
                "end": end,
            }
        )
    return out


def rule_span(name: str, text: str) -> tuple[int | None, int | None]:
    """Where in ``text`` a rule's hit is (the first one), or (None, None)."""
    m: re.Match[str] | None = None
    if name == "c4_lorem_ipsum":
        m = re.search(r"lorem ipsum", text, re.I)
    elif name == "refusal":
        m = re.search(REFUSAL, text)
    elif name == "cut_off":
        s = text.rstrip()
        return (s.rfind("\n") + 1, len(s)) if s else (None, None)
    elif (g := re.fullmatch(r"gopher_(?:dup|top)_(\d+)_gram", name)) is not None:
        return _repeated_run(text, int(g.group(1)))
    elif name in ("gopher_dup_line_frac", "gopher_dup_line_char_frac", "fineweb_char_dup_ratio"):
        seen: set[str] = set()
        pos = 0
        for line in text.split("\n"):
            key = line.strip()
            if key and key in seen:
                return pos, pos + len(line)
            seen.add(key)
            pos += len(line) + 1
    return (m.start(), m.end()) if m else (None, None)


def _repeated_run(text: str, n: int) -> tuple[int | None, int | None]:
    """The second occurrence of the first run of ``n`` words seen twice."""
    words = list(re.finditer(r"\w+", text))
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - n + 1):
        key = tuple(w.group().lower() for w in words[i : i + n])
        if key in seen:
            return words[i].start(), words[i + n - 1].end()
        seen.add(key)
    return None, None


def preview_rule(
    frame: pl.DataFrame,
    fields: Mapping[str, str],
    rules: RuleSet,
    name: str,
    n: int = 10,
) -> tuple[pl.DataFrame, int]:
    """The first ``n`` hits of rule ``name`` as configured in ``rules`` (run even if it is
    off: the preview is seen before the rule is applied), and how many rows it hits in all.
    Columns: row, field, value, text."""
    only = rules.with_rule(name, enabled=True).only([name])
    t = evaluate(frame, fields, only)
    parts = []
    for col in t.columns:
        if col.endswith(".flag") and col.removesuffix(".flag").endswith("." + name):
            field = col.split(".", 1)[0]
            hit = np.flatnonzero(t[col].to_numpy())
            texts = frame[fields[field]].cast(pl.String) if field in fields else None
            parts.append(
                pl.DataFrame(
                    {
                        "row": pl.Series(hit, dtype=pl.Int64),
                        "field": [field] * len(hit),
                        "value": t[col.removesuffix(".flag")].cast(pl.Float64).gather(hit),
                        "text": texts.gather(hit) if texts is not None else [None] * len(hit),
                    },
                    schema={
                        "row": pl.Int64,
                        "field": pl.String,
                        "value": pl.Float64,
                        "text": pl.String,
                    },
                )  # fmt: skip
            )
    if not parts:
        empty = {"row": pl.Int64, "field": pl.String, "value": pl.Float64, "text": pl.String}
        return pl.DataFrame(schema=empty), 0
    hits = pl.concat(parts).sort("row", "field")
    return hits.head(n), hits["row"].n_unique()
