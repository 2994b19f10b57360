"""What the learned model saves beside the project (issue 11): the signals' flags of the run
that trained it, so reopening shows them with the scores and nothing is recomputed. Flags are
kept by row id and read back onto the rows of the data as it is now."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from inspector.core.learn.project_learn import (
    LearnParams,
    learn_dir,
    learn_on,
    learned_signal_flags,
    load_learned_from,
    save_learned,
)
from inspector.core.project import open_project


def write(path: Path, n: int = 45, skip: set[int] = frozenset()) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if i % 3
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        if i not in skip:
            rows.append(
                {"id": f"r{i:02d}", "instruction": f"Care for garden {i}?", "output": answer}
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def trained(tmp_path: Path):
    data = write(tmp_path / "g.jsonl")
    project = open_project(data, project_path=tmp_path / "g.sqlite")
    rows = np.arange(30)
    y = (rows % 3 != 0).astype(np.int8)
    result = learn_on(project.dataset, rows, y, "test", LearnParams())
    return data, project, result


def test_reopening_reads_the_signal_flags_the_training_saved(tmp_path):
    data, project, result = trained(tmp_path)
    flags = result.signals.flags()
    assert flags.height > 0
    save_learned(result, learn_dir(project), versioned=True)
    project.close()

    again = open_project(data, project_path=tmp_path / "g.sqlite")
    try:
        loaded = learned_signal_flags(again)
    finally:
        again.close()
    assert loaded is not None
    cols = [c for c in flags.columns]
    assert loaded.select(cols).equals(flags)
    assert loaded["id"].to_list() == [f"r{r:02d}" for r in flags["row"].to_list()]


def test_flags_follow_their_rows_when_the_data_changed(tmp_path):
    data, project, result = trained(tmp_path)
    save_learned(result, learn_dir(project), versioned=True)
    saved = result.signals.flags()
    project.close()
    # the first three rows are gone: the rest moved up three places
    write(data, skip={0, 1, 2})
    again = open_project(data, project_path=tmp_path / "g.sqlite")
    try:
        loaded = learned_signal_flags(again)
        ids = again.dataset.ids.cast(pl.String).to_list()
    finally:
        again.close()
    assert loaded is not None
    assert {ids[r] for r in loaded["row"].to_list()} == set(loaded["id"].to_list())
    kept = [f"r{r:02d}" for r in saved["row"].to_list() if r >= 3]
    assert sorted(loaded["id"].to_list()) == sorted(kept)  # the gone rows' flags are dropped


def test_a_model_saved_without_flags_still_loads(tmp_path):
    data, project, result = trained(tmp_path)
    folder = learn_dir(project)
    save_learned(result, folder, versioned=True)
    meta = json.loads((folder / "quality_model.json").read_text())
    (folder / meta["signal_flags"]).unlink()
    meta.pop("signal_flags")
    (folder / "quality_model.json").write_text(json.dumps(meta))
    try:
        assert load_learned_from(folder) is not None
        assert learned_signal_flags(project) is None
    finally:
        project.close()


def test_the_cli_folder_holds_the_flags_too(tmp_path):
    _data, project, result = trained(tmp_path)
    project.close()
    out = tmp_path / "out"
    save_learned(result, out)
    assert pl.read_parquet(out / "signal_flags.parquet").height == result.signals.flags().height
