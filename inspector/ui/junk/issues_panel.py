"""The Issues dock: every junk finder with its count, a duplicate group side by side, the
rules dialog and the semantic-threshold calibration view.

The panel only shows what :mod:`inspector.core.junk.project_junk` computed; the wiring
(:mod:`inspector.ui.junk.issues_wiring`) runs the job and reacts to choices.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector.core.data.render import word_diff
from inspector.ui.common.buttons import dialog_buttons

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.junk.group_lists import GroupList
    from inspector.core.junk.quality_rules import RuleSet

DUP_TITLES = {
    "exact_duplicate": "Exact duplicate groups",
    "minhash_duplicate": "Near-duplicate groups (MinHash)",
    "semantic_duplicate": "Semantic duplicate groups",
}

FLAG_TITLES = {  # flag columns listed by a plain title (others by their name)
    "row.outlier": "Outliers",
    "pairs.same_prompt_chosen": "Same prompt and same chosen",
    "pairs.swapped_elsewhere": "Sides swapped elsewhere",
    "pairs.chosen_flagged": "Chosen flagged, rejected clean",
}

STAGE_WORDS = {  # how a removed member was matched, in the side-by-side view
    "exact_duplicate": " (exact copy)",
    "minhash_duplicate": " (near copy)",
    "semantic_duplicate": " (semantic)",
}


@dataclass
class Finder:
    """One list in the panel: its rows (dataset positions) and the review queue for it."""

    key: str  # "exact_duplicate", "response.refusal", "eval_leak", …
    title: str
    rows: np.ndarray
    queue: str  # "dups:<kind>" or "flag:<reason>"
    groups: int | None = None
    group_list: GroupList | None = None  # a duplicate finder's groups (kept rows included)
    note: str = ""  # after the count: e.g. the learned lists' cut and CV precision

    @property
    def is_duplicates(self) -> bool:
        return self.groups is not None

    def label(self) -> str:
        note = f" · {self.note}" if self.note else ""
        if self.groups is not None:
            return f"{self.title} — {self.groups:,} groups · {len(self.rows):,} rows{note}"
        return f"{self.title} — {len(self.rows):,} rows{note}"

    @property
    def is_learned(self) -> bool:
        return self.queue.startswith("learn:")


def finders_from_table(table: pl.DataFrame) -> list[Finder]:
    """The panel's lists from an analysis table (one row per dataset row, in order)."""
    from inspector.core.junk.project_junk import duplicate_groups

    out: list[Finder] = []
    if "dup_group" in table.columns:
        found = duplicate_groups(table)
        for kind, title in DUP_TITLES.items():
            mine = found.of_kind(kind)
            out.append(Finder(kind, title, mine.rows(), f"dups:{kind}", len(mine), mine))
    flags = [c for c in table.columns if c.endswith(".flag")]
    outlier = [c for c in flags if c == "row.outlier.flag"]
    for col in [c for c in flags if c not in outlier] + outlier:
        name = col.removesuffix(".flag")
        rows = np.flatnonzero(table[col].fill_null(False).to_numpy())
        title = FLAG_TITLES.get(name, name)
        out.append(Finder(name, title, rows.astype(np.int64), f"flag:{name}"))
    if "eval_leak" in table.columns:
        rows = np.flatnonzero(table["eval_leak"].fill_null(False).to_numpy())
        out.append(Finder("eval_leak", "Eval leakage", rows.astype(np.int64), "flag:eval_leak"))
    return out


def group_members(found: GroupList | None, row: int) -> np.ndarray:
    """The rows of ``row``'s duplicate group in ``found`` (kept row first), or just ``row``."""
    i = found.group_of(row) if found is not None else None
    if found is None or i is None:
        return np.array([row], dtype=np.int64)
    return found.keeper_first(i)


# -- the panel --------------------------------------------------------------------------------


