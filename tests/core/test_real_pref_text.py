"""A preference pair with plain-string sides, as `inspector info` prints it: each side named
once (``[chosen]``), not ``[chosen · chosen]``; message-list sides keep their role."""

from __future__ import annotations

import json

from inspector.core.data.dataset import open_dataset


def test_string_sides_are_named_once(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"prompt": f"q{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = open_dataset(path).render(0).to_text()
    assert text.splitlines() == [
        "[prompt]",
        "q0",
        "",
        "[chosen]",
        "good 0",
        "",
        "[rejected]",
        "bad 0",
    ]


def test_message_sides_keep_their_role(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {
            "chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "good"}],
            "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "bad"}],
        }
    ] * 3
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = open_dataset(path).render(0).to_text()
    assert "[chosen · assistant]\ngood" in text and "[rejected · assistant]\nbad" in text
