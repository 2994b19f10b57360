"""Conversations stored as one string (HH-RLHF's chosen/rejected, Guanaco's text) read as chats."""

from __future__ import annotations

import json

import polars as pl

from inspector.core.data import formats
from inspector.core.data.dataset import open_dataset
from inspector.core.data.render import render_record
from inspector.core.data.transcripts import TRANSCRIPT_KEYS, split_turns


def _hh(prompt: str, answer: str, earlier: str = "") -> str:
    return f"{earlier}\n\nHuman: {prompt}\n\nAssistant: {answer}"


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_hh_pairs_split_into_prompt_and_answers(tmp_path):
    rows = [
        {
            "chosen": _hh(f"how do I boil egg {i}?", f"Put egg {i} in boiling water."),
            "rejected": _hh(f"how do I boil egg {i}?", "I can't help."),
        }
        for i in range(20)
    ]
    _write(tmp_path / "hh.jsonl", rows)
    ds = open_dataset(tmp_path / "hh.jsonl")
    assert ds.spec.kind == "preference"
    assert ds.spec.message_keys == {"chosen": TRANSCRIPT_KEYS, "rejected": TRANSCRIPT_KEYS}
    assert ds.prompt()[3] == "how do I boil egg 3?"
    assert ds.response()[3] == "Put egg 3 in boiling water."
    shown = render_record(rows[3], ds.spec)
    assert [(b.title, b.text) for b in shown.blocks] == [("Human", "how do I boil egg 3?")]
    assert [b.text for b in shown.chosen or []] == ["Put egg 3 in boiling water."]
    assert [b.text for b in shown.rejected or []] == ["I can't help."]


def test_multi_turn_hh_shows_shared_turns_once(tmp_path):
    earlier = "\n\nHuman: hi\n\nAssistant: Hello! How can I help?"
    row = {
        "chosen": _hh("and a poem?", "Roses are red.", earlier),
        "rejected": _hh("and a poem?", "No.", earlier),
    }
    spec = formats.FormatSpec(
        "preference",
        {"chosen": "chosen", "rejected": "rejected"},
        {"chosen": TRANSCRIPT_KEYS, "rejected": TRANSCRIPT_KEYS},
    )
    shown = render_record(row, spec)
    assert [b.text for b in shown.blocks] == ["hi", "Hello! How can I help?", "and a poem?"]
    assert [b.role for b in shown.blocks] == ["user", "assistant", "user"]
    assert [b.text for b in shown.chosen or []] == ["Roses are red."]
    frame = pl.DataFrame([row])
    prompt = frame.select(formats.prompt_expr(spec)).item()
    assert prompt == "hi\n\nand a poem?"


def test_guanaco_text_reads_as_a_chat(tmp_path):
    rows = [
        {
            "text": f"### Human: question {i}?### Assistant: answer {i}.### Human: thanks### Assistant: ok"
        }
        for i in range(12)
    ]
    _write(tmp_path / "g.jsonl", rows)
    ds = open_dataset(tmp_path / "g.jsonl")
    assert ds.spec.kind == "messages"
    assert ds.spec.fields == {"messages": "text"}
    assert ds.prompt()[5] == "question 5?\n\nthanks"
    assert ds.response()[5] == "answer 5.\n\nok"
    roles = [b.role for b in render_record(rows[0], ds.spec).blocks]
    assert roles == ["user", "assistant", "user", "assistant"]


def test_text_that_only_mentions_human_stays_text(tmp_path):
    rows = [{"text": f"Note {i}. Human: a word in prose, Assistant: another."} for i in range(10)]
    _write(tmp_path / "t.jsonl", rows)
    ds = open_dataset(tmp_path / "t.jsonl")
    assert ds.spec.kind == "text"
    assert ds.spec.message_keys == {}


def test_one_side_transcript_leaves_the_pair_as_text():
    sample = pl.DataFrame({"chosen": [_hh("q", "a")] * 5, "rejected": ["plain answer"] * 5})
    spec = formats.detect_format(sample)
    assert spec.kind == "preference"
    assert spec.message_keys == {}


def test_transcript_spec_survives_the_store_round_trip():
    spec = formats.FormatSpec("messages", {"messages": "text"}, {"text": TRANSCRIPT_KEYS})
    again = formats.FormatSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec


def test_split_keeps_a_preamble_and_odd_separators():
    text = "System note\x1e here\n\nHuman: a\x1eb\n\nAssistant: c"
    assert split_turns(text) == [
        ("preamble", "section", "System note\x1e here"),
        ("Human", "user", "a\x1eb"),
        ("Assistant", "assistant", "c"),
    ]
    spec = formats.FormatSpec("messages", {"messages": "t"}, {"t": TRANSCRIPT_KEYS})
    # the record separator the vectorised split uses never cuts a turn in two
    prompt = pl.DataFrame({"t": [text]}).select(formats.prompt_expr(spec)).item()
    assert prompt == "a b"


def test_pair_with_a_prompt_column_does_not_repeat_the_prompt():
    """UltraFeedback-binarized: a prompt column and both sides as messages that start with it."""
    turns = lambda answer: [  # noqa: E731
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": answer},
    ]
    row = {"prompt": "Name a colour.", "chosen": turns("Blue."), "rejected": turns("Seven.")}
    spec = formats.detect_format(pl.DataFrame([row]))
    assert spec.kind == "preference" and "prompt" in spec.fields
    shown = render_record(row, spec)
    assert [b.text for b in shown.blocks] == ["Name a colour."]
    assert [b.text for b in shown.chosen or []] == ["Blue."]
    assert [b.text for b in shown.rejected or []] == ["Seven."]


def test_lima_conversations_alternate_user_and_assistant(tmp_path):
    rows = [
        {"conversations": [f"question {i}?", f"answer {i}.", "more?", "more."], "source": "se"}
        for i in range(8)
    ]
    _write(tmp_path / "lima.jsonl", rows)
    ds = open_dataset(tmp_path / "lima.jsonl")
    assert ds.spec.kind == "sharegpt"
    assert ds.spec.fields == {"conversations": "conversations"}
    assert ds.prompt()[2] == "question 2?\n\nmore?"
    assert ds.response()[2] == "answer 2.\n\nmore."
    blocks = render_record(rows[2], ds.spec).blocks
    assert [(b.role, b.text) for b in blocks][:2] == [
        ("user", "question 2?"),
        ("assistant", "answer 2."),
    ]


def test_a_list_of_strings_under_another_name_is_not_a_chat(tmp_path):
    rows = [{"text": f"doc {i}", "tags": ["a", "b"]} for i in range(8)]
    _write(tmp_path / "tags.jsonl", rows)
    assert open_dataset(tmp_path / "tags.jsonl").spec.kind == "text"


def test_orca_system_prompt_is_shown(tmp_path):
    rows = [
        {"id": f"n{i}", "system_prompt": "Be brief.", "question": f"q{i}?", "response": f"r{i}."}
        for i in range(6)
    ]
    _write(tmp_path / "orca.jsonl", rows)
    ds = open_dataset(tmp_path / "orca.jsonl")
    assert ds.spec.kind == "prompt_completion"
    assert ds.spec.fields["system"] == "system_prompt"
    assert ds.prompt()[1] == "q1?"
    blocks = render_record(rows[1], ds.spec).blocks
    assert [(b.role, b.text) for b in blocks] == [
        ("system", "Be brief."),
        ("user", "q1?"),
        ("assistant", "r1."),
    ]
