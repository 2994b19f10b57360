"""Labels ▸ Select Subset…: N, the strategy, a per-column cap and the seed, with a preview of
the coverage the core computes before anything is written.

The dialog only collects the choice and shows the preview: ``Preview`` runs
:func:`inspector.core.select.project_select.select_subset` (through ``compute``, so the
window can hand it to its job runner), emits :attr:`SelectSubsetDialog.previewed` with the
result (the map lights ``result.rows``), and enables ``Write…`` for exactly those settings.
Whoever opened it writes the files with :func:`write_selection` after ``exec()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import DataError
from inspector.core.select.project_select import STRATEGIES, SelectParams, SelectResult

if TYPE_CHECKING:
    from inspector.core.project import Project

NO_COLUMN = "(no cap)"


class SelectSubsetDialog(QDialog):
    """Choose N rows to keep; preview their coverage; ``result()`` after accept."""

    previewed = Signal(object)  # the SelectResult of the settings shown

    def __init__(
        self,
        project: Project,
        parent: QWidget | None = None,
        *,
        compute: Callable[[Project, SelectParams], SelectResult] | None = None,
        vectors_column: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Select Subset")
        self.project = project
        self._compute = compute or _select
        self._vectors_column = vectors_column
        self._result: SelectResult | None = None
        rows = project.dataset.height

        self.n = QSpinBox()
        self.n.setRange(1, max(1, rows))
        self.n.setValue(max(1, min(rows, 1000, rows // 10 or 1)))
        self.n.setGroupSeparatorShown(True)
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES))
        self.strategy.setCurrentText("both")
        self.per = QComboBox()
        self.per.addItems([NO_COLUMN, *project.dataset.user_columns])
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)

        form = QFormLayout()
        form.addRow("Rows to keep (N):", self.n)
        form.addRow("Pick by:", self.strategy)
        form.addRow("At most an equal share per:", self.per)
        form.addRow("Seed:", self.seed)

        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.preview)
        self.summary = QLabel("Preview to see what the selection covers; nothing is written.")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", "all rows", "selected"])
        self.table.verticalHeader().setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = self.buttons.addButton(
            "Write Filter…", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.write_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.buttons)
        for box in (self.n, self.seed):
            box.valueChanged.connect(self._stale)
        for combo in (self.strategy, self.per):
            combo.currentTextChanged.connect(self._stale)

    def params(self) -> SelectParams:
        per = self.per.currentText()
        return SelectParams(
            n=self.n.value(),
            by=self.strategy.currentText(),
            per=None if per == NO_COLUMN else per,
            seed=self.seed.value(),
            vectors_column=self._vectors_column,
        )

    def result(self) -> SelectResult | None:  # type: ignore[override]
        """The previewed selection (what ``Write…`` accepts), None before a preview."""
        return self._result

    def preview(self) -> None:
        params = self.params()
        try:
            result = self._compute(self.project, params)
        except (DataError, ValueError) as exc:  # say what to change
            self.summary.setText(exc.describe() if isinstance(exc, DataError) else str(exc))
            self._result = None
            self.write_button.setEnabled(False)
            return
        self._result = result
        self._show(result.report)
        self.write_button.setEnabled(True)
        self.previewed.emit(result)

    def _stale(self, *_args: object) -> None:
        """Settings changed: the preview no longer describes them."""
        if self._result is not None:
            self._result = None
            self.write_button.setEnabled(False)
            self.summary.setText("Settings changed: preview again before writing.")

    def _show(self, report: dict) -> None:
        self.summary.setText(
            f"{report['selected']:,} of {report['rows']:,} rows "
            f"({report['eligible']:,} could be picked); weights: {report['weights']}"
        )
        lines: list[tuple[str, str, str]] = [
            (
                "clusters covered",
                f"{report['clusters']['before']:,}",
                f"{report['clusters']['after']:,}",
            ),
            (
                "mean distance to nearest selected",
                "",
                _num(report["mean_nearest_selected_distance"], 4),
            ),
        ]
        for key in ("p10", "p50", "p90"):
            lines.append(
                (
                    f"length {key} (chars)",
                    _num(report["length_chars"]["before"][key]),
                    _num(report["length_chars"]["after"][key]),
                )
            )
        self.table.setRowCount(len(lines))
        for r, values in enumerate(lines):
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()


def _select(project: Project, params: SelectParams) -> SelectResult:
    from inspector.core.select.project_select import select_subset

    return select_subset(project, params)


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"