class IssuesPanel(QWidget):
    """Find issues, the finder list with counts, and the buttons acting on the chosen one."""

    findRequested = Signal()
    finderChosen = Signal(object)  # Finder
    reviewRequested = Signal(object)  # Finder
    rulesRequested = Signal()
    calibrateRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issues_panel")
        self.finders: list[Finder] = []
        self.find_button = QPushButton("Find issues")
        self.find_button.setToolTip("Duplicates, quality rules, outliers (Ctrl+I)")
        self.find_button.clicked.connect(self.findRequested)
        self.status = QLabel("Not analysed yet.")
        self.status.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("issues_list")
        self.list.currentRowChanged.connect(self._chosen)
        self.review_button = QPushButton("Review this list")
        self.review_button.setEnabled(False)
        self.review_button.clicked.connect(self._review)
        self.rules_button = QPushButton("Rules…")
        self.rules_button.clicked.connect(self.rulesRequested)
        self.calibrate_button = QPushButton("Threshold…")
        self.calibrate_button.setToolTip("Calibrate the semantic duplicate threshold")
        self.calibrate_button.setEnabled(False)
        self.calibrate_button.clicked.connect(self.calibrateRequested)
        self.hide_empty = QCheckBox("Hide empty lists")
        self.hide_empty.setChecked(True)
        self.hide_empty.toggled.connect(lambda _on: self.set_finders(self.finders, self._text))
        self._text = ""
        self._shown: list[Finder] = []

        top = QHBoxLayout()
        top.addWidget(self.find_button)
        top.addWidget(self.rules_button)
        top.addWidget(self.calibrate_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.hide_empty)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.review_button)

    def set_busy(self, text: str) -> None:
        self.status.setText(text)
        self.find_button.setEnabled(False)

    def set_finders(self, finders: list[Finder], text: str = "") -> None:
        current = self.current_finder()
        self.finders = finders
        self._text = text
        self.find_button.setEnabled(True)
        self.status.setText(text)
        self.list.blockSignals(True)
        self.list.clear()
        self._shown = [
            f
            for f in finders
            if not self.hide_empty.isChecked() or len(f.rows) or f.groups or f.is_learned
        ]
        for f in self._shown:
            item = QListWidgetItem(f.label())
            item.setData(Qt.ItemDataRole.UserRole, f.key)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if current is not None:
            keys = [f.key for f in self._shown]
            if current.key in keys:
                self.list.blockSignals(True)
                self.list.setCurrentRow(keys.index(current.key))
                self.list.blockSignals(False)
        self.review_button.setEnabled(self.current_finder() is not None)

    def finder(self, key: str) -> Finder | None:
        return next((f for f in self.finders if f.key == key), None)

    def choose(self, key: str) -> None:
        """Make the finder ``key`` current (as a click on it does)."""
        keys = [f.key for f in self._shown]
        if key not in keys:
            raise ValueError(f"no issue list {key!r}; lists: {keys}")
        self.list.setCurrentRow(keys.index(key))

    def current_finder(self) -> Finder | None:
        i = self.list.currentRow()
        return self._shown[i] if 0 <= i < len(self._shown) else None

    def _chosen(self, _i: int) -> None:
        f = self.current_finder()
        self.review_button.setEnabled(f is not None and len(f.rows) > 0)
        if f is not None:
            self.finderChosen.emit(f)

    def _review(self) -> None:
        f = self.current_finder()
        if f is not None:
            self.reviewRequested.emit(f)


# -- a duplicate group side by side -----------------------------------------------------------


class DuplicateGroupView(QTextBrowser):
    """The members of a duplicate group in columns, the kept one first; words that differ
    from the kept member are marked, and each member's similarity is shown."""

    MAX_MEMBERS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicate_group_view")
        self.setOpenLinks(False)
        self.rows: list[int] = []
        self.current_html = ""

    def show_group(self, dataset: Dataset, table: pl.DataFrame, rows: np.ndarray) -> None:
        from inspector.core.data import formats

        self.rows = [int(r) for r in rows]
        shown = self.rows[: self.MAX_MEMBERS]
        sel = dataset.frame.select(
            formats.prompt_expr(dataset.spec).fill_null("").alias("p"),
            formats.response_expr(dataset.spec).fill_null("").alias("r"),
        )
        texts = [(sel["p"][r] + ("\n\n" + sel["r"][r] if sel["r"][r] else "")) for r in shown]
        kind = table["dup_kind"][shown[0]] or "duplicate"
        head = (
            f"<p><b>{html.escape(kind.replace('_', ' '))}</b> group of {len(self.rows)} "
            f"rows{' (first ' + str(len(shown)) + ' shown)' if len(self.rows) > len(shown) else ''}"
            "; marked words differ from the kept row.</p>"
        )
        cells = []
        for i, (r, text) in enumerate(zip(shown, texts)):
            sim = table["dup_similarity"][r]
            removed = bool(table["dup_removed"][r])
            how = STAGE_WORDS.get(table["dup_kind"][r] or "", "") if removed else ""
            title = (
                f"<b>{'removed' if removed else 'kept'}</b>{how} · "
                f"{html.escape(str(dataset.ids[r]))}"
                + (f" · similarity {sim:.3f}" if sim is not None and removed else "")
            )
            if i == 0:
                body = html.escape(text)
            else:
                _, runs = word_diff(texts[0], text)
                body = "".join(
                    f'<span style="background:#ffe08a">{html.escape(w)}</span>'
                    if differs
                    else html.escape(w)
                    for w, differs in runs
                )
            cells.append(
                f'<td valign="top" width="{100 // len(shown)}%">{title}<hr>'
                f'<div style="white-space:pre-wrap">{body}</div></td>'
            )
        self.current_html = (
            head + '<table cellpadding="6" width="100%"><tr>' + "".join(cells) + "</tr></table>"
        )
        self.setHtml(self.current_html)


