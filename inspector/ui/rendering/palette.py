"""Colours shared by the map, its legend, the cluster list and the pictures.

Clusters get :data:`CLUSTER_HEX`, 20 qualitative colours chosen to stay apart from each other
(CIELAB ΔE ≥ 20 between any two, Tableau 10 first) and from :data:`NOISE_HEX`, the neutral grey
of points in no cluster; no cluster colour is a grey. Past 20, colours repeat (the map) or
hues are spread around the wheel (:func:`category_colors`).
"""

from __future__ import annotations

CLUSTER_HEX = [
    "#4e79a7",  # blue
    "#f28e2b",  # orange
    "#e15759",  # red
    "#59a14f",  # green
    "#b07aa1",  # mauve
    "#edc948",  # yellow
    "#76b7b2",  # sea green
    "#9c755f",  # brown
    "#ff9da7",  # pink
    "#0aa6d6",  # cyan
    "#6a3d9a",  # violet
    "#e7298a",  # magenta
    "#8c1c13",  # maroon
    "#14477a",  # navy
    "#a0cbe8",  # sky
    "#a6d854",  # lime
    "#b15928",  # rust
    "#1b9e77",  # teal
    "#ffbe7d",  # apricot
    "#7570b3",  # slate
]
NOISE_HEX = "#bebebe"  # points in no cluster (and values missing): a neutral grey


def hex_rgb(value: str) -> tuple[int, int, int]:
    """ "#rrggbb" -> (r, g, b)."""
    v = value.lstrip("#")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


CLUSTER_RGB = [hex_rgb(h) for h in CLUSTER_HEX]
NOISE_RGB = hex_rgb(NOISE_HEX)
BASE = CLUSTER_RGB  # the name the pictures used


def category_colors(n: int) -> list[tuple[int, int, int, int]]:
    """``n`` RGBA colours; past the base palette, hues are spread around the wheel."""
    import colorsys

    colors = [(*c, 255) for c in BASE[:n]]
    for i in range(len(colors), n):
        h = (i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, 0.65, 0.85)
        colors.append((int(r * 255), int(g * 255), int(b * 255), 255))
    return colors
