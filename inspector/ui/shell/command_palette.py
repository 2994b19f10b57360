"""The command palette: Ctrl+Shift+P, type a few letters of any action, Enter runs it.

It lists every action in the window's :class:`~inspector.ui.common.actions.ActionRegistry` with its
menu and current keys. Typed letters match in order, not necessarily side by side
(``zi`` finds *Zoom In*, ``map fit`` finds *Map ▸ Fit All*); the best matches come first.
Actions that cannot run now are shown greyed and skipped by the arrow keys. With the box
empty, the actions run from here most recently come first (remembered in the settings).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from inspector.ui.common.actions import ActionRegistry, ActionSpec, plain_title

if TYPE_CHECKING:
    from inspector.ui.shell.main_window import MainWindow

PALETTE_ID = "help.command_palette"
RECENT_KEY = "command_palette/recent"
MAX_RECENT = 8
ROWS_SHOWN = 12
MUTED = "#6b7280"
DISABLED_COST = 3.0

MENU_ROLE = Qt.ItemDataRole.UserRole + 1
KEYS_ROLE = Qt.ItemDataRole.UserRole + 2
ID_ROLE = Qt.ItemDataRole.UserRole + 3

_NONE = float("-inf")


def fuzzy_score(query: str, text: str) -> float | None:
    """How well the letters of ``query`` appear, in order, in ``text``; None if they do not.

    Letters that start a word and letters next to the previous match score more; each gap
    and a late first letter cost a little, so ``zi`` ranks *Zoom In* above *Resize Image*."""
    q, t = query.lower(), text.lower()
    if not q:
        return 0.0
    n = len(t)
    if len(q) > n:
        return None
    start = [
        j == 0 or not t[j - 1].isalnum() or (text[j].isupper() and text[j - 1].islower())
        for j in range(n)
    ]
    prev: list[float] = []
    for i, ch in enumerate(q):
        cur = [_NONE] * n
        far = _NONE  # best score of the letters before, ending two or more places back
        for j in range(n):
            if i and j >= 2:
                far = max(far, prev[j - 2])
            if t[j] != ch:
                continue
            gain = 3.0 if start[j] else 1.0
            if i == 0:
                cur[j] = gain - 0.05 * j
                continue
            best = max(prev[j - 1] + 2.0 if j else _NONE, far - 1.0)
            if best > _NONE:
                cur[j] = best + gain
        prev = cur
    best = max(prev)
    return None if best == _NONE else best


def match_score(query: str, title: str, menu: str) -> float | None:
    """Every word of ``query`` must match the title or the menu (the title counts more)."""
    total = 0.0
    for word in query.split():
        scores = [
            fuzzy_score(word, title),
            _minus(fuzzy_score(word, menu), 1.0),
            _minus(fuzzy_score(word, f"{menu} {title}"), 2.0),
        ]
        found = [s for s in scores if s is not None]
        if not found:
            return None
        total += max(found)
    return total


def _minus(score: float | None, cost: float) -> float | None:
    return None if score is None else score - cost


@dataclass
class Entry:
    """One row of the palette."""

    id: str
    title: str
    menu: str
    keys: list[str]  # as the platform writes them
    enabled: bool
    tip: str


def entries(registry: ActionRegistry, query: str, recent: Sequence[str] = ()) -> list[Entry]:
    """The palette's rows for ``query``: best matches first (runnable before greyed at equal
    score); with no query, ``recent`` ids first, then menu by menu."""
    registry.update_enabled()
    specs = [s for s in registry.in_menu_order() if s.id != PALETTE_ID]
    query = query.strip()
    if not query:
        rank = {id_: i for i, id_ in enumerate(recent)}
        specs.sort(key=lambda s: rank.get(s.id, len(rank)))
        return [_entry(s) for s in specs]
    scored = []
    for pos, spec in enumerate(specs):
        entry = _entry(spec)
        score = match_score(query, entry.title, entry.menu)
        if score is not None:
            # what can run now goes a little higher: the top row should be runnable
            score -= 0 if entry.enabled else DISABLED_COST
            scored.append((-score, not entry.enabled, pos, entry))
    scored.sort(key=lambda t: t[:3])
    return [t[3] for t in scored]


def _entry(spec: ActionSpec) -> Entry:
    action = spec.action
    title = plain_title(action.text() or spec.title)
    if action.isCheckable():
        title += " (on)" if action.isChecked() else " (off)"
    keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()]
    return Entry(
        spec.id, title, spec.menu or "Other", keys, action.isEnabled(), spec.tip or action.toolTip()
    )


class _RowDelegate(QStyledItemDelegate):
    """Title, its menu (muted), and the keys as key caps on the right."""

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(200, QFontMetrics(option.font).height() + 12)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget
            )
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_colour = opt.palette.color(group, role)
        muted = QColor(text_colour if selected else MUTED)
        if not enabled:
            muted.setAlpha(130)
        rect = opt.rect.adjusted(10, 0, -8, 0)
        fm = QFontMetrics(opt.font)
        painter.save()
        painter.setFont(opt.font)
        # key caps, right to left
        right = rect.right()
        for key in reversed(index.data(KEYS_ROLE) or []):
            w = fm.horizontalAdvance(key) + 10
            cap = QRect(right - w, rect.top() + 4, w, rect.height() - 8)
            painter.setPen(muted)
            painter.drawRoundedRect(cap, 3, 3)
            painter.setPen(text_colour)
            painter.drawText(cap, Qt.AlignmentFlag.AlignCenter, key)
            right -= w + 4
        title = index.data(Qt.ItemDataRole.DisplayRole) or ""
        menu = index.data(MENU_ROLE) or ""
        space = max(0, right - rect.left() - 12)
        title = fm.elidedText(title, Qt.TextElideMode.ElideRight, space)
        align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.setPen(text_colour)
        painter.drawText(rect.adjusted(0, 0, -(rect.right() - right), 0), align, title)
        left = rect.left() + fm.horizontalAdvance(title) + 12
        if menu and left + fm.horizontalAdvance(menu) < right - 8:
            painter.setPen(muted)
            painter.drawText(QRect(left, rect.top(), right - left, rect.height()), align, menu)
        painter.restore()


class CommandPalette(QFrame):
    """A small popup over the window: a search box over the list of actions."""

    ran = Signal(str)  # action id, after it was triggered from here

    def __init__(self, registry: ActionRegistry, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.registry = registry
        self.setObjectName("command_palette")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit()
        self.search.setObjectName("command_palette_search")
        self.search.setPlaceholderText("Type a command…")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.search.textChanged.connect(self.refill)
        self.list = QListWidget()
        self.list.setObjectName("command_palette_list")
        self.list.setItemDelegate(_RowDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemClicked.connect(lambda item: self.run_item(item))
        self.empty = QLabel("No command matches.")
        self.empty.setStyleSheet(f"color: {MUTED}; padding: 8px;")
        self.hint = QLabel("↑↓ move · Enter run · Esc close")
        self.hint.setStyleSheet(f"color: {MUTED}; font-size: 8pt;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.hint)

    # -- showing ------------------------------------------------------------------------------
    def open(self) -> None:
        """Show the palette at the top of the window with an empty box."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.refill()
        self._place()
        self.show()
        self.raise_()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def _place(self) -> None:
        window = self.parentWidget()
        if window is None:
            return
        width = min(640, max(380, window.width() // 2))
        self.setFixedWidth(width)
        self._fit()
        bar = window.menuBar() if isinstance(window, QMainWindow) else None
        top = bar.geometry().bottom() + 8 if bar is not None else 40
        self.move(window.mapToGlobal(QPoint((window.width() - width) // 2, top)))

    def refill(self) -> None:
        """The rows for the text in the box; the first runnable one is current."""
        self.list.clear()
        current = None
        for entry in entries(self.registry, self.search.text(), self.recent()):
            item = QListWidgetItem(entry.title)
            item.setData(MENU_ROLE, entry.menu)
            item.setData(KEYS_ROLE, entry.keys)
            item.setData(ID_ROLE, entry.id)
            if entry.tip:
                item.setToolTip(entry.tip)
            if not entry.enabled:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            elif current is None:
                current = item
            self.list.addItem(item)
        if current is not None:
            self.list.setCurrentItem(current)
        self.list.scrollToTop()
        self.list.setVisible(self.list.count() > 0)
        self.empty.setVisible(self.list.count() == 0)
        self._fit()

    def _fit(self) -> None:
        """As tall as the rows shown (up to ROWS_SHOWN), growing down from the box."""
        rows = max(1, min(self.list.count(), ROWS_SHOWN))
        row_h = self.list.sizeHintForRow(0) if self.list.count() else 24
        self.list.setFixedHeight(rows * row_h + 2 * self.list.frameWidth() + 2)
        self.adjustSize()

    def shown_ids(self) -> list[str]:
        """The action ids listed now, top to bottom."""
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    # -- moving and running -------------------------------------------------------------------
    def move_current(self, step: int) -> None:
        """Move to the next runnable row ``step`` rows up or down (stopping at the ends)."""
        rows = [
            i
            for i in range(self.list.count())
            if self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled
        ]
        if not rows:
            return
        at = self.list.currentRow()
        if at not in rows:
            target = rows[0]
        else:
            k = rows.index(at) + step
            target = rows[max(0, min(len(rows) - 1, k))]
        self.list.setCurrentRow(target)

    def run_item(self, item: QListWidgetItem | None) -> None:
        """Close and run the row's action (a greyed row does nothing)."""
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        id_ = item.data(ID_ROLE)
        self._remember(id_)
        self.hide()
        # After the popup has gone, so focus is back in the window for the action.
        QTimer.singleShot(0, self.registry, lambda: self._run(id_))

    def _run(self, id_: str) -> None:
        self.registry.trigger(id_)
        self.ran.emit(id_)

    # -- recently run -------------------------------------------------------------------------
    def recent(self) -> list[str]:
        try:
            ids = json.loads(str(QSettings().value(RECENT_KEY, "[]")))
        except json.JSONDecodeError:
            return []
        return [i for i in ids if isinstance(i, str) and i in self.registry]

    def _remember(self, id_: str) -> None:
        ids = [id_] + [i for i in self.recent() if i != id_]
        QSettings().setValue(RECENT_KEY, json.dumps(ids[:MAX_RECENT]))

    # -- keys ---------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            return self._key(event)  # type: ignore[arg-type]
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._key(event):
            super().keyPressEvent(event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        page = max(1, ROWS_SHOWN - 1)
        moves: dict[int, int] = {
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: page,
            Qt.Key.Key_PageUp: -page,
        }
        if key in moves:
            self.move_current(moves[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.run_item(self.list.currentItem())
        elif key == Qt.Key.Key_Escape or self._is_palette_key(event):
            self.hide()
        else:
            return False
        event.accept()
        return True

    def _is_palette_key(self, event: QKeyEvent) -> bool:
        """The palette's own key closes it again."""
        if PALETTE_ID not in self.registry:
            return False
        pressed = QKeySequence(event.keyCombination())
        return any(
            s.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
            for s in self.registry[PALETTE_ID].shortcuts()
        )


def show_command_palette(window: MainWindow) -> CommandPalette:
    """Open the window's palette (made on first use, kept in ``window.features``)."""
    palette = window.features.command_palette
    if palette is None:
        palette = CommandPalette(window.actions, window)
        window.features.command_palette = palette
    palette.open()
    return palette
