"""Mouse, keys and tools on the map: how :class:`~inspector.ui.map.map_view.MapView` turns input
into selections, hover previews and zoom.

Mouse: drag pans, wheel zooms, click selects the nearest point; Shift adds, Ctrl/Alt removes;
in the Pan tool a Shift or Ctrl/Alt drag draws a lasso, the Lasso and Rect tools select on a
plain drag. Keys (no letters, they are for labelling): ``+``/``=``, ``-``, ``0``, ``.``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from inspector.core.map.spatial import normalize_rect

if TYPE_CHECKING:
    from inspector.ui.map.map_view import MapView

HOVER_PX = 10.0  # how near the cursor a point must be to count as under it
HINTS = {
    "pan": "Drag: pan · Wheel: zoom · Click: select · Shift+drag: lasso add · "
    "Ctrl/Alt+drag: lasso remove · + − 0 . zoom, fit, frame selection",
    "lasso": "Drag: lasso (replaces) · Shift: add · Ctrl/Alt: remove · Wheel: zoom",
    "rect": "Drag: rectangle (replaces) · Shift: add · Ctrl/Alt: remove · Wheel: zoom",
}


class MapViewBox(pg.ViewBox):
    """A ViewBox that turns clicks, drags and hovering into map selection and previews."""

    def __init__(self, owner: MapInput) -> None:
        super().__init__(enableMenu=False, lockAspect=True, defaultPadding=0.03)
        self._owner = owner
        self._drag: tuple[str, str] | None = None  # (shape, op) of the drag in progress

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        ev.ignore()  # ViewBox zooms on +/- and Backspace; the map's own key table decides

    def hoverEvent(self, ev: object) -> None:
        if ev.isExit():
            self._owner._hover_at(None, None)
        else:
            self._owner._hover_at(self.mapToView(ev.pos()), ev.screenPos())

    def mouseClickEvent(self, ev: object) -> None:
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner._click_at(self.mapToView(ev.pos()), selection_op(ev.modifiers()))
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        if ev.isStart():
            op = selection_op(ev.modifiers())
            tool = self._owner.tool()
            shape = tool if tool != "pan" else ("lasso" if op != "replace" else "")
            self._drag = (shape, op) if shape else None
        if self._drag is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        shape, op = self._drag
        start, here = self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())
        self._owner._drag_to(shape, op, start, here, finished=ev.isFinish())
        if ev.isFinish():
            self._drag = None


def selection_op(modifiers: QtCore.Qt.KeyboardModifier) -> str:
    """What a click or drag with ``modifiers`` does to the selection: "replace", "add" (Shift)
    or "subtract" (Ctrl, Alt or Meta)."""
    m = QtCore.Qt.KeyboardModifier
    if modifiers & (m.ControlModifier | m.AltModifier | m.MetaModifier):
        return "subtract"
    if modifiers & m.ShiftModifier:
        return "add"
    return "replace"


def lasso_item() -> QtWidgets.QGraphicsPathItem:
    """The dashed outline a lasso or rectangle drag draws while it is in progress."""
    item = QtWidgets.QGraphicsPathItem()
    pen = QtGui.QPen(QtGui.QColor(20, 20, 20, 200), 1.2, QtCore.Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setBrush(QtGui.QColor(66, 103, 172, 30))
    return item


class MapInput:
    """The input half of :class:`~inspector.ui.map.map_view.MapView`, made by the view with
    itself: the tools, hover, click, lasso and rectangle selection, and the map's keys. It
    turns input into calls on the view (``set_selection``, ``set_current``, zoom)."""

    def __init__(self, view: MapView) -> None:
        self.view = view
        self._tool = "pan"
        self._tool_buttons: dict[str, QtWidgets.QToolButton] = {}
        self._lasso: list[QtCore.QPointF] = []

    # -- tools -----------------------------------------------------------------------------------

    def _add_tool_buttons(self, bar: QtWidgets.QHBoxLayout) -> None:
        """The Pan, Lasso and Rect buttons (one checked at a time), added to ``bar``."""
        self._tool_buttons = {}
        group = QtWidgets.QButtonGroup(self.view)
        for tool, text in (("pan", "Pan"), ("lasso", "Lasso"), ("rect", "Rect")):
            b = QtWidgets.QToolButton()
            b.setText(text)
            b.setCheckable(True)
            b.setAutoRaise(True)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, t=tool: self.set_tool(t))
            group.addButton(b)
            bar.addWidget(b)
            self._tool_buttons[tool] = b

    def set_tool(self, tool: str) -> None:
        """ "pan", "lasso" or "rect": what a plain left drag does."""
        if tool not in HINTS:
            raise ValueError(f"unknown map tool {tool!r}; use pan, lasso or rect")
        self._tool = tool
        self._tool_buttons[tool].setChecked(True)
        self.view._hint.setText(HINTS[tool])

    def tool(self) -> str:
        return self._tool

    # -- selecting by shape ----------------------------------------------------------------------

    def select_rect(
        self, rect: tuple[float, float, float, float], op: str = "replace", *, emit: bool = True
    ) -> np.ndarray:
        """Select the points inside ``rect`` = (x0, y0, x1, y1) in data units; op is
        "replace", "add" or "subtract". Returns the new selection."""
        index = self.view._base.index
        rows = index.rows_in_rect(normalize_rect(rect)) if index else np.empty(0, np.int64)
        return self._combine(rows, op, emit)

    def select_polygon(
        self, polygon: np.ndarray, op: str = "replace", *, emit: bool = True
    ) -> np.ndarray:
        """Select the points inside ``polygon`` ((m, 2) data coordinates). See :meth:`select_rect`."""
        index = self.view._base.index
        rows = index.rows_in_polygon(polygon) if index else np.empty(0, np.int64)
        return self._combine(rows, op, emit)

    def _combine(self, rows: np.ndarray, op: str, emit: bool) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        if op == "add":
            rows = np.union1d(self.view._selection, rows)
        elif op == "subtract":
            rows = np.setdiff1d(self.view._selection, rows, assume_unique=True)
        elif op != "replace":
            raise ValueError(f"selection op must be replace, add or subtract, not {op!r}")
        self.view.set_selection(rows, emit=emit)
        return self.view.selection()

    # -- hover, click and drag -------------------------------------------------------------------

    def row_at(self, x: float, y: float, max_px: float = HOVER_PX) -> int:
        """The row drawn under data point (x, y), within ``max_px`` screen pixels, or -1."""
        if self.view._base.index is None:
            return -1
        pw, ph = self.view._vb.viewPixelSize()
        scale = (1.0 / pw, 1.0 / ph) if pw > 0 and ph > 0 else (1.0, 1.0)
        return self.view._base.index.nearest(x, y, max_dist=max_px, scale=scale)

    def _hover_at(self, pos: QtCore.QPointF | None, screen_pos: QtCore.QPointF | None) -> None:
        row = -1 if pos is None else self.row_at(pos.x(), pos.y())
        if row == self.view._hovered:
            return
        self.view._hovered = row
        self.view._update_marks()
        self.view.hoveredChanged.emit(row)
        if row < 0 or screen_pos is None:
            QtWidgets.QToolTip.hideText()
            return
        QtWidgets.QToolTip.showText(screen_pos.toPoint(), self.preview_html(row), self.view._view)

    def preview_html(self, row: int) -> str:
        """The hover preview for ``row``: its id and the provider's text, shortened."""
        head = f"#{row + 1}" + (  # 1-based, as the table and the reader count
            f" · {self.view._ids[row]}" if self.view._ids is not None else ""
        )
        body = ""
        if self.view._preview is not None:
            try:
                body = str(self.view._preview(row))
            except Exception as exc:  # a preview must never break hovering
                body = f"(no preview: {exc})"
        if len(body) > 600:
            body = body[:599] + "…"
        return (
            f"<div style='max-width: 420px'><b>{html.escape(head)}</b>"
            f"<div style='white-space: pre-wrap'>{html.escape(body)}</div></div>"
        )

    def _click_at(self, pos: QtCore.QPointF, op: str) -> None:
        row = self.row_at(pos.x(), pos.y())
        if row < 0:
            if op == "replace" and self.view._selection.size:
                self.view.set_selection([], emit=True)
            return
        self._combine(np.array([row]), op, emit=True)
        if op != "subtract":
            self.view.set_current(row, emit=True)

    def _drag_to(
        self, shape: str, op: str, start: QtCore.QPointF, here: QtCore.QPointF, finished: bool
    ) -> None:
        if shape == "rect":
            rect = QtCore.QRectF(start, here).normalized()
            path = QtGui.QPainterPath()
            path.addRect(rect)
        else:
            if not self._lasso:
                self._lasso = [start]
            self._lasso.append(here)
            path = QtGui.QPainterPath(self._lasso[0])
            for p in self._lasso[1:]:
                path.lineTo(p)
            path.closeSubpath()
        self.view._lasso_item.setPath(path)
        self.view._lasso_item.setVisible(not finished)
        if not finished:
            return
        if shape == "rect":
            self.select_rect((rect.left(), rect.top(), rect.right(), rect.bottom()), op)
        else:
            self.select_polygon(np.array([(p.x(), p.y()) for p in self._lasso]), op)
        self._lasso = []

    # -- keys ------------------------------------------------------------------------------------

    def _key_pressed(self, ev: QtGui.QKeyEvent) -> bool:
        """Run the map's action for the key ``ev`` (when the map handles its own keys); True
        when one ran."""
        if not self.view._handle_keys:
            return False
        mods = ev.modifiers() & ~QtCore.Qt.KeyboardModifier.KeypadModifier
        action = self.key_actions().get(ev.key())
        if action is not None and not mods & ~QtCore.Qt.KeyboardModifier.ShiftModifier:
            action()
            return True
        return False

    def key_actions(self) -> dict[int, Callable[[], None]]:
        """The map's default keys (Qt key code → method); letters stay free for labelling."""
        k = QtCore.Qt.Key
        return {
            k.Key_Plus: self.view.zoom_in,
            k.Key_Equal: self.view.zoom_in,
            k.Key_Minus: self.view.zoom_out,
            k.Key_0: self.view.fit_all,
            k.Key_Period: self.view.frame_selection,
        }
