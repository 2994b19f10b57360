"""Dialogs around opening a dataset: which split of a DatasetDict, malformed lines, and the
format / field mapping.

Both are shown with ``open()`` (window-modal, not a nested event loop): the window reacts to
``accepted``, and tests can drive them like any widget.
"""

from __future__ import annotations

from html import escape

import polars as pl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.data import formats
from inspector.core.errors import DataError
from inspector.ui.common.buttons import Standard, dialog_buttons

SHOWN_BAD_RECORDS = 20

# The roles each format can map, required ones first.
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "preference": (("chosen", "rejected"), ("prompt",)),
    "unpaired_preference": (("prompt", "completion", "label"), ()),
    "messages": (("messages",), ()),
    "sharegpt": (("conversations",), ()),
    "alpaca": (("instruction", "output"), ("input", "system", "history")),
    "prompt_completion": (("prompt", "completion"), ()),
    "text": (("text",), ()),
    "generic": ((), ()),
}
KIND_TITLES = {
    "preference": "Preference pairs (prompt / chosen / rejected)",
    "unpaired_preference": "Unpaired preference (prompt / completion / label)",
    "messages": "Chat messages (role / content)",
    "sharegpt": "ShareGPT conversations (from / value)",
    "alpaca": "Alpaca (instruction / input / output)",
    "prompt_completion": "Prompt / completion",
    "text": "Plain text",
    "generic": "Other: show the chosen text columns",
}
NONE = "(none)"


