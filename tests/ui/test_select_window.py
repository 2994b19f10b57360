"""Labels ▸ Select Subset… in the real window: the preview selects the rows in the table,
the selection opens as a review queue, and Write… gives a filter that apply turns into the
subset."""

from __future__ import annotations

import json

import builders  # tests/builders.py
import numpy as np
import polars as pl

from inspector.cli import main


def test_select_subset_from_the_labels_menu(qtbot, make_window, tmp_path):
    from inspector.ui.shell.features import install_all

    data = builders.write_jsonl(tmp_path / "d.jsonl", builders.four_topic_rows())
    window = make_window()
    install_all(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=60_000):
        window.open_path(data)
    window.project.store.set("map_params", {"model": "default", "vectors_column": "vec"})
    action = window.actions["labels.select_subset"]
    window.actions.update_enabled()
    assert action.isEnabled()
    action.trigger()
    select = window.features.select
    dialog = select.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.n.setValue(8)
    dialog.preview()
    result = dialog.result()
    assert result is not None and len(result.rows) == 8
    assert np.array_equal(np.sort(window.selected_rows()), np.sort(result.rows))

    session = select.review_selection()
    assert session is not None
    out = tmp_path / "subset" / "filter.parquet"
    select.write(result, out)
    dialog.close()
    kept = pl.read_parquet(out).filter(pl.col("action") == "keep")
    assert kept.height == 8
    assert (out.parent / "manifest.json").is_file()

    clean = tmp_path / "clean"
    code = main(["apply", str(data), "--filter", str(out), "--out", str(clean),
                 "--project", str(window.project.store.path)])  # fmt: skip
    assert code == 0
    lines = [json.loads(x) for x in next(clean.rglob("*.jsonl")).read_text().splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(kept["id"].to_list())
