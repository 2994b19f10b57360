"""An analysis of 200k rows (written directly, the Ray engine's sharded shape) opens in the
window without any recompute: the map draws through its density layer, the table computes
only the rows it paints, and the Issues lists come from the folder."""

from __future__ import annotations

import open_analysis_builders as oab
import pytest

ROWS = 200_000  # the map dock's auto-map limit: without the folder it would compute a map


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return oab.synthetic_analysis(tmp_path_factory.mktemp("big"), ROWS)


def test_200k_rows_open_lazily_without_recompute(make_window, big, tmp_path, qtbot, monkeypatch):
    import umap

    import inspector.core.data.dataset as dataset_module
    import inspector.ui.map.map_compute as map_compute
    from inspector.ui.shell.features import install_all

    calls: list[int] = []  # the job runner hands a job's exception to on_error: count calls

    def boom(*_a, **_k):
        calls.append(1)
        raise AssertionError("recomputed")

    monkeypatch.setattr(map_compute, "compute_map", boom)
    monkeypatch.setattr(map_compute, "compute_map_isolated", boom)
    monkeypatch.setattr(umap.UMAP, "fit", boom)
    previews: list[int] = []
    real_preview = dataset_module.Dataset.preview

    def counting(self, row, *a, **k):
        previews.append(int(row))
        return real_preview(self, row, *a, **k)

    monkeypatch.setattr(dataset_module.Dataset, "preview", counting)

    data, out = big
    window = install_all(make_window())
    window.resize(1200, 800)
    opener = window.features.open_analysis
    opener.open_with(str(data), out, project_path=str(tmp_path / "p.sqlite"))
    qtbot.waitUntil(
        lambda: opener.opened is not None or opener.message_box is not None, timeout=120_000
    )
    assert opener.opened is not None, opener.last_error
    assert opener.opened.table.height == ROWS and opener.opened.single_file is None
    qtbot.wait(600)  # past the map dock's delayed start: no map job for this dataset
    assert window.jobs.current("map") is None and calls == []
    panel = window.features.map
    panel.view.refresh()
    assert panel.view.render_mode() == "density"
    assert window.model.rowCount() == ROWS
    assert 0 < len(set(previews)) < 1_000  # the painted rows, not 200k
    issues = window.features.issues
    assert issues.panel.finder("exact_duplicate").groups == ROWS // 50  # rows 50k and 50k+1
    assert len(issues.panel.finder("response.too_short").rows) == len(range(0, ROWS, 97))
