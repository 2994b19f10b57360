"""The review session's face: one sample large (or a duplicate group side by side), the
progress, the sample's decision and tags, and the keys.

It draws a :class:`~inspector.ui.review.labelling.ReviewSession` and turns key presses into action
ids from the window's action table (the keymap is data: ``labels.keymap`` and the user's
keys). While it has focus it claims its keys before the window's shortcuts see them
(ShortcutOverride), so ``J``, ``?`` or Backspace mean the session's action here and the
window's elsewhere. Keys are handled synchronously, in the order they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core.data.dataset import LENGTH
from inspector.core.data.render import render_record
from inspector.core.labels import states
from inspector.ui.common.sample_view import MONO, MUTED, SampleView, sample_html
from inspector.ui.common.table_roles import locator
from inspector.ui.review.labelling import MAX_KEEPER_KEYS

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.ui.review.labelling import LabelsHub, ReviewSession

COLUMN_MAX_WIDTH = 980  # a sample reads best as a column, not across a wide screen
MAX_GROUP_CARDS = 12  # members drawn side by side; the rest are counted
GROUP_COLUMNS = 4  # at most this many members fit the width; more scroll sideways
REPEATABLE = frozenset({"review.next", "review.previous"})  # holding a decision key: once
SCROLL_KEYS = frozenset(
    {
        Qt.Key.Key_Up,
        Qt.Key.Key_Down,
        Qt.Key.Key_PageUp,
        Qt.Key.Key_PageDown,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
    }
)
TEXT = "#1f2937"
BORDER = "#e5e7eb"
NONE_COLOUR = "#9ca3af"

KeyTable = dict[tuple[int, int], str]


def key_table(bindings: dict[str, list[str]]) -> KeyTable:
    """(key, modifiers) -> action id for the first chord of each binding."""
    table: KeyTable = {}
    for action_id, keys in bindings.items():
        for text in keys:
            seq = QKeySequence(text)
            if seq.isEmpty():
                continue
            combo = seq[0]
            table[(int(combo.key().value), int(combo.keyboardModifiers().value))] = action_id
    return table


def _event_keys(event: QKeyEvent) -> list[tuple[int, int]]:
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    key = int(event.key())
    out = [(key, int(mods.value))]
    if mods & Qt.KeyboardModifier.ShiftModifier:  # "?" arrives as Shift+?
        out.append((key, int((mods & ~Qt.KeyboardModifier.ShiftModifier).value)))
    return out


def show_sample(view: SampleView, dataset: Dataset, row: int) -> None:
    """``view.show_row(dataset, row)``, reading the row by slicing first: ``Dataset.record``
    selects the columns of the whole frame before taking the row, ~20 ms at a million rows,
    which is most of a key press's budget."""
    record = dataset.frame.slice(row, 1).select(dataset.user_columns).row(0, named=True)
    html = sample_html(
        render_record(record, dataset.spec),
        ident=str(dataset.ids[row]),
        where=locator(dataset, row),
        length=int(dataset.frame[LENGTH][row]),
        markdown=not view.raw,
    )
    view.row = row
    view.current_html = html
    view.setHtml(html)
    view.verticalScrollBar().setValue(0)


def pill(text: str, colour: str, *, filled: bool = True) -> str:
    if filled:
        style = f"background-color:{colour}; color:#ffffff;"
    else:
        style = f"color:{colour};"
    return f"<span style='{style} font-weight:600'>&nbsp;{escape(text)}&nbsp;</span>"


