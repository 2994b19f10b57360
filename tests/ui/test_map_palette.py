"""Cluster colours a curator can tell apart: 20 distinct qualitative colours, none of them
grey, and a neutral style for points in no cluster that no cluster shares; weak members (noise
reassigned to a cluster) are drawn fainter."""

from __future__ import annotations

import numpy as np

from inspector.ui.map.map_items import NOISE, ColourScheme
from inspector.ui.map.map_view import MapView
from inspector.ui.rendering.palette import CLUSTER_HEX, NOISE_HEX, category_colors, hex_rgb


def _lab(rgb) -> np.ndarray:
    """sRGB (0-255) -> CIELAB (D65)."""
    c = np.asarray(rgb, float) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def test_twenty_cluster_colours_apart_from_each_other_and_from_none():
    assert len(CLUSTER_HEX) >= 20 and len(set(CLUSTER_HEX)) == len(CLUSTER_HEX)
    lab = _lab([hex_rgb(h) for h in CLUSTER_HEX[:20]])
    d = np.linalg.norm(lab[:, None] - lab[None], axis=2) + np.eye(20) * 1e9
    assert d.min() >= 15  # CIE76 ΔE: clearly different side by side
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    assert chroma.min() >= 15  # no cluster colour is a grey
    noise = _lab([hex_rgb(NOISE_HEX)])[0]
    assert np.hypot(noise[1], noise[2]) < 3  # "none" is neutral
    assert np.linalg.norm(lab - noise, axis=1).min() >= 15
    assert [c[:3] for c in category_colors(20)] == [hex_rgb(h) for h in CLUSTER_HEX[:20]]


def test_scheme_gives_each_cluster_its_colour_and_none_the_neutral_one():
    codes = np.r_[np.arange(20), -1, -1]
    scheme = ColourScheme.categorical(codes, {}, "Cluster")
    drawn = scheme.colours[scheme.index]
    cluster_rgbs = {tuple(int(v) for v in c[:3]) for c in drawn[:20]}
    assert len(cluster_rgbs) == 20
    none = tuple(int(v) for v in drawn[20][:3])
    assert none == tuple(NOISE[:3]) and none not in cluster_rgbs
    assert drawn[20][3] < 255  # translucent: in the background
    assert [e.name for e in scheme.entries][-1] == "none"


def test_weak_members_are_drawn_fainter(qtbot):
    mv = MapView()
    qtbot.addWidget(mv)
    rng = np.random.default_rng(0)
    mv.set_points(rng.normal(0, 1, (50, 2)).astype(np.float32))
    codes = np.arange(50) % 4
    mv.set_color_categorical(codes, {}, "Cluster")
    low = np.zeros(50, dtype=bool)
    low[::5] = True
    mv.set_low_confidence(low)
    table, index = mv.row_colours()
    bg = np.array([250, 250, 248])
    strong, weak = table[index[1]][:3].astype(float), table[index[0]][:3].astype(float)
    same_cluster_strong = table[index[4]][:3].astype(float)  # row 4: code 0 like row 0
    assert np.array_equal(strong, table[index[1]][:3])
    assert np.linalg.norm(weak - bg) < np.linalg.norm(same_cluster_strong - bg)
    assert not low[4] and codes[4] == codes[0]
    mv.set_low_confidence(None)
    table, index = mv.row_colours()
    assert np.array_equal(table[index[0]], table[index[4]])
