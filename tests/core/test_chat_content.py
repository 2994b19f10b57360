"""Chat turns in OpenAI's richer shapes: content as a list of parts, tool calls."""

from __future__ import annotations

import json

from inspector.core.data.dataset import open_dataset
from inspector.core.data.render import render_record


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _parts(text: str) -> list[dict]:
    return [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": "x"}}]


def test_content_as_parts_opens_as_messages(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": f"describe {i}"}]},
                {"role": "assistant", "content": [{"type": "text", "text": f"{i} is round"}]},
            ]
        }
        for i in range(10)
    ]
    _write(tmp_path / "parts.jsonl", rows)
    ds = open_dataset(tmp_path / "parts.jsonl")
    assert ds.spec.kind == "messages"
    assert ds.prompt()[4] == "describe 4"
    assert ds.response()[4] == "4 is round"
    blocks = render_record(ds.record(4), ds.spec).blocks
    assert [(b.role, b.text) for b in blocks] == [
        ("user", "describe 4"),
        ("assistant", "4 is round"),
    ]


def test_content_text_in_some_rows_and_parts_in_others(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "user", "content": _parts(f"look {i}") if i % 2 else f"look {i}"},
                {"role": "assistant", "content": f"seen {i}"},
            ]
        }
        for i in range(10)
    ]
    _write(tmp_path / "mixed.jsonl", rows)
    ds = open_dataset(tmp_path / "mixed.jsonl")
    assert ds.spec.kind == "messages"
    assert ds.response()[1] == "seen 1"
    blocks = render_record(ds.record(1), ds.spec).blocks
    assert [b.text for b in blocks] == ["look 1\n[image_url]", "seen 1"]


def test_tool_calls_are_shown_in_the_turn():
    turn = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    }
    row = {"messages": [{"role": "user", "content": "weather?"}, turn]}
    from inspector.core.data.formats import FormatSpec

    spec = FormatSpec("messages", {"messages": "messages"}, {"messages": ("role", "content")})
    blocks = render_record(row, spec).blocks
    assert blocks[1].text == '→ get_weather({"city": "Oslo"})'
