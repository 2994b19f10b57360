"""Colours shared by the map, its legend and the pictures: distinct, readable on white."""

from __future__ import annotations

BASE = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (57, 59, 121),
    (173, 73, 74),
    (99, 121, 57),
    (206, 109, 189),
    (140, 162, 82),
    (107, 110, 207),
    (189, 158, 57),
    (231, 150, 156),
    (82, 84, 163),
    (214, 97, 107),
]


def category_colors(n: int) -> list[tuple[int, int, int, int]]:
    """``n`` RGBA colours; past the base palette, hues are spread around the wheel."""
    import colorsys

    colors = [(*c, 255) for c in BASE[:n]]
    for i in range(len(colors), n):
        h = (i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, 0.65, 0.85)
        colors.append((int(r * 255), int(g * 255), int(b * 255), 255))
    return colors
