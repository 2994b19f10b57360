"""Signals for instruction data that need no labels.

Each signal measures one value per row on one field (the response, or the prompt and the
response together), flags the row when the value passes its threshold, and keeps the span of
the response that made it fire where there is one, so a reader can highlight it. Signals are
judged against the dataset's own distribution where the scale is not universal (relevance,
word pairs).

Chat data goes through the dataset's field mapping: ``Dataset.prompt()`` joins the user turns
and ``Dataset.response()`` the assistant turns, so "the end of the response" is the end of the
last assistant turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.learn.language import language_mismatch
from inspector.core.learn.text_checks import cut_off, repetition_loop

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.project import Project

FLAG, REMOVE = "flag", "remove"
SHUFFLED_QUANTILE_DEFAULT = 0.9  # off_topic: the quantile of random pairings that is the cut


@dataclass(frozen=True)
class Signal:
    """A signal's description: what a reader sees beside a flag."""

    name: str
    title: str  # plain name
    description: str  # one line
    field: str  # "response" or "prompt+response"
    threshold: float
    flags_when: str  # "below" (value <= threshold) or "above" (value >= threshold)
    action: str  # FLAG or REMOVE: what the signal proposes by default

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Defaults. REMOVE only where the precision measured on >= 200 read rows is >= 0.9
# (benchmarks/results/learn_precision_judgments.json); everything else flags for review.
SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal(
            "off_topic",
            "Answer unrelated to its prompt",
            "the answer is no more similar to its prompt than most random prompt/answer "
            "pairings of this dataset (centred embedding cosine; the cut is this quantile of "
            "the random pairings)",
            "prompt+response",
            SHUFFLED_QUANTILE_DEFAULT,
            "below",
            FLAG,
        ),
        Signal(
            "shared_answer",
            "Same answer to many prompts",
            "the same answer (after normalising case, spaces and punctuation) is given to this "
            "many different prompts",
            "response",
            3,
            "above",
            REMOVE,
        ),
        Signal(
            "word_salad",
            "Word salad",
            "share of the answer's word pairs that occur elsewhere in the dataset; real "
            "sentences reuse common pairs, shuffled or random words do not",
            "response",
            0.3,
            "below",
            FLAG,
        ),
        Signal(
            "symbol_soup",
            "Symbols instead of words",
            "share of the answer's tokens that are not words (stray brackets, fragments such as "
            "'}:param'), in an answer that is not code, math or a table",
            "response",
            0.45,
            "above",
            FLAG,
        ),
        Signal(
            "language_mismatch",
            "Answer in another language",
            "the answer's language (offline identifier py3langid) differs from the prompt's, "
            "both identified with this confidence, and the prompt asks for no translation",
            "prompt+response",
            0.9,
            "above",
            FLAG,
        ),
        Signal(
            "cut_off",
            "Cut-off answer",
            "the answer stops mid-sentence (on a comma or a word like 'the') or leaves a code "
            "fence open",
            "response",
            1,
            "above",
            FLAG,
        ),
        Signal(
            "repetition_loop",
            "Answer stuck in a loop",
            "how many times the same run of words repeats back to back at the end of the answer",
            "response",
            3,
            "above",
            REMOVE,
        ),
        Signal(
            "ai_boilerplate",
            "Assistant boilerplate",
            "phrases such as 'As an AI language model' or 'I don't have personal opinions'",
            "response",
            1,
            "above",
            FLAG,
        ),
    )
}

