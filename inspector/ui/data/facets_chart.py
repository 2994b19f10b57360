"""One chart of the Facets dock (:mod:`inspector.ui.data.facets_dock`): bars for a category
facet, a histogram for a number, drawn with QPainter from a
:class:`~inspector.core.data.facets.FacetCounts`: the count among the rows the other filters
let through (blue) over the count among all rows (grey); the chosen bars in orange.

A click on a bar chooses its value (Ctrl or Shift adds or removes it), a drag across a
histogram chooses a range snapped to the bins' edges; ``FacetChart.chosen(name, filter)``
says so (None: the clear button).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from inspector.core.data.facets import Categories, FacetCounts, Range

TOTAL_COLOUR = QColor("#e5e7eb")
FILTERED_COLOUR = QColor("#4e79a7")
CHOSEN_COLOUR = QColor("#f28e2b")
FADED_COLOUR = QColor("#a9bfd6")
TEXT_COLOUR = QColor("#374151")
MUTED_COLOUR = QColor("#6b7280")
BRUSH_COLOUR = QColor(242, 142, 43, 60)

BAR_ROW = 18  # px per bar of a category chart
LABEL_WIDTH = 120
COUNT_WIDTH = 96
HIST_HEIGHT = 72
HIST_AXIS = 16


def _fmt(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g}k"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"


class FacetChart(QWidget):
    """One facet: bars (categories) or a histogram, the counts drawn with QPainter.
    ``chosen(name, filter)`` fires on a click, a drag or the clear button (None: cleared)."""

    chosen = Signal(str, object)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"facet_{name}")
        self.counts: FacetCounts | None = None
        self._drag: tuple[float, float] | None = None  # histogram brush, in widget x
        self.title = QLabel(name)
        self.title.setStyleSheet("font-weight: 600;")
        self.summary = QLabel()
        self.summary.setStyleSheet(f"color: {MUTED_COLOUR.name()}; font-size: 8pt;")
        self.clear_button = QToolButton()
        self.clear_button.setObjectName(f"facet_clear_{name}")
        self.clear_button.setText("Clear")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip(f"Stop filtering by {name}")
        self.clear_button.clicked.connect(lambda: self.chosen.emit(self.name, None))
        self.clear_button.setVisible(False)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title)
        head.addWidget(self.summary, 1)
        head.addWidget(self.clear_button)
        self.plot = _Plot(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.plot)

    def set_counts(self, counts: FacetCounts) -> None:
        self.counts = counts
        self.clear_button.setVisible(counts.selection is not None)
        shown = int(counts.filtered.sum())
        total = int(counts.total.sum())
        missing = ""
        if counts.kind == "histogram" and counts.missing_total:
            missing = f" · {counts.missing_filtered:,} of {counts.missing_total:,} missing"
        self.summary.setText(f"{shown:,} of {total:,}{missing}")
        self.plot.setFixedHeight(self.plot.wanted_height())
        self.plot.update()

    # -- what a click or drag chooses ---------------------------------------------------------
    def click_bar(self, index: int, *, add: bool = False) -> None:
        """Choose the bar ``index`` (``add``: toggle it in the current choice)."""
        counts = self.counts
        if counts is None or counts.kind == "histogram" or not 0 <= index < len(counts.labels):
            return
        value = counts.labels[index]
        current = counts.selection.values if isinstance(counts.selection, Categories) else set()
        if add:
            values = set(current) ^ {value}
        else:
            values = set() if set(current) == {value} else {value}
        self.chosen.emit(self.name, Categories(values) if values else None)

    def choose_range(self, lo: float, hi: float) -> None:
        """Keep the rows with ``lo <= value <= hi``."""
        lo, hi = min(lo, hi), max(lo, hi)
        self.chosen.emit(self.name, Range(float(lo), float(hi)))

    def choose_bins(self, first: int, last: int) -> None:
        """Keep the rows in bins ``first`` to ``last`` (a brush snapped to bin edges)."""
        counts = self.counts
        if counts is None or counts.edges is None:
            return
        n = len(counts.edges) - 1
        a, b = sorted((max(0, min(first, n - 1)), max(0, min(last, n - 1))))
        self.choose_range(float(counts.edges[a]), float(counts.edges[b + 1]))


class _Plot(QWidget):
    """The drawing and the mouse of a :class:`FacetChart`."""

    def __init__(self, chart: FacetChart) -> None:
        super().__init__(chart)
        self.chart = chart
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        self._brush: tuple[float, float] | None = None

    def wanted_height(self) -> int:
        counts = self.chart.counts
        if counts is None:
            return 20
        if counts.kind == "histogram":
            return HIST_HEIGHT + HIST_AXIS
        return BAR_ROW * max(1, len(counts.labels))

    # -- geometry --------------------------------------------------------------------------------
    def _bar_area(self) -> QRectF:
        return QRectF(LABEL_WIDTH, 0, max(10.0, self.width() - LABEL_WIDTH - COUNT_WIDTH), 0)

    def bar_at(self, y: float) -> int:
        """The category bar at height ``y``, or -1."""
        counts = self.chart.counts
        if counts is None or counts.kind == "histogram":
            return -1
        i = int(y // BAR_ROW)
        return i if 0 <= i < len(counts.labels) else -1

    def bin_at(self, x: float) -> int:
        counts = self.chart.counts
        if counts is None or counts.kind != "histogram":
            return -1
        n = len(counts.total)
        return int(min(n - 1, max(0, x * n // max(1, self.width()))))

    def bar_centre(self, index: int) -> QPointF:
        """Where to click bar (or bin) ``index`` (tests click there)."""
        counts = self.chart.counts
        if counts is not None and counts.kind == "histogram":
            n = len(counts.total)
            return QPointF((index + 0.5) * self.width() / n, HIST_HEIGHT / 2)
        return QPointF(LABEL_WIDTH + 10, index * BAR_ROW + BAR_ROW / 2)

    # -- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return
        x = event.position().x()
        self._brush = (x, x)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._brush is not None:
            self._brush = (self._brush[0], event.position().x())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._brush is None or event.button() != Qt.MouseButton.LeftButton:
            return
        start, _ = self._brush
        self._brush = None
        self.update()
        counts = self.chart.counts
        if counts is None:
            return
        pos = event.position()
        if counts.kind == "histogram":
            self.chart.choose_bins(self.bin_at(start), self.bin_at(pos.x()))
            return
        mods = event.modifiers()
        add = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
        self.chart.click_bar(self.bar_at(pos.y()), add=add)

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        counts = self.chart.counts
        if counts is None:
            return
        p = QPainter(self)
        try:
            if counts.kind == "histogram":
                self._paint_histogram(p, counts)
            else:
                self._paint_bars(p, counts)
        finally:
            p.end()

    def _paint_bars(self, p: QPainter, counts: FacetCounts) -> None:
        area = self._bar_area()
        top = max(1, int(counts.total.max()) if counts.total.size else 1)
        chosen = counts.selection.values if isinstance(counts.selection, Categories) else None
        metrics = QFontMetrics(self.font())
        for i, label in enumerate(counts.labels):
            y = i * BAR_ROW
            total, filtered = int(counts.total[i]), int(counts.filtered[i])
            picked = chosen is not None and label in chosen
            p.setPen(TEXT_COLOUR if chosen is None or picked else MUTED_COLOUR)
            font = self.font()
            font.setBold(picked)
            p.setFont(font)
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 8)
            p.drawText(QRectF(0, y, LABEL_WIDTH - 6, BAR_ROW), Qt.AlignmentFlag.AlignVCenter, text)
            w_total = area.width() * total / top
            w_filtered = area.width() * filtered / top
            p.fillRect(QRectF(area.left(), y + 3, w_total, BAR_ROW - 6), TOTAL_COLOUR)
            colour = (
                FILTERED_COLOUR if chosen is None else CHOSEN_COLOUR if picked else FADED_COLOUR
            )
            p.fillRect(QRectF(area.left(), y + 3, w_filtered, BAR_ROW - 6), colour)
            p.setPen(MUTED_COLOUR)
            font.setBold(False)
            p.setFont(font)
            p.drawText(
                QRectF(area.right() + 4, y, COUNT_WIDTH - 6, BAR_ROW),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
                f"{_fmt(filtered)} / {_fmt(total)}",
            )

    def _paint_histogram(self, p: QPainter, counts: FacetCounts) -> None:
        n = len(counts.total)
        w = self.width() / max(1, n)
        top = max(1, int(counts.total.max()) if n else 1)
        chosen = counts.selection if isinstance(counts.selection, Range) else None
        edges = counts.edges if counts.edges is not None else np.arange(n + 1, dtype=float)
        for i in range(n):
            x = i * w
            h_total = HIST_HEIGHT * counts.total[i] / top
            h_filtered = HIST_HEIGHT * counts.filtered[i] / top
            p.fillRect(QRectF(x + 0.5, HIST_HEIGHT - h_total, w - 1, h_total), TOTAL_COLOUR)
            inside = chosen is None or (edges[i + 1] > chosen.lo and edges[i] < chosen.hi)
            colour = (
                FILTERED_COLOUR if chosen is None else CHOSEN_COLOUR if inside else FADED_COLOUR
            )
            p.fillRect(QRectF(x + 0.5, HIST_HEIGHT - h_filtered, w - 1, h_filtered), colour)
        if self._brush is not None:
            a, b = sorted(self._brush)
            p.fillRect(QRectF(a, 0, max(1.0, b - a), HIST_HEIGHT), BRUSH_COLOUR)
        p.setPen(QPen(MUTED_COLOUR))
        lo, hi = float(edges[0]), float(edges[-1])
        axis = QRectF(0, HIST_HEIGHT + 1, self.width(), HIST_AXIS - 1)
        p.drawText(axis, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), _fmt(lo))
        p.drawText(axis, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _fmt(hi))
        if chosen is not None:
            text = f"{_fmt(chosen.lo)} – {_fmt(chosen.hi)}" + (" (log bins)" if counts.log else "")
        else:
            text = "log bins" if counts.log else ""
        p.drawText(axis, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter), text)
