"""`inspector learn` on small planted data: both outputs, the model kept beside the project,
training on decisions, and clear refusals that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.cli import main
from inspector.core.learn.degrade import plant
from inspector.core.learn.model import load_model
from inspector.core.learn.project_learn import load_learned_from

TOPICS = ["garden", "bread", "river", "engine", "violin", "planet"]


def rows(n: int = 90) -> list[dict]:
    """Alpaca rows: good answers (judge 8) and planted garbage (judge 2)."""
    prompts = [f"How should I look after my {TOPICS[i % 6]}? Question {i}." for i in range(n)]
    answers = [
        f"A {TOPICS[i % 6]} needs care. Check the {TOPICS[i % 6]} every week and keep it "
        f"clean, dry and away from trouble. Case {i} is done."
        for i in range(n)
    ]
    garbage = plant(prompts, answers, 6, kinds=("word_salad", "symbol_soup", "unrelated"), seed=1)
    out = [
        {"id": f"g{i}", "instruction": p, "output": a, "judge": 8}
        for i, (p, a) in enumerate(zip(prompts, answers))
    ]
    out += [
        {"id": f"b{i}", "instruction": p, "output": a, "judge": 2}
        for i, (_, p, a) in enumerate(garbage)
    ]
    return out


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    return write(tmp_path / "train.jsonl", rows())


def learn(tmp_path: Path, data: Path, *extra: str, out: str = "out") -> int:
    args = ["learn", str(data), "--project", str(tmp_path / "p.sqlite")]
    return main([*args, "--out", str(tmp_path / out), *extra])


def test_learn_from_a_judge_column_writes_scores_and_model(tmp_path, data, capsys):
    assert learn(tmp_path, data, "--label-column", "judge", "--label-threshold", "5") == 0
    out = tmp_path / "out"
    scores = pl.read_parquet(out / "scores.parquet")
    assert scores.columns == ["id", "keep_probability", "uncertainty", "in_training"]
    assert scores.height == 108 and scores["in_training"].all()
    by_id = dict(zip(scores["id"], scores["keep_probability"]))
    good = np.mean([by_id[f"g{i}"] for i in range(90)])
    bad = np.mean([by_id[f"b{i}"] for i in range(18)])
    assert good > 0.7 > 0.3 > bad
    meta = json.loads((out / "quality_model.json").read_text())
    report = meta["report"]
    assert report["labels"] == {"keep": 90, "drop": 18}
    candidates = {"logistic", "gradient_boosting", "logistic_compact", "gradient_boosting_signals"}
    assert report["model"] in candidates and set(report["cv_auc"]) == candidates
    assert report["cv_auc_chosen"] > 0.9
    assert report["at_cuts"][0]["cut"] == 0.1 and "drop_precision" in report["at_cuts"][0]
    assert report["seconds"] > 0 and report["tool_version"]
    assert report["features"]["count"] == len(meta["features"])
    assert "learned" in capsys.readouterr().out
    # kept beside the project: reopening needs no retraining and gives the same scores
    kept = tmp_path / "p.sqlite.learn"
    again = load_model(kept / "quality_model.json")
    assert again.trained_ids == load_model(out / "quality_model.json").trained_ids
    assert load_learned_from(kept)[1].equals(scores)


def test_learn_from_project_decisions(tmp_path, data):
    keep = sorted(np.random.default_rng(0).choice(90, 30, replace=False).tolist())
    drop = [i for i in range(18) if i % 6 < 4]  # 4 of each planted kind; 2 of each left
    keep_ids = tmp_path / "keep.txt"
    drop_ids = tmp_path / "drop.txt"
    keep_ids.write_text("".join(f"g{i}\n" for i in keep))
    drop_ids.write_text("".join(f"b{i}\n" for i in drop))
    base = ["label", str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main([*base, "--ids-file", str(keep_ids), "--decision", "keep"]) == 0
    assert main([*base, "--ids-file", str(drop_ids), "--decision", "drop"]) == 0
    assert learn(tmp_path, data) == 0
    scores = pl.read_parquet(tmp_path / "out" / "scores.parquet")
    assert int(scores["in_training"].sum()) == 42
    meta = json.loads((tmp_path / "out" / "quality_model.json").read_text())
    assert meta["report"]["labels"] == {"keep": 30, "drop": 12}
    assert meta["report"]["label_source"] == "project decisions"
    untrained = scores.filter(~pl.col("in_training"))
    good = untrained.filter(pl.col("id").str.starts_with("g"))["keep_probability"].mean()
    bad = untrained.filter(pl.col("id").str.starts_with("b"))["keep_probability"].mean()
    assert good > bad  # the unlabelled garbage scores under the unlabelled good rows


def test_too_few_labels_and_one_class_write_nothing(tmp_path, data, capsys):
    assert learn(tmp_path, data, "--label-column", "judge", "--label-threshold", "1") == 1
    err = capsys.readouterr().err
    assert "all 108 labels say keep" in err and "keep 108, drop 0" in err
    assert not (tmp_path / "out").exists()
    assert learn(tmp_path, data, "--label-column", "judge", "--label-threshold", "5",
                 "--min-labels", "500") == 1  # fmt: skip
    assert "108 labels (keep 90, drop 18) are too few" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "p.sqlite.learn").exists()
    assert learn(tmp_path, data, "--label-column", "nope") == 1
    assert "no column 'nope'" in capsys.readouterr().err


def test_labels_on_rows_no_longer_in_the_data(tmp_path, data, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"g{i}\n" for i in range(40)))
    bad = tmp_path / "bad.txt"
    bad.write_text("".join(f"b{i}\n" for i in range(18)))
    base = ["label", str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main([*base, "--ids-file", str(ids), "--decision", "keep"]) == 0
    assert main([*base, "--ids-file", str(bad), "--decision", "drop"]) == 0
    smaller = write(tmp_path / "smaller.jsonl", [r for r in rows() if r["id"] not in
                                                 {f"g{i}" for i in range(10)}])  # fmt: skip
    assert learn(tmp_path, smaller) == 1
    err = capsys.readouterr().err
    assert "10 of 58 keep/drop labels are on rows no longer in the data (98 rows)" in err
    assert not (tmp_path / "out").exists()
    assert learn(tmp_path, smaller, "--ignore-missing-labels") == 0
    meta = json.loads((tmp_path / "out" / "quality_model.json").read_text())
    assert meta["report"]["labels"] == {"keep": 30, "drop": 18}


def judge_model(tmp_path: Path, data: Path) -> None:
    assert learn(tmp_path, data, "--label-column", "judge", "--label-threshold", "5") == 0


def test_export_learned_below_proposes_the_low_scores(tmp_path, data, capsys):
    judge_model(tmp_path, data)
    scores = pl.read_parquet(tmp_path / "out" / "scores.parquet")
    low = scores.filter(pl.col("keep_probability") < 0.3)
    assert low.height > 0
    # a human decision wins over the model
    human = tmp_path / "human.txt"
    human.write_text(low["id"][0] + "\n")
    base = [str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main(["label", *base, "--ids-file", str(human), "--decision", "keep"]) == 0
    out = tmp_path / "filter.parquet"
    assert main(["export", *base, "--out", str(out), "--learned-below", "0.3"]) == 0
    f = pl.read_parquet(out)
    learned = f.filter(pl.col("reason") == "learned")
    assert set(learned["id"]) == set(low["id"][1:])
    assert (learned["action"] == "remove").all()
    by_id = dict(zip(scores["id"], scores["keep_probability"]))
    assert all(abs(s - by_id[i]) < 1e-6 for i, s in zip(learned["id"], learned["score"]))
    assert f.filter(pl.col("id") == low["id"][0])["action"].to_list() == ["keep"]


def test_export_learned_below_without_a_model_says_what_to_run(tmp_path, data, capsys):
    out = tmp_path / "filter.parquet"
    args = ["export", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
    assert main([*args, "--learned-below", "0.3"]) == 1
    assert "inspector learn PATH --out DIR" in capsys.readouterr().err
    assert not out.exists()
    judge_model(tmp_path, data)
    assert main([*args, "--learned-below", "1.5"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err


def test_review_learn_queue_without_a_model_says_so_before_the_window(
    tmp_path, data, capsys, monkeypatch
):
    opened = []
    monkeypatch.setattr("inspector.ui.shell.app.run_app", lambda *a, **k: opened.append(k) or 0)
    args = ["review", str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main([*args, "--queue", "learn:uncertain"]) == 1
    err = capsys.readouterr().err
    assert "no learned quality model yet" in err and "inspector learn" in err
    assert not opened
    assert main([*args, "--queue", "learn:nonsense"]) == 1
    assert "learn:uncertain or learn:likely-drop" in capsys.readouterr().err
    judge_model(tmp_path, data)
    assert main([*args, "--queue", "learn:likely-drop"]) == 0
    assert opened[0]["review_queue"] == "learn:likely-drop"
