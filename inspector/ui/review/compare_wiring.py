"""Put the compare view into a main window as a review mode: Review ▸ Compare Answers….

:class:`CompareController` (installed by the shell, ``inspector.ui.shell.features``) registers
the mode's actions in the host's action table (STYLE §4): the entry (menu and command
palette, enabled when the data's format can hold several answers per prompt), and the keys
inside the mode — ``1``-``9`` best, ``Shift+1``-``9`` worst, ``=`` tie, ``Space`` skip,
``Backspace`` back, ``Ctrl+Z``/``Ctrl+Shift+Z`` undo/redo, ``Esc`` leave. Those keys are data:
the keymap and the user's own keys (Help ▸ Edit Keyboard Shortcuts…) feed the view's key table,
and the help overlay lists them under "Compare".

The :class:`~inspector.ui.review.compare_view.CompareView` takes the central area while the
mode runs (as a review session does: the docks stay beside it). Its marks go through the
labels hub's book, so Edit ▸ Undo, the table and the map see them; leaving (Esc, or moving past
the last prompt) brings the table and the reader back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QWidget

from inspector.core.errors import DataError
from inspector.core.pairs.decisions import BEST, TIE, WORST
from inspector.core.pairs.groups import has_groups, prompt_groups
from inspector.ui.review.compare_view import MAX_KEYED, SHIFTED_DIGITS, CompareView
from inspector.ui.review.review_view import KeyTable, key_table

if TYPE_CHECKING:
    from inspector.ui.common.host import Host
    from inspector.ui.review.review_wiring import ReviewController

MENU = "Compare"


def mode_actions() -> list[tuple[str, str, list[str]]]:
    """(id, title, default keys) of every key inside the mode."""
    out = [(f"compare.best.{n}", f"Answer {n} Is the &Best", [str(n)]) for n in range(1, 10)]
    out += [
        (f"compare.worst.{n}", f"Answer {n} Is the &Worst", [f"Shift+{n}"]) for n in range(1, 10)
    ]
    out += [
        ("compare.tie", "&Tie: No Answer Is Better", ["="]),
        ("compare.skip", "&Skip to the Next Prompt", ["Space"]),
        ("compare.back", "&Previous Prompt", ["Backspace"]),
        ("compare.undo", "&Undo in Compare", ["Ctrl+Z"]),
        ("compare.redo", "&Redo in Compare", ["Ctrl+Shift+Z"]),
        ("compare.leave", "&Leave Compare", ["Esc"]),
    ]
    return out


def _numbered(keys: Sequence[str], default: Sequence[str]) -> str:
    """Nine answers' keys in one hint cell: ``1-9`` as the defaults are, else each listed."""
    if list(keys) == list(default):
        first, last = default[0], default[-1]
        prefix = first.rpartition("+")[0]
        return f"{first}-{last.rpartition('+')[2]}" if prefix else f"{first}-{last}"
    return "/".join(k or "–" for k in keys)


