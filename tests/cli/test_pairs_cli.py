"""`inspector pairs` on small sets: from compare decisions (UltraFeedback-style completions)
and from the learned model (instruction rows sharing prompts), and refusals that write
nothing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from inspector.cli import main
from inspector.core.learn.degrade import plant
from inspector.core.project import open_project

TOPICS = ["garden", "bread", "river", "engine", "violin", "planet"]


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def completions_rows() -> list[dict]:
    return [
        {
            "id": f"u{i}",
            "prompt": f"Say something about {TOPICS[i]}.",
            "completions": [f"First answer on {TOPICS[i]}.", f"Second answer on {TOPICS[i]}."],
        }
        for i in range(4)
    ]


def test_pairs_from_decisions(tmp_path, capsys):
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.pairs.decisions import Compare
    from inspector.core.pairs.groups import prompt_groups

    data = write(tmp_path / "uf.jsonl", completions_rows())
    db = tmp_path / "p.sqlite"
    p = open_project(data, project_path=db)
    try:
        groups = prompt_groups(p.dataset)
        book = LabelBook(p.store, p.dataset, annotator="curator")
        book.execute(Compare(groups[1], "best", 1))  # two answers: the other is the worst
        book.execute(Compare(groups[3], "tie"))
    finally:
        p.close()
    out = tmp_path / "pairs" / "dpo.jsonl"
    code = main(["pairs", str(data), "--project", str(db), "--out", str(out)])
    assert code == 0
    frame = pl.read_ndjson(out)
    assert frame.select("prompt", "chosen", "rejected", "chosen_id", "rejected_id").rows() == [
        (
            "Say something about bread.",
            "Second answer on bread.",
            "First answer on bread.",
            "u1#1",
            "u1#0",
        )
    ]
    assert frame["annotator"].to_list() == ["curator"]
    manifest = json.loads((out.parent / "manifest.json").read_text())
    assert manifest["counts"]["pairs"] == 1 and manifest["source"] == "decisions"
    assert "wrote 1 pairs" in capsys.readouterr().out


def test_pairs_refusals_write_nothing(tmp_path, capsys):
    data = write(tmp_path / "uf.jsonl", completions_rows())
    db = str(tmp_path / "p.sqlite")
    out = tmp_path / "pairs" / "dpo.jsonl"
    assert main(["pairs", str(data), "--project", db, "--out", str(out)]) == 1
    assert "no pairs to write from decisions" in capsys.readouterr().err
    assert main(["pairs", str(data), "--project", db, "--out", str(data)]) == 1
    assert "inspector:" in capsys.readouterr().err
    assert main(["pairs", str(data), "--project", db, "--out", str(out), "--from", "learned"]) == 1
    assert "scores whole rows" in capsys.readouterr().err
    assert not out.exists() and not (out.parent / "manifest.json").exists()
    assert json.loads(data.read_text().splitlines()[0])["id"] == "u0"


def shared_prompt_rows() -> list[dict]:
    """Each prompt has a good answer (judge 8), a second good one, and a planted garbage
    answer (judge 2) to the same prompt."""
    n = 40
    prompts = [f"How should I look after my {TOPICS[i % 6]}? Question {i}." for i in range(n)]
    answers = [
        f"A {TOPICS[i % 6]} needs care. Check the {TOPICS[i % 6]} every week and keep it "
        f"clean, dry and away from trouble. Case {i} is done."
        for i in range(n)
    ]
    garbage = plant(prompts, answers, 14, kinds=("word_salad", "symbol_soup", "unrelated"), seed=3)
    rows = []
    for i, (p, a) in enumerate(zip(prompts, answers)):
        rows.append({"id": f"g{i}", "instruction": p, "output": a, "judge": 8})
        rows.append(
            {
                "id": f"h{i}",
                "instruction": p,
                "output": a.replace("every week", "daily"),
                "judge": 8,
            }
        )
    for j, (_, p, a) in enumerate(garbage):
        rows.append({"id": f"b{j}", "instruction": p, "output": a, "judge": 2})
    return rows


def test_pairs_from_the_learned_model_respect_the_margin(tmp_path, capsys):
    data = write(tmp_path / "train.jsonl", shared_prompt_rows())
    db = str(tmp_path / "p.sqlite")
    learn = ["learn", str(data), "--project", db, "--out", str(tmp_path / "learned")]
    assert main([*learn, "--label-column", "judge", "--label-threshold", "5"]) == 0
    scores = pl.read_parquet(tmp_path / "learned" / "scores.parquet")
    score = dict(zip(scores["id"], scores["keep_probability"]))
    out = tmp_path / "pairs" / "dpo.parquet"
    args = ["pairs", str(data), "--project", db, "--out", str(out), "--from", "learned"]
    assert main([*args, "--min-margin", "0.3"]) == 0
    frame = pl.read_parquet(out)
    assert frame.height > 0
    for chosen, rejected in frame.select("chosen_id", "rejected_id").iter_rows():
        assert score[chosen] - score[rejected] >= 0.3
    assert set(frame["source"]) == {"learned"}
    assert frame["annotator"][0].startswith("auto:learned:")
    # every pair's answers share its prompt
    rows = {r["id"]: r for r in shared_prompt_rows()}
    for prompt, chosen, rejected in frame.select("prompt", "chosen_id", "rejected_id").iter_rows():
        assert rows[chosen]["instruction"] == rows[rejected]["instruction"] == prompt
    # a margin no pair reaches writes nothing and says so
    capsys.readouterr()
    strict = tmp_path / "strict" / "dpo.jsonl"
    assert main([*args[:-4], "--out", str(strict), "--from", "learned", "--min-margin", "1"]) == 1
    assert "lower --min-margin" in capsys.readouterr().err
    assert not strict.exists()


def test_analyze_prints_the_length_bias_finding(tmp_path, capsys):
    rows = [
        {
            "prompt": f"Explain {TOPICS[i % 6]} number {i}.",
            "chosen": f"A long and careful answer about {TOPICS[i % 6]} {i}, " * 6,
            "rejected": f"Short {i}.",
        }
        for i in range(40)
    ]
    data = write(tmp_path / "pref.jsonl", rows)
    out = tmp_path / "analysis"
    code = main(
        ["analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
        + ["--only", "quality"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "length bias" in printed.lower()
    assert "chosen at least 2x as long as rejected in 40 of 40 pairs" in printed
    assert "longer wins" in printed
