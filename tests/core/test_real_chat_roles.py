"""Chat roles as real datasets spell them: ShareGPT's ``bot``/``model``/``Human``/``GPT``,
OpenAI's ``developer``/``function``, Llama's ``ipython``. Every assistant turn must reach the
response side (duplicates, quality rules and the map read it) and every user turn the prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.data.dataset import open_dataset
from inspector.core.data.render import render_record

ASSISTANT_SPELLINGS = ["gpt", "GPT", "assistant", "Assistant", "bot", "model", "chatgpt", "ai"]
USER_SPELLINGS = ["human", "Human", "user", "USER"]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("assistant", ASSISTANT_SPELLINGS)
@pytest.mark.parametrize("user", USER_SPELLINGS)
def test_sharegpt_role_spellings_reach_prompt_and_response(tmp_path, user, assistant):
    rows = [
        {
            "conversations": [
                {"from": "system", "value": "Be brief."},
                {"from": user, "value": f"question {i}"},
                {"from": assistant, "value": f"answer {i}"},
            ]
        }
        for i in range(6)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "chat.jsonl", rows))
    assert ds.spec.kind == "sharegpt"
    assert ds.prompt().to_list() == [f"question {i}" for i in range(6)]
    assert ds.response().to_list() == [f"answer {i}" for i in range(6)]
    roles = [b.role for b in render_record(ds.record(0), ds.spec).blocks]
    assert roles == ["system", "user", "assistant"]


def test_openai_developer_and_function_roles(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": f"what is {i}+1?"},
                {"role": "assistant", "content": None, "function_call": {"name": "add"}},
                {"role": "function", "name": "add", "content": str(i + 1)},
                {"role": "ipython", "content": "ran"},
                {"role": "assistant", "content": f"It is {i + 1}."},
            ]
        }
        for i in range(5)
    ]
    ds = open_dataset(write_jsonl(tmp_path / "msgs.jsonl", rows))
    assert ds.spec.kind == "messages"
    assert ds.prompt().to_list() == [f"what is {i}+1?" for i in range(5)]
    assert ds.response().to_list() == [f"It is {i + 1}." for i in range(5)]
    roles = [b.role for b in render_record(ds.record(0), ds.spec).blocks]
    assert roles == ["system", "user", "assistant", "tool", "tool", "assistant"]