def hint_rows(keys_of: Callable[[str], list[str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The compare view's hint rows (keys, what) and each answer's best key, from the
    window's keymap (``keys_of``: an action id's current keys, the user's own first)."""
    first = {id_: (keys_of(id_) or [""])[0] for id_, _title, _keys in mode_actions()}
    best = [first[f"compare.best.{n}"] for n in range(1, MAX_KEYED + 1)]
    worst = [first[f"compare.worst.{n}"] for n in range(1, MAX_KEYED + 1)]
    digits = [str(n) for n in range(1, MAX_KEYED + 1)]

    def all_keys(id_: str) -> str:
        return "/".join(k for k in keys_of(id_) if k)

    rows = [
        (_numbered(best, digits), "mark that answer the best"),
        (_numbered(worst, [f"Shift+{d}" for d in digits]), "mark that answer the worst"),
        (all_keys("compare.tie"), "a tie: no answer is better"),
        (all_keys("compare.skip"), "skip to the next prompt"),
        (all_keys("compare.back"), "back to the previous prompt"),
        (all_keys("compare.undo"), "undo"),
        (all_keys("compare.redo"), "redo"),
        (all_keys("compare.leave"), "leave"),
    ]
    return rows, best


class CompareController(QObject):
    """The compare mode of one window, over the review feature's labels hub and central stack."""

    def __init__(self, host: Host, review: ReviewController) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.review = review
        self.hub = review.hub
        self.view: CompareView | None = None
        self.active = False
        self.keys: KeyTable = {}
        self._register_actions()
        host.actions.keysChanged.connect(lambda _id: self._refresh_keys())
        # another project, or none: the view's book and groups are gone
        host.datasetClosing.connect(self._drop)
        host.datasetOpened.connect(lambda _p: self._drop())
        review.sessionShown.connect(lambda _s: self.leave())
        host.help_overlay.installEventFilter(self)

    # -- actions -------------------------------------------------------------------------------
    def _register_actions(self) -> None:
        reg = self.host.actions
        reg.register(
            "review.compare",
            "&Compare Answers…",
            self.start,
            menu="Review",
            enabled_when=self.can_start,
            tip="One prompt with all its answers side by side: keys pick the best and the worst",
        )
        self._mode_ids: list[str] = []
        for id_, title, keys in mode_actions():
            reg.register(id_, title, self._mode_callback(id_), menu=MENU, enabled_when=self.in_mode)
            reg.spec(id_).default_keys = tuple(keys)
            self._mode_ids.append(id_)
        window = self.host.main_window()
        # the mode's actions live on the view; until there is one, on a hidden widget
        self.placeholder = QWidget(window)
        self.placeholder.setObjectName("compare_keys_placeholder")
        self.placeholder.hide()
        for id_ in self._mode_ids:
            action = reg[id_]
            if action in QWidget.actions(window):  # ``window.actions`` is the registry
                window.removeAction(action)
            self.placeholder.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        reg.menu(MENU).menuAction().setVisible(False)
        self._refresh_keys()

    def _mode_callback(self, id_: str) -> Callable[[], None]:
        return lambda: self._do(id_)

    def _refresh_keys(self) -> None:
        """The mode's key table from the action table's current keys (the user's own first).

        The actions carry the keys too (the help overlay and the palette show them), but they
        sit on the compare view, which claims its keys first (``1`` is also a review tag,
        ``Ctrl+Z`` Edit ▸ Undo): they act only while the view has the focus."""
        reg = self.host.actions
        bindings = {id_: reg.keys(id_) for id_ in self._mode_ids}
        for id_, keys in bindings.items():
            reg[id_].setShortcuts([QKeySequence(k) for k in keys if k])
        self.keys = key_table(bindings)
        if self.view is not None:
            self.view.set_keys_shown(*hint_rows(reg.keys))

    def action_for(self, event: QKeyEvent) -> Callable[[], None] | None:
        """The mode's action for a key press (the view asks, for every key it gets)."""
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = int(event.key())
        candidates = [(key, int(mods.value))]
        shifted = SHIFTED_DIGITS.get(Qt.Key(key)) if key in SHIFTED_DIGITS else None
        if shifted is not None:  # Shift+2 arrives as "@" on a US layout
            candidates.append((int(Qt.Key.Key_0) + shifted, int(mods.value)))
        for combo in candidates:
            id_ = self.keys.get(combo)
            if id_ is not None:
                return self._mode_callback(id_)
        return None

    def _do(self, id_: str) -> None:
        view = self.view
        if view is None or not self.active:
            return
        kind, _, n = id_.removeprefix("compare.").partition(".")
        if kind in (BEST, WORST):
            view.mark(kind, int(n) - 1)
        elif kind == TIE:
            view.mark(TIE, None)
        elif kind == "skip":
            view.skip()
        elif kind == "back":
            view.back()
        elif kind == "undo":
            view.undo()
        elif kind == "redo":
            view.redo()
        elif kind == "leave":
            self.leave()

    # -- the mode ------------------------------------------------------------------------------
    def can_start(self) -> bool:
        project = self.host.project
        return self.hub.is_open and project is not None and has_groups(project.dataset)

    def in_mode(self) -> bool:
        return self.active

    def start(self) -> CompareView | None:
        """Gather the prompt groups and show the first one (None: nothing to compare)."""
        project = self.host.project
        if not self.can_start() or project is None or self.hub.book is None:
            return None
        try:
            groups = prompt_groups(project.dataset)
        except DataError as exc:
            self._say(f"Cannot compare: {exc}")
            return None
        if not groups:
            self._say("No prompt has two answers or more: nothing to compare.")
            return None
        if self.review.active:
            self.review.leave(follow=False)
        self._drop_view()
        view = CompareView(self.hub.book, groups)
        view.keys_from = self.action_for  # the keys from the keymap, not the view's defaults
        view.set_keys_shown(*hint_rows(self.host.actions.keys))
        view.changed.connect(self.hub.absorb)
        view.finished.connect(self._finished)
        for id_ in self._mode_ids:
            action = self.host.actions[id_]
            self.placeholder.removeAction(action)
            view.addAction(action)
        self.view = view
        self.review.stack.addWidget(view)
        self.review.stack.setCurrentWidget(view)
        self.active = True
        self.host.actions.menu(MENU).menuAction().setVisible(True)
        view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.host.actions.update_enabled()
        more = (
            f" (only answers 1-{MAX_KEYED} have keys)"
            if any(len(g.answers) > MAX_KEYED for g in groups)
            else ""
        )
        self._say(f"Comparing the answers to {len(groups):,} prompts{more}. Esc leaves.")
        return view

    def leave(self) -> None:
        """Back to the table and the reader."""
        if not self.active:
            return
        self.active = False
        self.host.actions.menu(MENU).menuAction().setVisible(False)
        if self.review.stack.currentWidget() is self.view:
            self.review.stack.setCurrentWidget(self.review.main_page)
        row = self.host.current_row()
        if row is None or not self.host.row_in_view(row):
            first = self.host.first_view_row()
            if first is not None:
                self.host.set_current_row(first)
        self.host.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.host.actions.update_enabled()

    def _finished(self) -> None:
        n = len(self.view.groups) if self.view is not None else 0
        self.leave()
        self._say(f"All {n:,} prompts seen.")

    def _drop(self) -> None:
        self.leave()
        self._drop_view()

    def _drop_view(self) -> None:
        view = self.view
        if view is None:
            return
        for id_ in self._mode_ids:
            action = self.host.actions[id_]
            view.removeAction(action)
            self.placeholder.addAction(action)
        self.review.stack.removeWidget(view)
        view.deleteLater()
        self.view = None

    def _say(self, text: str) -> None:
        self.host.statusBar().showMessage(text, 6000)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        # the key overlay closed over the mode: the keys go back to the view
        if event.type() == QEvent.Type.Hide and self.active:
            QTimer.singleShot(0, lambda: self.active and self.view and self.view.setFocus())
        return False
