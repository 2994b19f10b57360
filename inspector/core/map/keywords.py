"""Cluster names from c-TF-IDF: the words most distinctive of each cluster's texts.

c-TF-IDF (as in BERTopic) treats all texts of a cluster as one document: a term's weight is
its frequency in the cluster times ``log(1 + A / f)``, where ``A`` is the average number of
words per cluster and ``f`` the term's frequency over all clusters. Stop words (sklearn's
English list plus a few chat words and contraction fragments such as "ll" and "don") are removed. A name is the top three words joined by
" · ". Large sets are named from a seeded sample (every cluster keeps at least
``MIN_PER_CLUSTER`` texts), with each text cut to ``MAX_CHARS`` characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SEPARATOR = " · "
MAX_DOCS = 40_000
MIN_PER_CLUSTER = 200
MAX_CHARS = 1_000
EXTRA_STOP_WORDS = frozenset(
    """
    able also answer based best better br com create different does example explain following
    http https nbsp www
    aren couldn didn doesn don hadn hasn haven isn ll re shouldn ve wasn weren won wouldn
    generate given good help just know know let like make need new provide question really
    response sure tell thing things think use used using want way ways write yes
    """.split()
)
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of 2+ letters, no digits


def cluster_keywords(
    texts: Sequence[str],
    labels_list: Sequence[np.ndarray],
    top: int = 10,
    seed: int = 0,
) -> list[dict[int, list[str]]]:
    """For each labelling in ``labels_list``: cluster id -> its ``top`` distinctive words.

    The texts are vectorised once and shared by all labellings. Noise (-1) is not named.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    n = len(texts)
    labels_list = [np.asarray(labels) for labels in labels_list]
    if n == 0 or all(not np.any(labels >= 0) for labels in labels_list):
        return [{} for _ in labels_list]
    rows = _sample_rows(labels_list, n, seed)
    docs = [(texts[i] or "")[:MAX_CHARS] for i in rows]
    vectorizer = CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        min_df=2 if len(docs) >= 50 else 1,
        max_features=100_000,
        dtype=np.float32,
    )
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary: only stop words, numbers or blanks
        return [{} for _ in labels_list]
    vocab = vectorizer.get_feature_names_out()
    return [_ctfidf(counts, labels[rows], vocab, top) for labels in labels_list]


def cluster_names(
    texts: Sequence[str],
    labels_list: Sequence[np.ndarray],
    words: int = 3,
    seed: int = 0,
) -> list[dict[int, str]]:
    """For each labelling: cluster id -> name ("word · word · word")."""
    keywords = cluster_keywords(texts, labels_list, top=words, seed=seed)
    return [{c: SEPARATOR.join(ws) for c, ws in level.items()} for level in keywords]


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


def _ctfidf(counts, labels: np.ndarray, vocab: np.ndarray, top: int) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    ids, inverse = np.unique(labels, return_inverse=True)
    if not np.any(ids >= 0):
        return {}
    onehot = sp.csr_matrix(
        (np.ones(len(labels), np.float32), (inverse, np.arange(len(labels)))),
        shape=(len(ids), len(labels)),
    )
    per_class = (onehot @ counts).tocsr()  # (clusters, terms), sparse
    words_per_class = np.asarray(per_class.sum(axis=1), dtype=np.float64).ravel()
    avg_words = float(words_per_class.mean()) or 1.0
    term_freq = np.asarray(per_class.sum(axis=0), dtype=np.float64).ravel()
    idf = np.log1p(avg_words / np.maximum(term_freq, 1.0))
    out: dict[int, list[str]] = {}
    for row, c in enumerate(ids):
        if c < 0:
            continue
        lo, hi = per_class.indptr[row], per_class.indptr[row + 1]
        terms = per_class.indices[lo:hi]
        score = per_class.data[lo:hi] / max(words_per_class[row], 1.0) * idf[terms]
        k = min(top, len(terms))
        if k == 0:
            out[int(c)] = []
            continue
        # A full sort, ties by term id: argpartition's pick among equal scores at the cut
        # is an implementation detail, and a name must not depend on it.
        best = np.lexsort((terms, -score))[:k]
        out[int(c)] = [str(vocab[terms[j]]) for j in best]
    return out
