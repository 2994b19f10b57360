"""The Issues list names the pair finders (issue 16) in words, not by their flag columns."""

from __future__ import annotations

import polars as pl

from inspector.ui.junk.issues_panel import finders_from_table


def test_pair_finders_have_plain_titles():
    table = pl.DataFrame(
        {
            "pairs.same_prompt_chosen.flag": [True, True, False],
            "pairs.swapped_elsewhere.flag": [False, True, True],
            "pairs.chosen_flagged.flag": [False, False, True],
            "response.refusal.flag": [True, False, False],
        }
    )
    finders = {f.key: f for f in finders_from_table(table)}
    assert finders["pairs.same_prompt_chosen"].title == "Same prompt and same chosen"
    assert finders["pairs.swapped_elsewhere"].title == "Sides swapped elsewhere"
    assert finders["pairs.chosen_flagged"].title == "Chosen flagged, rejected clean"
    assert finders["pairs.swapped_elsewhere"].label() == "Sides swapped elsewhere — 2 rows"
    assert finders["pairs.swapped_elsewhere"].queue == "flag:pairs.swapped_elsewhere"
    assert finders["response.refusal"].title == "response.refusal"  # others as before
