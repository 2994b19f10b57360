"""The dataset's facts in the status bar: rows, format and mapping, size on disk, skipped
bad lines, the id rule and stale labels, each a label with a thin rule before it."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QStatusBar

from inspector.core.data.dataset import Dataset
from inspector.ui.data.open_dialogs import role_text

FACTS = ("rows", "format", "size", "skipped", "id", "stale")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{n} bytes"


def fact_texts(d: Dataset) -> dict[str, str]:
    """What each label says about ``d`` ("" hides the label)."""
    files = f" in {len(d.files):,} files" if len(d.files) > 1 else ""
    bad = len(d.bad)
    if d.id_rule == "content_sha256":
        ids = "ids: content hash" if d.ids_ready else "ids: content hash (computing…)"
    else:
        ids = f"ids: column {d.id_rule.removeprefix('column:')}"
    return {
        "rows": f"{d.height:,} row{'' if d.height == 1 else 's'}"
        + (f" in split {d.sources.split}" if d.sources.split else ""),
        "format": role_text(d.spec),
        "size": human_size(sum(f.size for f in d.files)) + files,
        "skipped": f"{bad:,} bad line{'s' if bad != 1 else ''} skipped" if bad else "",
        "id": ids,
    }


class StatusFacts:
    """Adds its labels to ``bar`` as permanent widgets; ``show(dataset)`` fills them."""

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        self._rules: dict[str, QFrame] = {}
        for name in FACTS:
            rule = QFrame()
            rule.setFrameShape(QFrame.Shape.VLine)
            rule.setFrameShadow(QFrame.Shadow.Plain)
            rule.setStyleSheet("color: palette(mid);")
            label = QLabel()
            label.setObjectName(f"status_{name}")
            label.setContentsMargins(6, 0, 6, 0)
            self.labels[name] = label
            self._rules[name] = rule
            bar.addPermanentWidget(rule)
            bar.addPermanentWidget(label)
        self.labels["format"].setToolTip("Dataset ▸ Format and Fields… changes it")
        self.labels["skipped"].setStyleSheet("color: #b45309;")
        self.labels["stale"].setStyleSheet("color: #b45309;")
        self.labels["stale"].setToolTip(
            "Labels whose rows changed or went away since they were made: set aside, not "
            "exported (inspector info PATH counts them)"
        )
        bar.setStyleSheet("QStatusBar::item { border: none; }")
        self.show(None)

    def show_stale(self, count: int) -> None:
        """ "N stale labels" (hidden at 0); ``show(None)`` hides it too."""
        text = f"{count:,} stale label{'s' if count != 1 else ''}" if count else ""
        self.labels["stale"].setText(text)
        self.labels["stale"].setVisible(bool(text))
        self._rules["stale"].setVisible(bool(text))

    def show(self, dataset: Dataset | None) -> None:
        texts = fact_texts(dataset) if dataset is not None else dict.fromkeys(FACTS, "")
        for name, text in texts.items():
            self.labels[name].setText(text)
            self.labels[name].setVisible(bool(text))
            self._rules[name].setVisible(bool(text))
        if dataset is not None and dataset.bad:
            tip = "\n".join(b.describe() for b in dataset.bad[:20])
            self.labels["skipped"].setToolTip(tip)
