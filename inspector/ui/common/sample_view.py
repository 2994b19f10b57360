"""The sample pane: one sample drawn the way a person reads it.

Chat turns are labelled per role in colour, Alpaca shows instruction / input / output
sections, preference pairs show chosen and rejected side by side, half the width each, with the
differing words marked when the sides are similar enough for that to help. Each text is
rendered as Markdown (:mod:`inspector.ui.common.markdown_html`) or, with View > Raw Text, shown
as written (:mod:`inspector.ui.common.reader_text`); in both, code and text laid out in columns
are monospace and the filter's text matches are marked. Everything from the data is
HTML-escaped. :func:`sample_html` is a pure function of a rendered record (testable without
a window); :class:`SampleView` shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QTextBrowser, QWidget

from inspector.core.data.dataset import LENGTH, Dataset
from inspector.core.data.render import Block, Rendered, word_diff
from inspector.ui.common.markdown_html import markdown_html
from inspector.ui.common.reader_text import (
    CODE_BACKGROUND,  # noqa: F401 - re-exported: other views and tests import it here
    MATCH_ANCHOR,
    MATCH_MARK,
    MONO,
    MUTED,
    Marks,
    Span,
    match_spans,
    overlay,
    raw_html,
)

if TYPE_CHECKING:
    from inspector.ui.common.actions import ActionRegistry

ROLE_COLOURS = {
    "user": "#2563eb",
    "assistant": "#059669",
    "system": "#7c3aed",
    "tool": "#d97706",
    "section": "#4b5563",
}
CHOSEN_COLOUR = "#059669"
REJECTED_COLOUR = "#dc2626"
CHOSEN_MARK = "#bbf7d0"  # background of words only the chosen side has
REJECTED_MARK = "#fecaca"
# A 10 MB row would take the text engine seconds to lay out: show the start and say so.
MAX_BLOCK_CHARS = 60_000
MAX_EXTRA_CHARS = 300
# A preference pair's word diff is shown when the sides share at least this share of words.
DIFF_MIN_SIMILARITY = 0.5
PAIR_GAP_PX = 8  # between the sides, half in each


@dataclass(frozen=True)
class TextMatch:
    """The filter bar's text search, as the reader marks it."""

    text: str = ""
    regex: bool = False
    case: bool = False


Runs = list[tuple[str, bool]]


def text_html(
    text: str,
    runs: Runs | None = None,
    mark_colour: str = CHOSEN_MARK,
    *,
    markdown: bool = True,
    match: TextMatch | None = None,
) -> str:
    """HTML for one block's text, rendered as Markdown or (``markdown=False``) as written:
    fenced code is a monospace box, text laid out in columns is monospace, the runs marked as
    differing (from :func:`word_diff`) get ``mark_colour`` and the filter's matches
    :data:`MATCH_MARK`."""
    note = ""
    if len(text) > MAX_BLOCK_CHARS:
        note = (
            f"<p style='color:{MUTED}'><i>… {len(text) - MAX_BLOCK_CHARS:,} more characters "
            "not shown</i></p>"
        )
        text = text[:MAX_BLOCK_CHARS]
    spans: list[Span] = []
    if runs:
        pos = 0
        for piece, differs in runs:
            if differs and piece.strip():
                spans.append((pos, pos + len(piece), mark_colour))
            pos += len(piece)
    if match is not None and match.text:
        found = match_spans(text, match.text, regex=match.regex, case=match.case)
        spans = overlay(spans, [(s, e, MATCH_MARK) for s, e in found])
    marks = Marks(spans, anchor_colour=MATCH_MARK)
    body = markdown_html(text, marks) if markdown else raw_html(text, marks)
    return body + note


# -- blocks -----------------------------------------------------------------------------------
def _label(title: str, colour: str) -> str:
    return (
        f"<p style='margin-top:0; margin-bottom:3px'><span style='color:{colour};"
        f" font-weight:600; font-size:small'>{escape(title.upper())}</span></p>"
    )


def block_html(
    block: Block,
    runs: Runs | None = None,
    mark_colour: str = CHOSEN_MARK,
    colour: str | None = None,
    *,
    markdown: bool = True,
    match: TextMatch | None = None,
) -> str:
    """One turn or section: a coloured bar and label for its role, then its text."""
    colour = colour or ROLE_COLOURS.get(block.role, ROLE_COLOURS["section"])
    return (
        "<table width='100%' cellspacing='0' cellpadding='0' style='margin-bottom:10px'><tr>"
        f"<td width='3' bgcolor='{colour}'></td><td width='10'></td>"
        f"<td>{_label(block.title, colour)}"
        f"{text_html(block.text, runs, mark_colour, markdown=markdown, match=match)}</td>"
        "</tr></table>"
    )


