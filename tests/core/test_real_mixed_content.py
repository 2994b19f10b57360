"""OpenAI messages whose ``content`` is a string in some rows and a list of parts
(``[{"type": "text", "text": ...}, {"type": "image_url", ...}]``) in others: the JSON reader
keeps such parts as JSON text, and the prompt/response sides (embedded, compared for
duplicates, checked by the quality rules) must hold the texts, not that JSON."""

from __future__ import annotations

import json

from inspector.core.data.dataset import open_dataset


def test_parts_kept_as_json_text_read_as_their_texts(tmp_path):
    rows = []
    for i in range(40):
        if i % 2:
            content = f"question {i}"
        else:
            content = [
                {"type": "text", "text": f"question {i}"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {"type": "text", "text": 'café "quoted"\nnext'},
            ]
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": content},
                    {"role": "assistant", "content": f"a{i}"},
                ]
            }
        )
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ds = open_dataset(path)
    assert ds.spec.kind == "messages"
    expected = [
        f"question {i}" if i % 2 else f'question {i}\ncafé "quoted"\nnext' for i in range(40)
    ]
    assert ds.prompt().to_list() == expected
    assert ds.response().to_list() == [f"a{i}" for i in range(40)]


def test_a_message_that_only_looks_like_parts_stays_as_written(tmp_path):
    texts = ['[{"type": broken json', '[{"type": "x"}] is a list', "plain"]
    rows = [
        {"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": "ok"}]}
        for t in texts
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert open_dataset(path).prompt().to_list() == texts
