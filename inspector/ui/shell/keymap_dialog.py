"""The keyboard shortcuts editor (Help ▸ Edit Keyboard Shortcuts…).

Every action of the window's :class:`~inspector.ui.common.actions.ActionRegistry`, menu by menu, with
its keys. Choose one and press the new key (or clear it, or go back to the default); two
actions that would share a key are marked in red before anything is saved. OK saves through
``ActionRegistry.set_keys``/``reset_keys``: the user's keys land in the settings (group
``keymap``) and work at once; Cancel changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.ui.common.actions import ActionRegistry, key_text, plain_title

if TYPE_CHECKING:
    from inspector.ui.shell.main_window import MainWindow

MENU_COL, TITLE_COL, KEYS_COL = range(3)
ID_ROLE = Qt.ItemDataRole.UserRole
CONFLICT = QColor("#b91c1c")


def normalise(keys: list[str]) -> list[str]:
    """Keys in Qt's portable form, empty ones dropped and each once (``ctrl+k`` → ``Ctrl+K``)."""
    out = [QKeySequence(k).toString() for k in keys if k]
    return list(dict.fromkeys(k for k in out if k))


def recorded(seq: QKeySequence) -> str:
    """A key the user pressed, as the keymap writes it.

    Shift on a symbol is dropped: the keyboard needs it to type ``?`` or ``+`` and Qt counts it
    as part of the symbol, so a ``?`` shortcut fires on Shift+/ but ``Shift+?`` may never fire."""
    if seq.isEmpty():
        return ""
    combo: QKeyCombination = seq[0]  # type: ignore[index]  # QKeySequence.__getitem__ exists
    key = combo.key()
    symbol = 0x21 <= key.value <= 0xFF and not chr(key.value).isalnum()
    if seq.count() == 1 and combo.keyboardModifiers() == Qt.KeyboardModifier.ShiftModifier:
        if symbol:
            return QKeySequence(key).toString()
    return seq.toString()