class ReviewView(QWidget):
    """Draws a session; ``on_key(action_id)`` is called for each key the table maps."""

    def __init__(self, hub: LabelsHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_view")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # white, not grey
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hub = hub
        self.session: ReviewSession | None = None
        self.keys: KeyTable = {}
        self.on_key: Callable[[str], None] | None = None
        self.hints: list[tuple[str, str]] = []  # (keys, what) for the hint line
        self._cards: list[_MemberCard] = []
        self._build()

    def _build(self) -> None:
        self.setStyleSheet(
            "#review_view { background: #ffffff; }"
            f"#review_header {{ background: #f9fafb; border-bottom: 1px solid {BORDER}; }}"
            f"#review_title {{ color: {TEXT}; font-weight: 600; }}"
            f"#review_progress {{ color: {MUTED}; }}"
            f"#review_hints {{ color: {MUTED}; }}"
        )
        self.title_label = QLabel(objectName="review_title")
        self.progress_label = QLabel(objectName="review_progress")
        self.badge = QLabel(objectName="review_badge")
        self.badge.setTextFormat(Qt.TextFormat.RichText)
        head = QWidget(objectName="review_header")
        row = QHBoxLayout(head)
        row.setContentsMargins(16, 8, 16, 8)
        row.setSpacing(14)
        row.addWidget(self.title_label)
        row.addWidget(self.progress_label)
        row.addStretch(1)
        row.addWidget(self.badge)
        self.bar = _ThinBar()

        # one sample: a readable column in the middle
        self.sample = SampleView()
        self.sample.setObjectName("review_sample")
        self.sample.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sample.setMaximumWidth(COLUMN_MAX_WIDTH)
        single = QWidget()
        middle = QHBoxLayout(single)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addStretch(1)
        middle.addWidget(self.sample, 100)
        middle.addStretch(1)

        # a duplicate group: members side by side, scrolling sideways past four
        self.group_area = QScrollArea()
        self.group_area.setObjectName("review_group")
        self.group_area.setFrameShape(QFrame.Shape.NoFrame)
        self.group_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.group_area.setWidgetResizable(True)
        self.group_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.group_row = QWidget()
        self.group_layout = QHBoxLayout(self.group_row)
        self.group_layout.setContentsMargins(12, 12, 12, 12)
        self.group_layout.setSpacing(12)
        self.group_area.setWidget(self.group_row)
        self.group_area.viewport().installEventFilter(self)
        self.group_note = QLabel(objectName="review_group_note")
        self.group_note.setStyleSheet(f"color: {MUTED}; padding: 0 16px;")
        group = QWidget()
        gl = QVBoxLayout(group)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.setSpacing(0)
        gl.addWidget(self.group_area, 1)
        gl.addWidget(self.group_note)

        self.done_label = QLabel(objectName="review_done")
        self.done_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_label.setWordWrap(True)
        self.done_label.setTextFormat(Qt.TextFormat.RichText)

        self.pages = QStackedWidget()
        for page in (single, group, self.done_label):
            self.pages.addWidget(page)

        self.tags_label = QLabel(objectName="review_tags")
        self.tags_label.setTextFormat(Qt.TextFormat.RichText)
        self.tags_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tags_label.setWordWrap(True)
        self.hint_label = QLabel(objectName="review_hints")
        self.hint_label.setTextFormat(Qt.TextFormat.RichText)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        foot = QWidget(objectName="review_footer")
        fl = QVBoxLayout(foot)
        fl.setContentsMargins(16, 6, 16, 8)
        fl.setSpacing(4)
        fl.addWidget(self.tags_label)
        fl.addWidget(self.hint_label)
        foot.setStyleSheet(f"#review_footer {{ border-top: 1px solid {BORDER}; }}")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.pages, 1)
        layout.addWidget(foot)

    # -- the session -------------------------------------------------------------------------
    def set_session(self, session: ReviewSession | None) -> None:
        if self.session is not None:
            for sig, slot in self._slots():
                try:
                    sig.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.session = session
        if session is not None:
            for sig, slot in self._slots():
                sig.connect(slot)
            self.title_label.setText(session.title)
            self.show_item()

    def _slots(self):
        assert self.session is not None
        return [(self.session.moved, self.show_item), (self.session.labelsChanged, self.show_marks)]

    def set_keys(self, table: KeyTable, hints: list[tuple[str, str]]) -> None:
        self.keys = table
        self.hints = hints
        self._show_hints()

    def show_item(self) -> None:
        """Draw the item the session holds as current (and its marks)."""
        s = self.session
        dataset = self.hub.project.dataset if self.hub.project is not None else None
        if s is None or dataset is None:
            return
        if s.done:
            self.pages.setCurrentIndex(2)
            self._show_done()
        elif s.is_groups:
            self.pages.setCurrentIndex(1)
            self._show_group()
        else:
            self.pages.setCurrentIndex(0)
            row = s.current_row()
            if row is not None and self.sample.row != row:
                show_sample(self.sample, dataset, row)
        self.show_marks()

    def show_marks(self) -> None:
        """Progress, the decision badge and the tags of the item on screen."""
        s = self.session
        if s is None:
            return
        self.progress_label.setText(s.progress_text())
        self.bar.set_fraction(s.decided_fraction())
        row = s.current_row()
        if s.done or row is None:
            self.badge.setText("")
            self.tags_label.setText(self._tags_html(()))
            return
        if s.is_groups:
            self._mark_cards()
            kinds = {self.hub.decision_of(int(r)) for r in s.current_rows()}
            self.badge.setText(self._badge_html(kinds.pop() if len(kinds) == 1 else "mixed"))
            self.tags_label.setText("")
            return
        state = self.hub.state(row)
        self.badge.setText(self._badge_html(state.decision, state.note))
        self.tags_label.setText(self._tags_html(state.tags))

    # -- pieces --------------------------------------------------------------------------------
    def _badge_html(self, decision: str | None, note: str | None = None) -> str:
        if decision is None:
            html = pill("no decision", NONE_COLOUR, filled=False)
        elif decision == "mixed":
            html = pill("mixed", MUTED, filled=False)
        else:
            title = self.hub.label_set.decision(decision).title
            html = pill(title.upper(), self.hub.colour(decision))
        if note:
            short = note if len(note) <= 60 else note[:59] + "…"
            html = f"<span style='color:{MUTED}'>{escape(short)}</span>&nbsp;&nbsp;" + html
        return html

    def _tags_html(self, active: tuple[str, ...]) -> str:
        chips = []
        on = set(active)
        for tag in self.hub.label_set.tags:
            key = f"<span style='font-family:{MONO}'>{escape(tag.key or '')}</span>"
            if tag.name in on:
                chips.append(f"{key}&nbsp;{pill(tag.name, tag.colour)}")
            else:
                chips.append(f"{key}&nbsp;<span style='color:{MUTED}'>{escape(tag.name)}</span>")
        extra = [t for t in active if t not in {x.name for x in self.hub.label_set.tags}]
        chips += [pill(t, MUTED) for t in extra]
        return "&nbsp;&nbsp;&nbsp; ".join(chips)

    def _show_hints(self) -> None:
        parts = [
            f"<b style='color:{TEXT}; font-family:{MONO}'>{escape(k)}</b>&nbsp;{escape(w)}"
            for k, w in self.hints
            if k
        ]
        self.hint_label.setText("&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts))

    def _show_done(self) -> None:
        s = self.session
        assert s is not None
        p = s.progress()
        if not len(s):
            text = "Nothing to review in this list."
        else:
            text = (
                f"<p style='font-size:15pt; color:{TEXT}'>End of the list</p>"
                f"<p style='color:{MUTED}'>{p['total']:,} {'groups' if s.is_groups else 'samples'}"
                f" · {p['drop']:,} drop · {p['keep']:,} keep · {p['unsure']:,} unsure</p>"
            )
        self.done_label.setText(
            text + f"<p style='color:{MUTED}'>← to go back · Esc to leave the session</p>"
        )

    def _show_group(self) -> None:
        s = self.session
        assert s is not None and self.hub.project is not None
        dataset = self.hub.project.dataset
        members = s.current_rows()
        shown = members[:MAX_GROUP_CARDS]
        while len(self._cards) < len(shown):
            card = _MemberCard(self.group_row)
            self._cards.append(card)
            self.group_layout.addWidget(card)
        for i, card in enumerate(self._cards):
            if i < len(shown):
                row = int(shown[i])
                sim = s.similarity.get(str(dataset.ids[row]))
                card.show_member(dataset, row, i + 1 if i < MAX_KEEPER_KEYS else None, sim)
                card.show()
            else:
                card.hide()
        more = len(members) - len(shown)
        reason = s.group_reasons.get(s.group_id() or "", "")
        note = f"{len(members)} members" + (f" · {reason.replace('_', ' ')}" if reason else "")
        if more > 0:
            note += f" · {more} more not shown (a, x and space apply to all of them)"
        self.group_note.setText(note)
        self._size_cards()
        self.group_area.horizontalScrollBar().setValue(0)

    def _mark_cards(self) -> None:
        s = self.session
        assert s is not None
        for card in self._cards:
            if not card.isHidden() and card.row is not None:
                card.mark(self.hub, self.hub.decision_of(card.row))

    def _size_cards(self) -> None:
        visible = [c for c in self._cards if not c.isHidden()]
        if not visible:
            return
        n = min(len(visible), GROUP_COLUMNS)
        width = self.group_area.viewport().width() - 24 - 12 * (n - 1)
        for card in visible:
            card.setFixedWidth(max(220, width // n))

    # -- keys ----------------------------------------------------------------------------------
    def action_for(self, event: QKeyEvent) -> str | None:
        for k in _event_keys(event):
            found = self.keys.get(k)
            if found is not None:
                return found
        return None

    def event(self, event: QEvent) -> bool:
        # Claim the session's keys before the window's shortcuts (J, ?, Backspace, …) do.
        if event.type() == QEvent.Type.ShortcutOverride and self.session is not None:
            if self.action_for(event) is not None:  # type: ignore[arg-type]
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        action_id = self.action_for(event) if self.session is not None else None
        if action_id is not None:
            event.accept()
            if event.isAutoRepeat() and action_id not in REPEATABLE:
                return
            if self.on_key is not None:
                self.on_key(action_id)
            return
        if event.key() in SCROLL_KEYS:
            target = self.sample if self.pages.currentIndex() == 0 else self.group_area
            QApplication.sendEvent(target, event)
            return
        super().keyPressEvent(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.group_area.viewport() and event.type() == QEvent.Type.Resize:
            self._size_cards()
        return False

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.setFocus()
        super().mousePressEvent(event)


class _ThinBar(QWidget):
    """How much of the list is decided, as a 3-pixel line. (QProgressBar repaints at once on
    every change, which would paint the whole window inside each key press.)"""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("review_bar")
        self.setFixedHeight(3)
        self.fraction = 0.0

    def set_fraction(self, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction != self.fraction:
            self.fraction = fraction
            self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#eef0f3"))
        done = self.rect()
        done.setWidth(int(round(done.width() * self.fraction)))
        painter.fillRect(done, QColor("#94a3b8"))
        painter.end()


class _MemberCard(QFrame):
    """One member of a duplicate group: its number (the key that keeps it), decision,
    similarity to the group's representative, and the sample."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_card")
        self.row: int | None = None
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.view = SampleView()
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 8, 1, 1)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)
        self._number: int | None = None
        self._similarity: float | None = None
        self._decision: object = ()
        self._frame(BORDER)

    def _frame(self, colour: str) -> None:
        self.setStyleSheet(
            f"#review_card {{ border: 1px solid {colour}; border-radius: 6px; background: #fff; }}"
        )

    def show_member(self, dataset, row: int, number: int | None, similarity: float | None):
        self.row = row
        self._number = number
        self._similarity = similarity
        self._decision = ()
        if self.view.row != row:
            show_sample(self.view, dataset, row)

    def mark(self, hub: LabelsHub, decision: str | None) -> None:
        if decision == self._decision:
            return
        self._decision = decision
        number = (
            f"<span style='font-family:{MONO}; font-size:14pt; color:{TEXT}'>"
            f"<b>{self._number}</b></span>&nbsp;&nbsp;"
            if self._number
            else ""
        )
        sim = (
            f"<span style='color:{MUTED}'>similarity {self._similarity:.3f}</span>"
            if self._similarity is not None
            else ""
        )
        if decision is None:
            badge = pill("no decision", NONE_COLOUR, filled=False)
        else:
            badge = pill(hub.label_set.decision(decision).title.upper(), hub.colour(decision))
        self.header.setText(f"&nbsp;{number}{badge}&nbsp;&nbsp;{sim}")
        self._frame(hub.colour(decision) if decision in states.DECISIONS else BORDER)