def diff_similarity(runs_a: Runs, runs_b: Runs) -> float:
    """The share of words the two sides have in common (0: none, 1: all), from
    :func:`word_diff`'s runs: twice the words in unchanged runs over all words."""
    same = total = 0
    for runs in (runs_a, runs_b):
        for piece, differs in runs:
            n = len(piece.split())
            total += n
            same += 0 if differs else n
    return same / total if total else 1.0


def _pair_html(
    chosen: list[Block],
    rejected: list[Block],
    *,
    markdown: bool = True,
    match: TextMatch | None = None,
) -> str:
    """Chosen and rejected side by side, each half the width; where both sides have a turn
    and share enough words (:data:`DIFF_MIN_SIMILARITY`), its differing words are marked
    (green on the chosen side, red on the rejected side). Two answers that share few words
    would be marked almost everywhere, which hides more than it shows: they are plain text."""
    # Two columns of 50% and the gap as padding: a fixed-width gap column beside two 50%
    # columns overflows 100%, and Qt then takes the excess out of one side.
    half = PAIR_GAP_PX // 2
    left_gap = f"style='padding-right:{half}px'"
    gap = f"style='padding-left:{half}px'"
    rows = [
        "<tr>"
        f"<td width='50%' {left_gap}>{_label('chosen', CHOSEN_COLOUR)}</td>"
        f"<td width='50%' {gap}>{_label('rejected', REJECTED_COLOUR)}</td></tr>"
    ]
    unmarked = False
    for i in range(max(len(chosen), len(rejected))):
        a = chosen[i] if i < len(chosen) else None
        b = rejected[i] if i < len(rejected) else None
        ra = rb = None
        if a is not None and b is not None and a.text != b.text:
            runs = word_diff(a.text, b.text)
            if diff_similarity(*runs) >= DIFF_MIN_SIMILARITY:
                ra, rb = runs
            else:
                unmarked = True
        left = right = ""
        if a is not None:
            left = block_html(
                _titled(a, "chosen"), ra, CHOSEN_MARK, CHOSEN_COLOUR, markdown=markdown, match=match
            )
        if b is not None:
            right = block_html(
                _titled(b, "rejected"),
                rb,
                REJECTED_MARK,
                REJECTED_COLOUR,
                markdown=markdown,
                match=match,
            )
        rows.append(
            f"<tr><td width='50%' valign='top' {left_gap}>{left}</td>"
            f"<td width='50%' valign='top' {gap}>{right}</td></tr>"
        )
    note = (
        f"<p style='color:{MUTED}; font-size:small; margin-top:0'>The two sides share few "
        "words: differences are not marked.</p>"
        if unmarked
        else ""
    )
    return f"<table width='100%' cellspacing='0' cellpadding='0'>{''.join(rows)}</table>{note}"


def _titled(block: Block, side: str) -> Block:
    # A bare response is titled by its side already; a turn keeps its role's title.
    title = block.title if block.title not in (side, "text") else "response"
    return Block(title, block.text, block.role)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text[:MAX_EXTRA_CHARS] + ("…" if len(text) > MAX_EXTRA_CHARS else "")


def extra_html(extra: dict[str, Any]) -> str:
    """The other columns, one compact line each."""
    rows = [
        f"<tr><td style='color:{MUTED}; padding-right:12px' valign='top'>{escape(k)}</td>"
        f"<td>{escape(_value_text(v))}</td></tr>"
        for k, v in extra.items()
        if v is not None and v != ""
    ]
    if not rows:
        return ""
    return (
        f"<p style='margin-top:14px; margin-bottom:2px'><span style='color:{MUTED};"
        " font-size:small; font-weight:600'>OTHER COLUMNS</span></p>"
        f"<table cellspacing='0' cellpadding='1'>{''.join(rows)}</table>"
    )


def sample_html(
    rendered: Rendered,
    *,
    ident: str = "",
    where: str = "",
    length: int = 0,
    markdown: bool = True,
    match: TextMatch | None = None,
) -> str:
    """The whole sample: a header (id, file and line, format, length), the blocks, the
    chosen/rejected pair if any, and the other columns. The texts are rendered as Markdown
    (``markdown=False``: as written), the filter's ``match`` marked in them."""
    facts = [escape(where)] if where else []
    facts.append(escape(rendered.kind.replace("_", " ")))
    if length:
        facts.append(f"{length:,} characters")
    # a table, because Qt keeps a table's bottom margin where it drops a paragraph's
    header = (
        "<table cellspacing='0' cellpadding='0' style='margin-bottom:12px'><tr><td>"
        f"<span style='font-family:{MONO}; font-weight:600'>{escape(ident)}</span><br>"
        f"<span style='color:{MUTED}; font-size:small'>{' · '.join(facts)}</span>"
        "</td></tr></table>"
    )
    body = "".join(block_html(b, markdown=markdown, match=match) for b in rendered.blocks)
    if rendered.chosen is not None and rendered.rejected is not None:
        body += _pair_html(rendered.chosen, rendered.rejected, markdown=markdown, match=match)
    if not body:
        body = f"<p style='color:{MUTED}'><i>This sample has no text in the mapped fields.</i></p>"
    return f"<body>{header}{body}{extra_html(rendered.extra)}</body>"