# -- tuning knobs (documented, not configuration yet) ----------------------------------------
MIN_WORDS_RELEVANCE = 4  # "Yes." says little about relevance
SHUFFLES = 4  # random pairings per row in the off-topic baseline
MIN_WORDS_SHARED = 5  # "Yes" / "True" are naturally shared by many prompts
MIN_WORDS_SALAD = 15
MIN_ROWS_SALAD = 100  # word-pair counts from fewer rows say nothing
MAX_WORDS_SALAD = 300  # words per answer counted (the start decides)
MIN_TOKENS_SOUP = 8
WORD = r"\p{L}+(?:['’]\p{L}+)*"
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|#include|function |const |let |var |return\b|"
    r"public |private |for \(|if \(|while \(|SELECT |<\w+[ >]|\}|\{)|[;{]\s*$|=>|\)\s*\{"
)
_ASKS_CODE = re.compile(
    r"(?i)\b(?:code|program|script|function|python|javascript|java|c\+\+|sql|regex|regular "
    r"expression|html|css|json|yaml|latex|bash|shell|equation|formula|calculate|solve|math)\b"
)
ASKS_VERSE = re.compile(
    r"(?i)\b(?:songs?|lyrics?|poems?|poetry|haikus?|limericks?|sonnets?|rap|verses?|chorus|"
    r"ballad|jingle|rhymes?|stanzas?)\b"
)
_ASKS_REPEAT = re.compile(r"(?i)\b(?:song|lyrics?|poem|chant|rap|verse|chorus|repeat|times)\b")
BOILERPLATE = re.compile(
    r"(?i)\bas an ai(?: language model| assistant| model|, i)\b|\bas a (?:large )?language "
    r"model\b|\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence|language model)\b"
    r"|\bi (?:do not|don't) have (?:personal )?(?:opinions|feelings|emotions|beliefs|"
    r"preferences)\b|\bmy (?:knowledge )?cut-?off date\b|\bi (?:cannot|can't|do not|don't) "
    r"(?:browse|access) the internet\b|\bi (?:do not|don't) have (?:access to )?real-time\b"
)


@dataclass
class SignalTable:
    """Per-row values, flags and spans of every signal, in dataset row order.

    ``frame`` has, per signal ``s``: ``s`` (Float64, null where not measured), ``s.flag``
    (Boolean), ``s.start``/``s.end`` (Int64 character offsets in the response, null where
    no span applies) and ``language_mismatch.detail``. ``cuts`` holds the thresholds as
    applied to this dataset (off_topic's is a cosine derived from the data).
    """

    frame: pl.DataFrame
    cuts: dict[str, float]
    signals: dict[str, Signal] = field(default_factory=lambda: dict(SIGNALS))

    def __len__(self) -> int:
        return self.frame.height

    def values(self) -> np.ndarray:
        """float32 (n, signals) of the values, NaN where not measured (model features)."""
        cols = [self.frame[name].cast(pl.Float64).to_numpy() for name in self.signals]
        return np.column_stack(cols).astype(np.float32) if cols else np.zeros((len(self), 0))

    def flagged(self, name: str) -> np.ndarray:
        return self.frame[f"{name}.flag"].to_numpy().astype(bool)

    def any_flag(self) -> np.ndarray:
        out = np.zeros(len(self), dtype=bool)
        for name in self.signals:
            out |= self.flagged(name)
        return out

    def removals(self) -> np.ndarray:
        """Rows some REMOVE signal flags."""
        out = np.zeros(len(self), dtype=bool)
        for name, sig in self.signals.items():
            if sig.action == REMOVE:
                out |= self.flagged(name)
        return out

    def flags(self) -> pl.DataFrame:
        """One row per (row, fired signal): row, signal, title, field, value, threshold,
        action, start, end, detail — what a reader shows beside a flag."""
        parts = []
        f = self.frame.with_row_index("row")
        for name, sig in self.signals.items():
            detail = (
                pl.col("language_mismatch.detail")
                if name == "language_mismatch"
                else pl.lit(None, pl.String)
            )
            parts.append(
                f.filter(pl.col(f"{name}.flag")).select(
                    pl.col("row").cast(pl.Int64),
                    signal=pl.lit(name),
                    title=pl.lit(sig.title),
                    field=pl.lit(sig.field),
                    value=pl.col(name).cast(pl.Float64),
                    threshold=pl.lit(float(self.cuts.get(name, sig.threshold))),
                    action=pl.lit(sig.action),
                    start=pl.col(f"{name}.start"),
                    end=pl.col(f"{name}.end"),
                    detail=detail,
                )
            )
        return pl.concat(parts).sort("row", "signal") if parts else pl.DataFrame()


# -- the job ---------------------------------------------------------------------------------


