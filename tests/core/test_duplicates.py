"""Duplicate finders on data with planted exact, near and semantic duplicates."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.data.normalize import LEXICAL, Normalization, combined_text, normalize_texts
from inspector.core.junk import minhash
from inspector.core.junk.duplicates import (
    EXACT_DUPLICATE,
    MINHASH_DUPLICATE,
    SEMANTIC_DUPLICATE,
    Calibration,
    KeepPolicy,
    calibrate,
    find_exact_duplicates,
    find_minhash_duplicates,
    find_semantic_duplicates,
    keep_priority,
    pairs_near,
    semantic_pairs,
)
from inspector.core.junk.eval_leaks import find_eval_leaks

BASE = [
    "Photosynthesis converts light energy into chemical energy stored in glucose molecules",
    "The French revolution began in 1789 and reshaped the politics of Europe for a century",
    "To reverse a list in Python you can call the reverse method or use slicing with step -1",
    "A balanced diet includes vegetables fruit whole grains lean protein and plenty of water",
    "Mount Everest is the highest mountain above sea level located in the Himalayas range",
    "The mitochondria is the powerhouse of the cell producing most of its chemical energy",
]


def _words(seed: int, n: int = 40) -> str:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return " ".join("".join(rng.choice(letters, size=rng.integers(3, 9))) for _ in range(n))


# -- normalisation -------------------------------------------------------------------------


def test_normalisation_steps_are_configurable() -> None:
    text = ["  Héllo,   WORLD!  42 apples\t"]
    assert normalize_texts(text).to_list() == ["héllo, world! 42 apples"]
    assert normalize_texts(text, LEXICAL).to_list() == ["hello world 0 apples"]
    keep_case = Normalization(case=False)
    assert normalize_texts(text, keep_case).to_list() == ["Héllo, WORLD! 42 apples"]
    assert Normalization.parse("case,whitespace") == Normalization(
        unicode=False, case=True, digits=False, punctuation=False, accents=False, whitespace=True
    )
    with pytest.raises(ValueError, match="unknown normalisation"):
        Normalization.parse("case,colour")


def test_combined_text_keeps_field_boundaries() -> None:
    frame = pl.DataFrame({"p": ["a", "a b"], "r": ["b c", "c"]})
    joined = combined_text(frame, ["p", "r"])
    assert joined[0] != joined[1]
    with pytest.raises(ValueError, match="not in the data"):
        combined_text(frame, ["prompt"])


# -- exact ---------------------------------------------------------------------------------


def test_exact_groups_with_normalised_text_and_first_seen_representative() -> None:
    texts = [BASE[0], BASE[1], BASE[0].upper(), "  " + BASE[1] + "  ", BASE[2], "", "   ", None]
    groups = find_exact_duplicates(texts)
    assert groups.kind == EXACT_DUPLICATE
    assert groups.group.tolist() == [0, 1, 0, 1, -1, -1, -1, -1]
    assert groups.representative.tolist() == [0, 1, 0, 1, -1, -1, -1, -1]
    assert groups.removed.tolist() == [False, False, True, True, False, False, False, False]
    assert groups.similarity[[2, 3]].tolist() == [1.0, 1.0]
    assert groups.n_groups == 2
    # empty and whitespace-only texts are never grouped together
    assert (groups.group[5:] == -1).all()


def test_removals_and_table_carry_ids_reason_and_representative() -> None:
    ids = ["a", "b", "c", "d"]
    groups = find_exact_duplicates([BASE[0], BASE[0], BASE[1], BASE[0]])
    rem = groups.removals(ids)
    assert rem.columns == ["id", "action", "reason", "group_id", "representative_id", "similarity"]
    assert rem.get_column("id").to_list() == ["b", "d"]
    assert set(rem.get_column("representative_id")) == {"a"}
    assert set(rem.get_column("reason")) == {EXACT_DUPLICATE}
    table = groups.table(ids)
    assert table.get_column("dup_representative").to_list() == ["a", "a", None, "a"]
    assert table.get_column("dup_similarity").null_count() == 1


# -- keep policies -------------------------------------------------------------------------


def test_keep_policies_pick_the_right_member() -> None:
    frame = pl.DataFrame(
        {
            "text": [BASE[0], BASE[0] + "  ", BASE[0].upper(), BASE[1]],
            "source": ["web", "web", "curated", "web"],
            "reward": [0.1, 0.9, 0.5, 0.0],
            "answer": ["short", "a much longer answer", "mid answer", "x"],
        }
    )
    texts = frame.get_column("text")

    def rep(policy: str, **kw: object) -> int:
        prio = keep_priority(KeepPolicy.parse(policy), frame, **kw)  # type: ignore[arg-type]
        return int(find_exact_duplicates(texts, priority=prio).representative[0])

    assert rep("first") == 0
    assert rep("longest:answer") == 1
    assert rep("best_score:reward") == 1
    assert rep("best_score", scores=np.array([0.0, -2.0, 5.0, 0.0])) == 2
    assert rep("prefer:source=curated") == 2
    assert rep("prefer:source=nowhere") == 0  # no preferred member: first seen
    with pytest.raises(ValueError, match="column"):
        keep_priority(KeepPolicy.parse("prefer:origin=x"), frame)
    with pytest.raises(ValueError, match="unknown keep policy"):
        KeepPolicy.parse("random")


def test_nan_scores_rank_last() -> None:
    prio = keep_priority(KeepPolicy("best_score"), scores=np.array([np.nan, 0.2, np.nan]), n=3)
    groups = find_exact_duplicates([BASE[0]] * 3, priority=prio)
    assert groups.representative.tolist() == [1, 1, 1]


# -- MinHash -------------------------------------------------------------------------------


def test_minhash_estimates_jaccard_like_the_exact_value() -> None:
    a = _words(1, 200)
    tokens = a.split()
    b = " ".join(tokens[:180] + [f"z{i}" for i in range(20)])
    params = minhash.MinHashParams(num_perm=256)
    sig = minhash.signatures(pl.Series([a, b]), params)

    def shingles(t: str) -> set[str]:
        w = t.split()
        return {" ".join(w[i : i + 3]) for i in range(len(w) - 2)}

    true = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    est = float(minhash.estimated_jaccard(sig, np.array([0]), np.array([1]))[0])
    assert abs(est - true) < 0.08


def test_minhash_finds_planted_near_duplicates() -> None:
    rng = np.random.default_rng(0)
    texts = [_words(i, 60) for i in range(300)]
    planted = {}
    for src in range(0, 60, 6):  # near copies: a few words changed
        words = texts[src].split()
        words[rng.integers(0, 60)] = "changed"
        texts.append(" ".join(words))
        planted[len(texts) - 1] = src
    texts.append(texts[7].upper() + " !!!")  # punctuation and case only: same after LEXICAL
    planted[len(texts) - 1] = 7
    texts.append("")
    texts.append("")
    groups = find_minhash_duplicates(texts, threshold=0.8)
    assert groups.kind == MINHASH_DUPLICATE
    for copy, src in planted.items():
        assert groups.group[copy] >= 0 and groups.group[copy] == groups.group[src]
        assert groups.representative[copy] == src
        assert groups.similarity[copy] >= 0.8
    in_groups = set(np.flatnonzero(groups.in_group))
    assert in_groups == set(planted) | set(planted.values())
    assert groups.group[-1] == -1 and groups.group[-2] == -1


def test_minhash_char_shingles_and_large_buckets() -> None:
    texts = ["ein kurzer satz über katzen"] * 50 + ["ein kurzer satz über katzen."] * 50
    texts += [_words(i, 30) for i in range(20)]
    params = minhash.MinHashParams(shingle="char", ngram=5)
    groups = find_minhash_duplicates(texts, params=params)
    assert (groups.group[:100] == 0).all()
    assert (groups.representative[:100] == 0).all()
    assert (groups.group[100:] == -1).all()


def test_optimal_bands_match_the_threshold() -> None:
    b, r = minhash.optimal_bands(0.8, 128)
    assert b * r <= 128
    assert 1 - (1 - 0.8**r) ** b >= 0.995  # a pair at the threshold is almost surely a candidate
    assert 1 - (1 - 0.3**r) ** b < 0.05  # a dissimilar pair almost never
    with pytest.raises(ValueError):
        minhash.optimal_bands(0.0, 128)


# -- semantic ------------------------------------------------------------------------------


def _planted_vectors(n: int = 200, d: int = 32, seed: int = 0) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, d)).astype(np.float32)
    planted = {}
    for src in range(0, 40, 5):  # five rows per cluster: src + 3 close copies
        for j in range(1, 4):
            v[src + j] = v[src] + rng.normal(scale=0.05, size=d)
            planted[src + j] = src
    v[150] = 0.0  # an empty text
    v[151] = 0.0
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v, planted


def _knn(v: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    idx = np.argsort(-sims, axis=1)[:, :k].astype(np.int32)
    return idx, np.take_along_axis(sims, idx, axis=1).astype(np.float32)


def test_semantic_groups_from_knn_with_representative_and_similarity() -> None:
    v, planted = _planted_vectors()
    idx, sims = _knn(v)
    valid = np.linalg.norm(v, axis=1) > 0
    groups = find_semantic_duplicates(idx, sims, 0.95, valid=valid, vectors=v)
    assert groups.kind == SEMANTIC_DUPLICATE
    for copy, src in planted.items():
        assert groups.group[copy] == groups.group[src] >= 0
        assert groups.representative[copy] == src
        assert groups.similarity[copy] == pytest.approx(float(v[copy] @ v[src]), abs=1e-5)
    assert set(np.flatnonzero(groups.in_group)) == set(planted) | set(planted.values())
    assert groups.n_groups == 8
    assert not np.isnan(groups.similarity).any()
    pairs = groups.pairs
    assert (pairs.get_column("a") < pairs.get_column("b")).all()


def test_zero_vectors_and_nan_never_group() -> None:
    idx = np.array([[1, 2], [0, 2], [0, 1], [-1, -1]], dtype=np.int32)
    sims = np.array([[np.nan, 1.0], [np.nan, 0.99], [1.0, 0.99], [0, 0]], dtype=np.float32)
    # rows 0 and 1 are empty texts (zero vectors) whose similarities came out NaN/1.0
    valid = np.array([False, False, True, True])
    groups = find_semantic_duplicates(idx, sims, 0.9, valid=valid)
    assert groups.n_groups == 0
    assert not np.isnan(groups.similarity).any()
    assert len(semantic_pairs(idx, sims, 0.9)) == 2  # without the mask only NaN is dropped


def test_calibration_counts_match_the_finder_at_every_threshold() -> None:
    v, _ = _planted_vectors(seed=3)
    idx, sims = _knn(v, k=8)
    valid = np.linalg.norm(v, axis=1) > 0
    thresholds = [0.3, 0.5, 0.9, 0.95, 0.99, 0.999]
    counts = calibrate(idx, sims, thresholds, valid)
    for t, row in zip(thresholds, counts.iter_rows(named=True), strict=True):
        g = find_semantic_duplicates(idx, sims, t, valid=valid)
        assert row["groups"] == g.n_groups
        assert row["rows_in_groups"] == int(g.in_group.sum())
        assert row["rows_removed"] == int(g.removed.sum())
        assert row["pairs"] == len(g.pairs)
    near = Calibration(idx, sims, valid).pairs_near(0.95, n=3)
    above = near.filter(pl.col("side") == "above").get_column("similarity")
    below = near.filter(pl.col("side") == "below").get_column("similarity")
    assert len(above) == 3 and len(below) == 3
    assert above.min() >= 0.95 > below.max()
    # the pairs closest to the threshold: nothing in the graph lies between them and it
    all_s = Calibration(idx, sims, valid).pairs.get_column("similarity")
    assert all_s.filter((all_s >= 0.95) & (all_s < above.min())).len() == 0
    assert len(pairs_near(idx, sims, 0.95, 2, valid)) == 4


# -- eval leakage --------------------------------------------------------------------------


def test_eval_leaks_exact_minhash_and_semantic() -> None:
    eval_texts = [BASE[0], _words(77, 80), BASE[4], "an eval question"]
    eval_ids = ["e0", "e1", "e2", "e3"]
    near = _words(77, 80).split()
    near[10] = "different"
    train = [BASE[0].upper(), " ".join(near), BASE[3], "", "an unrelated row", BASE[5]]
    tv = np.eye(6, 8, dtype=np.float32)
    ev = np.zeros((4, 8), dtype=np.float32)
    ev[2] = tv[5] * 0.99 + tv[4] * 0.01  # train row 5 means the same as eval row 2
    ev[3, 7] = 1.0
    tv[3] = 0.0  # the empty text's zero vector
    out = find_eval_leaks(
        train, eval_texts, eval_ids, train_vectors=tv, eval_vectors=ev, semantic_threshold=0.9
    )
    assert out.get_column("eval_leak").to_list() == [True, True, False, False, False, True]
    assert out.get_column("eval_match_id").to_list() == ["e0", "e1", None, None, None, "e2"]
    assert out.get_column("eval_match_kind").to_list()[:2] == [EXACT_DUPLICATE, MINHASH_DUPLICATE]
    assert out.get_column("eval_match_kind")[5] == SEMANTIC_DUPLICATE
    assert out.get_column("eval_similarity").is_nan().sum() == 0


def test_eval_leaks_with_empty_eval_set() -> None:
    out = find_eval_leaks(["a text"], [], [])
    assert out.get_column("eval_leak").to_list() == [False]


def test_calibration_counts_a_pair_exactly_at_the_threshold() -> None:
    idx = np.array([[1], [0], [3], [2]], dtype=np.int32)
    sims = np.array([[0.95], [0.95], [0.5], [0.5]], dtype=np.float32)
    row = calibrate(idx, sims, [0.95]).row(0, named=True)
    assert row["pairs"] == 1 and row["groups"] == 1 and row["rows_removed"] == 1
    assert find_semantic_duplicates(idx, sims, 0.95).n_groups == 1


TRICKY = [
    "3.14 and 1,000,000 v2 22v33 A.B",
    "Hello,   World!! \x1f  x",
    "",
    "  ",
    "café Ünïcode 12",
    "ＡＢＣ full width",
    "e\u0301 combining",
    "nbsp\u00a0here",
    "line\u2028sep",
    "’quotes’ — dash",
    "٣٤ arabic digits 3.٤",
    "Straße STRASSE",
    "한국어 텍스트",
    "x\u3000y\ttab",
]


@pytest.mark.parametrize(
    "norm",
    [Normalization(), LEXICAL, Normalization(case=False), Normalization(whitespace=False)],
)
def test_fast_paths_equal_polars_normalisation(norm: Normalization) -> None:
    from inspector.core.junk.duplicates import exact_keys

    texts = pl.Series(TRICKY)
    normed = normalize_texts(texts, norm)
    assert exact_keys(texts, norm).equals(exact_keys(normed, norm))
    sig_fast = minhash.text_signatures(texts, norm=norm)
    assert (sig_fast == minhash.signatures(normed)).all()


def test_list_groups_names_a_group_by_its_loosest_finder_and_keeps_its_kept_row():
    from inspector.core.junk.group_lists import kind_name, list_groups

    # rows 0-2: exact copies joined by a semantic match; rows 3-4: exact; row 5: alone
    found = list_groups(
        [0, 0, 0, 1, 1, -1],
        kept=[False, True, False, True, False, False],
        kind=[EXACT_DUPLICATE, SEMANTIC_DUPLICATE, SEMANTIC_DUPLICATE, EXACT_DUPLICATE,
              EXACT_DUPLICATE, None],
    )  # fmt: skip
    assert found.kinds == [SEMANTIC_DUPLICATE, EXACT_DUPLICATE]
    assert found.keepers == [1, 3]
    assert found.keeper_first(0).tolist() == [1, 0, 2]
    assert found.counts()[EXACT_DUPLICATE] == (1, 2)
    assert found.of_kind(SEMANTIC_DUPLICATE).rows().tolist() == [0, 1, 2]
    assert found.group_of(4) == 1 and found.group_of(5) is None
    assert kind_name("near") == "minhash_duplicate"


@pytest.mark.parametrize(
    "norm",
    [
        LEXICAL,
        Normalization(case=False, digits=True, punctuation=True, accents=True),
        Normalization(unicode=False, digits=True, punctuation=True, accents=True),
        Normalization(accents=True, whitespace=False),
        Normalization(),
    ],
)
def test_letters_folded_while_hashing_equal_polars_normalisation(norm: Normalization) -> None:
    """Every letter that minhash.letters_table folds to ASCII letters, alone and beside
    letters, digits, punctuation, spaces, itself, marks and the field separator: the
    signatures are those of the polars-normalised text, and the rows without marks are
    hashed without polars."""
    table = minhash.letters_table(norm.unicode, norm.case, norm.accents)
    mapped = [chr(c) for c in np.flatnonzero(table[:, 0])]
    assert len(mapped) > (400 if norm.accents else 50)
    plain = [
        f"{c}|a{c}b {c}{c}|x3{c} 3.1{c}|{c}.{c}! ({c})|word {c}\x1f{c} y|Ab{c}CD {c}-é"
        for c in mapped
    ]
    others = [f"{c}\u0301 a{c}\u0308 {c}|Ω{c} {c}Σ ς{c}" for c in mapped[::7]]  # polars' way
    texts = pl.Series([*plain, *others, *TRICKY])
    normed = normalize_texts(texts, norm)
    assert (minhash.text_signatures(texts, norm=norm) == minhash.signatures(normed)).all()
    # the rows without marks took the fast path
    params = minhash.MinHashParams()
    a, b = minhash._permutations(params.num_perm, params.seed)
    offsets, data = minhash.string_buffers(pl.Series(plain))
    out = np.full((len(plain), params.num_perm), minhash.EMPTY, dtype=np.uint32)
    fallback = np.zeros(len(plain), dtype=bool)
    minhash._kernels().folded_word_signatures(
        offsets, data, minhash.fold_table(norm.unicode), True, table, params.ngram,
        norm.case, norm.digits, norm.punctuation, norm.accents, norm.whitespace,
        a, b, out, fallback,
    )  # fmt: skip
    assert not fallback.any()
