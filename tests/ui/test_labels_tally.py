"""The labels hub keeps a count of rows per decision with its codes, so the quality model's
"is a retrain due" check after every key needs no pass over every row (10 ms at 10M)."""

from __future__ import annotations

import json

import numpy as np

from inspector.core.labels import states
from inspector.core.project import open_project
from inspector.ui.review.labelling import LabelsHub


def _counts_agree(hub: LabelsHub) -> None:
    for code in (states.NO_DECISION, 0, 1, 2):
        assert hub.count(code) == int(np.count_nonzero(hub.codes == code)), code


def test_counts_follow_decisions_undo_redo_and_reopening(qtbot, tmp_path) -> None:
    data = tmp_path / "train.jsonl"
    rows = [{"instruction": f"q{i}", "output": f"answer {i}"} for i in range(40)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    project = open_project(str(data), project_path=str(tmp_path / "p.sqlite"))
    hub = LabelsHub()
    hub.open(project)
    _counts_agree(hub)
    assert hub.count(states.NO_DECISION) == 40
    hub.decide([0, 1, 2], "keep")
    hub.decide([2, 3, 4, 5], "drop")
    hub.decide(6, "unsure")
    _counts_agree(hub)
    assert (hub.count(0), hub.count(1), hub.count(2)) == (2, 4, 1)
    hub.undo()
    hub.undo()
    _counts_agree(hub)
    assert (hub.count(0), hub.count(1)) == (3, 0)
    hub.redo()
    hub.decide([0, 1], None)  # cleared
    _counts_agree(hub)
    hub.close()
    assert hub.count(0) == 0
    hub.open(project)  # counted again from the store
    _counts_agree(hub)
    assert (hub.count(0), hub.count(1)) == (0, 4)
    hub.close()
    project.close()