def compute_signals(
    prompts: Sequence[str] | pl.Series,
    responses: Sequence[str] | pl.Series,
    prompt_vectors: np.ndarray | None = None,
    response_vectors: np.ndarray | None = None,
    *,
    seed: int = 0,
    progress: Progress = NULL_PROGRESS,
) -> SignalTable:
    """Every signal over ``prompts``/``responses`` (one pair per row). Without vectors,
    off_topic is not measured (null, never flagged)."""
    p = _as_series(prompts)
    r = _as_series(responses)
    if len(p) != len(r):
        raise ValueError(f"compute_signals: {len(p):,} prompts but {len(r):,} responses")
    n = len(r)
    cuts: dict[str, float] = {}
    cols: dict[str, Any] = {}
    words = r.str.count_matches(WORD).to_numpy().astype(np.int64)
    asks_code = p.str.contains(_ASKS_CODE.pattern).fill_null(False).to_numpy()
    progress.status("quality signals", len(SIGNALS))

    rel, rel_cut = relevance(prompt_vectors, response_vectors, words, seed=seed)
    cuts["off_topic"] = rel_cut
    _put(cols, "off_topic", rel, rel <= rel_cut)
    progress.advance()

    shared = shared_answers(p, r, words)
    _put(cols, "shared_answer", shared, shared >= SIGNALS["shared_answer"].threshold)
    progress.advance()

    code_like = looks_like_code(r) | asks_code
    salad = word_pair_support(r, words)
    asks_verse = p.str.contains(ASKS_VERSE.pattern).fill_null(False).to_numpy()
    # items, cells and verse lines are not sentences
    salad[code_like | looks_like_list(r) | asks_verse] = np.nan
    _put(cols, "word_salad", salad, salad <= SIGNALS["word_salad"].threshold)
    progress.advance()

    soup = symbol_share(r)
    math_or_table = (r.str.count_matches(r" = |\\\(|\\\[| \| ").fill_null(0).to_numpy() >= 2) | (
        r.str.contains(r"(?m)^\s*\|").fill_null(False).to_numpy()
    )
    soup[code_like | math_or_table] = np.nan
    _put(cols, "symbol_soup", soup, soup >= SIGNALS["symbol_soup"].threshold)
    progress.advance()

    conf, detail = language_mismatch(p, r)
    _put(cols, "language_mismatch", conf, conf >= SIGNALS["language_mismatch"].threshold)
    cols["language_mismatch.detail"] = pl.Series(detail, dtype=pl.String)
    progress.advance()

    texts = r.to_list()
    prompt_list = p.to_list()
    cut = np.zeros(n, dtype=np.float64)
    cut_start = np.full(n, -1, dtype=np.int64)
    for i, (text, prompt) in enumerate(zip(texts, prompt_list)):
        verse = bool(prompt and ASKS_VERSE.search(prompt))
        cut[i], cut_start[i] = cut_off(text or "", verse)
    _put(cols, "cut_off", cut, cut >= 1, cut_start, np.where(cut_start >= 0, _lengths(r), -1))
    progress.advance()

    loops = np.zeros(n, dtype=np.float64)
    loop_start = np.full(n, -1, dtype=np.int64)
    loop_end = np.full(n, -1, dtype=np.int64)
    loop_flag = np.zeros(n, dtype=bool)
    for i, (text, prompt) in enumerate(zip(texts, prompt_list)):
        reps, start, end = repetition_loop(text or "")
        loops[i], loop_start[i], loop_end[i] = reps, start, end
        need = SIGNALS["repetition_loop"].threshold
        if prompt and _ASKS_REPEAT.search(prompt):
            need *= 2  # a chorus repeats on purpose
        loop_flag[i] = reps >= need
    _put(cols, "repetition_loop", loops, loop_flag, loop_start, loop_end)
    progress.advance()

    ai = np.zeros(n, dtype=np.float64)
    ai_start = np.full(n, -1, dtype=np.int64)
    ai_end = np.full(n, -1, dtype=np.int64)
    for i, text in enumerate(texts):
        if text and ("AI" in text or "ai" in text or "model" in text or "have" in text):
            hits = list(BOILERPLATE.finditer(text))
            if hits:
                ai[i], ai_start[i], ai_end[i] = len(hits), hits[0].start(), hits[0].end()
    _put(cols, "ai_boilerplate", ai, ai >= 1, ai_start, ai_end)
    progress.advance()
    return SignalTable(pl.DataFrame(cols), cuts)