class KeymapDialog(QDialog):
    """Edit the keys of every action; nothing is saved before OK."""

    def __init__(self, registry: ActionRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.setObjectName("keymap_dialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(760, 600)
        # the keys chosen here and not yet saved (action id -> keys, portable text)
        self.pending: dict[str, list[str]] = {}
        self._items: dict[str, QTreeWidgetItem] = {}

        self.filter = QLineEdit()
        self.filter.setObjectName("keymap_filter")
        self.filter.setPlaceholderText("Filter by name, menu or key (e.g. zoom, map, ctrl+k)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)

        self.tree = QTreeWidget()
        self.tree.setObjectName("keymap_list")
        self.tree.setHeaderLabels(["Menu", "Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(MENU_COL, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE_COL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KEYS_COL, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        for spec in registry.in_menu_order():
            item = QTreeWidgetItem([spec.menu or "Other", plain_title(spec.title), ""])
            item.setData(MENU_COL, ID_ROLE, spec.id)
            if spec.tip:
                item.setToolTip(TITLE_COL, spec.tip)
            self.tree.addTopLevelItem(item)
            self._items[spec.id] = item
        self.tree.currentItemChanged.connect(lambda *_: self._load_editor())

        self.conflict_label = QLabel()
        self.conflict_label.setObjectName("keymap_conflicts")
        self.conflict_label.setWordWrap(True)
        self.conflict_label.setStyleSheet(f"color: {CONFLICT.name()};")

        self.editor = QGroupBox("Choose an action above")
        self.key_edit = self._recorder("keymap_key")
        self.alt_edit = self._recorder("keymap_alt_key")
        self.clear_button = QPushButton("&Clear")
        self.clear_button.setToolTip("No key for this action")
        self.clear_button.clicked.connect(lambda: self._set_current([]))
        self.reset_button = QPushButton("Reset to &Default")
        self.reset_button.clicked.connect(self._reset_current)
        self.default_label = QLabel()
        self.default_label.setStyleSheet("color: #6b7280;")
        form = QFormLayout()
        form.addRow("Key:", self.key_edit)
        form.addRow("Alternative:", self.alt_edit)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.clear_button)
        buttons_row.addWidget(self.reset_button)
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.default_label)
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addWidget(
            QLabel("Click a box and press the key. Keys shared by two actions are shown in red.")
        )
        editor_layout.addLayout(form)
        editor_layout.addLayout(buttons_row)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.reset_all_button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_all_button.setText("Reset &All")
        self.reset_all_button.setToolTip("Every action back to its default keys")
        self.reset_all_button.clicked.connect(self.reset_all)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.conflict_label)
        layout.addWidget(self.editor)
        layout.addWidget(self.buttons)

        self._refresh_rows()
        self._load_editor()
        self.filter.setFocus()

    def _recorder(self, name: str) -> QKeySequenceEdit:
        edit = QKeySequenceEdit()
        edit.setObjectName(name)
        edit.setMaximumSequenceLength(1)
        edit.setClearButtonEnabled(True)
        edit.keySequenceChanged.connect(lambda _seq: self._recorded())
        return edit

    # -- what is shown --------------------------------------------------------------------------
    def keys_of(self, id: str) -> list[str]:
        """The keys ``id`` would have after OK."""
        if id in self.pending:
            return list(self.pending[id])
        return normalise(self.registry.keys(id))

    def conflicts(self) -> dict[str, list[str]]:
        """Keys shared by two actions (that act in the same place) if OK were pressed now."""
        return self.registry.conflicts(self.pending)

    def select(self, id: str) -> None:
        """Make ``id`` the action being edited (clearing a filter that hides it)."""
        item = self._items[id]
        if item.isHidden():
            self.filter.clear()
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(MENU_COL, ID_ROLE) if item is not None else None

    def _refresh_rows(self) -> None:
        clashes = self.conflicts()
        clash_of: dict[str, list[tuple[str, str]]] = {}
        for key, ids in clashes.items():
            for id_ in ids:
                others = [o for o in ids if o != id_]
                clash_of.setdefault(id_, []).extend((key, o) for o in others)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for id_, item in self._items.items():
            keys = self.keys_of(id_)
            item.setText(KEYS_COL, key_text(keys))
            changed = keys != normalise(self.registry.default_keys_of(id_))
            font = item.font(KEYS_COL)
            font.setBold(changed)
            item.setFont(KEYS_COL, font)
            if id_ in clash_of:
                item.setForeground(KEYS_COL, QBrush(CONFLICT))
                item.setIcon(KEYS_COL, warn)
                item.setToolTip(
                    KEYS_COL,
                    "\n".join(f"{key_text([k])} is also: {self._name(o)}" for k, o in clash_of[id_])
                    + "\nTwo actions on one key: neither runs.",
                )
            else:
                item.setForeground(KEYS_COL, self.tree.palette().text())
                item.setIcon(KEYS_COL, QIcon())
                default = key_text(self.registry.default_keys_of(id_)) or "none"
                item.setToolTip(KEYS_COL, f"Changed (default: {default})" if changed else "")
        if clashes:
            lines = [
                f"{key_text([k])}: " + ", ".join(self._name(i) for i in ids)
                for k, ids in sorted(clashes.items())
            ]
            shown = lines[:4] + ([f"… and {len(lines) - 4} more"] if len(lines) > 4 else [])
            self.conflict_label.setText(
                "⚠ One key, two actions (neither would run): " + "; ".join(shown)
            )
        self.conflict_label.setVisible(bool(clashes))

    def _name(self, id_: str) -> str:
        spec = self.registry.spec(id_)
        return f"{spec.menu or 'Other'} ▸ {plain_title(spec.title).rstrip('.…')}"

    def _apply_filter(self, text: str) -> None:
        words = text.lower().split()
        for id_, item in self._items.items():
            hay = " ".join(
                [item.text(MENU_COL), item.text(TITLE_COL), item.text(KEYS_COL), id_]
                + self.keys_of(id_)
            ).lower()
            item.setHidden(not all(w in hay for w in words))
        current = self.tree.currentItem()
        if current is None or current.isHidden():
            visible = [i for i in self._items.values() if not i.isHidden()]
            # None clears the current item (Qt takes it; the stubs say otherwise)
            self.tree.setCurrentItem(visible[0] if visible else None)  # type: ignore[arg-type]

    # -- editing ----------------------------------------------------------------------------------
    def _load_editor(self) -> None:
        id_ = self.current_id()
        for w in (self.key_edit, self.alt_edit, self.clear_button, self.reset_button):
            w.setEnabled(id_ is not None)
        if id_ is None:
            self.editor.setTitle("Choose an action above")
            self.default_label.clear()
            self._show_keys([])
            return
        self.editor.setTitle(self._name(id_))
        default = key_text(self.registry.default_keys_of(id_)) or "none"
        self.default_label.setText(f"Default: {default}")
        self._show_keys(self.keys_of(id_))

    def _show_keys(self, keys: list[str]) -> None:
        for edit, key in ((self.key_edit, keys[0:1]), (self.alt_edit, keys[1:2])):
            edit.blockSignals(True)
            edit.setKeySequence(QKeySequence(key[0]) if key else QKeySequence())
            edit.blockSignals(False)

    def _recorded(self) -> None:
        """A key was pressed (or cleared) in one of the boxes."""
        id_ = self.current_id()
        if id_ is None:
            return
        extra = self.keys_of(id_)[2:]  # a third key from the keymap file is kept
        keys = [recorded(self.key_edit.keySequence()), recorded(self.alt_edit.keySequence())]
        self._set_current(keys + extra, reload=False)

    def _set_current(self, keys: list[str], *, reload: bool = True) -> None:
        id_ = self.current_id()
        if id_ is None:
            return
        self.pending[id_] = normalise(keys)
        self._refresh_rows()
        if reload:
            self._show_keys(self.pending[id_])

    def _reset_current(self) -> None:
        id_ = self.current_id()
        if id_ is not None:
            self._set_current(self.registry.default_keys_of(id_))

    def reset_all(self) -> None:
        """Every action back to its default keys (saved on OK)."""
        for id_ in self._items:
            self.pending[id_] = normalise(self.registry.default_keys_of(id_))
        self._refresh_rows()
        self._load_editor()

    # -- saving ------------------------------------------------------------------------------------
    def apply(self) -> list[str]:
        """Save the keys chosen here; the ids whose keys changed."""
        changed = []
        for id_, keys in self.pending.items():
            if id_ not in self.registry:
                continue
            before = normalise(self.registry.keys(id_))
            if keys == normalise(self.registry.default_keys_of(id_)):
                if self.registry.has_user_keys(id_):
                    self.registry.reset_keys(id_)  # back to the keymap: later defaults apply
            elif keys != before:
                self.registry.set_keys(id_, keys)
            if normalise(self.registry.keys(id_)) != before:
                changed.append(id_)
        self.pending.clear()
        return changed

    def accept(self) -> None:
        self.apply()
        super().accept()


def show_keymap_dialog(window: MainWindow) -> KeymapDialog:
    """Open the shortcuts editor over ``window`` (kept in ``window.features`` while open)."""
    features = window.features
    dialog = features.keymap_dialog
    if dialog is not None:  # already open
        dialog.raise_()
        dialog.activateWindow()
        return dialog
    dialog = KeymapDialog(window.actions, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    features.keymap_dialog = dialog

    def closed(_result: int) -> None:
        features.keymap_dialog = None

    dialog.finished.connect(closed)
    dialog.open()
    return dialog
