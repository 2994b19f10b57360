"""A dataset with an ``id`` column that cannot identify rows (repeated or empty values) is
identified by content hashes; `inspector info` says why its own ids were not used, since the
filter files then carry hashes, not those ids."""

from __future__ import annotations

import json

from inspector.cli import main


def test_info_says_why_the_id_column_is_not_used(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    rows = [{"id": f"org/model/{i % 7}", "prompt": f"p{i}", "response": "r"} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    project = ["--project", str(tmp_path / "p.sqlite")]
    assert main(["info", str(path), *project, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["id_rule"] == "content_sha256"
    assert info["id_note"] == "column 'id' not used: 13 repeated values (e.g. 'org/model/0')"
    assert main(["info", str(path), *project]) == 0
    assert "13 repeated values" in capsys.readouterr().out