# -- rules ------------------------------------------------------------------------------------


class RulesDialog(QDialog):
    """Each rule with its plain name, a one-line description, its fields, its action (flag /
    remove / off) and bounds, all editable; choosing a rule previews up to 10 of its hits
    (as edited, before anything is applied). ``rules()`` gives the edited set.

    ``preview(rules, name)`` (the wiring: on the job runner) later calls
    :meth:`show_preview`; without it the preview rows stay empty."""

    COLUMNS = ["rule", "what it measures", "field", "action", "min", "max"]
    ACTIONS = ("flag", "remove", "off")
    PREVIEW_ROWS = 10

    previewRequested = Signal(object, str)  # (RuleSet as edited, rule name)

    def __init__(self, rules: RuleSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from inspector.core.junk.quality_rules import rule_catalogue

        self.setObjectName("rules_dialog")
        self.setWindowTitle("Quality rules")
        self._base = rules
        rows = rule_catalogue(rules)
        self.names = [r["name"] for r in rows]
        self.table = QTableWidget(len(rows), len(self.COLUMNS))
        self.table.setObjectName("rules_table")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.actions: dict[str, QComboBox] = {}
        self.mins: dict[str, QLineEdit] = {}
        self.maxs: dict[str, QLineEdit] = {}
        for i, r in enumerate(rows):
            name = r["name"]
            cells = [r["title"], r["description"], ", ".join(r["fields"])]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(f"{name} ({r['source']}): {r['description']}")
                self.table.setItem(i, col, item)
            combo = QComboBox()
            combo.addItems(self.ACTIONS)
            combo.setCurrentText(r["action"])
            combo.setToolTip("flag: list for review · remove: propose removal · off: not run")
            self.actions[name] = combo
            self.table.setCellWidget(i, 3, combo)
            for col, store, value in ((4, self.mins, r["min"]), (5, self.maxs, r["max"])):
                edit = QLineEdit("" if value is None else f"{value:g}")
                edit.setPlaceholderText("none")
                store[name] = edit
                self.table.setCellWidget(i, col, edit)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 360))
        self.table.currentCellChanged.connect(lambda row, *_: self._chosen(row))

        self.preview_title = QLabel("Choose a rule to preview its hits.")
        self.preview_title.setWordWrap(True)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("The first 10 rows this rule hits, as edited here")
        self.preview_button.clicked.connect(self.request_preview)
        self.preview = QTableWidget(0, 3)
        self.preview.setObjectName("rules_preview")
        self.preview.setHorizontalHeaderLabels(["field", "value", "text"])
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview_name: str | None = None
        self.preview_total: int | None = None

        buttons = dialog_buttons(self)
        self.error = QLabel("")
        head = QHBoxLayout()
        head.addWidget(self.preview_title, 1)
        head.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Changing rules reruns the quality checks only."))
        layout.addWidget(self.table, 3)
        layout.addLayout(head)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(900, 680)

    def set_action(self, name: str, action: str) -> None:
        """Set a rule's action: flag, remove or off."""
        if action not in self.ACTIONS:
            raise ValueError(f"{name}: action must be one of {', '.join(self.ACTIONS)}")
        self.actions[name].setCurrentText(action)

    def choose(self, name: str) -> None:
        """Make rule ``name`` current (as a click on its row does): previews its hits."""
        self.table.setCurrentCell(self.names.index(name), 0)

    def current_rule(self) -> str | None:
        i = self.table.currentRow()
        return self.names[i] if 0 <= i < len(self.names) else None

    def rules(self) -> RuleSet:
        """The edited rules; raises ValueError naming the rule and bound that is not a number."""
        out = self._base
        for r in self._base:
            action = self.actions[r.name].currentText()
            changes: dict[str, Any] = {"enabled": action != "off"}
            if action != "off":
                changes["action"] = action
            for key, edits in (("min", self.mins), ("max", self.maxs)):
                text = edits[r.name].text().strip()
                try:
                    changes[key] = float(text) if text else None
                except ValueError:
                    raise ValueError(f"{r.name}: {key} must be a number or empty") from None
            out = out.with_rule(r.name, **changes)
        return out

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.names):
            self.request_preview()

    def request_preview(self) -> None:
        """Ask for the current rule's hits under the edited settings."""
        name = self.current_rule()
        if name is None:
            return
        try:
            rules = self.rules()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.preview_name = name
        self.preview_total = None
        self.preview.setRowCount(0)
        self.preview_title.setText(f"Finding the rows “{rules[name].title}” hits…")
        self.previewRequested.emit(rules, name)

    def show_preview(self, name: str, hits: pl.DataFrame, total: int) -> None:
        """Up to ``PREVIEW_ROWS`` hits of rule ``name`` (row, field, value, text) and the total."""
        if name != self.preview_name:
            return  # the user has moved on to another rule
        self.preview_total = total
        title = self._base[name].title
        shown = hits.head(self.PREVIEW_ROWS)
        self.preview_title.setText(
            f"“{title}” hits {total:,} rows"
            + (f"; the first {shown.height} shown" if total else "")
            + ("" if self.actions[name].currentText() != "off" else " (it is off: not applied)")
        )
        self.preview.setRowCount(shown.height)
        for i, r in enumerate(shown.iter_rows(named=True)):
            text = (r["text"] or "").replace("\n", " ")
            values = [
                r["field"],
                "" if r["value"] is None else f"{r['value']:.4g}",
                text[:160] + ("…" if len(text) > 160 else ""),
            ]
            for j, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, int(r["row"]))
                self.preview.setItem(i, j, item)
        self.preview.resizeColumnsToContents()

    def show_preview_error(self, name: str, message: str) -> None:
        if name == self.preview_name:
            self.preview_title.setText(f"Could not preview {name}: {message}")

    def accept(self) -> None:
        try:
            self.rules()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


