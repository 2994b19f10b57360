"""Quality rules give the documented value on hand-checked texts; config; planted junk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.junk.quality import evaluate, outlier_scores, text_values
from inspector.core.junk.quality_rules import CATALOGUE, load_rules, published_rules

# Values checked by hand (tokens as datatrove's spaCy tokeniser splits them):
# "The cat sat on the mat. The dog ate the bone! #tag ..." has 16 tokens, 12 of them words
# (The cat sat on the mat The dog ate the bone tag: 36 characters), one '#', one '...',
# one distinct stop word ("the"; "The" is not one: the rule is case-sensitive), 54 chars.
PROSE = "The cat sat on the mat. The dog ate the bone! #tag ..."
# Lines "a b c d e" twice then "x y z": 25 characters.
REPEAT = "a b c d e\na b c d e\nx y z"
# C4 keeps lines ending in . ? ! " ' with at least 3 words; the second line is dropped.
C4 = (
    "Lorem ipsum dolor sit amet.\n{not counted here\nUse x = {1} here.\n"
    "One two three. Four five six! Seven eight nine?"
)

ALL = {name for name, info in CATALOGUE.items() if info.group not in ("preference", "graph")}


def _values(*texts: str) -> pl.DataFrame:
    return text_values(pl.Series(list(texts)), ALL - {"echo_prompt"})


def test_gopher_quality_values() -> None:
    v = _values(PROSE).row(0, named=True)
    assert v["gopher_short_doc"] == 12
    assert v["gopher_avg_word_length"] == pytest.approx(36 / 12)
    assert v["gopher_hash_ratio"] == pytest.approx(1 / 16)
    assert v["gopher_ellipsis_ratio"] == pytest.approx(1 / 16)
    assert v["gopher_alpha_words"] == pytest.approx(12 / 16)
    assert v["gopher_stop_words"] == 1
    assert v["gopher_bullet_lines"] == 0
    assert v["gopher_ellipsis_lines"] == 1.0  # its only line ends with "..."
    # the most frequent 2-gram: all occur once, so the first one, "The cat" (7 chars) / 54
    assert v["gopher_top_2_gram"] == pytest.approx(7 / 54)


def test_gopher_repetition_values() -> None:
    v = _values(REPEAT).row(0, named=True)
    assert v["gopher_dup_line_frac"] == pytest.approx(1 / 3)
    assert v["gopher_dup_line_char_frac"] == pytest.approx(9 / 25)
    assert v["gopher_dup_para_frac"] == 0
    assert v["gopher_top_2_gram"] == pytest.approx(2 * len("a b") / 25)
    # datatrove's walk: "abcde" seen again at token 5 -> 5 characters, then it jumps 5 tokens
    assert v["gopher_dup_5_gram"] == pytest.approx(5 / 25)
    assert v["gopher_dup_10_gram"] == 0
    para = _values("Same paragraph.\n\nSame paragraph.\n\nOther one.").row(0, named=True)
    assert para["gopher_dup_para_frac"] == pytest.approx(1 / 3)


def test_c4_and_fineweb_values() -> None:
    v = _values(C4).row(0, named=True)
    assert v["c4_lorem_ipsum"] == 1
    assert v["c4_curly_bracket"] == 1  # "{not counted here" has no terminal punctuation
    assert v["c4_sentences"] == 5  # 1 + 1 + 3 in the kept lines
    assert v["fineweb_line_punct_ratio"] == pytest.approx(3 / 4)
    assert v["fineweb_short_line_ratio"] == pytest.approx(3 / 4)
    assert v["fineweb_list_ratio"] == pytest.approx(3 / 30)  # 3 newlines, 30 tokens
    rep = _values(REPEAT).row(0, named=True)
    assert rep["fineweb_char_dup_ratio"] == pytest.approx(9 / 23)  # newlines not counted


def test_chat_checks_find_planted_junk() -> None:
    frame = pl.DataFrame(
        {
            "prompt": ["Say hi", "Name a fruit", "Explain gravity", "Why?", "Repeat me", "Code"],
            "response": [
                "   \n ",
                "As an AI language model, I cannot fulfill this request.",
                "Gravity is the force by which a planet or other body draws objects toward "
                "its centre. It keeps us on the ground, and the",
                "@@@ ### $$$ %%% ^^^ &&& *** !!!",
                "repeat  ME",
                "```python\nprint('hello')\n",
            ],
        }
    )
    res = evaluate(frame, {"prompt": "prompt", "response": "response"}, load_rules())
    flags = {c: res.get_column(c).to_list() for c in res.columns if c.endswith(".flag")}
    assert flags["response.empty.flag"] == [True, False, False, False, False, False]
    assert flags["response.refusal.flag"] == [False, True, False, False, False, False]
    assert flags["response.cut_off.flag"] == [False, False, True, False, False, True]
    assert flags["response.symbol_ratio.flag"] == [False, False, False, True, False, False]
    assert flags["response.echo_prompt.flag"] == [False, False, False, False, True, False]
    assert res.get_column("response.symbol_ratio")[3] == 1.0
    assert res.get_column("any_flag").to_list() == [True, True, True, True, True, True]


def test_ordinary_answers_are_not_flagged() -> None:
    frame = pl.DataFrame(
        {
            "prompt": ["Capital of France?", "2+2?", "List three colours", "Write hello in Python"],
            "response": [
                "Paris",
                "2 + 2 = 4",
                "- red\n- green\n- blue",
                "```python\nprint('hello')\n```",
            ],
        }
    )
    res = evaluate(frame, {"prompt": "prompt", "response": "response"})
    assert res.get_column("any_flag").to_list() == [False] * 4


def test_published_thresholds_flag_short_answers_but_defaults_do_not() -> None:
    frame = pl.DataFrame({"r": ["Paris is the capital of France."]})
    strict = evaluate(frame, {"response": "r"}, published_rules())
    assert strict.get_column("response.gopher_short_doc.flag")[0]
    default = evaluate(frame, {"response": "r"})
    assert "response.gopher_short_doc.flag" not in default.columns
    assert not default.get_column("any_flag")[0]


def test_preference_pairs() -> None:
    frame = pl.DataFrame(
        {
            "chosen": ["Water boils at 100 C at sea level.", "Fine answer here.", "", "x y"],
            "rejected": ["Water boils at 100 C at sea level!", "A different answer.", "No", "x y"],
        }
    )
    res = evaluate(frame, {"chosen": "chosen", "rejected": "rejected"})
    sim = res.get_column("pair.chosen_rejected_similarity").to_list()
    assert sim[0] == 1.0 and sim[3] == 1.0  # same after normalisation
    assert sim[1] < 0.5
    assert sim[2] is None  # an empty side: no similarity, never NaN
    assert res.get_column("pair.chosen_rejected_similarity.flag").to_list() == [
        True,
        False,
        False,
        True,
    ]
    assert res.get_column("pair.empty_side.flag").to_list() == [False, False, True, False]
    assert res.get_column("chosen.empty.flag").to_list() == [False, False, True, False]


def test_outlier_score_from_the_neighbour_graph() -> None:
    rng = np.random.default_rng(0)
    idx = np.array([[(i + 1) % 50, (i + 2) % 50, (i + 3) % 50] for i in range(50)])
    sims = rng.uniform(0.8, 0.9, size=(50, 3)).astype(np.float32)
    sims[7] = [0.1, 0.05, 0.0]  # far from everything
    sims[8] = np.nan  # a zero vector's similarities
    valid = np.ones(50, dtype=bool)
    valid[9] = False  # an empty text
    score, z = outlier_scores(idx, sims, valid)
    assert score[7] == pytest.approx(1 - 0.05)
    assert np.isnan(score[8]) and np.isnan(score[9])
    assert np.nanargmax(z) == 7 and z[7] > 5
    frame = pl.DataFrame({"r": ["text"] * 50})
    res = evaluate(frame, {"response": "r"}, knn=(idx, sims), valid=valid)
    assert res.get_column("row.outlier.flag").to_list().count(True) == 1
    assert res.get_column("outlier_score").null_count() == 2
    assert not res.get_column("outlier_score").is_nan().any()


def test_no_nan_and_nulls_become_empty() -> None:
    frame = pl.DataFrame({"p": [None, "", "ok"], "r": ["", None, "  "]})
    res = evaluate(frame, {"prompt": "p", "response": "r"}, published_rules(("prompt", "response")))
    for name, dtype in res.schema.items():
        if dtype in (pl.Float32, pl.Float64):
            assert not res.get_column(name).is_nan().any(), name
        if name.endswith(".flag") or name == "any_flag":
            assert res.get_column(name).null_count() == 0, name
    assert res.get_column("response.empty.flag").to_list() == [True, True, True]
    assert res.get_column("response.gopher_dup_line_frac").null_count() >= 2


def test_load_rules_defaults_and_overrides(tmp_path: Path) -> None:
    rules = load_rules()
    assert not rules["gopher_short_doc"].enabled
    assert rules["gopher_dup_10_gram"].min_words == 50
    assert rules["gopher_dup_10_gram"].max == pytest.approx(0.10)
    user = tmp_path / "rules.toml"
    user.write_text(
        "[rules.gopher_short_doc]\nenabled = true\nmin = 20\n\n[rules.too_long]\nmax = false\n"
    )
    mine = load_rules(user)
    assert mine["gopher_short_doc"].enabled and mine["gopher_short_doc"].min == 20
    assert mine["gopher_short_doc"].fields == ("response",)  # kept from the defaults
    assert mine["too_long"].max is None
    assert mine.source == str(user)
    changed = rules.with_rule("too_long", max=10.0).only(["too_long"])
    assert [r.name for r in changed.enabled] == ["too_long"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.no_such_rule]\nenabled = true\n", "unknown rule"),
        ("[rules.too_long]\nmaximum = 3\n", "unknown key"),
        ("[rules.too_long]\nmax = 'big'\n", "must be a number"),
        ("[rules.too_long]\nfields = ['answer']\n", "fields must be"),
        ("[rules.too_long\n", "not valid TOML"),
    ],
)
def test_bad_rule_files_name_the_file_and_the_rule(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        load_rules(path)
    assert str(path) in str(err.value)


def test_every_catalogued_rule_is_computed() -> None:
    frame = pl.DataFrame({"p": ["q"], "r": [PROSE], "c": ["a"], "j": ["b"]})
    res = evaluate(
        frame,
        {"prompt": "p", "response": "r", "chosen": "c", "rejected": "j"},
        published_rules(("response",)),
        knn=(np.zeros((1, 0), np.int32), np.zeros((1, 0), np.float32)),
    )
    for rule in published_rules(("response",)):
        assert any(c.endswith(f".{rule.name}") for c in res.columns), rule.name
