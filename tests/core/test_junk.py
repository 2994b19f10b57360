"""analyze_junk on a small set with planted duplicates of every kind, junk and eval leaks."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.jobs import Cancelled, Progress
from inspector.core.junk.duplicates import EXACT_DUPLICATE, MINHASH_DUPLICATE, SEMANTIC_DUPLICATE
from inspector.core.junk.junk import EvalSet, analyze_junk


def _sentence(rng: np.random.Generator, n: int = 30) -> str:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, size=rng.integers(3, 9))) for _ in range(n)]
    return " ".join(words).capitalize() + "."


@pytest.fixture(scope="module")
def planted() -> dict:
    """60 rows: r00..r59. Planted:
    exact: r10 == r03 (case/space), r11 == r03;   minhash: r12 ~ r04 (one word changed);
    semantic: r13 ~ r05 (vector only);
    leaks (prompts): r30 is eval e1, r40 nearly e0;   chain: r14 is an exact copy of r12 (so it joins r04);
    junk: r20 empty answer, r21 refusal, r22 cut off, r23 symbols."""
    rng = np.random.default_rng(7)
    prompts = [f"Question number {i}: {_sentence(rng, 12)}" for i in range(60)]
    answers = [_sentence(rng) for _ in range(60)]
    prompts[10], answers[10] = prompts[3].upper(), "  " + answers[3].upper() + " "
    prompts[11], answers[11] = prompts[3], answers[3]
    words = answers[4].split()
    words[7] = "changed"
    prompts[12], answers[12] = prompts[4], " ".join(words)
    prompts[14], answers[14] = prompts[12], answers[12]
    answers[20] = "  "
    answers[21] = "I'm sorry, but I cannot help with that request."
    answers[22] = "The answer depends on many things. First we look at the data and the"
    answers[23] = "%%% ### @@@ !!! ^^^ &&& *** ((("
    frame = pl.DataFrame(
        {
            "id": [f"r{i:02d}" for i in range(60)],
            "prompt": prompts,
            "answer": answers,
            "source": ["web"] * 60,
        }
    )
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs[10] = vecs[11] = vecs[3]
    vecs[12] = vecs[14] = vecs[4] + 0.01
    vecs[13] = vecs[5] + rng.normal(scale=0.02, size=16)
    vecs[20] = 0.0
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -np.inf)
    idx = np.argsort(-sims, axis=1)[:, :5].astype(np.int32)
    knn = (idx, np.take_along_axis(sims, idx, axis=1).astype(np.float32))
    eval_set = EvalSet(
        texts=[prompts[40] + " please", prompts[30]], ids=["e0", "e1"], columns=["prompt"]
    )
    return {"frame": frame, "knn": knn, "vectors": vecs, "eval": eval_set}


def _run(planted: dict, **kw: object) -> object:
    return analyze_junk(
        planted["frame"],
        id_col="id",
        prompt_col="prompt",
        response_col="answer",
        knn=planted["knn"],
        vectors=planted["vectors"],
        semantic_threshold=0.95,
        eval=planted["eval"],
        **kw,  # type: ignore[arg-type]
    )


def test_every_planted_duplicate_is_found(planted: dict) -> None:
    result = _run(planted)
    t = result.table.with_row_index("row")

    def row(rid: str) -> dict:
        return t.filter(pl.col("id") == rid).row(0, named=True)

    for copy in ("r10", "r11"):
        r = row(copy)
        assert r["dup_kind"] == EXACT_DUPLICATE and r["dup_representative"] == "r03"
        assert r["dup_similarity"] == 1.0 and r["dup_removed"]
    assert row("r12")["dup_kind"] == MINHASH_DUPLICATE
    assert row("r12")["dup_representative"] == "r04"
    assert 0.8 <= row("r12")["dup_similarity"] < 1.0
    # r14 is an exact copy of r12, which is a near copy of r04: one group, kept r04
    assert row("r14")["dup_kind"] == EXACT_DUPLICATE
    assert row("r14")["dup_matched"] == "r12" and row("r14")["dup_representative"] == "r04"
    assert row("r13")["dup_kind"] == SEMANTIC_DUPLICATE
    assert row("r13")["dup_representative"] == "r05"
    assert row("r13")["dup_similarity"] == pytest.approx(
        float(planted["vectors"][13] @ planted["vectors"][5]), abs=1e-5
    )
    groups = {g: set(m) for g, m in t.group_by("dup_group").agg("id").iter_rows() if g >= 0}
    assert sorted(groups.values(), key=min) == [
        {"r03", "r10", "r11"},
        {"r04", "r12", "r14"},
        {"r05", "r13"},
    ]
    kept = t.filter(pl.col("dup_group") >= 0, ~pl.col("dup_removed"))
    assert set(kept["id"]) == {"r03", "r04", "r05"}
    assert row("r04")["dup_kind"] == MINHASH_DUPLICATE  # the loosest link in its group
    assert row("r20")["dup_group"] == -1  # the empty answer's zero vector groups with nothing


def test_planted_junk_and_leaks_are_flagged(planted: dict) -> None:
    t = _run(planted).table
    flagged = set(t.filter(pl.col("any_flag"))["id"])
    assert {"r20", "r21", "r22", "r23"} <= flagged
    assert t.filter(pl.col("id") == "r20")["response.empty.flag"][0]
    assert t.filter(pl.col("id") == "r21")["response.refusal.flag"][0]
    assert t.filter(pl.col("id") == "r22")["response.cut_off.flag"][0]
    assert t.filter(pl.col("id") == "r23")["response.symbol_ratio.flag"][0]
    leaks = t.filter(pl.col("eval_leak"))
    assert leaks["id"].to_list() == ["r30", "r40"]
    assert leaks["eval_match_id"].to_list() == ["e1", "e0"]
    assert leaks["eval_match_kind"].to_list() == [EXACT_DUPLICATE, MINHASH_DUPLICATE]
    assert not t["outlier_score"].is_nan().any()


def test_proposals_and_summary(planted: dict) -> None:
    result = _run(planted)
    props = result.proposals()
    assert props.columns == [
        "id", "action", "reason", "group_id", "representative_id", "similarity", "score",
    ]  # fmt: skip
    # duplicates, leaks and empty texts propose removal; the other rules flag for review
    assert set(props["action"]) == {"remove", "flag"}
    flagged = set(props.filter(pl.col("action") == "flag")["reason"])
    assert "response.refusal" in flagged and "response.empty" not in flagged
    dups = props.filter(
        pl.col("reason").is_in([EXACT_DUPLICATE, MINHASH_DUPLICATE, SEMANTIC_DUPLICATE])
    )
    assert sorted(dups["id"]) == ["r10", "r11", "r12", "r13", "r14"]
    assert dups.filter(pl.col("id") == "r13")["representative_id"][0] == "r05"
    assert set(props.filter(pl.col("reason") == "eval_leak")["id"]) == {"r30", "r40"}
    assert "r21" in set(props.filter(pl.col("reason") == "response.refusal")["id"])
    summary = {r["finder"]: r for r in result.summary().iter_rows(named=True)}
    # groups as the Issues lists count them: r04's group (r12 near, r14 an exact copy of r12)
    # is one MinHash group, the loosest finder that joined it
    assert summary[EXACT_DUPLICATE]["rows"] == 2 and summary[EXACT_DUPLICATE]["groups"] == 1
    assert summary[MINHASH_DUPLICATE]["rows"] == 2 and summary[MINHASH_DUPLICATE]["groups"] == 1
    assert summary[SEMANTIC_DUPLICATE]["rows"] == 1
    assert summary["eval_leak"]["rows"] == 2
    assert summary["response.empty"]["rows"] == 1


def test_keep_policy_prefer_a_source(planted: dict) -> None:
    frame = planted["frame"].with_columns(
        pl.when(pl.col("id") == "r11").then(pl.lit("curated")).otherwise("source").alias("source")
    )
    result = analyze_junk(
        frame,
        id_col="id",
        prompt_col="prompt",
        response_col="answer",
        keep_policy="prefer:source=curated",
    )
    t = result.table
    assert set(t.filter(pl.col("dup_representative") == "r11")["id"]) == {"r03", "r10", "r11"}
    assert not t.filter(pl.col("id") == "r11")["dup_removed"][0]


def test_without_knn_or_eval_and_cancel(planted: dict) -> None:
    frame = planted["frame"]
    result = analyze_junk(frame, id_col="id", text_cols=["answer"], response_col="answer")
    assert "eval_leak" not in result.table.columns
    assert result.semantic is None
    assert result.exact is not None and result.exact.n_groups == 2  # r03 and r04's copies
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        analyze_junk(frame, id_col="id", response_col="answer", progress=progress)
    with pytest.raises(ValueError, match="id column"):
        analyze_junk(frame, id_col="uid", response_col="answer")


def test_summary_counts_groups_as_the_window_lists_them(planted: dict) -> None:
    """The CLI's per-finder groups and rows are the Issues lists' numbers: each group once,
    under the loosest finder that joined it, its removed rows = members - kept rows."""
    from inspector.core.junk.group_lists import list_groups

    result = _run(planted)
    t = result.table
    listed = list_groups(
        t["dup_group"].fill_null(-1),
        kept=~t["dup_removed"].fill_null(False).to_numpy(),
        kind=t["dup_kind"],
    ).counts()
    summary = {r["finder"]: r for r in result.summary().iter_rows(named=True)}
    for kind, (groups, members) in listed.items():
        assert summary[kind]["groups"] == groups
        assert summary[kind]["rows"] == members - groups
    assert sum(summary[k]["rows"] for k in listed) == int(t["dup_removed"].sum())
