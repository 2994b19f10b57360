"""The map greys out the rows the filters leave out (MapView.set_dim_mask): as sprites when
zoomed in, and as a grey density under the matching rows' colours when zoomed out."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.ui.map.map_items import POINTS_LIMIT
from inspector.ui.map.map_view import MapView


def _two_blobs(n_each: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    left = rng.normal(0, 0.5, (n_each, 2)) + [-10.0, 0.0]
    right = rng.normal(0, 0.5, (n_each, 2)) + [10.0, 0.0]
    return np.vstack([left, right]).astype(np.float32)


@pytest.fixture
def make_view(qtbot):
    def make(xy: np.ndarray) -> MapView:
        view = MapView()
        qtbot.addWidget(view)
        view.resize(800, 500)
        view.show()
        qtbot.waitExposed(view)
        view.set_points(xy)
        view.refresh()
        return view

    return make


def _channels(argb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    a = (argb >> 24) & 0xFF
    return a, (argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF


def test_the_dim_mask_is_kept_counted_and_cleared(make_view) -> None:
    view = make_view(_two_blobs(100))
    mask = np.zeros(200, bool)
    mask[:100] = True
    view.set_dim_mask(mask)
    view.refresh()
    shown = view.dim_mask()
    assert shown is not None and int((~shown).sum()) == 100
    assert np.array_equal(shown, mask)
    view.set_dim_mask(np.ones(200, bool))  # every row matches: nothing is greyed
    assert view.dim_mask() is None
    view.set_dim_mask(mask)
    view.set_dim_mask(None)
    assert view.dim_mask() is None
    with pytest.raises(ValueError, match="200 points"):
        view.set_dim_mask(np.ones(7, bool))


def test_zoomed_in_the_filtered_out_points_are_dim_sprites_under_the_rest(make_view) -> None:
    view = make_view(_two_blobs(100))
    mask = np.zeros(200, bool)
    mask[100:] = True  # the right blob matches
    view.set_dim_mask(mask)
    view.refresh()
    assert view.render_mode() == "points"
    sprites = view._base.points  # noqa: SLF001 - what the frame holds
    assert len(sprites) == 200
    # the atlas row of each sprite: the greyed ones first (drawn under), then the matching ones
    rows = np.round(sprites._sy / sprites._sy.max()).astype(int) if sprites._sy.max() else None  # noqa: SLF001
    assert rows is not None
    assert (np.diff(rows) <= 0).all()  # dim style (1) before normal (0): never back to dim
    assert int((rows == rows.max()).sum()) == 100


def test_zoomed_out_the_filtered_out_density_is_grey_and_the_rest_coloured(make_view) -> None:
    n_each = POINTS_LIMIT  # 2x the limit in view: a density image
    view = make_view(_two_blobs(n_each))
    assert view.render_mode() == "density"
    mask = np.zeros(2 * n_each, bool)
    mask[:n_each] = True  # the left blob matches
    view.set_dim_mask(mask)
    view.refresh(exact=True)
    image = view._base.density.image  # noqa: SLF001 - premultiplied ARGB32 raster
    a, r, g, b = _channels(image)
    drawn = a > 0
    half = image.shape[1] // 2
    left, right = drawn[:, :half], drawn[:, half:]
    assert left.any() and right.any()
    # the right blob (filtered out): grey, r == g == b; the left one keeps its blue
    assert (r[:, half:][right] == b[:, half:][right]).all()
    assert (b[:, :half][left] > r[:, :half][left]).mean() > 0.95
    view.set_dim_mask(None)
    view.refresh(exact=True)
    a, r, g, b = _channels(view._base.density.image)  # noqa: SLF001
    right = a[:, half:] > 0
    assert (b[:, half:][right] > r[:, half:][right]).mean() > 0.95