# -- calibration ------------------------------------------------------------------------------


class CalibrationDialog(QDialog):
    """A slider over the semantic threshold with live counts and the pairs nearest to it."""

    STEPS = 1000  # slider positions between LOW and 1.0
    LOW = 0.8

    def __init__(
        self,
        calibration: Any,
        dataset: Dataset,
        threshold: float,
        default: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_dialog")
        self.setWindowTitle("Semantic duplicate threshold")
        self.calibration = calibration
        self.dataset = dataset
        self.default = default
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.STEPS)
        self.value_label = QLabel()
        self.counts_label = QLabel()
        self.pairs = QTableWidget(0, 4)
        self.pairs.setHorizontalHeaderLabels(["side", "similarity", "a", "b"])
        buttons = dialog_buttons(self, ok_text="Use this threshold")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The model's measured default: {default:.3f}"))
        layout.addWidget(self.slider)
        layout.addWidget(self.value_label)
        layout.addWidget(self.counts_label)
        layout.addWidget(QLabel("Pairs closest to the threshold (above, then below):"))
        layout.addWidget(self.pairs, 1)
        layout.addWidget(buttons)
        self.slider.valueChanged.connect(lambda _v: self._update())
        self.set_threshold(threshold)
        self._update()
        self.resize(760, 520)

    def threshold(self) -> float:
        return round(self.LOW + (1 - self.LOW) * self.slider.value() / self.STEPS, 4)

    def set_threshold(self, t: float) -> None:
        t = min(max(t, self.LOW), 1.0)
        self.slider.setValue(round((t - self.LOW) / (1 - self.LOW) * self.STEPS))

    def _update(self) -> None:
        t = self.threshold()
        c = self.calibration.counts([t]).row(0, named=True)
        self.value_label.setText(f"threshold {t:.3f}")
        self.counts_label.setText(
            f"{c['groups']:,} groups · {c['rows_in_groups']:,} rows in groups · "
            f"{c['rows_removed']:,} rows proposed for removal · {c['pairs']:,} pairs"
        )
        near = self.calibration.pairs_near(t, 5)
        self.pairs.setRowCount(near.height)
        for i, r in enumerate(near.iter_rows(named=True)):
            values = [
                r["side"],
                f"{r['similarity']:.4f}",
                self.dataset.preview(int(r["a"]), 80),
                self.dataset.preview(int(r["b"]), 80),
            ]
            for j, v in enumerate(values):
                self.pairs.setItem(i, j, QTableWidgetItem(v))
        self.pairs.resizeColumnsToContents()
