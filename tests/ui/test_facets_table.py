"""The table model's row mask (what the facets narrow the filter's rows with): the view is the
filter's rows the mask lets through, in the sort order, and survives a new filter and a sort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from inspector.core.data.dataset import LENGTH, open_dataset
from inspector.ui.data.table_model import LENGTH_COL, SampleTableModel


@pytest.fixture
def model(qapp, alpaca_file: Path) -> SampleTableModel:
    m = SampleTableModel()
    m.set_dataset(open_dataset(alpaca_file))
    return m


def test_the_mask_narrows_the_filter_s_rows_and_keeps_through_a_new_filter(model) -> None:
    n = model.dataset.height
    mask = np.zeros(n, bool)
    mask[[1, 3, 4]] = True
    model.set_row_mask(mask)
    assert model.view_rows().tolist() == [1, 3, 4]
    assert model.base_rows().tolist() == list(range(n))  # the filter's rows, unmasked
    model.set_rows(np.array([0, 1, 2, 3]))  # the filter bar ran again
    assert model.view_rows().tolist() == [1, 3]
    assert model.base_rows().tolist() == [0, 1, 2, 3]
    model.sort(LENGTH_COL, Qt.SortOrder.DescendingOrder)
    lengths = model.dataset.frame[LENGTH].to_numpy()
    assert sorted(model.view_rows().tolist()) == [1, 3]
    assert lengths[model.view_rows()].tolist() == sorted(lengths[[1, 3]].tolist(), reverse=True)
    model.set_row_mask(None)
    assert sorted(model.view_rows().tolist()) == [0, 1, 2, 3]
    assert model.rowCount() == 4


def test_a_mask_of_another_length_is_refused_and_a_new_dataset_drops_it(model) -> None:
    with pytest.raises(ValueError, match="rows"):
        model.set_row_mask(np.ones(2, bool))
    mask = np.zeros(model.dataset.height, bool)
    model.set_row_mask(mask)
    assert model.rowCount() == 0
    model.set_dataset(model.dataset)
    assert model.row_mask() is None and model.rowCount() == model.dataset.height