def project_signals(
    project: Project,
    model: str = "default",
    progress: Progress = NULL_PROGRESS,
    vectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[SignalTable, np.ndarray, np.ndarray]:
    """Signals over a project's prompt/response fields, with the (cached) default embeddings
    of both sides. Returns (signals, prompt vectors, response vectors)."""
    return dataset_signals(project.dataset, model, progress, vectors)


def dataset_signals(
    dataset: Dataset,
    model: str = "default",
    progress: Progress = NULL_PROGRESS,
    vectors: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[SignalTable, np.ndarray, np.ndarray]:
    """:func:`project_signals` on a dataset (reads it only: safe on a job thread)."""
    prompts = dataset.prompt()
    responses = dataset.response()
    if vectors is None:
        from inspector.core.map.embed import embed_texts

        pv = embed_texts(prompts.to_list(), model, progress)
        rv = embed_texts(responses.to_list(), model, progress)
    else:
        pv, rv = vectors
    return compute_signals(prompts, responses, pv, rv, progress=progress), pv, rv


# -- single signals --------------------------------------------------------------------------


def relevance(
    prompt_vectors: np.ndarray | None,
    response_vectors: np.ndarray | None,
    words: np.ndarray,
    *,
    seed: int = 0,
    quantile: float | None = None,
) -> tuple[np.ndarray, float]:
    """Centred cosine of each prompt/response pair and the cut below which a pair is off-topic.

    Both sides are centred on their mean before the cosine: static embeddings share an
    "assistant answer" direction that makes every pair look related. The cut is the
    ``quantile`` (off_topic's threshold) of shuffled pairs, each prompt against other rows'
    answers: a pair no more related than most random pairings is off-topic. The data's own
    median is not used: when a fifth of the rows are unrelated it falls with them."""
    n = len(words)
    out = np.full(n, np.nan)
    if prompt_vectors is None or response_vectors is None or n == 0:
        return out, float("nan")
    pv = np.asarray(prompt_vectors, dtype=np.float32)
    rv = np.asarray(response_vectors, dtype=np.float32)
    valid = (words >= MIN_WORDS_RELEVANCE) & (np.abs(pv).sum(1) > 0) & (np.abs(rv).sum(1) > 0)
    idx = np.flatnonzero(valid)
    if len(idx) < 20:
        return out, float("nan")
    pc = _unit(pv[idx] - pv[idx].mean(0))
    rc = _unit(rv[idx] - rv[idx].mean(0))
    out[idx] = (pc * rc).sum(1).astype(np.float64)
    # the baseline: each prompt against other rows' answers. Garbage rows change it little
    # (a random pairing is random either way), where they would drag the data's own median.
    rng = np.random.default_rng(seed)
    m = len(idx)
    shuffled = []
    for _ in range(SHUFFLES):
        shift = rng.integers(1, m, size=m)  # never the row itself
        shuffled.append((pc * rc[(np.arange(m) + shift) % m]).sum(1))
    q = SIGNALS["off_topic"].threshold if quantile is None else quantile
    return out, float(np.quantile(np.concatenate(shuffled), q))


def shared_answers(prompts: pl.Series, responses: pl.Series, words: np.ndarray) -> np.ndarray:
    """How many different prompts share each row's normalised answer (NaN for short ones)."""
    frame = pl.DataFrame({"p": _normalised(prompts), "r": _normalised(responses)})
    counts = frame.select(pl.col("p").n_unique().over("r")).to_series().to_numpy()
    out = counts.astype(np.float64)
    out[(words < MIN_WORDS_SHARED) | (frame["r"].str.len_chars().to_numpy() == 0)] = np.nan
    return out


def word_pair_support(responses: pl.Series, words: np.ndarray) -> np.ndarray:
    """Share of each answer's adjacent word pairs found in at least two other rows.

    A language model of the dataset itself: real sentences reuse common pairs ("of the",
    "it is"), shuffled words and random strings do not. NaN when the answer has fewer than
    ``MIN_WORDS_SALAD`` words or the dataset fewer than ``MIN_ROWS_SALAD`` rows."""
    n = len(responses)
    out = np.full(n, np.nan)
    if n < MIN_ROWS_SALAD:
        return out
    tokens = (
        pl.DataFrame({"t": responses.fill_null("").str.to_lowercase()})
        .with_row_index("row")
        .select("row", w=pl.col("t").str.extract_all(WORD).list.head(MAX_WORDS_SALAD))
        .explode("w")
        .drop_nulls("w")
    )
    pairs = tokens.with_columns(nxt=pl.col("w").shift(-1).over("row")).drop_nulls("nxt")
    pairs = pairs.select("row", h=pl.concat_str("w", "nxt", separator=" ").hash(seed=7))
    per_pair = pairs.unique().group_by("h").agg(rows=pl.len())
    scored = (
        pairs.join(per_pair, on="h", how="left")
        .group_by("row")
        .agg(support=(pl.col("rows") >= 3).mean())
    )
    rows = scored["row"].to_numpy().astype(np.int64)
    out[rows] = scored["support"].to_numpy()
    out[words < MIN_WORDS_SALAD] = np.nan
    return out


def symbol_share(responses: pl.Series) -> np.ndarray:
    """Share of whitespace tokens that are not word-like (NaN under ``MIN_TOKENS_SOUP``)."""
    # list markers ("1.", "-", "*") are neither words nor soup
    tokens = (
        responses.fill_null("")
        .str.extract_all(r"\S+")
        .list.eval(pl.element().filter(~pl.element().str.contains(r"^(?:[-*+•#>]|\d+[.)]?)$")))
    )
    n_tokens = tokens.list.len().to_numpy()
    # a word may carry punctuation at its ends ("(see", "end."), not inside ("}:param")
    wordish = r"^[\p{P}\p{S}]{0,2}[\p{L}\p{N}][\p{L}\p{N}'’\-]*[\p{P}\p{S}]{0,3}$"
    good = tokens.list.eval(pl.element().str.contains(wordish).cast(pl.Int32)).list.sum()
    good_arr = good.fill_null(0).to_numpy().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - good_arr / n_tokens
    out[n_tokens < MIN_TOKENS_SOUP] = np.nan
    return out


def looks_like_list(responses: pl.Series) -> np.ndarray:
    """Answers made mostly of list items, table rows or hashtags (at least 3 such lines and
    40% of the non-empty lines, or 3 hashtags): their word pairs are names, not sentences."""
    lines = (
        responses.fill_null("")
        .str.split("\n")
        .list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))
    )
    items = lines.list.eval(
        pl.element().str.contains(r"^\s*(?:[-*+•]|\d+[.)]|\|)").cast(pl.Int32)
    ).list.sum()
    n_items = items.fill_null(0).to_numpy()
    n_lines = lines.list.len().fill_null(0).to_numpy()
    tags = responses.fill_null("").str.count_matches(r"#\w").to_numpy()
    return ((n_items >= 3) & (n_items >= 0.4 * np.maximum(n_lines, 1))) | (tags >= 3)


