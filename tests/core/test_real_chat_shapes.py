"""Chat datasets in the shapes popular Hub sets use beyond role/content turns:
Capybara/Puffin's ``conversation: [{input, output}, ...]`` and UltraChat's ``data: [user,
assistant, user, ...]``. Before, both were 'generic' and the map embedded the ``source`` or
``id`` column while the conversation itself was never read."""

from __future__ import annotations

import json
from pathlib import Path

from inspector.core.data.dataset import open_dataset


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_capybara_input_output_turns(tmp_path):
    rows = [
        {
            "source": "General-Instruct",
            "conversation": [
                {"input": f"question {i}", "output": f"answer {i}"},
                {"input": "and then?", "output": None if i == 3 else "then more"},
            ],
        }
        for i in range(8)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "capybara.jsonl", rows))
    assert ds.spec.kind == "sharegpt"
    assert ds.prompt().to_list() == [f"question {i}\n\nand then?" for i in range(8)]
    assert ds.response()[0] == "answer 0\n\nthen more"
    assert ds.response()[3] == "answer 3"
    blocks = [(b.role, b.text) for b in ds.render(0).blocks]
    assert blocks == [
        ("user", "question 0"),
        ("assistant", "answer 0"),
        ("user", "and then?"),
        ("assistant", "then more"),
    ]


def test_ultrachat_data_list(tmp_path):
    rows = [
        {"id": str(i), "data": [f"hi {i}", f"hello {i}", "thanks", "welcome"]} for i in range(8)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "ultrachat.jsonl", rows))
    assert ds.spec.kind == "sharegpt"
    assert ds.prompt().to_list() == [f"hi {i}\n\nthanks" for i in range(8)]
    assert ds.response().to_list() == [f"hello {i}\n\nwelcome" for i in range(8)]


def test_a_data_list_beside_a_known_format_is_not_taken_for_a_chat(tmp_path):
    rows = [{"instruction": f"q{i}", "output": f"a{i}", "data": ["x", "y"]} for i in range(8)]
    ds = open_dataset(write_jsonl(tmp_path / "alpaca.jsonl", rows))
    assert ds.spec.kind == "alpaca"


def test_nectar_prompt_transcript(tmp_path):
    # Nectar: the prompt is an HH-style transcript ending in an open Assistant turn
    rows = [
        {
            "prompt": f"\n\nHuman: question {i}\n\nAssistant:",
            "answers": [{"answer": f"good {i}", "model": "m1", "rank": 1.0}],
        }
        for i in range(6)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "nectar.jsonl", rows))
    assert ds.spec.kind == "completions"
    assert ds.prompt().to_list() == [f"question {i}" for i in range(6)]
    shown = ds.render(0)
    assert [(b.role, b.text) for b in shown.blocks if b not in shown.answers] == [
        ("user", "question 0")
    ]


def test_prompt_completion_transcript(tmp_path):
    rows = [
        {"prompt": f"Human: question {i}\n\nAssistant: sure\n\nHuman: more", "completion": "ok"}
        for i in range(6)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "pc.jsonl", rows))
    assert ds.spec.kind == "prompt_completion"
    assert ds.prompt().to_list() == [f"question {i}\n\nmore" for i in range(6)]


def test_conversations_merged_from_sharegpt_and_openai_rows(tmp_path):
    # two sets concatenated: half the rows' turns are from/value, half role/content
    rows = []
    for i in range(10):
        if i % 2:
            turns = [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a{i}"}]
        else:
            turns = [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": f"a{i}"},
            ]
        rows.append({"conversations": turns})
    ds = open_dataset(write_jsonl(tmp_path / "merged.jsonl", rows))
    assert ds.prompt().to_list() == [f"q{i}" for i in range(10)]
    assert ds.response().to_list() == [f"a{i}" for i in range(10)]
    assert [(b.role, b.text) for b in ds.render(1).blocks] == [("user", "q1"), ("assistant", "a1")]
