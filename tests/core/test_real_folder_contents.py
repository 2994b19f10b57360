"""A folder as a person's disk holds it: Jupyter's ``.ipynb_checkpoints`` copies, a ``.git``
or ``.cache`` folder beside the shards. What sits in a hidden folder is no part of the data
(it would come in twice)."""

from __future__ import annotations

import json

from inspector.core.data.dataset import open_dataset


def test_hidden_folders_are_not_read(tmp_path):
    rows = "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(10))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "part.jsonl").write_text(rows)
    for hidden in (".ipynb_checkpoints", ".git/lfs", ".cache/huggingface"):
        (tmp_path / hidden).mkdir(parents=True)
        (tmp_path / hidden / "part-checkpoint.jsonl").write_text(rows)
    ds = open_dataset(tmp_path)
    assert [f.path for f in ds.files] == ["data/part.jsonl"]
    assert ds.height == 10