def looks_like_code(responses: pl.Series) -> np.ndarray:
    """Answers with a code fence or at least three lines that read as code."""
    fence = responses.str.contains(r"(?m)^\s*(```|~~~)").fill_null(False).to_numpy()
    lines = responses.fill_null("").str.split("\n")
    code_lines = lines.list.eval(
        pl.element().str.contains(_CODE_LINE.pattern).cast(pl.Int32)
    ).list.sum()
    return fence | (code_lines.fill_null(0).to_numpy() >= 3)


def _as_series(values: Sequence[str] | pl.Series) -> pl.Series:
    if isinstance(values, pl.Series):
        return values.cast(pl.String).fill_null("")
    return pl.Series([("" if v is None else str(v)) for v in values], dtype=pl.String)


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-9)


def _normalised(s: pl.Series) -> pl.Series:
    return (
        s.fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}\s]", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _lengths(s: pl.Series) -> np.ndarray:
    return s.str.len_chars().fill_null(0).to_numpy().astype(np.int64)


def _per_row(texts: list, fn: Any) -> tuple[np.ndarray, np.ndarray]:
    values = np.zeros(len(texts), dtype=np.float64)
    starts = np.full(len(texts), -1, dtype=np.int64)
    for i, t in enumerate(texts):
        values[i], starts[i] = fn(t or "")
    return values, starts


def _put(
    cols: dict[str, Any],
    name: str,
    value: np.ndarray,
    flag: np.ndarray,
    start: np.ndarray | None = None,
    end: np.ndarray | None = None,
) -> None:
    value = np.asarray(value, dtype=np.float64)
    flag = np.asarray(flag, dtype=bool) & ~np.isnan(value)
    cols[name] = pl.Series(value, dtype=pl.Float64).fill_nan(None)
    cols[f"{name}.flag"] = pl.Series(flag, dtype=pl.Boolean)
    for key, arr in (("start", start), ("end", end)):
        if arr is None:
            cols[f"{name}.{key}"] = pl.Series([None] * len(value), dtype=pl.Int64)
        else:
            a = np.asarray(arr, dtype=np.int64)
            keep = pl.DataFrame({"a": a, "k": flag & (a >= 0)})
            cols[f"{name}.{key}"] = keep.select(pl.when("k").then("a")).to_series()