RAW_SETTING = "reader/raw"  # QSettings key: show the text as written, not rendered


class SampleView(QTextBrowser):
    """Shows one sample, its text rendered as Markdown or as written (:meth:`set_raw`,
    remembered in the settings), the filter's text matches marked (:meth:`set_match`); long
    samples scroll. Links are never followed and nothing is ever loaded."""

    PLACEHOLDER = "Select a row to read the sample."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sample_view")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.document().setDocumentMargin(14)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.row: int | None = None
        self.current_html = ""
        self.raw = bool(QSettings().value(RAW_SETTING, False, type=bool))
        self.match: TextMatch | None = None
        self.raw_action: QAction | None = None  # View ▸ Raw Text, when a window installs it
        self._dataset: Dataset | None = None
        self.show_message(self.PLACEHOLDER)

    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802 (Qt's name)
        return None  # never a file or the network, whatever a sample's text names

    # -- what is shown ----------------------------------------------------------------------
    def show_row(self, dataset: Dataset, row: int) -> None:
        """Draw dataset ``row``."""
        from inspector.ui.common.table_roles import locator

        rendered = dataset.render(row)
        html = sample_html(
            rendered,
            ident=str(dataset.ids[row]) if dataset.ids_ready else "id: computing…",
            where=locator(dataset, row),
            length=int(dataset.frame[LENGTH][row]),
            markdown=not self.raw,
            match=self.match,
        )
        self.row = row
        self._dataset = dataset
        self._set(html)
        if self.match is not None and f"name='{MATCH_ANCHOR}'" in html:
            self._scroll_to_match()

    def show_message(self, text: str) -> None:
        self.row = None
        self._dataset = None
        self._set(f"<p style='color:{MUTED}; margin-top:24px' align='center'>{escape(text)}</p>")

    def _redraw(self) -> None:
        if self._dataset is not None and self.row is not None:
            if 0 <= self.row < self._dataset.height:
                self.show_row(self._dataset, self.row)

    def _set(self, html: str) -> None:
        self.current_html = html
        self.setHtml(html)
        self.verticalScrollBar().setValue(0)

    def _scroll_to_match(self) -> None:
        """Bring the first match into view when it is below the first screen, with some of
        the text before it above it."""
        bar = self.verticalScrollBar()
        self.scrollToAnchor(MATCH_ANCHOR)
        top = bar.value()
        height = self.viewport().height()
        bar.setValue(0 if top < height * 2 // 3 else max(0, top - height // 3))

    # -- options ----------------------------------------------------------------------------
    def set_raw(self, raw: bool) -> None:
        """Show the text as written (``True``) or rendered as Markdown; remembered."""
        self.raw = bool(raw)
        QSettings().setValue(RAW_SETTING, self.raw)
        if self.raw_action is not None:
            self.raw_action.setChecked(self.raw)
        self._redraw()

    def set_match(self, text: str, *, regex: bool = False, case: bool = False) -> None:
        """Mark ``text`` (a substring, or a regular expression) in the samples shown, as the
        filter bar finds it; ``""`` marks nothing."""
        match = TextMatch(text, regex, case) if text else None
        if match != self.match:
            self.match = match
            self._redraw()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt's name)
        menu = self.createStandardContextMenu(event.pos())
        menu.addSeparator()
        raw = menu.addAction("Raw Text")
        raw.setCheckable(True)
        raw.setChecked(self.raw)
        raw.triggered.connect(self.set_raw)
        menu.exec(event.globalPos())
        menu.deleteLater()


def install_reader_actions(view: SampleView, actions: ActionRegistry) -> QAction:
    """View ▸ Raw Text (checkable): the reader shows the text as written or rendered."""
    action = actions.register(
        "view.raw_text",
        "&Raw Text",
        lambda: view.set_raw(not view.raw),
        keys=["Ctrl+U"],
        menu="View",
        tip="Show the sample's text as written instead of rendered as Markdown (remembered)",
    )
    action.setCheckable(True)
    action.setChecked(view.raw)
    view.raw_action = action
    return action
