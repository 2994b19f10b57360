"""The sample pane: one sample drawn the way a person reads it.

Chat turns are labelled per role in colour, Alpaca shows instruction / input / output
sections, preference pairs show chosen and rejected side by side, half the width each, with the
differing words marked when the sides are similar enough for that to help, fenced code is monospace on a light background. Everything from the data is
HTML-escaped. :func:`sample_html` is a pure function of a rendered record (testable without
a window); :class:`SampleView` shows it.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser

from inspector.core.data.dataset import LENGTH, Dataset
from inspector.core.data.render import Block, Rendered, word_diff

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
CODE_BACKGROUND = "#f3f4f6"
MUTED = "#6b7280"
# Double quotes: the list goes inside single-quoted style attributes.
MONO = '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace'
# A 10 MB row would take the text engine seconds to lay out: show the start and say so.
MAX_BLOCK_CHARS = 60_000
MAX_EXTRA_CHARS = 300
# A preference pair's word diff is shown when the sides share at least this share of words.
DIFF_MIN_SIMILARITY = 0.5
PAIR_GAP_PX = 8  # between the sides, half in each

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S
)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")

Runs = list[tuple[str, bool]]


# -- text with code and marks -----------------------------------------------------------------
def _segments(text: str) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, language) pieces of ``text``: prose, code (fenced), inline code.
    The fence lines themselves are left out."""
    out: list[tuple[str, int, int, str]] = []
    pos = 0
    for m in _FENCE.finditer(text):
        before = m.start()
        while before > pos and text[before - 1] == "\n":  # the code box makes its own gap
            before -= 1
        out += _prose(text, pos, before)
        end = m.end(2)
        body_end = end - 1 if end > m.start(2) and text[end - 1] == "\n" else end
        out.append(("code", m.start(2), body_end, m.group(1)))
        pos = m.end()
        while pos < len(text) and text[pos] == "\n":
            pos += 1
    out += _prose(text, pos, len(text))
    return out


def _prose(text: str, start: int, end: int) -> list[tuple[str, int, int, str]]:
    out = []
    pos = start
    for m in _INLINE_CODE.finditer(text, start, end):
        if m.start() > pos:
            out.append(("prose", pos, m.start(), ""))
        out.append(("inline", m.start(1), m.end(1), ""))
        pos = m.end()
    if end > pos:
        out.append(("prose", pos, end, ""))
    return out


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]], colour: str) -> str:
    """Escaped ``text[start:end]`` with the parts inside ``spans`` on a ``colour`` background."""
    html = []
    pos = start
    for s, e in spans:
        if e <= pos or s >= end:
            continue
        s, e = max(s, pos), min(e, end)
        html.append(escape(text[pos:s]))
        html.append(f"<span style='background-color:{colour}'>{escape(text[s:e])}</span>")
        pos = e
    html.append(escape(text[pos:end]))
    return "".join(html)


def text_html(text: str, runs: Runs | None = None, mark_colour: str = CHOSEN_MARK) -> str:
    """HTML for one block's text: prose keeps its line breaks, fenced code is a monospace box,
    and the runs marked as differing (from :func:`word_diff`) get ``mark_colour``."""
    note = ""
    if len(text) > MAX_BLOCK_CHARS:
        note = (
            f"<p style='color:{MUTED}'><i>… {len(text) - MAX_BLOCK_CHARS:,} more characters "
            "not shown</i></p>"
        )
        text = text[:MAX_BLOCK_CHARS]
    spans: list[tuple[int, int]] = []
    if runs:
        pos = 0
        for piece, differs in runs:
            if differs and piece.strip():
                spans.append((pos, pos + len(piece)))
            pos += len(piece)
    parts = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            parts.append(f"<p style='white-space:pre-wrap; margin:0'>{''.join(prose)}</p>")
            prose.clear()

    for kind, start, end, lang in _segments(text):
        body = _marked(text, start, end, spans, mark_colour)
        if kind == "prose":
            prose.append(body)
        elif kind == "inline":
            prose.append(
                f"<span style='font-family:{MONO}; background-color:{CODE_BACKGROUND}'>"
                f"{body}</span>"
            )
        else:
            flush()
            caption = (
                f"<p style='color:{MUTED}; font-size:small; margin:0 0 4px 0'>{escape(lang)}</p>"
                if lang
                else ""
            )
            # Wrapped, not <pre>: one long line would widen the whole pane and hide the prose.
            parts.append(
                f"<table width='100%' cellspacing='0' cellpadding='8' bgcolor='{CODE_BACKGROUND}'"
                f" style='margin-top:6px; margin-bottom:6px'><tr><td>{caption}"
                f"<p style='white-space:pre-wrap; font-family:{MONO}; margin:0'>{body}</p>"
                "</td></tr></table>"
            )
    flush()
    return "".join(parts) + note


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
) -> str:
    """One turn or section: a coloured bar and label for its role, then its text."""
    colour = colour or ROLE_COLOURS.get(block.role, ROLE_COLOURS["section"])
    return (
        "<table width='100%' cellspacing='0' cellpadding='0' style='margin-bottom:10px'><tr>"
        f"<td width='3' bgcolor='{colour}'></td><td width='10'></td>"
        f"<td>{_label(block.title, colour)}{text_html(block.text, runs, mark_colour)}</td>"
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


def _pair_html(chosen: list[Block], rejected: list[Block]) -> str:
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
        left = block_html(_titled(a, "chosen"), ra, CHOSEN_MARK, CHOSEN_COLOUR) if a else ""
        right = block_html(_titled(b, "rejected"), rb, REJECTED_MARK, REJECTED_COLOUR) if b else ""
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


def sample_html(rendered: Rendered, *, ident: str = "", where: str = "", length: int = 0) -> str:
    """The whole sample: a header (id, file and line, format, length), the blocks, the
    chosen/rejected pair if any, and the other columns."""
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
    body = "".join(block_html(b) for b in rendered.blocks)
    if rendered.chosen is not None and rendered.rejected is not None:
        body += _pair_html(rendered.chosen, rendered.rejected)
    if not body:
        body = f"<p style='color:{MUTED}'><i>This sample has no text in the mapped fields.</i></p>"
    return f"<body>{header}{body}{extra_html(rendered.extra)}</body>"


class SampleView(QTextBrowser):
    """Shows one sample; long samples scroll."""

    PLACEHOLDER = "Select a row to read the sample."

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sample_view")
        self.setOpenLinks(False)
        self.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.document().setDocumentMargin(14)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.row: int | None = None
        self.current_html = ""
        self.show_message(self.PLACEHOLDER)

    def show_row(self, dataset: Dataset, row: int) -> None:
        """Draw dataset ``row``."""
        from inspector.ui.common.table_roles import locator

        rendered = dataset.render(row)
        html = sample_html(
            rendered,
            ident=str(dataset.ids[row]) if dataset.ids_ready else "id: computing…",
            where=locator(dataset, row),
            length=int(dataset.frame[LENGTH][row]),
        )
        self.row = row
        self._set(html)

    def show_message(self, text: str) -> None:
        self.row = None
        self._set(f"<p style='color:{MUTED}; margin-top:24px' align='center'>{escape(text)}</p>")

    def _set(self, html: str) -> None:
        self.current_html = html
        self.setHtml(html)
        self.verticalScrollBar().setValue(0)
