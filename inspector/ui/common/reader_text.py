"""The reader's text, the parts shared by its raw and rendered (Markdown) views: marks painted
at *source* positions (word differences, the filter's matches, found by the filter's own
regex engine), fenced code, text laid out in columns (monospace), and the raw view itself.
Every character of the data goes through :func:`html.escape`. Pure functions, no Qt.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from html import escape

MONO = '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace'
CODE_BACKGROUND = "#f3f4f6"
MUTED = "#6b7280"
MATCH_MARK = "#fde047"  # background of the filter's text/regex matches
MATCH_ANCHOR = "first-match"  # the reader scrolls here

MAX_DEPTH = 8  # nested lists, quotes and emphasis beyond this are shown as they are
MAX_MATCHES = 2_000  # matches marked per text
COLUMN_RUN_LINES = 3  # lines in a row that share their column starts before they count

Span = tuple[int, int, str]  # [start, end) in the source, background colour

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S
)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_BOX = re.compile("[\u2500-\u257f]")
_GRID = re.compile(r"\s*[+|].*[+|]\s*$")
_GAP = re.compile(r"(?<=\S)(?: {2,}|\t+)(?=\S)")
_LIST_MARK = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])$")


# -- marks --------------------------------------------------------------------------------------
def overlay(base: list[Span], top: list[Span]) -> list[Span]:
    """One sorted, non-overlapping list of spans: ``top`` wins where the two overlap."""
    out: list[Span] = []
    j = 0
    for s, e, colour in base:
        while j < len(top) and top[j][1] <= s:
            j += 1
        k, pos = j, s
        while k < len(top) and top[k][0] < e:
            if top[k][0] > pos:
                out.append((pos, top[k][0], colour))
            pos = max(pos, top[k][1])
            k += 1
        if pos < e:
            out.append((pos, e, colour))
    return sorted(out + top)


class Marks:
    """Spans to paint (sorted, non-overlapping); the first span of ``anchor_colour`` also
    gets the anchor :data:`MATCH_ANCHOR` so the reader can scroll to it."""

    def __init__(self, spans: list[Span] | None = None, anchor_colour: str = "") -> None:
        self.spans = spans or []
        self._ends = [e for _, e, _ in self.spans]
        self._anchor_colour = anchor_colour

    def paint(self, text: str, start: int, end: int) -> str:
        """Escaped ``text[start:end]``, the parts inside the spans on their background."""
        html: list[str] = []
        pos = start
        i = bisect_left(self._ends, start + 1)
        while i < len(self.spans) and self.spans[i][0] < end:
            s, e, colour = self.spans[i]
            s, e = max(s, pos), min(e, end)
            html.append(escape(text[pos:s]))
            if colour == self._anchor_colour:
                html.append(f"<a name='{MATCH_ANCHOR}'></a>")
                self._anchor_colour = ""
            html.append(f"<span style='background-color:{colour}'>{escape(text[s:e])}</span>")
            pos = e
            i += 1
        html.append(escape(text[pos:end]))
        return "".join(html)


def match_spans(text: str, pattern: str, *, regex: bool = False, case: bool = False) -> list:
    """[start, end) of each match of the filter's text (a substring, or a regular expression)
    in ``text``, found by the engine the filter itself uses (polars, Rust's regex: linear time,
    so a hostile pattern cannot hang the window). None on an invalid pattern; at most
    :data:`MAX_MATCHES`."""
    import polars as pl

    if not pattern or not text:
        return []
    source = pattern if regex else re.escape(pattern)
    if not case:
        source = "(?i)" + source
    # Two private-use characters mark each match; any already in the text stand in as another.
    plain = text.replace("\ue000", "\ue002").replace("\ue001", "\ue002")
    try:
        marked = pl.Series([plain]).str.replace_all(source, "\ue000${0}\ue001")[0]
    except Exception:  # noqa: BLE001 - polars' compute errors for a bad pattern
        return []
    spans: list[tuple[int, int]] = []
    shift = pos = 0
    while len(spans) < MAX_MATCHES:
        s = marked.find("\ue000", pos)
        if s < 0:
            break
        e = marked.find("\ue001", s + 1)
        if e > s + 1:
            spans.append((s - shift, e - shift - 1))
        shift += 2
        pos = e + 1
    return spans


# -- regions: fenced code, columns, prose -------------------------------------------------------
def fences(text: str) -> list[tuple[str, int, int, str]]:
    """("prose" | "code", start, end, language) pieces of ``text``; the fence lines themselves
    and the blank lines around a code box are left out."""
    out: list[tuple[str, int, int, str]] = []
    pos = 0
    for m in _FENCE.finditer(text):
        before = m.start()
        while before > pos and text[before - 1] == "\n":  # the code box makes its own gap
            before -= 1
        if before > pos:
            out.append(("prose", pos, before, ""))
        end = m.end(2)
        body_end = end - 1 if end > m.start(2) and text[end - 1] == "\n" else end
        out.append(("code", m.start(2), body_end, m.group(1)))
        pos = m.end()
        while pos < len(text) and text[pos] == "\n":
            pos += 1
    if len(text) > pos:
        out.append(("prose", pos, len(text), ""))
    return out


def lines_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) of each line of ``text[start:end]`` (without its newline)."""
    out = []
    pos = start
    while pos <= end:
        nl = text.find("\n", pos, end)
        if nl < 0:
            out.append((pos, end))
            break
        out.append((pos, nl))
        pos = nl + 1
    return out


