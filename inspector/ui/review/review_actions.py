"""The review controller's actions: registering them in the host's action table, the
session keys from the label set (or the user's own), the key table and hint line of the
session view, and the Undo/Redo titles. Mixed into
:class:`~inspector.ui.review.review_wiring.ReviewController`, which holds the state they use
(``host``, ``hub``, ``view``, ``files``, ``selection``, ``session``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from inspector.core.labels import states
from inspector.ui.review.review_view import key_table

MIN_TAG_ACTIONS = 9

NAV = [
    ("review.next", "&Next Sample", "next"),
    ("review.previous", "&Previous Sample", "previous"),
    ("review.undo", "&Undo in Session", "undo"),
    ("review.redo", "&Redo in Session", "redo"),
    ("review.show_in_context", "Show in &Context", "show_in_context"),
    ("review.note", "&Note on Sample…", "note"),
    ("review.leave", "&Leave Session", "leave"),
    ("review.help", "&Keys", "help"),
]
HINTS = [
    ("review.keep", "keep"),
    ("review.drop", "drop"),
    ("review.unsure", "unsure"),
    ("review.next", "next"),
    ("review.previous", "back"),
    ("review.undo", "undo"),
    ("review.show_in_context", "in context"),
    ("review.note", "note"),
    ("review.leave", "leave"),
    ("review.help", "all keys"),
]


class ReviewActions:
    """The action half of the review controller (see the module's docstring)."""

    def _register_actions(self) -> None:
        reg = self.host.actions
        has_data = self._has_data
        reg.register(
            "file.export_filter",
            "&Export Filter List…",
            self.files.show_export_dialog,
            keys=["Ctrl+Shift+E"],
            menu="File",
            enabled_when=has_data,
            tip="Write the decisions as a filter file (+ manifest.json) for a training pipeline",
        )
        reg.register(
            "file.import_filter",
            "&Import Filter…",
            self.files.show_import_dialog,
            menu="File",
            enabled_when=has_data,
            tip="Read a filter file, an id list or a NeMo Curator Parquet back",
        )
        file_menu = reg.menu("File")
        quit_action = reg["file.quit"]
        for id_ in ("file.export_filter", "file.import_filter"):
            file_menu.removeAction(reg[id_])
            file_menu.insertAction(quit_action, reg[id_])
        file_menu.insertSeparator(quit_action)
        sep = file_menu.insertSeparator(reg["file.export_filter"])
        sep.setObjectName("review_file_separator")

        reg.register("edit.undo", "&Undo", self.undo, keys=["Ctrl+Z"], menu="Edit",
                     enabled_when=has_data)  # fmt: skip
        reg.register("edit.redo", "&Redo", self.redo, keys=["Ctrl+Shift+Z"], menu="Edit",
                     enabled_when=has_data)  # fmt: skip
        edit_menu = reg.menu("Edit")
        first = edit_menu.actions()[0]
        for id_ in ("edit.undo", "edit.redo"):
            edit_menu.removeAction(reg[id_])
            edit_menu.insertAction(first, reg[id_])
        edit_menu.insertSeparator(first)
        edit_menu.aboutToShow.connect(self._name_undo)

        reg.register(
            "review.start",
            "&Start Review…",
            self.show_start_dialog,
            keys=["Ctrl+R"],
            menu="Review",
            enabled_when=has_data,
            tip="Review a list one sample at a time: all, unlabelled, random, a cluster, …",
        )
        reg.register(
            "review.resume",
            "&Resume Review",
            self.resume,
            menu="Review",
            enabled_when=lambda: self.session is not None and not self.active,
        )
        keymap = states.keymap(self.hub.label_set)
        in_session = self.in_session
        for i, decision in enumerate(states.DECISIONS):
            reg.register(
                f"review.{decision}",
                self.hub.label_set.decision(decision).title,
                lambda d=decision: self.decide(d),
                menu="Review",
                enabled_when=in_session,
                separator_before=i == 0,
            )
        self._tag_ids: list[str] = []
        self._ensure_tag_actions(keymap)
        for id_, title, method in NAV:
            reg.register(
                id_,
                title,
                getattr(self, method),
                menu="Review",
                enabled_when=in_session,
                separator_before=id_ == "review.next",
            )
        self.selection.register_actions(reg, has_data)
        reg.register(
            "labels.edit_set",
            "Label &Set…",
            self.show_label_set_dialog,
            menu="Labels",
            enabled_when=has_data,
            separator_before=True,
            tip="Names, keys and colours of the decisions and tags",
        )
        self._session_ids = [f"review.{d}" for d in states.DECISIONS] + [n[0] for n in NAV]
        for id_ in self._session_ids:
            self._bind(id_, keymap)
        self._move_session_actions()

    def _bind(self, id_: str, keymap: dict[str, tuple[str, ...]]) -> None:
        """Give a session action its keys: the user's, else the label set's.

        Registered without keys, then bound here: the registry would warn that ``J`` or
        ``?`` is taken twice, but session keys only act inside the session view."""
        reg = self.host.actions
        spec = reg.spec(id_)
        spec.default_keys = tuple(keymap.get(id_, ()))
        spec.action.setShortcuts([QKeySequence(k) for k in reg.keys(id_) if k])

    def _ensure_tag_actions(self, keymap: dict[str, tuple[str, ...]]) -> None:
        reg = self.host.actions
        tags = self.hub.label_set.tags
        for n in range(1, max(MIN_TAG_ACTIONS, len(tags)) + 1):
            id_ = f"review.tag.{n}"
            title = f"Tag {n}: {tags[n - 1].name}" if n <= len(tags) else f"Tag {n} (none)"
            if id_ in reg:
                spec = reg.spec(id_)
                spec.title = title
                spec.action.setText(title)
                self._bind(id_, keymap)
                continue
            reg.register(
                id_,
                title,
                lambda n=n: self.tag_key(n),
                menu="Review",
                enabled_when=self.in_session,
                separator_before=n == 1,
            )
            self._tag_ids.append(id_)
            self._bind(id_, keymap)

    def _move_session_actions(self) -> None:
        """Session keys act only where the session view has focus: elsewhere ``J``, ``?``
        and Backspace keep their window meaning."""
        reg = self.host.actions
        for id_ in self._session_ids + self._tag_ids:
            action = reg[id_]
            window = self.host.main_window()
            if action in QWidget.actions(window):  # ``window.actions`` is the registry
                window.removeAction(action)
                self.view.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _refresh_keys(self) -> None:
        """The view's key table and hint line from the action table's current keys."""
        reg = self.host.actions
        ids = self._session_ids + self._tag_ids
        self.view.set_keys(key_table({i: reg.keys(i) for i in ids}), self._hints())

    def _hints(self) -> list[tuple[str, str]]:
        reg = self.host.actions

        def shown(id_: str) -> str:
            keys = reg.keys(id_)[: 2 if id_ in ("review.next", "review.previous") else 1]
            return "/".join(_pretty(k) for k in keys)

        groups = self.session is not None and self.session.is_groups
        out = []
        for id_, what in HINTS:
            if groups and id_ == "review.keep":
                what = "keep all"
            elif groups and id_ == "review.drop":
                what = "drop all"
            out.append((shown(id_), what))
        tag_keys = [reg.keys(i) for i in self._tag_ids[:9]]
        first, last = (tag_keys[0][:1], tag_keys[-1][:1]) if tag_keys else ([], [])
        if first and last:
            what = "keep this one, drop the rest" if groups else "tags"
            out.insert(3, (f"{first[0]}–{last[0]}", what))
        return out

    def _name_undo(self) -> None:
        reg = self.host.actions
        book = self.hub.book
        undo = book.undo_title if book is not None else None
        redo = book.redo_title if book is not None else None
        reg["edit.undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        reg["edit.redo"].setText(f"&Redo {redo}" if redo else "&Redo")


PRETTY_KEYS = {"Right": "→", "Left": "←", "Backspace": "⌫", "Return": "↵", "Enter": "↵",
               "Space": "Space", "Esc": "Esc"}  # fmt: skip


def _pretty(key: str) -> str:
    text = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
    return PRETTY_KEYS.get(text, text)