class BadLinesDialog(QDialog):
    """ "N records could not be read" with the first few (file, line, message), offering
    to skip them and open the rest."""

    def __init__(self, error: DataError, target: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bad_lines_dialog")
        self.setWindowTitle("Some records could not be read")
        self.error = error
        self.target = target
        bad = error.bad_records
        n = len(bad)
        intro = QLabel(
            f"<b>{n:,} record{'s' if n != 1 else ''} in {escape(target)} could not be read.</b>"
            "<br>Inspector can skip them and open the rest; the skipped count is shown in the"
            " status bar."
        )
        intro.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["file", "line", "problem", "text"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for b in bad[:SHOWN_BAD_RECORDS]:
            item = QTreeWidgetItem([b.file, str(b.line or ""), b.message, b.text[:120]])
            item.setToolTip(2, b.message)
            item.setToolTip(3, b.text)
            self.table.addTopLevelItem(item)
        for col, width in enumerate((220, 50, 330)):
            self.table.setColumnWidth(col, width)
        more = QLabel(f"… and {n - SHOWN_BAD_RECORDS:,} more." if n > SHOWN_BAD_RECORDS else "")
        buttons = QDialogButtonBox()
        self.skip_button = QPushButton("Skip bad lines and open")
        self.skip_button.setDefault(True)
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        if more.text():
            layout.addWidget(more)
        layout.addWidget(buttons)
        self.resize(860, 360)


class SplitDialog(QDialog):
    """Which split of a Hugging Face ``DatasetDict`` folder to open, each with its rows;
    ``split()`` is the choice (a double click opens it)."""

    def __init__(
        self,
        target: str,
        splits: dict[str, int | None],
        preferred: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("split_dialog")
        self.setWindowTitle("Choose a split")
        intro = QLabel(
            f"<b>{escape(target)}</b> is a DatasetDict with {len(splits)} splits."
            "<br>Open which one? Dataset ▸ Split switches later."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("split_list")
        for name, rows in splits.items():
            item = QListWidgetItem(f"{name}    {rows:,} rows" if rows is not None else name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        names = list(splits)
        start = preferred if preferred in splits else ("train" if "train" in splits else None)
        self.list.setCurrentRow(names.index(start) if start else 0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        buttons = dialog_buttons(self, Standard.Open)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(420, 300)

    def split(self) -> str:
        item = self.list.currentItem() or self.list.item(0)
        return str(item.data(Qt.ItemDataRole.UserRole))

    def choose(self, name: str) -> None:
        """Select split ``name`` (as a click on it would)."""
        for k in range(self.list.count()):
            if self.list.item(k).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(k)
                return
        raise KeyError(name)


def role_candidates(role: str, schema: pl.Schema) -> list[str]:
    """The columns that could play ``role``, likeliest first."""
    names = list(formats.ALIASES.get(role, (role,)))
    cols = [c for c in schema if not c.startswith("__")]
    return [c for c in names if c in cols] + [c for c in cols if c not in names]


class FormatDialog(QDialog):
    """Choose the format and which column plays each role; ``spec()`` is the result."""

    def __init__(
        self, current: formats.FormatSpec, schema: pl.Schema, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("format_dialog")
        self.setWindowTitle("Format and fields")
        self.current = current
        self.schema = schema
        self.columns = [c for c in schema if not c.startswith("__")]
        self._result: formats.FormatSpec | None = None

        self.kind_box = QComboBox()
        for kind in formats.KINDS:
            self.kind_box.addItem(KIND_TITLES.get(kind, kind), kind)
        self.kind_box.setCurrentIndex(formats.KINDS.index(current.kind))
        self.kind_box.currentIndexChanged.connect(self._build_roles)
        self.role_boxes: dict[str, QComboBox] = {}
        self.column_checks: dict[str, QCheckBox] = {}
        self.roles_form = QFormLayout()
        self.roles_holder = QWidget()
        self.roles_holder.setLayout(self.roles_form)
        self.error_label = QLabel()
        self.error_label.setObjectName("format_error")
        self.error_label.setStyleSheet("color: #dc2626;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        note = QLabel(
            "The choice is remembered for this dataset and used the next time it is opened."
        )
        note.setStyleSheet("color: #6b7280;")
        note.setWordWrap(True)
        buttons = dialog_buttons(self)
        top = QFormLayout()
        top.addRow("Format", self.kind_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.roles_holder)
        layout.addWidget(self.error_label)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self._build_roles()
        self.resize(520, 0)

    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def set_kind(self, kind: str) -> None:
        self.kind_box.setCurrentIndex(formats.KINDS.index(kind))

    def _defaults(self, kind: str) -> dict[str, str]:
        if kind == self.current.kind:
            return dict(self.current.fields)
        spec = next((s for s in formats.candidate_specs(self.schema) if s.kind == kind), None)
        return dict(spec.fields) if spec else {}

    def _build_roles(self) -> None:
        while self.roles_form.rowCount():
            self.roles_form.removeRow(0)
        self.role_boxes.clear()
        self.column_checks.clear()
        kind = self.kind()
        defaults = self._defaults(kind)
        if kind == "generic":
            chosen = set(defaults.values()) or {
                c for c in self.columns if self.schema[c] == pl.String
            }
            for i, col in enumerate(self.columns):
                check = QCheckBox(f"{col}  ({self.schema[col]})")
                check.setChecked(col in chosen)
                self.column_checks[col] = check
                self.roles_form.addRow("Show" if i == 0 else "", check)
            return
        required, optional = ROLES[kind]
        for role in required + optional:
            box = QComboBox()
            if role in optional:
                box.addItem(NONE, None)
            for col in role_candidates(role, self.schema):
                box.addItem(f"{col}  ({self.schema[col]})", col)
            wanted = defaults.get(role)
            if wanted is not None and box.findData(wanted) >= 0:
                box.setCurrentIndex(box.findData(wanted))
            elif role in required:
                guess = next(
                    (c for c in formats.ALIASES.get(role, (role,)) if c in self.schema), None
                )
                if guess is not None:
                    box.setCurrentIndex(box.findData(guess))
            label = role + ("" if role in optional else " *")
            self.role_boxes[role] = box
            self.roles_form.addRow(label, box)

    def set_field(self, role: str, column: str | None) -> None:
        box = self.role_boxes[role]
        box.setCurrentIndex(box.findData(column) if column else 0)

    def fields(self) -> dict[str, str]:
        if self.kind() == "generic":
            cols = [c for c, check in self.column_checks.items() if check.isChecked()]
            return {f"text{i}": c for i, c in enumerate(cols)}
        return {r: box.currentData() for r, box in self.role_boxes.items() if box.currentData()}

    def spec(self) -> formats.FormatSpec | None:
        """The chosen spec (after ``accept``)."""
        return self._result

    def build_spec(self) -> formats.FormatSpec:
        """The spec for what the dialog shows now; ValueError names what is missing."""
        kind, fields = self.kind(), self.fields()
        if kind == "generic":
            if not fields:
                raise ValueError("choose at least one column to show")
            return formats.FormatSpec("generic", fields)
        required, _ = ROLES[kind]
        for role in required:
            if role not in fields:
                raise ValueError(f"choose the column for '{role}'")
        spec = formats.spec_from_fields(kind, fields, self.schema)
        # spec_from_fields merges in detected defaults; an optional role set to (none) stays out
        kept = {r: c for r, c in spec.fields.items() if r in fields}
        keys = {c: k for c, k in spec.message_keys.items() if c in kept.values()}
        return formats.FormatSpec(kind, kept, keys)

    def accept(self) -> None:
        try:
            self._result = self.build_spec()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        super().accept()


def data_error_text(error: DataError) -> tuple[str, str]:
    """(headline, details) for a message box about ``error``."""
    headline = error.message[:1].upper() + error.message[1:]
    details = []
    if error.file:
        details.append(f"File: {error.file}")
    if error.line:
        details.append(f"Line: {error.line}")
    if error.field:
        details.append(f"Field: {error.field}")
    if error.hint:
        details.append(f"What to do: {error.hint}")
    return headline, "\n".join(details)


def role_text(spec: formats.FormatSpec) -> str:
    """``alpaca · instruction=instruction, output=output`` for the status bar."""
    mapping = ", ".join(f"{r}={c}" for r, c in spec.fields.items() if r != c)
    kind = spec.kind.replace("_", " ")
    return f"{kind} ({mapping})" if mapping else kind
