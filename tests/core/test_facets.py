"""Facet counts and the combined row mask (inspector.core.data.facets) on small frames."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.data.facets import (
    MISSING,
    NONE,
    OTHER,
    Categories,
    FacetSet,
    Range,
    facet_frame_columns,
    flag_lists,
)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model": ["a", "a", "b", "c", None, "a", "b", "a"],
            "length": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, None],
            "flags": [["x"], [], ["x", "y"], ["y"], [], None, ["x"], []],
        },
        schema={"model": pl.String, "length": pl.Float64, "flags": pl.List(pl.String)},
    )


def test_categories_count_each_value_with_nulls_as_a_bar():
    facets = FacetSet(_frame())
    counts = facets.update(["model"], {}).counts["model"]
    got = dict(zip(counts.labels, counts.total.tolist()))
    assert got == {"a": 4, "b": 2, "c": 1, MISSING: 1}
    assert counts.labels[0] == "a"  # commonest first
    assert counts.filtered.tolist() == counts.total.tolist()  # no filter: filtered is total


def test_many_values_keep_the_commonest_and_pool_the_rest_as_other():
    values = [f"v{i:02d}" for i in range(30) for _ in range(30 - i)]
    facets = FacetSet(pl.DataFrame({"k": values}), top=5)
    counts = facets.update(["k"], {}).counts["k"]
    assert counts.labels == ["v00", "v01", "v02", "v03", OTHER]
    assert int(counts.total.sum()) == len(values)
    assert int(counts.total[-1]) == sum(30 - i for i in range(4, 30))
    # choosing "other" keeps exactly the pooled rows
    mask = facets.update(["k"], {"k": Categories({OTHER})}).mask
    assert int(mask.sum()) == int(counts.total[-1])


def test_histogram_bins_cover_the_full_range_and_report_missing():
    facets = FacetSet(_frame(), bins=3)
    counts = facets.update(["length"], {}).counts["length"]
    assert counts.kind == "histogram"
    assert counts.edges is not None and counts.edges[0] == 1.0 and counts.edges[-1] == 7.0
    assert counts.total.tolist() == [2, 2, 3]  # [1,3) [3,5) [5,7]
    assert counts.missing_total == 1


def test_a_range_keeps_rows_inside_it_and_drops_missing_values():
    facets = FacetSet(_frame())
    update = facets.update(["length"], {"length": Range(2.0, 4.0)})
    assert np.flatnonzero(update.mask).tolist() == [1, 2, 3]
    assert update.matched == 3


def test_filters_combine_with_and_and_the_filter_bar_rows():
    facets = FacetSet(_frame())
    filters = {"model": Categories({"a", "b"}), "length": Range(2.0, 7.0)}
    update = facets.update(["model", "length"], filters)
    assert np.flatnonzero(update.mask).tolist() == [1, 2, 5, 6]
    base = np.array([0, 1, 2, 3])  # what the filter bar matched
    update = facets.update(["model", "length"], filters, base=base)
    assert np.flatnonzero(update.mask).tolist() == [1, 2]
    assert update.matched == 2
    # the facets' own mask leaves the filter bar out (the table applies that itself)
    assert np.flatnonzero(update.filter_mask).tolist() == [1, 2, 5, 6]


def test_a_facet_s_filtered_counts_leave_out_its_own_filter():
    facets = FacetSet(_frame())
    filters = {"model": Categories({"a"}), "length": Range(3.0, 7.0)}
    update = facets.update(["model", "length"], filters)
    model = update.counts["model"]
    # model's bars see the length filter only (rows 2..6), not its own choice of "a"
    got = dict(zip(model.labels, model.filtered.tolist()))
    assert got == {"a": 1, "b": 2, "c": 1, MISSING: 1}
    length = update.counts["length"]
    # length's bars see model == "a" only (rows 0, 1, 5, 7), row 7 has no length
    assert int(length.filtered.sum()) == 3 and length.missing_filtered == 1
    assert model.selection == Categories({"a"})


def test_flags_are_multi_valued_bars_with_a_none_bar():
    facets = FacetSet(_frame())
    counts = facets.update(["flags"], {}).counts["flags"]
    got = dict(zip(counts.labels, counts.total.tolist()))
    assert got == {"x": 3, "y": 2, NONE: 4}
    mask = facets.update(["flags"], {"flags": Categories({"y"})}).mask
    assert np.flatnonzero(mask).tolist() == [2, 3]
    mask = facets.update(["flags"], {"flags": Categories({NONE})}).mask
    assert np.flatnonzero(mask).tolist() == [1, 4, 5, 7]


def test_few_distinct_numbers_are_categories_and_booleans_too():
    frame = pl.DataFrame({"turns": [1, 2, 2, 3, 1, 2], "ok": [True, False, True, None, True, True]})
    facets = FacetSet(frame)
    update = facets.update(["turns", "ok"], {"turns": Categories({"2"})})
    assert update.counts["turns"].kind == "category"
    assert dict(zip(update.counts["ok"].labels, update.counts["ok"].total.tolist())) == {
        "true": 4,
        "false": 1,
        MISSING: 1,
    }
    assert np.flatnonzero(update.mask).tolist() == [1, 2, 5]


def test_skewed_positive_numbers_get_log_bins():
    values = np.concatenate([np.full(990, 10.0), np.linspace(1_000, 1_000_000, 10)])
    facets = FacetSet(pl.DataFrame({"n": values}))
    counts = facets.update(["n"], {}).counts["n"]
    assert counts.log
    assert int(counts.total.sum()) == values.size
    assert int((counts.total > 0).sum()) > 2  # the tail is spread, not one bar


def test_a_column_replaced_is_counted_again():
    facets = FacetSet(pl.DataFrame({"d": ["keep", "drop", None]}))
    assert facets.update(["d"], {}).counts["d"].total.sum() == 3
    facets.set_column(pl.Series("d", ["keep", "keep", "keep"]))
    counts = facets.update(["d"], {}).counts["d"]
    assert counts.labels == ["keep"] and counts.total.tolist() == [3]


def test_unknown_column_and_bad_range_say_what_is_wrong():
    facets = FacetSet(_frame())
    with pytest.raises(KeyError, match="nope"):
        facets.update(["nope"], {})
    with pytest.raises(ValueError, match="model"):
        facets.update(["model"], {"model": Range(0, 1)})


def test_derived_columns_and_flag_lists_from_an_analysis_table():
    analysis = pl.DataFrame(
        {
            "prompt.cut_off.flag": [True, False, None],
            "response.repetition_loop.flag": [True, False, False],
            "eval_leak": [False, True, False],
            "dup_removed": [False, False, True],
            "outlier_score": [0.1, 0.5, None],
        }
    )
    flags = flag_lists(analysis)
    assert flags.to_list() == [
        ["prompt.cut_off", "response.repetition_loop"],
        ["eval leak"],
        ["duplicate"],
    ]
    cols = facet_frame_columns(
        pl.DataFrame({"model": ["a", "b", "c"], "length": [1, 2, 3]}),
        length=pl.Series([10, 20, 30]),
        clusters=(np.array([0, -1, 0]), {0: "cats"}),
        decisions=np.array([-1, 0, 1], np.int8),
        analysis=analysis,
    )
    assert cols["cluster"].to_list() == ["cats", "(no cluster)", "cats"]
    assert cols["decision"].to_list() == ["none", "keep", "drop"]
    assert cols["length"].to_list() == [10, 20, 30]
    assert cols["length (column)"].to_list() == [1, 2, 3]  # the dataset's own "length"
    assert cols["flags"].to_list() == flags.to_list()
    assert "outlier score" in cols
