"""A JSON-lines file with a few broken lines among good ones, opened with --skip-bad-lines:
label, export and apply must give a file a training pipeline can read (the broken lines
left out, and said so), with every good row that was not removed."""

from __future__ import annotations

import json

from inspector.cli import main
from inspector.core.data.dataset import open_dataset

BROKEN = {40, 117, 250}


def test_apply_leaves_out_the_skipped_lines_and_says_so(tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    lines = []
    for i in range(300):
        if i in BROKEN:
            lines.append('{"id": "x' + str(i) + '", "prompt": "cut off')
        else:
            lines.append(json.dumps({"id": f"s{i}", "prompt": f"p{i}", "response": f"r{i}"}))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = ["--skip-bad-lines", "--project", str(tmp_path / "p.sqlite")]
    ids = tmp_path / "ids.txt"
    ids.write_text("s1\ns2\n")
    assert main(["label", str(data), *common, "--ids-file", str(ids), "--decision", "drop"]) == 0
    filt = tmp_path / "filter.parquet"
    assert main(["export", str(data), *common, "--out", str(filt)]) == 0
    out = tmp_path / "out.jsonl"
    capsys.readouterr()
    assert main(["apply", str(data), *common, "--filter", str(filt), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "3 unreadable lines" in said and "line 41" in said
    written = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in written]  # every line reads
    assert [r["id"] for r in records] == [
        f"s{i}" for i in range(300) if i not in BROKEN and i not in (1, 2)
    ]
    assert open_dataset(out).height == 295
