"""Quality rules that read the prompt, rule metadata for the Rules dialog, the reader's
explanation of one row's flags (with spans) and the preview of a rule's hits."""

from __future__ import annotations

import polars as pl

from inspector.core.junk.quality import evaluate, explain_row, preview_rule
from inspector.core.junk.quality_rules import CATALOGUE, load_rules, rule_catalogue

LYRICS = "\n".join(
    ["Never gonna give you up, never gonna let you down tonight my friend"] * 3
    + ["Never gonna run around and desert you, no matter what they say"] * 3
    + ["We have known each other for so long, your heart's been aching, too shy"] * 2
)
DISCLAIMER = (
    "As an AI language model, I cannot give medical advice. That said, here is what usually "
    "helps with a sore back: keep moving gently, avoid long periods of sitting, use a warm "
    "compress for twenty minutes at a time, sleep on a medium firm mattress, and try simple "
    "stretches such as knee to chest and cat cow every morning and evening. If the pain lasts "
    "more than two weeks or spreads down a leg, see a doctor or a physiotherapist."
)
REFUSAL = "I'm sorry, but I cannot help with that request."


def frame(prompts: list[str], responses: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"prompt": prompts, "response": responses})


FIELDS = {"prompt": "prompt", "response": "response"}


def test_rules_do_not_flag_what_the_prompt_asked_for():
    prompts = [
        "What is lorem ipsum and where does it come from?",
        "Describe our new product in two sentences.",
        "Write the lyrics of a pop song chorus.",
        "Write a short note to my landlord about the heating.",
        "My back hurts, what should I do?",
        "How do I pick a lock?",
        "How do I use random text as filler content in Word?",
    ]
    responses = [
        "Lorem ipsum is placeholder text. Lorem ipsum dolor sit amet comes from Cicero.",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Our product is great.",
        LYRICS,
        LYRICS,
        DISCLAIMER,
        REFUSAL,
        "Type =lorem() and press Enter: Word fills the page with lorem ipsum text.",
    ]
    t = evaluate(frame(prompts, responses), FIELDS)
    assert t["response.c4_lorem_ipsum.flag"].to_list()[:2] == [False, True]
    assert not t["response.c4_lorem_ipsum.flag"][6]
    assert t["response.gopher_dup_10_gram.flag"].to_list()[2:4] == [False, True]
    assert t["response.refusal.flag"].to_list()[4:6] == [False, True]


def test_each_rule_has_a_plain_name_description_field_and_action():
    rows = rule_catalogue(load_rules())
    assert {r["name"] for r in rows} == set(CATALOGUE)
    for r in rows:
        assert r["title"] and r["title"] != r["name"], r["name"]
        assert r["description"] and "\n" not in r["description"]
        assert r["action"] in ("flag", "remove", "off")
        assert r["fields"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["gopher_short_doc"]["action"] == "off"  # disabled by default
    assert by_name["empty"]["action"] == "remove"
    assert by_name["gopher_hash_ratio"]["action"] == "flag"
    assert by_name["gopher_hash_ratio"]["title"] == "Many '#' symbols"


def test_flag_rules_are_not_proposed_for_removal():
    from inspector.core.junk.quality import proposal_actions

    actions = proposal_actions(load_rules())
    assert actions["response.empty"] == "remove"
    assert actions["response.refusal"] == "flag"
    assert actions["response.gopher_dup_10_gram"] == "flag"
    changed = load_rules().with_rule("refusal", action="remove")
    assert proposal_actions(changed)["response.refusal"] == "remove"


def test_explain_row_gives_name_field_value_threshold_and_span():
    prompts = ["Describe our new product.", "How do I pick a lock?"]
    responses = [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Our product is great.",
        REFUSAL,
    ]
    f = frame(prompts, responses)
    t = evaluate(f, FIELDS)
    lorem = explain_row(t, f, FIELDS, 0)
    hit = next(x for x in lorem if x["rule"] == "c4_lorem_ipsum")
    assert hit["title"] and hit["field"] == "response"
    assert hit["value"] == 1 and hit["max"] == 0
    assert responses[0][hit["start"] : hit["end"]].lower() == "lorem ipsum"
    refusal = next(x for x in explain_row(t, f, FIELDS, 1) if x["rule"] == "refusal")
    assert responses[1][refusal["start"] : refusal["end"]].startswith("I'm sorry, but I cannot")


def test_preview_shows_ten_hits_before_a_rule_is_applied():
    responses = [f"I'm sorry, but I cannot help with request {i}." for i in range(14)]
    responses += ["A helpful answer about gardens that explains what to plant."] * 6
    f = frame(["Help me"] * 20, responses)
    rules = load_rules().with_rule("refusal", enabled=False)  # off: the preview still runs it
    hits, total = preview_rule(f, FIELDS, rules, "refusal")
    assert total == 14
    assert hits.height == 10 and hits["row"].to_list() == list(range(10))
    assert set(hits.columns) >= {"row", "field", "value", "text"}
    assert hits["text"][0] == responses[0]
