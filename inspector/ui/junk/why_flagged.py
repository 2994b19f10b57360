"""The "Why flagged" section under the sample pane: the current row's learned score and what
drove it (the nearest rows the curator labelled, the signals that moved the score: see
:mod:`inspector.core.learn.explain`), and each quality flag with its plain name, field,
value, threshold and the matched span highlighted. A labelled neighbour is a link to its row.

:func:`row_explanation` gathers it (Qt-free values: the rules' flags from
:func:`inspector.core.junk.quality.explain_row` over the saved analysis, the learned signals'
from :meth:`inspector.core.learn.signals.SignalTable.flags`); :class:`WhyFlaggedView` draws it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

if TYPE_CHECKING:
    from inspector.core.learn.explain import LearnedExplanation

CONTEXT_CHARS = 80  # characters shown either side of a matched span
WHOLE_CHARS = 160  # characters shown of a text judged as a whole
MARK = "background:#ffd54f"
ROW_LINK = "row:"  # href of a labelled neighbour: row:<row number>


@dataclass
class FlagNote:
    """One flag as the reader shows it."""

    title: str
    name: str  # rule or signal name
    field: str
    value: float | None
    threshold: str  # "above 0.5", "below 0.3 or above 10"
    action: str  # flag / remove
    text: str  # the field's text ("" when unknown)
    start: int | None = None
    end: int | None = None
    detail: str | None = None


@dataclass
class RowExplanation:
    score: float | None = None  # learned keep probability
    model: dict[str, Any] | None = None  # learned_lists() facts (labels, model, AUC)
    flags: list[FlagNote] = field(default_factory=list)
    learned: LearnedExplanation | None = None  # what drove the score

    @property
    def empty(self) -> bool:
        return self.score is None and not self.flags


def _bounds(lo: float | None, hi: float | None) -> str:
    parts = []
    if lo is not None:
        parts.append(f"below {lo:g}")
    if hi is not None:
        parts.append(f"above {hi:g}")
    return " or ".join(parts) or "no bound"


def _span(value: Any) -> int | None:
    if value is None:
        return None
    v = int(value)
    return v if v >= 0 else None


def row_explanation(
    row: int,
    *,
    table: pl.DataFrame | None = None,
    frame: pl.DataFrame | None = None,
    fields: dict[str, str] | None = None,
    rules: Any = None,
    signal_flags: pl.DataFrame | None = None,
    score: float | None = None,
    model: dict[str, Any] | None = None,
    learned: LearnedExplanation | None = None,
) -> RowExplanation:
    """What the reader says about ``row``: the learned score, the rules' flags (``table``: the
    analysis, with ``frame``/``fields`` the texts as the rules saw them) and the learned
    signals' flags (``signal_flags``: :meth:`SignalTable.flags` of the dataset's rows)."""
    out = RowExplanation(score, model, learned=learned if score is not None else None)
    fields = fields or {}

    def text_of(name: str) -> str:
        if frame is None or name not in fields or fields[name] not in frame.columns:
            return ""
        value = frame[fields[name]][row]
        return "" if value is None else str(value)

    if table is not None and frame is not None and 0 <= row < table.height:
        from inspector.core.junk.quality import explain_row

        for e in explain_row(table, frame, fields, row, rules):
            value = e["value"]
            out.flags.append(
                FlagNote(
                    e["title"],
                    e["rule"],
                    e["field"],
                    None if value is None else float(value),
                    _bounds(e["min"], e["max"]),
                    e["action"],
                    text_of(e["field"]),
                    _span(e["start"]),
                    _span(e["end"]),
                )
            )
    if signal_flags is not None and signal_flags.height:
        from inspector.core.learn.signals import SIGNALS

        for r in signal_flags.filter(pl.col("row") == row).iter_rows(named=True):
            sig = SIGNALS.get(r["signal"])
            word = "below" if sig is not None and sig.flags_when == "below" else "above"
            out.flags.append(
                FlagNote(
                    r["title"],
                    r["signal"],
                    r["field"],
                    r["value"],
                    f"{word} {r['threshold']:g}",
                    r["action"],
                    text_of("response"),
                    _span(r["start"]),
                    _span(r["end"]),
                    r["detail"],
                )
            )
    return out


def snippet_html(text: str, start: int | None, end: int | None) -> str:
    """The text around ``[start, end)`` with the span marked (or the text's start)."""
    if not text:
        return ""
    if start is None or end is None or not 0 <= start <= len(text):
        cut = text[:WHOLE_CHARS]
        return html.escape(cut) + ("…" if len(text) > len(cut) else "")
    end = max(min(end, len(text)), start)
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    marked = text[start:end] or " "
    return (
        ("…" if lo else "")
        + html.escape(text[lo:start])
        + f'<span style="{MARK}">{html.escape(marked)}</span>'
        + html.escape(text[end:hi])
        + ("…" if hi < len(text) else "")
    )


def explanation_html(ex: RowExplanation) -> str:
    parts: list[str] = []
    if ex.score is not None:
        facts = ex.model or {}
        about = ", ".join(
            s
            for s in (
                f"{facts['model']} model" if facts.get("model") else "",
                f"{facts['labels']} labels" if isinstance(facts.get("labels"), int) else "",
                f"CV AUC {facts['cv_auc']:.2f}" if facts.get("cv_auc") is not None else "",
            )
            if s
        )
        parts.append(
            f"<p><b>Learned keep probability: {ex.score:.2f}</b>"
            + (f" <small>({html.escape(about)})</small>" if about else "")
            + "</p>"
        )
        if ex.learned is not None:
            parts.append(learned_html(ex.learned))
    if ex.flags:
        parts.append(f"<p><b>Why flagged</b> ({len(ex.flags)})</p><ul>")
        for f in ex.flags:
            value = "—" if f.value is None else f"{f.value:.3g}"
            detail = f" · {html.escape(f.detail)}" if f.detail else ""
            snippet = snippet_html(f.text, f.start, f.end)
            parts.append(
                f"<li><b>{html.escape(f.title)}</b> <small>({html.escape(f.name)})</small> · "
                f"{html.escape(f.field)} · value {value} · flags when "
                f"{html.escape(f.threshold)} · {html.escape(f.action)}{detail}"
                + (f'<br><span style="white-space:pre-wrap">{snippet}</span>' if snippet else "")
                + "</li>"
            )
        parts.append("</ul>")
    elif ex.score is not None:
        parts.append("<p>No quality flags.</p>")
    return "".join(parts)


def learned_html(ex: LearnedExplanation) -> str:
    """The nearest labelled rows (links to them) and the drivers of the score."""
    parts: list[str] = []
    if ex.own_label:
        parts.append(
            f"<p>You labelled this row <b>{ex.own_label}</b>; the model learned from it.</p>"
        )
    if ex.summary:
        items = "".join(
            f'<li><a href="{ROW_LINK}{n.row}">{"kept" if n.keep else "dropped"}</a> '
            f"<small>(similarity {n.similarity:.2f})</small>"
            + (f" “{html.escape(n.snippet)}”" if n.snippet else f" {html.escape(n.id)}")
            + "</li>"
            for n in ex.neighbours
        )
        parts.append(
            f"<p><b>{html.escape(ex.summary)}</b> (nearest labelled rows)</p><ul>{items}</ul>"
        )
    drivers = list(ex.drivers) + ([ex.content] if ex.content is not None else [])
    if drivers:
        title = (
            "What moved the score"
            if ex.model_kind == "logistic"
            else "Signals outside their usual range"
        )
        lines = "".join(f"<li>{html.escape(d.text)}</li>" for d in drivers)
        parts.append(f"<p><b>{title}</b></p><ul>{lines}</ul>")
    return "".join(parts)


class WhyFlaggedView(QTextBrowser):
    """The current row's learned score and flags; hidden when there is nothing to say.
    A click on a labelled neighbour emits :attr:`rowLinkClicked` with its row."""

    rowLinkClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("why_flagged")
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._anchor)
        self.setMaximumHeight(260)
        self.explanation = RowExplanation()
        self.current_html = ""
        self.setVisible(False)

    def show_explanation(self, ex: RowExplanation) -> None:
        self.explanation = ex
        self.current_html = explanation_html(ex)
        self.setHtml(self.current_html)
        self.setVisible(not ex.empty)

    def _anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith(ROW_LINK) and text[len(ROW_LINK) :].isdigit():
            self.rowLinkClicked.emit(int(text[len(ROW_LINK) :]))

    def clear_explanation(self) -> None:
        self.show_explanation(RowExplanation())
