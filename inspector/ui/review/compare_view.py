"""The compare view: one prompt with all its answers side by side, and keys that pick.

Answers sit in scrolling columns (Markdown rendered, each at least ``COLUMN_MIN_WIDTH`` wide;
more than fit the width scroll sideways). The keys are a table (:data:`KEYS`): ``1``-``9``
mark that answer the best, ``Shift+1``-``9`` the worst, ``=`` a tie, ``Space`` skips to the
next prompt, ``Backspace`` goes back one, ``Ctrl+Z`` / ``Ctrl+Shift+Z`` undo and redo. Each
mark is a :class:`~inspector.core.pairs.decisions.Compare` command applied through the
project's :class:`~inspector.core.labels.labelbook.LabelBook`, so it has undo like every
label. A prompt whose best and worst are both marked, or that is a tie, moves the view on to
the next prompt.

The widget is self-contained: it takes the label book and the prompt groups
(:func:`inspector.core.pairs.groups.prompt_groups`) and emits :attr:`CompareView.changed`
with each command's :class:`~inspector.core.labels.commands.Changes` so a window can refresh
what the change touched. While it has focus it claims its keys before the window's shortcuts
(ShortcutOverride), as the review view does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector.core.pairs.decisions import BEST, TIE, WORST, Compare, parse_tag

if TYPE_CHECKING:
    from inspector.core.labels.commands import Changes
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.pairs.groups import PromptGroup

COLUMN_MIN_WIDTH = 360
MAX_KEYED = 9  # answers 1-9 have keys; more are shown and counted but cannot be picked
MARK_TEXT = {BEST: "best", WORST: "worst", TIE: "tie"}
MARK_COLOUR = {BEST: "#15803d", WORST: "#b91c1c", TIE: "#1d4ed8"}
# Shift+digit arrives as the shifted symbol on most layouts (US: !@#$%^&*()
SHIFTED_DIGITS = {
    Qt.Key.Key_Exclam: 1,
    Qt.Key.Key_At: 2,
    Qt.Key.Key_NumberSign: 3,
    Qt.Key.Key_Dollar: 4,
    Qt.Key.Key_Percent: 5,
    Qt.Key.Key_AsciiCircum: 6,
    Qt.Key.Key_Ampersand: 7,
    Qt.Key.Key_Asterisk: 8,
    Qt.Key.Key_ParenLeft: 9,
}

#: The keys, as data: (key text, what it does). :meth:`CompareView.action_for` reads events.
KEYS: tuple[tuple[str, str], ...] = (
    ("1-9", "mark that answer the best"),
    ("Shift+1-9", "mark that answer the worst"),
    ("=", "a tie: no answer is better"),
    ("Space", "skip to the next prompt"),
    ("Backspace", "back to the previous prompt"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z", "redo"),
)


def hint_text(rows: Sequence[tuple[str, str]]) -> str:
    """The hint line: each (keys, what) row, "no key" where the keys are empty."""
    return " · ".join(f"{keys or 'no key:'} {what}" for keys, what in rows)


class MarkdownBrowser(QTextBrowser):
    """Read-only Markdown that never loads a resource: an answer's ``![](file:///…)`` or
    a link must not read local files or reach the network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the view
        self.setFrameShape(QFrame.Shape.NoFrame)

    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802 (Qt's name)
        return None


class CompareView(QWidget):
    """One prompt and its answers side by side; keys mark the best, the worst or a tie."""

    changed = Signal(object)  # Changes of a command, an undo or a redo
    moved = Signal(int)  # the prompt shown (position in ``groups``)
    finished = Signal()  # moved past the last prompt

    def __init__(
        self, book: LabelBook, groups: list[PromptGroup], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compare_view")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.book = book
        self.groups = groups
        self.position = 0
        self.header = QLabel()
        self.header.setObjectName("compare_header")
        self.prompt = MarkdownBrowser()
        self.prompt.setObjectName("compare_prompt")
        self.prompt.setMaximumHeight(180)
        self.columns = QWidget()
        self.columns_layout = QHBoxLayout(self.columns)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.columns)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.keys_hint = QLabel(hint_text(KEYS))
        self.keys_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.prompt)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.keys_hint)
        self.answer_titles: list[QLabel] = []
        self.answer_views: list[MarkdownBrowser] = []
        # a window's key table (its keymap) in place of :data:`KEYS`: event -> action or None
        self.keys_from: Callable[[QKeyEvent], Callable[[], None] | None] | None = None
        # the key shown on each answer's title (the "best" key; a keymap may change it)
        self.answer_keys: list[str] = [str(n) for n in range(1, MAX_KEYED + 1)]
        self.show_group(0)

    def set_keys_shown(self, hint: Sequence[tuple[str, str]], answer_keys: list[str]) -> None:
        """Show a keymap's keys: the hint line's (keys, what) rows and each answer's key."""
        self.keys_hint.setText(hint_text(hint))
        self.answer_keys = list(answer_keys)
        self.refresh_marks()

    # -- what is shown -----------------------------------------------------------------------
    @property
    def group(self) -> PromptGroup | None:
        return self.groups[self.position] if 0 <= self.position < len(self.groups) else None

    def show_group(self, position: int) -> None:
        """Show prompt ``position`` (clamped; past the end shows that all are done)."""
        self.position = max(0, min(position, len(self.groups)))
        for i in reversed(range(self.columns_layout.count())):
            item = self.columns_layout.takeAt(i)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.answer_titles, self.answer_views = [], []
        group = self.group
        if group is None:
            self.header.setText(f"All {len(self.groups):,} prompts seen.")
            self.prompt.setMarkdown("")
            return
        self.prompt.setMarkdown(group.prompt)
        for answer in group.answers:
            column = QFrame()
            column.setFrameShape(QFrame.Shape.StyledPanel)
            column.setMinimumWidth(COLUMN_MIN_WIDTH)
            box = QVBoxLayout(column)
            title = QLabel()
            title.setTextFormat(Qt.TextFormat.RichText)
            view = MarkdownBrowser()
            view.setMarkdown(answer.text)
            box.addWidget(title)
            box.addWidget(view, 1)
            self.columns_layout.addWidget(column, 1)
            self.answer_titles.append(title)
            self.answer_views.append(view)
        self.refresh_marks()
        self.moved.emit(self.position)

    def marks(self) -> dict[int, set[str]]:
        """The current prompt's marks as stored: answer position → {best, worst, tie}."""
        group = self.group
        out: dict[int, set[str]] = {}
        if group is None:
            return out
        states = {a.id: self.book.state(a.id) for a in group.answers}
        for i, answer in enumerate(group.answers):
            state = states[answer.id]
            for tag in state.tags if state else ():
                parsed = parse_tag(tag)
                if parsed and parsed[1] == answer.index:
                    out.setdefault(i, set()).add(parsed[0])
        return out

    def refresh_marks(self) -> None:
        group = self.group
        if group is None:
            return
        marks = self.marks()
        for i, (title, answer) in enumerate(zip(self.answer_titles, group.answers)):
            key = self.answer_keys[i] if i < len(self.answer_keys) else ""
            text = f"<b>{escape(key or '–')}</b>"
            if answer.label:
                text += f" · {escape(answer.label)}"
            for mark in (BEST, WORST, TIE):
                if mark in marks.get(i, set()):
                    text += f' · <b style="color:{MARK_COLOUR[mark]}">{MARK_TEXT[mark]}</b>'
            title.setText(text)
        n = len(group.answers)
        more = f" (answers past {MAX_KEYED} have no key)" if n > MAX_KEYED else ""
        self.header.setText(
            f"Prompt {self.position + 1:,} of {len(self.groups):,} · {n} answers{more}"
        )

    # -- keys ------------------------------------------------------------------------------
    def action_for(self, event: QKeyEvent) -> Callable[[], None] | None:
        """What a key press does here (None: not one of :data:`KEYS`, or of ``keys_from``)."""
        if self.keys_from is not None:
            return self.keys_from(event)
        key = Qt.Key(event.key())
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if ctrl and key == Qt.Key.Key_Z:
            return self.redo if shift else self.undo
        if ctrl:
            return None
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            n = int(key) - int(Qt.Key.Key_1)
            return lambda: self.mark(WORST if shift else BEST, n)
        if key in SHIFTED_DIGITS:
            n = SHIFTED_DIGITS[key] - 1
            return lambda: self.mark(WORST, n)
        if key == Qt.Key.Key_Equal:
            return lambda: self.mark(TIE, None)
        if key == Qt.Key.Key_Space:
            return self.skip
        if key == Qt.Key.Key_Backspace:
            return self.back
        return None

    def event(self, event: QEvent) -> bool:
        # claim our keys before the window's shortcuts see them
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self.action_for(event) is not None:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        action = self.action_for(event)
        if action is None or event.isAutoRepeat():
            super().keyPressEvent(event)
            return
        event.accept()
        action()

    # -- actions ---------------------------------------------------------------------------
    def mark(self, choice: str, answer: int | None) -> Changes | None:
        """Mark ``answer`` best or worst, or the prompt a tie; move on once decided."""
        group = self.group
        if group is None or (answer is not None and answer >= min(len(group.answers), MAX_KEYED)):
            return None
        changes = self.book.execute(Compare(group, choice, answer))  # type: ignore[arg-type]
        self.changed.emit(changes)
        marks = self.marks()
        decided = any(TIE in m for m in marks.values()) or (
            any(BEST in m for m in marks.values()) and any(WORST in m for m in marks.values())
        )
        if decided:
            self.skip()
        else:
            self.refresh_marks()
        return changes

    def skip(self) -> None:
        self.show_group(self.position + 1)
        if self.group is None:
            self.finished.emit()

    def back(self) -> None:
        self.show_group(self.position - 1)

    def undo(self) -> None:
        changes = self.book.undo()
        self._after_history(changes)

    def redo(self) -> None:
        changes = self.book.redo()
        self._after_history(changes)

    def _after_history(self, changes: Changes | None) -> None:
        if changes is None:
            return
        self.changed.emit(changes)
        # show the prompt the undone (or redone) command touched
        touched = set(changes.ids)
        for i, g in enumerate(self.groups):
            if any(a.id in touched for a in g.answers):
                if i != self.position:
                    self.show_group(i)
                    return
                break
        self.refresh_marks()
