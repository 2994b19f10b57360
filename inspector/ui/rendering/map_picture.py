"""A still picture of the map (``map.png``): points coloured by cluster, names at centroids.

Drawn with QPainter on a QImage, so it works headless (the CLI uses it with no window).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from inspector.ui.rendering.palette import category_colors


def _ensure_gui_app():
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["inspector"])
    return app


def render_map_png(
    xy: np.ndarray,
    codes: np.ndarray,
    names: dict[int, str],
    path: str | Path,
    size: tuple[int, int] = (1600, 1200),
    title: str = "",
) -> Path:
    """Write a PNG of the layout coloured by ``codes`` (-1 = noise, grey) with cluster names."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

    _app = _ensure_gui_app()  # noqa: F841 - keeps fonts available while painting
    width, height = size
    margin = 40
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(250, 250, 250))
    xy = np.asarray(xy, dtype=np.float64)
    codes = np.asarray(codes)
    lo = np.nanmin(xy, axis=0) if len(xy) else np.zeros(2)
    hi = np.nanmax(xy, axis=0) if len(xy) else np.ones(2)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    px = margin + (xy[:, 0] - lo[0]) / span[0] * (width - 2 * margin)
    py = height - margin - (xy[:, 1] - lo[1]) / span[1] * (height - 2 * margin)
    # Raster the points (one pixel each, a little alpha accumulation) with numpy.
    rgba = np.zeros((height, width, 4), dtype=np.float32)
    palette = category_colors(int(codes.max()) + 1 if len(codes) else 1)
    colors = np.array([(170, 170, 170)] + [c[:3] for c in palette], dtype=np.float32)
    idx = np.clip(codes + 1, 0, len(colors) - 1)
    ix = np.clip(px.astype(np.int64), 0, width - 1)
    iy = np.clip(py.astype(np.int64), 0, height - 1)
    flat = iy * width + ix
    counts = np.bincount(flat, minlength=width * height).astype(np.float32)
    for ch in range(3):
        sums = np.bincount(flat, weights=colors[idx, ch], minlength=width * height)
        rgba[..., ch] = (sums / np.maximum(counts, 1)).reshape(height, width)
    alpha = np.clip(0.35 + np.log1p(counts) / 3.0, 0, 1).reshape(height, width)
    alpha[counts.reshape(height, width) == 0] = 0
    base = np.full((height, width, 3), 250.0, dtype=np.float32)
    blended = base * (1 - alpha[..., None]) + rgba[..., :3] * alpha[..., None]
    # Grow each point to 2x2 pixels so sparse maps stay visible.
    mask = alpha > 0
    grown = blended.copy()
    grown[1:, :][mask[:-1, :]] = blended[:-1, :][mask[:-1, :]]
    grown[:, 1:][mask[:, :-1]] = blended[:, :-1][mask[:, :-1]]
    buf = np.empty((height, width, 4), dtype=np.uint8)
    buf[..., 0] = grown[..., 2].astype(np.uint8)  # BGRA in memory for ARGB32
    buf[..., 1] = grown[..., 1].astype(np.uint8)
    buf[..., 2] = grown[..., 0].astype(np.uint8)
    buf[..., 3] = 255
    points = QImage(buf.data, width, height, 4 * width, QImage.Format.Format_ARGB32)

    painter = QPainter(image)
    painter.drawImage(0, 0, points)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSize(11)
    font.setBold(True)
    painter.setFont(font)
    metrics = QFontMetrics(font)
    placed: list[QRectF] = []
    order = sorted((c for c in names if c >= 0), key=lambda c: -int(np.sum(codes == c)))
    for c in order:
        members = codes == c
        if not members.any():
            continue
        cx, cy = float(np.median(px[members])), float(np.median(py[members]))
        text = names[c]
        w = metrics.horizontalAdvance(text) + 10
        h = metrics.height() + 4
        rect = QRectF(cx - w / 2, cy - h / 2, w, h)
        if any(rect.intersects(r) for r in placed):
            continue
        placed.append(rect)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 215))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor(30, 30, 30))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    if title:
        painter.setPen(QColor(60, 60, 60))
        painter.drawText(margin, 26, title)
    painter.end()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise OSError(f"{path}: cannot write the picture")
    return path
