"""Cluster names from class TF-IDF: the words and word pairs most distinctive of a cluster.

Terms are words of 2+ letters and pairs of adjacent words (1-2-grams), lower-cased, from
the text a curator thinks in (the prompt side, see ``project_map.name_texts``). Left out:
stop words (sklearn's English list plus a few chat words), contractions as a whole ("don't",
"I've": a token with an apostrophe other than a possessive 's, never its fragments "don" or
"ve"; the fragments themselves are stop words too, for texts that lost their apostrophes),
and *common* terms: in more than ``COMMON_DF`` of all texts and in no cluster's members at
least ``COMMON_LIFT`` times as often (a system prompt or template shared by the set, which
a big cluster's own topic word is not). A pair never spans a left-out word.

c-TF-IDF (as in BERTopic) treats a cluster's texts as one document; here each text counts a
term once (document frequency), so the names favour words many members hold over words one
long text repeats. A term's weight is its share of the cluster's terms times
``log(1 + A / f)``, ``A`` the average number of terms per cluster and ``f`` the term's
frequency over all clusters. The name's words are picked from the ``CANDIDATES`` best by
maximal marginal relevance (``MMR_LAMBDA``): relevance against similarity to the words
already picked, where two terms that share a word are the same (no "assistant · assistant
helpful") and otherwise their similarity is the cosine of their occurrence over the
cluster's members (words that always come together say one thing, "bites · dust").

Tokenising runs in polars (Rust), not a Python loop per word. Large sets are named from a
seeded sample (every cluster keeps at least ``MIN_PER_CLUSTER`` texts), each text cut to
``MAX_CHARS`` characters; a cluster's ``member_share`` (members whose text holds at least
one name term) is measured on the same sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SEPARATOR = " · "
MAX_DOCS = 40_000
MIN_PER_CLUSTER = 200
MAX_CHARS = 1_000
COMMON_DF = 0.3
COMMON_LIFT = 2.0
CANDIDATES = 20
MMR_LAMBDA = 0.6
PAIR_COVERS = 0.8  # a word this often inside one pair gives way to the pair
EXTRA_STOP_WORDS = frozenset(
    """
    able also answer based best better br com create different does example explain following
    http https nbsp www
    aren couldn didn doesn don hadn hasn haven isn ll re shouldn ve wasn weren won wouldn
    generate given good help just know know let like make need new provide question really
    response sure tell thing things think use used using want way ways write yes
    hi hello hey dear thanks thank please ok okay did doing got gets getting going try trying
    tried wanted wants
    """.split()
)
# A word: a letter, then letters or marks, with inner apostrophes ("don't", "john's").
TOKEN_PATTERN = r"\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*"


@dataclass
class Naming:
    """One labelling's names: cluster id -> name, its terms, and the share of members (of
    the naming sample) whose text holds at least one of the terms."""

    names: dict[int, str]
    terms: dict[int, list[str]]
    member_share: dict[int, float]


def cluster_keywords(
    texts: Sequence[str],
    labels_list: Sequence[np.ndarray],
    top: int = 10,
    seed: int = 0,
) -> list[dict[int, list[str]]]:
    """For each labelling in ``labels_list``: cluster id -> its ``top`` distinctive terms.

    The texts are tokenised once and shared by all labellings. Noise (-1) is not named.
    """
    return [n.terms for n in name_clusters(texts, labels_list, words=top, seed=seed)]


def cluster_names(
    texts: Sequence[str],
    labels_list: Sequence[np.ndarray],
    words: int = 3,
    seed: int = 0,
) -> list[dict[int, str]]:
    """For each labelling: cluster id -> name ("term · term · term")."""
    return [n.names for n in name_clusters(texts, labels_list, words=words, seed=seed)]


def name_clusters(
    texts: Sequence[str],
    labels_list: Sequence[np.ndarray],
    words: int = 3,
    seed: int = 0,
) -> list[Naming]:
    """For each labelling: the names of its clusters, their terms and member shares."""
    n = len(texts)
    labels_list = [np.asarray(labels) for labels in labels_list]
    if n == 0 or all(not np.any(labels >= 0) for labels in labels_list):
        return [Naming({}, {}, {}) for _ in labels_list]
    rows = _sample_rows(labels_list, n, seed)
    docs = [(texts[i] or "")[:MAX_CHARS] for i in rows]
    matrix, vocab = doc_terms(docs, min_df=2 if len(docs) >= 50 else 1)
    ids = {t: i for i, t in enumerate(vocab)}
    out = []
    for labels in labels_list:
        terms = _ctfidf_mmr(matrix, labels[rows], vocab, words)
        shares = _member_share(
            matrix, labels[rows], {c: [ids[t] for t in ts] for c, ts in terms.items()}
        )
        names = {c: SEPARATOR.join(ts) for c, ts in terms.items()}
        out.append(Naming(names, terms, shares))
    return out


def doc_terms(docs: Sequence[str], min_df: int = 1) -> tuple[Any, np.ndarray]:
    """Binary CSR matrix (docs x terms: does the doc hold the term) and the sorted terms."""
    import polars as pl
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop = sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)
    tok = pl.col("tok")
    tokens = (
        pl.DataFrame({"doc": list(docs)}, schema={"doc": pl.String})
        .with_row_index("d")
        .select("d", pl.col("doc").str.to_lowercase().str.extract_all(TOKEN_PATTERN).alias("tok"))
        .explode("tok")
        .with_columns(tok.str.replace_all("’", "'", literal=True).str.replace(r"'s$", ""))
        .with_columns(
            pl.when(
                tok.str.contains("'", literal=True) | (tok.str.len_chars() < 2) | tok.is_in(stop)
            )
            .then(None)
            .otherwise(tok)
            .alias("tok")
        )
        .with_columns(tok.shift(-1).over("d").alias("next"))
    )
    pairs = tokens.filter(tok.is_not_null() & pl.col("next").is_not_null()).select(
        "d", pl.concat_str([tok, pl.col("next")], separator=" ").alias("term")
    )
    terms = (
        pl.concat([tokens.filter(tok.is_not_null()).select("d", tok.alias("term")), pairs])
        .unique()
        .with_columns(pl.len().over("term").alias("df"))
        .filter(pl.col("df") >= min_df)
    )
    vocab = terms["term"].unique().sort()
    if len(vocab) == 0:
        return sp.csr_matrix((len(docs), 0), dtype=np.float32), np.array([], dtype=object)
    index = pl.DataFrame({"term": vocab, "t": np.arange(len(vocab), dtype=np.int64)})
    pairs_dt = terms.join(index, on="term")
    d = pairs_dt["d"].to_numpy().astype(np.int64)
    t = pairs_dt["t"].to_numpy()
    matrix = sp.csr_matrix((np.ones(len(d), np.float32), (d, t)), shape=(len(docs), len(vocab)))
    matrix.sort_indices()
    return matrix, np.asarray(vocab.to_list(), dtype=object)


def _sample_rows(labels_list: Sequence[np.ndarray], n: int, seed: int) -> np.ndarray:
    if n <= MAX_DOCS:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(n, dtype=bool)
    chosen[rng.choice(n, MAX_DOCS, replace=False)] = True
    # Small clusters keep enough texts to be named at all.
    for labels in labels_list:
        order = np.argsort(labels, kind="stable")
        ids, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
        for c, s, m in zip(ids, starts, counts, strict=True):
            if c < 0:
                continue
            members = order[s : s + m]
            have = int(chosen[members].sum())
            if have < min(MIN_PER_CLUSTER, m):
                extra = rng.choice(members, min(MIN_PER_CLUSTER, m), replace=False)
                chosen[extra] = True
    return np.flatnonzero(chosen)


def _ctfidf_mmr(
    matrix: Any, labels: np.ndarray, vocab: np.ndarray, top: int
) -> dict[int, list[str]]:
    import scipy.sparse as sp

    ids, inverse = np.unique(labels, return_inverse=True)
    if not np.any(ids >= 0):
        return {}
    n_docs = len(labels)
    onehot = sp.csr_matrix(
        (np.ones(n_docs, np.float32), (inverse, np.arange(n_docs))), shape=(len(ids), n_docs)
    )
    per_class = (onehot @ matrix).tocsr()  # (clusters, terms): members holding the term
    per_class.sort_indices()
    sizes = np.bincount(inverse, minlength=len(ids)).astype(np.float64)
    df_all = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel() / max(n_docs, 1)
    terms_per_class = np.asarray(per_class.sum(axis=1), dtype=np.float64).ravel()
    avg_terms = float(terms_per_class.mean()) or 1.0
    term_freq = np.asarray(per_class.sum(axis=0), dtype=np.float64).ravel()
    idf = np.log1p(avg_terms / np.maximum(term_freq, 1.0))
    # Common terms: frequent over the set, and no cluster holds them COMMON_LIFT times as
    # often as the texts outside it do (a template is everywhere alike; a big cluster's
    # topic word is not).
    best_share = np.zeros(len(vocab))
    best_count = np.zeros(len(vocab))
    best_size = np.zeros(len(vocab))
    for row in range(len(ids)):
        if ids[row] < 0:
            continue
        lo, hi = per_class.indptr[row], per_class.indptr[row + 1]
        cols = per_class.indices[lo:hi]
        count = per_class.data[lo:hi].astype(np.float64)
        share = count / max(sizes[row], 1.0)
        better = share > best_share[cols]
        cols, count, share = cols[better], count[better], share[better]
        best_share[cols], best_count[cols], best_size[cols] = share, count, sizes[row]
    df_count = df_all * n_docs
    outside = (df_count - best_count) / np.maximum(n_docs - best_size, 1.0)
    common = (df_all > COMMON_DF) & (best_share < COMMON_LIFT * outside)
    words_of = [str(v).split() for v in vocab]
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], ids)
    ends = np.searchsorted(labels[order], ids, side="right")
    out: dict[int, list[str]] = {}
    for row, c in enumerate(ids):
        if c < 0:
            continue
        lo, hi = per_class.indptr[row], per_class.indptr[row + 1]
        terms = per_class.indices[lo:hi]
        score = per_class.data[lo:hi] / max(terms_per_class[row], 1.0) * idf[terms]
        keep = ~common[terms]
        terms, score = terms[keep], score[keep]
        if len(terms) == 0:
            out[int(c)] = []
            continue
        terms, score = _prefer_pairs(terms, score, per_class.data[lo:hi][keep], words_of)
        # A full sort, ties by term id: a name must not depend on a partial sort's pick.
        best = np.lexsort((terms, -score))[:CANDIDATES]
        members = matrix[order[starts[row] : ends[row]]]
        picked = _mmr(terms[best], score[best], members, words_of, top)
        out[int(c)] = [str(vocab[t]) for t in picked]
    return out


def _prefer_pairs(
    terms: np.ndarray, score: np.ndarray, counts: np.ndarray, words_of: list
) -> tuple[np.ndarray, np.ndarray]:
    """Drop a word that occurs (in this cluster) mostly inside one of its pairs: the pair
    says more ("climate change", not "change")."""
    count_of = dict(zip(terms.tolist(), counts.tolist(), strict=True))
    index = {words_of[t][0]: t for t in terms.tolist() if len(words_of[t]) == 1}
    covered: set[int] = set()
    for t, m in count_of.items():
        if len(words_of[t]) == 2:
            for w in words_of[t]:
                u = index.get(w)
                if u is not None and m >= PAIR_COVERS * count_of[u]:
                    covered.add(u)
    if not covered:
        return terms, score
    keep = ~np.isin(terms, np.fromiter(covered, dtype=terms.dtype))
    return terms[keep], score[keep]


def _mmr(cands: np.ndarray, score: np.ndarray, members: Any, words_of: list, top: int) -> list[int]:
    """Up to ``top`` of ``cands`` (best first) by maximal marginal relevance."""
    relevance = score / max(float(score[0]), 1e-12)
    occ = members[:, cands].toarray().astype(np.float64)  # members x candidates
    co = occ.T @ occ
    norms = np.sqrt(np.maximum(np.diag(co), 1e-12))
    sim = co / norms[:, None] / norms[None, :]
    word_sets = [set(words_of[t]) for t in cands]
    for i in range(len(cands)):
        for j in range(len(cands)):
            if i != j and word_sets[i] & word_sets[j]:
                sim[i, j] = 1.0
    chosen = [0]
    while len(chosen) < min(top, len(cands)):
        rest = [i for i in range(len(cands)) if i not in chosen]
        penalty = sim[np.ix_(rest, chosen)].max(axis=1)
        # Shared words are never both named; otherwise relevance against redundancy.
        gain = MMR_LAMBDA * relevance[rest] - (1 - MMR_LAMBDA) * penalty
        gain[penalty >= 1.0 - 1e-9] = -np.inf
        if not np.isfinite(gain).any():
            break
        chosen.append(rest[int(np.argmax(gain))])  # first of ties: the more relevant
    return [int(cands[i]) for i in chosen]


def _member_share(
    matrix: Any, labels: np.ndarray, term_ids: dict[int, list[int]]
) -> dict[int, float]:
    out: dict[int, float] = {}
    for c, ids in term_ids.items():
        rows = np.flatnonzero(labels == c)
        if len(rows) == 0 or not ids:
            out[c] = 0.0
            continue
        hits = np.asarray(matrix[rows][:, ids].sum(axis=1)).ravel() > 0
        out[c] = float(hits.mean())
    return out
