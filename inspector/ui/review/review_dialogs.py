"""Dialogs for labelling: start a review, export and import filter files, edit the label set,
confirm a bulk decision.

Each dialog only collects choices; :mod:`inspector.ui.review.review_wiring` does the work, so tests
call the same functions the dialogs end in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.export.filterfile import FORMATS, format_for
from inspector.core.labels import states
from inspector.ui.common.buttons import Standard, dialog_buttons
from inspector.ui.common.sample_view import MUTED

SUFFIX = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv", "ids": ".txt"}


# -- start a review -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueChoice:
    """One list the Start Review dialog offers: a queue spec text (``random:500``), a label,
    how many items it holds, and, for cluster/flag lists, the choices of its argument."""

    kind: str
    label: str
    count: int | None = None
    options: tuple[tuple[str, str], ...] = ()  # (arg, label) e.g. ("3", "3 · recipes (412)")


class StartReviewDialog(QDialog):
    """Choose the list to review. ``spec()`` is the queue text for ``build_queue``."""

    def __init__(self, choices: list[QueueChoice], default_random: int, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("start_review_dialog")
        self.setWindowTitle("Start review")
        self.choices = choices
        self.buttons = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        self.spin = QSpinBox()
        self.spin.setRange(1, 10_000_000)
        self.spin.setValue(default_random)
        self.spin.setGroupSeparatorShown(True)
        self.combos: dict[str, QComboBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for i, choice in enumerate(choices):
            radio = QRadioButton(choice.label)
            radio.setObjectName(f"queue_{choice.kind}")
            self.buttons.addButton(radio, i)
            self.radios[choice.kind] = radio
            grid.addWidget(radio, i, 0)
            if choice.kind == "random":
                grid.addWidget(self.spin, i, 1)
                self.spin.valueChanged.connect(lambda _v, r=radio: r.setChecked(True))
            elif choice.options:
                combo = QComboBox()
                for arg, text in choice.options:
                    combo.addItem(text, arg)
                combo.activated.connect(lambda _i, r=radio: r.setChecked(True))
                self.combos[choice.kind] = combo
                grid.addWidget(combo, i, 1)
            elif choice.count is not None:
                count = QLabel(f"{choice.count:,}")
                count.setStyleSheet(f"color: {MUTED}")
                grid.addWidget(count, i, 1)
            if choice.count == 0 and not choice.options:
                radio.setEnabled(False)
        first = next((b for b in self.buttons.buttons() if b.isEnabled()), None)
        if "unlabeled" in self.radios and self.radios["unlabeled"].isEnabled():
            first = self.radios["unlabeled"]
        if first is not None:
            first.setChecked(True)
        box = dialog_buttons(self, ok_text="Start")
        intro = QLabel("Review one sample at a time. Keys decide; Esc leaves; ? lists the keys.")
        intro.setStyleSheet(f"color: {MUTED}")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(box)

    def choose(self, kind: str, arg: str | int | None = None) -> None:
        """Pick a list (tests, and remembering the last one)."""
        self.radios[kind].setChecked(True)
        if kind == "random" and arg is not None:
            self.spin.setValue(int(arg))
        elif arg is not None and kind in self.combos:
            combo = self.combos[kind]
            combo.setCurrentIndex(max(combo.findData(str(arg)), 0))

    def spec(self) -> str | None:
        i = self.buttons.checkedId()
        if i < 0:
            return None
        kind = self.choices[i].kind
        if kind == "random":
            return f"random:{self.spin.value()}"
        if kind in self.combos and self.combos[kind].currentData():
            return f"{kind}:{self.combos[kind].currentData()}"
        return kind


# -- filter files -------------------------------------------------------------------------------


class ExportDialog(QDialog):
    """File ▸ Export filter list…: where, which format, proposals or not."""

    def __init__(self, start_path: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("export_dialog")
        self.setWindowTitle("Export filter list")
        self.path_edit = QLineEdit(start_path)
        self.path_edit.setMinimumWidth(420)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.format_combo = QComboBox()
        for fmt in FORMATS:
            self.format_combo.addItem(
                {
                    "parquet": "Parquet (all columns)",
                    "jsonl": "JSON lines (all columns)",
                    "csv": "CSV (tags joined with |)",
                    "ids": "Removed ids, one per line",
                }[fmt],
                fmt,
            )
        self.format_combo.setCurrentIndex(
            max(self.format_combo.findData(format_for(start_path)), 0)
        )
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.proposals_box = QCheckBox("Include the junk finders' proposals for undecided rows")
        note = QLabel("A manifest.json is written beside the file; human decisions always win.")
        note.setStyleSheet(f"color: {MUTED}")
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", where)
        form.addRow("Format", self.format_combo)
        form.addRow("", self.proposals_box)
        box = dialog_buttons(self, Standard.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(box)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export filter list",
            self.path_edit.text(),
            "Parquet (*.parquet);;JSON lines (*.jsonl);;CSV (*.csv);;Id list (*.txt);;All (*)",
        )
        if path:
            self.path_edit.setText(path)
            self.format_combo.setCurrentIndex(max(self.format_combo.findData(format_for(path)), 0))

    def _format_changed(self) -> None:
        path = Path(self.path_edit.text())
        fmt = self.format_combo.currentData()
        if path.suffix.lower() in (".parquet", ".jsonl", ".csv", ".txt", ".ids", ""):
            self.path_edit.setText(str(path.with_suffix(SUFFIX[fmt])))

    def values(self) -> tuple[str, str, bool]:
        return (
            self.path_edit.text().strip(),
            self.format_combo.currentData(),
            (self.proposals_box.isChecked()),
        )


class ImportDialog(QDialog):
    """File ▸ Import filter…: a filter file of ours, a plain id list or a Parquet with an
    ``id`` column (NeMo Curator), as decisions (undoable) or as proposals."""

    def __init__(self, start_dir: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("import_dialog")
        self.setWindowTitle("Import filter")
        self.path_edit = QLineEdit()
        self.path_edit.setMinimumWidth(420)
        self._start = start_dir
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder = QPushButton("Folder…")
        folder.setToolTip("A folder of Parquet shards with an id column")
        folder.clicked.connect(self._browse_folder)
        self.as_decisions = QRadioButton("As decisions (one undoable step)")
        self.as_proposals = QRadioButton("As proposals (shown as lists to review)")
        self.as_decisions.setChecked(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("the file's reasons, else imported")
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        where.addWidget(folder)
        form = QFormLayout()
        form.addRow("File", where)
        form.addRow("", self.as_decisions)
        form.addRow("", self.as_proposals)
        form.addRow("Reason", self.reason_edit)
        note = QLabel(
            "Reads Inspector filter files, plain id lists (one per line) and Parquet files "
            "with an id column, as NeMo Curator writes."
        )
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED}")
        box = dialog_buttons(self, Standard.Open)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(box)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import filter",
            self._start,
            "Filter files (*.parquet *.jsonl *.csv *.txt *.ids);;All (*)",
        )
        if path:
            self.path_edit.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import a folder of shards", self._start)
        if path:
            self.path_edit.setText(path)

    def values(self) -> tuple[str, str, str | None]:
        as_ = "proposals" if self.as_proposals.isChecked() else "decisions"
        return self.path_edit.text().strip(), as_, self.reason_edit.text().strip() or None


# -- bulk --------------------------------------------------------------------------------------


def confirm_bulk_box(n: int, decision: str, ids: list[str], parent: QWidget) -> QMessageBox:
    """ "Label 1,204 rows as drop?" with a few of the ids; Yes applies it (one undo)."""
    shown = "\n".join(f"  {i}" for i in ids[:5])
    more = f"\n  … and {n - 5:,} more" if n > 5 else ""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Label the selection",
        f"Label {n:,} row{'s' if n != 1 else ''} as {decision}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("bulk_confirm_box")
    box.setInformativeText(f"{shown}{more}\n\nOne undo (Ctrl+Z) reverts all of them.")
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


# -- the label set -----------------------------------------------------------------------------


class LabelSetDialog(QDialog):
    """Names, keys and colours of the decisions and tags (saved in the project)."""

    HEAD = ("name", "title / tag", "key", "colour")

    def __init__(self, label_set: states.LabelSet, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("label_set_dialog")
        self.setWindowTitle("Label set")
        self.base = label_set
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Title or tag name", "Key", "Colour"])
        self.table.verticalHeader().setVisible(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(self._cell_double_clicked)
        for d in label_set.decisions:
            self._add_row(d.title, d.key, d.colour, header=d.name)
        for t in label_set.tags:
            self._add_row(t.name, t.key or "", t.colour, header="tag")
        add = QPushButton("Add tag")
        add.clicked.connect(lambda: self._add_row("new tag", "", "#6b7280", header="tag"))
        remove = QPushButton("Remove tag")
        remove.clicked.connect(self._remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        note = QLabel(
            "Keep, drop and unsure are fixed (they become keep/remove/flag in filter files); "
            "their titles, keys and colours can change. Double-click a colour to pick one. "
            "Renaming a tag does not rename it on rows already tagged."
        )
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED}")
        self.error = QLabel()
        self.error.setStyleSheet("color: #dc2626")
        box = dialog_buttons(self, Standard.Save, on_accept=self._accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(box)
        self.resize(520, 460)

    def _add_row(self, name: str, key: str, colour: str, *, header: str) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setVerticalHeaderItem(r, QTableWidgetItem(header))
        self.table.setItem(r, 0, QTableWidgetItem(name))
        self.table.setItem(r, 1, QTableWidgetItem(key))
        item = QTableWidgetItem(colour)
        item.setBackground(QColor(colour))
        self.table.setItem(r, 2, item)

    def _remove_selected(self) -> None:
        fixed = len(self.base.decisions)
        for r in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            if r >= fixed:
                self.table.removeRow(r)

    def _cell_double_clicked(self, row: int, column: int) -> None:
        if column != 2:
            return
        item = self.table.item(row, 2)
        colour = QColorDialog.getColor(QColor(item.text()), self, "Colour")
        if colour.isValid():
            item.setText(colour.name())
            item.setBackground(colour)

    def label_set(self) -> states.LabelSet:
        """The edited set; raises ValueError with what to fix."""
        fixed = len(self.base.decisions)
        cells = [
            [
                (self.table.item(r, c).text().strip() if self.table.item(r, c) else "")
                for c in (0, 1, 2)
            ]
            for r in range(self.table.rowCount())
        ]
        decisions = tuple(
            states.DecisionStyle(
                d.name, cells[i][0] or d.title, cells[i][1], cells[i][2] or d.colour
            )
            for i, d in enumerate(self.base.decisions)
        )
        tags = tuple(
            states.TagStyle(name, key or None, colour or "#6b7280")
            for name, key, colour in cells[fixed:]
            if name
        )
        names = [t.name for t in tags]
        if len(set(names)) != len(names):
            raise ValueError("two tags have the same name; tag names must be unique")
        keys = [k for k in [d.key for d in decisions] + [t.key or "" for t in tags] if k]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"the key {sorted(dup)[0]} is given twice")
        for k in keys:
            if QKeySequence(k).isEmpty():
                raise ValueError(f"'{k}' is not a key Qt understands (e.g. A, Space, 1, Ctrl+K)")
        for _n, _k, colour in cells:
            if colour and not QColor(colour).isValid():
                raise ValueError(f"'{colour}' is not a colour (use #rrggbb)")
        return states.LabelSet(decisions, tags, self.base.nav_keys)

    def _accept(self) -> None:
        try:
            self.label_set()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
