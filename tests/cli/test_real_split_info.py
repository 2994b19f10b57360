"""`inspector info` on a Hugging Face ``datasets`` cache folder: the split opened, the
others, and the ``map()`` cache files that belong to no split are named, not merged in."""

from __future__ import annotations

import json

import polars as pl

from inspector.cli import main


def test_info_names_splits_and_the_files_left_out(tmp_path, capsys):
    folder = tmp_path / "cache"
    folder.mkdir()
    frame = pl.DataFrame({"text": [f"row {i}" for i in range(8)]})
    frame.write_ipc_stream(folder / "wiki-train.arrow")
    frame.head(3).write_ipc_stream(folder / "wiki-test.arrow")
    frame.write_ipc_stream(folder / "cache-0a1b2c3d.arrow")
    project = ["--project", str(tmp_path / "p.sqlite")]
    assert main(["info", str(folder), *project, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["rows"] == 8
    assert info["splits"] == ["train", "test"] and info["split"] == "train"
    assert info["left_out"] == [str(folder / "cache-0a1b2c3d.arrow")]
    assert main(["info", str(folder), *project]) == 0
    text = capsys.readouterr().out
    assert "cache-0a1b2c3d.arrow (in no split)" in text
    assert main(["info", str(folder), *project, "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 3
