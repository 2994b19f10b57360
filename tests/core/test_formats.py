"""Format detection, overrides, rendering and prompt/response extraction for every format the
issue names: preference (strings, message lists, implicit prompt, *_response/question),
unpaired preference, OpenAI messages, ShareGPT, Alpaca, prompt/completion and plain text."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from inspector.core.data import formats
from inspector.core.data.dataset import open_dataset
from inspector.core.data.formats import FormatSpec, detect_format, spec_from_fields
from inspector.core.data.render import render_record, word_diff
from inspector.core.errors import DataError
from inspector.core.project import open_project


def turns(*pairs: tuple[str, str], keys: tuple[str, str] = ("role", "content")) -> list[dict]:
    return [{keys[0]: role, keys[1]: text} for role, text in pairs]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def opened(tmp_path: Path, rows: list[dict], **kw):
    return open_dataset(write_jsonl(tmp_path / "data.jsonl", rows), **kw)


def blocks(rendered) -> list[tuple[str, str, str]]:
    return [(b.title, b.role, b.text) for b in rendered.blocks]


# -- detection ---------------------------------------------------------------------------------

PREF_STRINGS = {"prompt": "Name a colour.", "chosen": "Blue.", "rejected": "Seven."}
PREF_MESSAGES = {
    "prompt": turns(("user", "Name a colour.")),
    "chosen": turns(("assistant", "Blue.")),
    "rejected": turns(("assistant", "Seven.")),
}
PREF_IMPLICIT = {
    "chosen": turns(("system", "Be brief."), ("user", "Name a colour."), ("assistant", "Blue.")),
    "rejected": turns(("system", "Be brief."), ("user", "Name a colour."), ("assistant", "Seven.")),
}
PREF_VARIANT = {
    "question": "Name a colour.",
    "chosen_response": "Blue.",
    "rejected_response": "Seven.",
}
UNPAIRED = {"prompt": "Name a colour.", "completion": "Blue.", "label": True}
MESSAGES = {
    "messages": turns(("system", "Be brief."), ("user", "Name a colour."), ("assistant", "Blue."))
}
SHAREGPT = {
    "conversations": turns(
        ("system", "You can call tools."),
        ("human", "Weather in Oslo?"),
        ("function_call", '{"name": "weather", "city": "Oslo"}'),
        ("observation", '{"temp": 3}'),
        ("gpt", "It is 3 degrees."),
        keys=("from", "value"),
    )
}
ALPACA = {
    "instruction": "Translate to French.",
    "input": "Good morning",
    "output": "Bonjour",
    "system": "You are a translator.",
    "history": [["Translate: cat", "chat"], ["Translate: dog", "chien"]],
}
PROMPT_COMPLETION = {"prompt": "2 + 2 =", "completion": " 4"}
TEXT = {"text": "Once upon a time.", "meta": "book"}


@pytest.mark.parametrize(
    ("row", "kind", "fields"),
    [
        (PREF_STRINGS, "preference", {"chosen": "chosen", "rejected": "rejected", "prompt": "prompt"}),
        (PREF_MESSAGES, "preference", {"chosen": "chosen", "rejected": "rejected", "prompt": "prompt"}),
        (PREF_IMPLICIT, "preference", {"chosen": "chosen", "rejected": "rejected"}),
        (
            PREF_VARIANT,
            "preference",
            {"chosen": "chosen_response", "rejected": "rejected_response", "prompt": "question"},
        ),
        (UNPAIRED, "unpaired_preference", {"prompt": "prompt", "completion": "completion", "label": "label"}),
        (MESSAGES, "messages", {"messages": "messages"}),
        (SHAREGPT, "sharegpt", {"conversations": "conversations"}),
        (
            ALPACA,
            "alpaca",
            {
                "instruction": "instruction",
                "output": "output",
                "input": "input",
                "system": "system",
                "history": "history",
            },
        ),
        (PROMPT_COMPLETION, "prompt_completion", {"prompt": "prompt", "completion": "completion"}),
        (TEXT, "text", {"text": "text"}),
    ],
    ids=[
        "preference-strings",
        "preference-messages",
        "preference-implicit-prompt",
        "preference-response-variant",
        "unpaired-preference",
        "messages",
        "sharegpt",
        "alpaca",
        "prompt-completion",
        "text",
    ],
)  # fmt: skip
def test_detects_each_format(tmp_path, row, kind, fields):
    ds = opened(tmp_path, [row, row])
    assert ds.spec.kind == kind
    assert ds.spec.fields == fields


def test_message_keys_are_recorded(tmp_path):
    assert opened(tmp_path, [MESSAGES]).spec.message_keys == {"messages": ("role", "content")}
    sharegpt = opened(tmp_path, [SHAREGPT]).spec
    assert sharegpt.message_keys == {"conversations": ("from", "value")}


def test_unknown_columns_are_generic(tmp_path):
    ds = opened(tmp_path, [{"foo": "a", "bar": "b", "n": 1}])
    assert ds.spec.kind == "generic"
    assert sorted(ds.spec.fields.values()) == ["bar", "foo"]


def test_alpaca_without_optional_fields(tmp_path):
    ds = opened(tmp_path, [{"instruction": "Say hi.", "output": "Hi."}])
    assert ds.spec == FormatSpec("alpaca", {"instruction": "instruction", "output": "output"})


def test_detection_uses_most_rows_when_the_first_lack_a_field(tmp_path):
    """The first rows have no 'rejected'; most rows do: still a preference set."""
    first = [{"prompt": f"p{i}", "chosen": f"c{i}"} for i in range(10)]
    rest = [{"prompt": f"p{i}", "chosen": f"c{i}", "rejected": f"r{i}"} for i in range(10, 100)]
    ds = opened(tmp_path, first + rest)
    assert ds.spec.kind == "preference"
    assert ds.frame["rejected"].null_count() == 10


def test_detection_samples_through_the_data_not_only_the_first_rows(tmp_path):
    """Past the sample size the sample is spread through the frame: 1,200 leading 'text'
    rows do not hide 3,800 Alpaca rows behind them."""
    rows = [{"text": f"note {i}"} for i in range(1200)]
    rows += [{"instruction": f"q{i}", "output": f"a{i}"} for i in range(3800)]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    assert detect_format(frame, sample_size=1000).kind == "alpaca"
    assert detect_format(frame.head(1000), sample_size=1000).kind == "text"


def test_empty_message_lists_do_not_count_as_present(tmp_path):
    rows = [{"messages": [], "text": f"t{i}"} for i in range(8)] + [
        {"messages": MESSAGES["messages"], "text": "t"} for _ in range(2)
    ]
    assert opened(tmp_path, rows).spec.kind == "text"


# -- overrides and remembering them ------------------------------------------------------------


def test_spec_from_fields_maps_a_role_to_another_column():
    schema = pl.Schema({"instruction": pl.String, "response": pl.String, "output": pl.String})
    spec = spec_from_fields("alpaca", {"output": "response"}, schema)
    assert spec.kind == "alpaca"
    assert spec.fields == {"instruction": "instruction", "output": "response"}


def test_spec_from_fields_finds_message_keys():
    schema = pl.DataFrame([SHAREGPT]).schema
    spec = spec_from_fields("messages", {"messages": "conversations"}, schema)
    assert spec.message_keys == {"conversations": ("from", "value")}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("chatml", {}, "unknown format 'chatml'"),
        ("alpaca", {"output": "nope"}, "no column 'nope'"),
        ("preference", {"chosen": "a"}, "needs --field rejected=COLUMN"),
    ],
)
def test_spec_from_fields_says_what_is_wrong(kind, fields, message):
    schema = pl.Schema({"a": pl.String, "b": pl.String})
    with pytest.raises(ValueError, match=message):
        spec_from_fields(kind, fields, schema)


def test_open_with_format_and_fields(tmp_path):
    rows = [{"question": "Why?", "reply": "Because."}]
    ds = opened(tmp_path, rows, kind="prompt_completion", fields={"completion": "reply"})
    assert ds.spec.kind == "prompt_completion"
    assert ds.spec.fields == {"prompt": "question", "completion": "reply"}
    assert ds.response().to_list() == ["Because."]


def test_open_with_a_bad_field_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no column 'missing'"):
        opened(tmp_path, [TEXT], fields={"text": "missing"})


def test_override_is_remembered_across_a_reopen(tmp_path):
    data = write_jsonl(tmp_path / "qa.jsonl", [{"text": "t", "q": "Why?", "a": "Because."}] * 2)
    store = tmp_path / "project.sqlite"
    first = open_project(data, project_path=store, kind="prompt_completion",
                         fields={"prompt": "q", "completion": "a"})  # fmt: skip
    assert first.dataset.spec.kind == "prompt_completion"
    first.close()

    again = open_project(data, project_path=store)  # no override this time
    try:
        assert again.dataset.spec.kind == "prompt_completion"
        assert again.dataset.spec.fields == {"prompt": "q", "completion": "a"}
        assert again.dataset.prompt().to_list() == ["Why?", "Why?"]
        assert again.dataset.frame["__length"].to_list() == [12, 12]
    finally:
        again.close()
    assert open_dataset(data).spec.kind == "text"  # what detection alone would say


def test_set_spec_is_remembered(tmp_path):
    data = write_jsonl(tmp_path / "qa.jsonl", [{"text": "t", "q": "Why?", "a": "Because."}])
    store = tmp_path / "project.sqlite"
    project = open_project(data, project_path=store)
    project.set_spec(spec_from_fields("prompt_completion", {"prompt": "q", "completion": "a"},
                                      project.dataset.frame.schema))  # fmt: skip
    project.close()
    again = open_project(data, project_path=store)
    assert again.dataset.spec.fields == {"prompt": "q", "completion": "a"}
    again.close()


def test_a_remembered_mapping_whose_columns_are_gone_is_ignored(tmp_path):
    store = tmp_path / "project.sqlite"
    data = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "q": "Why?", "a": "Because."}])
    open_project(data, project_path=store, kind="prompt_completion",
                 fields={"prompt": "q", "completion": "a"}).close()  # fmt: skip
    write_jsonl(data, [{"text": "only text now"}])
    again = open_project(data, project_path=store)
    assert again.dataset.spec.kind == "text"
    again.close()


# -- rendering: what a person reads ------------------------------------------------------------


def test_render_preference_strings(tmp_path):
    r = opened(tmp_path, [PREF_STRINGS]).render(0)
    assert blocks(r) == [("prompt", "user", "Name a colour.")]
    assert [(b.title, b.role, b.text) for b in r.chosen] == [("chosen", "assistant", "Blue.")]
    assert [(b.title, b.role, b.text) for b in r.rejected] == [("rejected", "assistant", "Seven.")]
    text = r.to_text()
    assert "[prompt]\nName a colour." in text
    assert "[chosen]\nBlue." in text and "[rejected]\nSeven." in text


def test_render_preference_messages(tmp_path):
    r = opened(tmp_path, [PREF_MESSAGES]).render(0)
    assert blocks(r) == [("user", "user", "Name a colour.")]
    assert [b.text for b in r.chosen] == ["Blue."]
    assert [b.text for b in r.rejected] == ["Seven."]


def test_render_preference_with_implicit_prompt(tmp_path):
    """The turns both sides share are the prompt; only the differing answers are paired."""
    r = opened(tmp_path, [PREF_IMPLICIT]).render(0)
    assert blocks(r) == [("system", "system", "Be brief."), ("user", "user", "Name a colour.")]
    assert [b.text for b in r.chosen] == ["Blue."]
    assert [b.text for b in r.rejected] == ["Seven."]


def test_render_preference_variant_columns(tmp_path):
    r = opened(tmp_path, [PREF_VARIANT]).render(0)
    assert blocks(r) == [("prompt", "user", "Name a colour.")]
    assert r.chosen[0].text == "Blue." and r.rejected[0].text == "Seven."


def test_render_unpaired_preference(tmp_path):
    r = opened(tmp_path, [UNPAIRED]).render(0)
    assert blocks(r) == [
        ("prompt", "user", "Name a colour."),
        ("completion", "assistant", "Blue."),
        ("label", "section", "true"),
    ]
    assert r.chosen is None and r.rejected is None


def test_render_messages(tmp_path):
    r = opened(tmp_path, [MESSAGES]).render(0)
    assert blocks(r) == [
        ("system", "system", "Be brief."),
        ("user", "user", "Name a colour."),
        ("assistant", "assistant", "Blue."),
    ]


def test_render_sharegpt_maps_roles(tmp_path):
    r = opened(tmp_path, [SHAREGPT]).render(0)
    assert [(b.title, b.role) for b in r.blocks] == [
        ("system", "system"),
        ("human", "user"),
        ("function_call", "assistant"),
        ("observation", "tool"),
        ("gpt", "assistant"),
    ]
    assert r.blocks[-1].text == "It is 3 degrees."


def test_render_alpaca_with_system_history_and_input(tmp_path):
    r = opened(tmp_path, [ALPACA]).render(0)
    assert blocks(r) == [
        ("system", "system", "You are a translator."),
        ("history · instruction", "user", "Translate: cat"),
        ("history · output", "assistant", "chat"),
        ("history · instruction", "user", "Translate: dog"),
        ("history · output", "assistant", "chien"),
        ("instruction", "user", "Translate to French."),
        ("input", "user", "Good morning"),
        ("output", "assistant", "Bonjour"),
    ]


def test_render_alpaca_leaves_out_an_empty_input(tmp_path):
    r = opened(tmp_path, [{"instruction": "Say hi.", "input": "", "output": "Hi."}]).render(0)
    assert [b.title for b in r.blocks] == ["instruction", "output"]


def test_render_prompt_completion_and_text(tmp_path):
    r = opened(tmp_path, [PROMPT_COMPLETION]).render(0)
    assert blocks(r) == [("prompt", "user", "2 + 2 ="), ("completion", "assistant", " 4")]
    r = opened(tmp_path, [TEXT]).render(0)
    assert blocks(r) == [("text", "section", "Once upon a time.")]
    assert r.extra == {"meta": "book"}  # the other columns travel beside the blocks


def test_render_generic_and_non_string_values():
    spec = FormatSpec("generic", {"text0": "a"})
    r = render_record({"a": None, "b": {"x": [1, 2]}}, spec)
    assert blocks(r) == [("a", "section", "")]
    assert r.extra == {"b": {"x": [1, 2]}}


def test_to_text_width_cuts_long_samples():
    r = render_record({"text": "x" * 1000}, FormatSpec("text", {"text": "text"}))
    assert r.to_text(width=50) == ("[text]\n" + "x" * 1000)[:50] + "…"


def test_word_diff_marks_changed_words():
    a, b = word_diff("the sky is blue today", "the sky is green today")
    assert [w for w, changed in a if changed] == ["blue"]
    assert [w for w, changed in b if changed] == ["green"]
    assert "".join(w for w, _ in a) == "the sky is blue today"


# -- prompt and response extraction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "prompt", "response", "rejected"),
    [
        (PREF_STRINGS, "Name a colour.", "Blue.", "Seven."),
        (PREF_MESSAGES, "Name a colour.", "Blue.", "Seven."),
        (PREF_IMPLICIT, "Name a colour.", "Blue.", "Seven."),
        (PREF_VARIANT, "Name a colour.", "Blue.", "Seven."),
        (UNPAIRED, "Name a colour.", "Blue.", None),
        (MESSAGES, "Name a colour.", "Blue.", None),
        (
            SHAREGPT,
            "Weather in Oslo?",
            '{"name": "weather", "city": "Oslo"}\n\nIt is 3 degrees.',
            None,
        ),
        (ALPACA, "Translate to French.\n\nGood morning", "Bonjour", None),
        (PROMPT_COMPLETION, "2 + 2 =", " 4", None),
        (TEXT, "Once upon a time.", "", None),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None,
)
def test_prompt_and_response(tmp_path, row, prompt, response, rejected):
    ds = opened(tmp_path, [row])
    assert ds.prompt().to_list() == [prompt]
    assert ds.response().to_list() == [response]
    rejected_expr = formats.rejected_expr(ds.spec)
    if rejected is None:
        assert rejected_expr is None
    else:
        assert ds.frame.select(rejected_expr).item() == rejected


def test_multi_turn_messages_join_every_turn_of_a_side(tmp_path):
    row = {
        "messages": turns(("user", "Hi"), ("assistant", "Hello"), ("user", "Bye"), ("assistant", "Ciao"))
    }  # fmt: skip
    ds = opened(tmp_path, [row])
    assert ds.prompt().to_list() == ["Hi\n\nBye"]
    assert ds.response().to_list() == ["Hello\n\nCiao"]


def test_null_sides_read_as_empty_text(tmp_path):
    ds = opened(tmp_path, [{"instruction": "q", "output": "a"}, {"instruction": "q2"}])
    assert ds.response().to_list() == ["a", ""]


def test_embed_texts_choices(tmp_path):
    ds = opened(tmp_path, [ALPACA | {"id": 7}])
    assert ds.embed_texts().to_list() == ["Translate to French.\n\nGood morning"]
    assert ds.embed_texts("response").to_list() == ["Bonjour"]
    assert ds.embed_texts("output").to_list() == ["Bonjour"]
    everything = ds.embed_texts("all").to_list()[0]
    assert "Translate to French." in everything and "Bonjour" in everything
    with pytest.raises(ValueError, match="--embed-field nope"):
        ds.embed_texts("nope")


def test_preview_is_one_line_of_the_prompt(tmp_path):
    row = {"instruction": "First line\nsecond   line " + "x" * 300, "output": "a"}
    preview = opened(tmp_path, [row]).preview(0, width=40)
    assert "\n" not in preview
    assert preview.startswith("First line second line x") and preview.endswith("…")
    assert len(preview) == 41


def test_length_counts_the_text_a_person_reads(tmp_path):
    ds = opened(tmp_path, [{"instruction": "héllo", "input": "", "output": "wörld!"}])
    assert ds.frame["__length"].to_list() == [11]  # characters, not bytes


@pytest.mark.parametrize(
    ("prompt", "completion"),
    [
        ("Question", "Answer"),  # capitalised
        ("input", "output"),  # no instruction column
        ("inputs", "targets"),  # FLAN / xP3
        ("problem", "solution"),  # maths sets
        ("human", "assistant"),
        ("prompt", "chosen"),  # an SFT cut of preference data
    ],
)
def test_more_column_names_for_prompt_and_completion(prompt, completion):
    frame = pl.DataFrame({prompt: ["what is two and two?"] * 4, completion: ["four"] * 4})
    spec = formats.detect_format(frame)
    assert spec.kind == "prompt_completion"
    assert spec.fields == {"prompt": prompt, "completion": completion}
    assert frame.select(formats.response_expr(spec)).to_series().to_list() == ["four"] * 4