def _column_starts(line: str) -> set[int]:
    """Columns where a word starts after a gap of 2+ spaces or a tab (not after a list mark)."""
    starts = set()
    for m in _GAP.finditer(line):
        if not _LIST_MARK.match(line[: m.start()]):
            starts.add(len(line[: m.end()].expandtabs()))
    return starts


def columnar(text: str, lines: list[tuple[int, int]]) -> list[bool]:
    """Per line: is it part of text laid out in columns? Runs of :data:`COLUMN_RUN_LINES`+
    lines with box-drawing characters, or framed by ``|``/``+`` (ASCII tables), or whose words
    start at a shared column after a wide gap (aligned columns, tab-separated values)."""
    flags = [False] * len(lines)
    framed = [bool(_BOX.search(text, s, e)) or bool(_GRID.fullmatch(text, s, e)) for s, e in lines]
    i = 0
    while i < len(lines):  # framed runs
        j = i
        while j < len(lines) and framed[j]:
            j += 1
        if j - i >= COLUMN_RUN_LINES:
            flags[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    starts = [
        _column_starts(text[s:e]) if "  " in text[s:e] or "\t" in text[s:e] else set()
        for s, e in lines
    ]
    i = 0
    while i < len(lines):  # aligned runs
        shared = starts[i]
        j = i + 1
        while shared and j < len(lines) and shared & starts[j]:
            shared = shared & starts[j]
            j += 1
        if shared and j - i >= COLUMN_RUN_LINES:
            flags[i:j] = [True] * (j - i)
            i = j
        else:
            i += 1
    return flags


# -- shared pieces ------------------------------------------------------------------------------
def code_box(body: str, lang: str = "") -> str:
    caption = (
        f"<p style='color:{MUTED}; font-size:small; margin:0 0 4px 0'>{escape(lang)}</p>"
        if lang
        else ""
    )
    # Wrapped, not <pre>: one long line would widen the whole pane and hide the prose.
    return (
        f"<table width='100%' cellspacing='0' cellpadding='8' bgcolor='{CODE_BACKGROUND}'"
        f" style='margin-top:6px; margin-bottom:6px'><tr><td>{caption}"
        f"<p style='white-space:pre-wrap; font-family:{MONO}; margin:0'>{body}</p>"
        "</td></tr></table>"
    )


def columns_html(body: str) -> str:
    """Text laid out in columns: monospace, its spaces kept."""
    return (
        f"<p style='white-space:pre-wrap; font-family:{MONO}; margin-top:4px;"
        f" margin-bottom:4px'>{body}</p>"
    )


def inline_code(body: str) -> str:
    return f"<span style='font-family:{MONO}; background-color:{CODE_BACKGROUND}'>{body}</span>"


# -- raw ----------------------------------------------------------------------------------------
def raw_html(text: str, marks: Marks) -> str:
    """The text as written: prose keeps its line breaks, fenced code is a monospace box,
    inline code and text laid out in columns are monospace."""
    parts: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            parts.append(f"<p style='white-space:pre-wrap; margin:0'>{''.join(prose)}</p>")
            prose.clear()

    for kind, start, end, lang in fences(text):
        if kind == "code":
            flush()
            parts.append(code_box(marks.paint(text, start, end), lang))
            continue
        for columns, s, e in _column_regions(text, start, end):
            if columns:
                flush()
                parts.append(columns_html(marks.paint(text, s, e)))
                continue
            pos = s
            for m in _INLINE_CODE.finditer(text, s, e):
                prose.append(marks.paint(text, pos, m.start()))
                prose.append(inline_code(marks.paint(text, m.start(1), m.end(1))))
                pos = m.end()
            prose.append(marks.paint(text, pos, e))
    flush()
    return "".join(parts)


def _column_regions(text: str, start: int, end: int) -> Iterator[tuple[bool, int, int]]:
    """(laid out in columns?, start, end) runs of whole lines of ``text[start:end]``."""
    lines = lines_of(text, start, end)
    flags = columnar(text, lines)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and flags[j] == flags[i]:
            j += 1
        yield flags[i], lines[i][0], lines[j - 1][1]
        i = j
