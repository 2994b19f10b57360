"""Semantic duplicates of preference pairs (issue 16): a pair is a near copy of another only
when its prompt, its chosen and its rejected side are each near on their own; over the whole
pair as one text, a shared prompt and chosen side make pairs with different rejected sides
look like copies."""

from __future__ import annotations

import re
import zlib

import numpy as np
import polars as pl

from inspector.core.junk.junk import analyze_junk

DIM = 512


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A deterministic stand-in for the embedding model: hashed word counts, unit length."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"\w+", t.lower()):
            out[i, zlib.crc32(w.encode()) % DIM] += 1.0
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norm == 0, 1.0, norm)


def spell(k: int) -> str:
    """``k`` in letters: the lexical normal form folds digit runs, so words must differ in
    letters to differ at all."""
    return "".join("abcdefghij"[int(d)] for d in str(k))


def words(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{spell(k)}" for k in range(n))


def pairs_frame() -> pl.DataFrame:
    """g0-g4: a prompt reworded by one word per pair, the same long chosen side, each a
    different short rejected side (pairs of one prompt against several rejected answers);
    s0-s2: one exact prompt and chosen, different rejected; x0/x1: a true copy with one word
    reworded on every side; y0: unrelated."""
    prompt = words("ask", 40)
    chosen = words("good", 60)
    rows = []
    for i in range(5):
        rows.append(
            {
                "id": f"g{i}",
                "prompt": prompt.replace("aska ", f"variant{spell(i)} "),
                "chosen": chosen,
                "rejected": words(f"bad{spell(i)}x", 4),
            }
        )
    for i, rejected in enumerate(("Dogs bark at night.", "I refuse.", "Seven plus two.")):
        rows.append(
            {"id": f"s{i}", "prompt": "Name a colour.", "chosen": chosen, "rejected": rejected}
        )
    base = {"prompt": words("q", 30), "chosen": words("c", 40), "rejected": words("r", 30)}
    rows.append({"id": "x0", **base})
    rows.append(
        {
            "id": "x1",
            "prompt": base["prompt"].replace("qd ", "question "),
            "chosen": base["chosen"].replace("ch ", "chosen "),
            "rejected": base["rejected"].replace("rf ", "rejected "),
        }
    )
    rows.append({"id": "y0", "prompt": "zzz", "chosen": "yyy", "rejected": "www"})
    return pl.DataFrame(rows)


def whole_pair_graph(frame: pl.DataFrame) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The whole-pair vectors (prompt + chosen + rejected as one text) and their full kNN."""
    texts = [f"{p}\n{c}\n{r}" for p, c, r in frame.select("prompt", "chosen", "rejected").rows()]
    v = bag_of_words(texts)
    sims = v @ v.T
    order = np.argsort(-sims, axis=1, kind="stable")
    return v, (order, np.take_along_axis(sims, order, axis=1))


def semantic_groups(frame: pl.DataFrame, **kw) -> dict[str, str]:
    vectors, knn = whole_pair_graph(frame)
    result = analyze_junk(
        frame,
        id_col="id",
        prompt_col="prompt",
        text_cols=["prompt", "chosen", "rejected"],
        chosen_col="chosen",
        rejected_col="rejected",
        knn=knn,
        vectors=vectors,
        semantic_threshold=0.9,
        **kw,
    )
    t = result.table.filter(pl.col("dup_removed"))
    return dict(zip(t["id"].to_list(), t["dup_kind"].to_list()))


def test_the_whole_pair_alone_calls_different_rejected_sides_copies():
    """The defect the per-side check fixes: g*'s whole-pair cosine and MinHash Jaccard are
    over the thresholds though their rejected sides share no word."""
    from inspector.core.junk import minhash

    frame = pairs_frame()
    vectors, _ = whole_pair_graph(frame)
    assert float(vectors[0] @ vectors[1]) > 0.9
    whole = frame.select(pl.concat_str("prompt", "chosen", "rejected", separator="\n"))
    sig = minhash.text_signatures(whole.to_series(), minhash.MinHashParams())
    assert minhash.estimated_jaccard(sig, np.array([0]), np.array([1]))[0] >= 0.8


def test_pairs_differing_in_the_rejected_side_are_not_duplicates():
    removed = semantic_groups(pairs_frame(), side_vectors=bag_of_words)
    assert not [i for i in removed if i[0] in "gs"], removed


def test_a_pair_reworded_on_every_side_is_still_a_semantic_duplicate():
    removed = semantic_groups(pairs_frame(), side_vectors=bag_of_words)
    assert removed == {"x1": "semantic_duplicate"}


def test_without_a_model_for_the_sides_each_side_must_be_a_lexical_near_copy():
    """No model to embed the sides with (vectors given as a column): the sides are compared
    by MinHash instead, so pairs with different rejected sides are still not copies."""
    removed = semantic_groups(pairs_frame())
    assert not [i for i in removed if i[0] in "gs"], removed
