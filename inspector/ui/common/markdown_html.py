"""The reader's text as HTML: Markdown rendered (headings, lists, emphasis, links, tables,
quotes, code) or the raw text, with text laid out in columns in monospace and marks (word
differences, filter matches) painted at *source* positions in both.

A small converter of our own rather than Qt's Markdown importer: every character of the data
goes through :func:`html.escape`, so HTML in the data is shown, never interpreted; no ``<img>``
is ever written (an image is its alt text and address as text), so nothing is loaded; and each
piece of output knows which characters of the source it shows, so a match or a differing word
is marked wherever it falls. Every construct is bounded (table size, nesting depth, URL
length) so a hostile row costs linear time. Pure functions, no Qt.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from html import escape

from inspector.ui.common.reader_text import (
    MAX_DEPTH,
    MUTED,
    Marks,
    code_box,
    columnar,
    columns_html,
    fences,
    inline_code,
    lines_of,
)

QUOTE_BAR = "#d1d5db"
QUOTE_TEXT = "#4b5563"
TABLE_BORDER = "#d1d5db"
MAX_TABLE_COLUMNS = 40
MAX_TABLE_CELLS = 2_000  # bigger tables are shown as monospace text: Qt lays tables out slowly
MAX_URL = 2_048

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+|$)")
_HR = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r" {0,3}> ?")
_ITEM = re.compile(r"( *)([-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_DELIMITER_ROW = re.compile(r" {0,3}\|? *:?-+:? *(?:\| *:?-+:? *)*\|? *$")
_SPECIAL = re.compile(r"[\\`*_~\[!<]")
_URL = r"[^\s()<>]{0,%s}" % MAX_URL  # noqa: UP031 - a regex's braces
_LINK = re.compile(
    r"(!?)\[([^\[\]\n]{0,1000})\]\(\s*<?(" + _URL + r")>?(?:\s+\"[^\"\n]{0,500}\")?\s*\)"
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):" + _URL + ")>")
_DELIMS = re.compile(r"\*+|_+|~+")
_TICKS = re.compile(r"`+")
_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


# -- rendered -----------------------------------------------------------------------------------
def markdown_html(text: str, marks: Marks) -> str:
    """``text`` as Markdown: fenced code boxes, then the blocks of the prose between them."""
    parts = []
    for kind, start, end, lang in fences(text):
        if kind == "code":
            parts.append(code_box(marks.paint(text, start, end), lang))
        else:
            parts.append(_Blocks(text, marks).html(lines_of(text, start, end), 0))
    return "".join(parts)


@dataclass
class _Item:
    indent: int
    ordered: bool
    number: int
    lines: list[tuple[int, int]]


class _Blocks:
    """The block structure of lines of prose (each line a [start, end) of the source)."""

    def __init__(self, text: str, marks: Marks) -> None:
        self.text = text
        self.marks = marks

    def html(self, lines: list[tuple[int, int]], depth: int) -> str:
        text = self.text
        flags = columnar(text, lines)
        out: list[str] = []
        i, n = 0, len(lines)
        while i < n:
            s, e = lines[i]
            line = text[s:e]
            if not line.strip():
                i += 1
                continue
            if i + 1 < n and "|" in line and _DELIMITER_ROW.fullmatch(text, *lines[i + 1]):
                j = i + 2
                while (
                    j < n
                    and "|" in text[lines[j][0] : lines[j][1]]
                    and text[lines[j][0] : lines[j][1]].strip()
                ):
                    j += 1
                out.append(self.table(lines[i:j]))
                i = j
                continue
            if flags[i]:
                j = i
                while j < n and flags[j]:
                    j += 1
                out.append(columns_html(self.marks.paint(text, s, lines[j - 1][1])))
                i = j
                continue
            m = _HEADING.match(line)
            if m:
                body = line.rstrip()
                bare = body.rstrip("#")
                if len(bare) < len(body) and (not bare or bare[-1] in " \t"):
                    body = bare.rstrip()  # a closing run of #
                end_col = max(len(body), m.end())
                out.append(self.heading(len(m.group(1)), s + m.end(), s + end_col))
                i += 1
                continue
            if _HR.match(line):
                out.append("<hr>")
                i += 1
                continue
            if _QUOTE.match(line):
                j = i
                inner = []
                while j < n and (m := _QUOTE.match(text, *lines[j])):
                    inner.append((m.end(), lines[j][1]))
                    j += 1
                out.append(self.quote(inner, depth))
                i = j
                continue
            if _ITEM.match(line):
                j, items = self.items(lines, i)
                out.append(self.lists(items, depth))
                i = j
                continue
            j = i + 1
            while j < n and not self._starts_block(lines, j, flags):
                j += 1
            out.append(self.paragraph(lines[i:j]))
            i = j
        return "".join(out)

    def _starts_block(self, lines: list[tuple[int, int]], j: int, flags: list[bool]) -> bool:
        line = self.text[lines[j][0] : lines[j][1]]
        return (
            not line.strip()
            or flags[j]
            or bool(_HEADING.match(line) or _HR.match(line) or _QUOTE.match(line))
            or bool(_ITEM.match(line))
            or (
                "|" in line
                and j + 1 < len(lines)
                and bool(_DELIMITER_ROW.fullmatch(self.text, *lines[j + 1]))
            )
        )

    # -- blocks ------------------------------------------------------------------------------
    def paragraph(self, lines: list[tuple[int, int]]) -> str:
        body = "<br>".join(self.inline(s, e) for s, e in lines)
        return f"<p style='white-space:pre-wrap; margin-top:0; margin-bottom:8px'>{body}</p>"

    def heading(self, level: int, start: int, end: int) -> str:
        size = {1: "x-large", 2: "large", 3: "medium"}.get(level, "medium")
        return (
            f"<h{level} style='font-size:{size}; margin-top:10px; margin-bottom:4px'>"
            f"{self.inline(start, end)}</h{level}>"
        )

    def quote(self, inner: list[tuple[int, int]], depth: int) -> str:
        body = (
            self.html(inner, depth + 1)
            if depth < MAX_DEPTH
            else self.paragraph([(s, e) for s, e in inner])
        )
        return (
            "<table cellspacing='0' cellpadding='0' style='margin-bottom:8px'><tr>"
            f"<td width='3' bgcolor='{QUOTE_BAR}'></td><td width='10'></td>"
            f"<td style='color:{QUOTE_TEXT}'>{body}</td></tr></table>"
        )

    def items(self, lines: list[tuple[int, int]], i: int) -> tuple[int, list[_Item]]:
        """The list items from line ``i``: an item's lines are its first line's text and the
        lines that continue it (indented, or not a new block), blank lines between items."""
        text = self.text
        items: list[_Item] = []
        n = len(lines)
        while i < n:
            s, e = lines[i]
            m = _ITEM.match(text, s, e)
            if m:
                marker = m.group(2)
                ordered = marker[0].isdigit()
                items.append(
                    _Item(
                        len(m.group(1)), ordered, int(marker[:-1]) if ordered else 0, [(m.end(), e)]
                    )
                )
                i += 1
                continue
            line = text[s:e]
            if not line.strip():
                k = i
                while k < n and not text[lines[k][0] : lines[k][1]].strip():
                    k += 1
                if k < n and (
                    _ITEM.match(text, *lines[k]) or text[lines[k][0] : lines[k][1]].startswith("  ")
                ):
                    i = k
                    continue
                break
            if line.startswith("  ") or not (
                _HEADING.match(line) or _HR.match(line) or _QUOTE.match(line)
            ):
                indent = len(line) - len(line.lstrip())
                items[-1].lines.append((s + indent, e))
                i += 1
                continue
            break
        return i, items

    def lists(self, items: list[_Item], depth: int) -> str:
        out: list[str] = []
        stack: list[tuple[int, bool]] = []  # (indent, ordered) of the lists open

        def close() -> None:
            out.append("</li></ol>" if stack.pop()[1] else "</li></ul>")

        for item in items:
            while stack and stack[-1][0] > item.indent:
                close()
            if stack and stack[-1][0] == item.indent and stack[-1][1] != item.ordered:
                close()
            if stack and stack[-1][0] == item.indent:
                out.append("</li><li>")
            elif len(stack) + depth >= MAX_DEPTH and stack:
                out.append("</li><li>")  # too deep: a sibling of the deepest
            else:
                tag = f"<ol start='{item.number}'>" if item.ordered else "<ul>"
                out.append(f"{tag}<li>")
                stack.append((item.indent, item.ordered))
            out.append("<br>".join(self.inline(s, e) for s, e in item.lines))
        while stack:
            close()
        return f"<div style='margin-bottom:8px'>{''.join(out)}</div>"

    def table(self, lines: list[tuple[int, int]]) -> str:
        rows = [self._cells(s, e) for s, e in lines]
        header, align_row, body = rows[0], rows[1], rows[2:]
        columns = len(header)
        if columns > MAX_TABLE_COLUMNS or columns * len(rows) > MAX_TABLE_CELLS:
            return columns_html(self.marks.paint(self.text, lines[0][0], lines[-1][1]))
        aligns = []
        for s, e in align_row:
            cell = self.text[s:e].strip()
            right, left = cell.endswith(":"), cell.startswith(":")
            aligns.append("center" if left and right else "right" if right else "left")
        aligns += ["left"] * (columns - len(aligns))

        def row_html(cells: list[tuple[int, int]], tag: str) -> str:
            cells = (cells + [(0, 0)] * columns)[:columns]
            return (
                "<tr>"
                + "".join(
                    f"<{tag} align='{aligns[k]}'>{self.inline(s, e)}</{tag}>"
                    for k, (s, e) in enumerate(cells)
                )
                + "</tr>"
            )

        return (
            f"<table border='1' cellspacing='0' cellpadding='4' style='border-color:{TABLE_BORDER};"
            f" border-style:solid; margin-top:4px; margin-bottom:8px'>"
            + row_html(header, "th")
            + "".join(row_html(r, "td") for r in body)
            + "</table>"
        )

    def _cells(self, start: int, end: int) -> list[tuple[int, int]]:
        text = self.text
        s, e = start, end
        while s < e and text[s] in " \t":
            s += 1
        while e > s and text[e - 1] in " \t":
            e -= 1
        if s < e and text[s] == "|":
            s += 1
        if e > s and text[e - 1] == "|" and text[e - 2 : e - 1] != "\\":
            e -= 1
        cells = []
        pos = s
        for k in range(s, e):
            if text[k] == "|" and text[k - 1] != "\\":
                cells.append(self._strip(pos, k))
                pos = k + 1
        cells.append(self._strip(pos, e))
        return cells

    def _strip(self, s: int, e: int) -> tuple[int, int]:
        while s < e and self.text[s] in " \t":
            s += 1
        while e > s and self.text[e - 1] in " \t":
            e -= 1
        return s, e

    # -- inline ------------------------------------------------------------------------------
    def inline(self, start: int, end: int) -> str:
        return _Inline(self.text, self.marks, start, end).html(start, end, 0)


class _Inline:
    """Emphasis, code spans, links and escapes of one line ``text[start:end]``. Where each
    delimiter run may close is worked out once, so an unclosed ``*`` costs a bisection, not a
    scan of the rest of the line."""

    def __init__(self, text: str, marks: Marks, start: int, end: int) -> None:
        self.text = text
        self.marks = marks
        self.links = {m.start(): m for m in _LINK.finditer(text, start, end)}
        self.autolinks = {m.start(): m for m in _AUTOLINK.finditer(text, start, end)}
        self.closers: dict[tuple[str, int], list[int]] = {}
        self.opens: set[int] = set()
        for m in _DELIMS.finditer(text, start, end):
            s, e = m.span()
            char = text[s]
            before = text[s - 1] if s > start else " "
            after = text[e] if e < end else " "
            left = not after.isspace() and (
                after not in _PUNCT or before.isspace() or before in _PUNCT
            )
            right = not before.isspace() and (
                before not in _PUNCT or after.isspace() or after in _PUNCT
            )
            if char == "_":
                left = left and not before.isalnum()
                right = right and not after.isalnum()
            if left:
                self.opens.add(s)
            if right:
                self.closers.setdefault((char, e - s), []).append(s)

    def html(self, start: int, end: int, depth: int) -> str:
        text, marks = self.text, self.marks
        if depth > MAX_DEPTH:
            return marks.paint(text, start, end)
        out: list[str] = []
        flushed = i = start
        while True:
            m = _SPECIAL.search(text, i, end)
            if m is None:
                break
            i = m.start()
            c = text[i]
            if c == "\\" and i + 1 < end and text[i + 1] in _PUNCT:
                out.append(marks.paint(text, flushed, i))
                flushed, i = i + 1, i + 2
            elif c == "`":
                n = _TICKS.match(text, i, end).end() - i  # type: ignore[union-attr]
                close = self._code_close(i + n, end, n)
                if close < 0:
                    i += n
                    continue
                out.append(marks.paint(text, flushed, i))
                s, e = i + n, close
                if e - s >= 2 and text[s] == " " and text[e - 1] == " ":
                    s, e = s + 1, e - 1
                out.append(inline_code(marks.paint(text, s, e)))
                flushed = i = close + n
            elif (c in "![") and i in self.links and self.links[i].end() <= end:
                link = self.links[i]
                out.append(marks.paint(text, flushed, i))
                url = link.group(3)
                if link.group(1):  # an image: never loaded, its alt text and address shown
                    out.append(
                        f"<span style='color:{MUTED}'>[image: "
                        f"{marks.paint(text, link.start(2), link.end(2))}] {escape(url)}</span>"
                    )
                else:
                    out.append(
                        f"<a href='{escape(url)}' title='{escape(url)}'>"
                        f"{self.html(link.start(2), link.end(2), depth + 1)}</a>"
                    )
                flushed = i = link.end()
            elif c == "<" and i in self.autolinks and self.autolinks[i].end() <= end:
                link = self.autolinks[i]
                out.append(marks.paint(text, flushed, i))
                url = escape(link.group(1))
                out.append(
                    f"<a href='{url}' title='{url}'>"
                    f"{marks.paint(text, link.start(1), link.end(1))}</a>"
                )
                flushed = i = link.end()
            elif c in "*_~":
                n = _DELIMS.match(text, i, end).end() - i  # type: ignore[union-attr]
                close = self._emphasis_close(c, n, i, end)
                if close < 0:
                    i += n
                    continue
                tags = {1: ("<i>", "</i>"), 2: ("<b>", "</b>"), 3: ("<b><i>", "</i></b>")}
                if c == "~":
                    tags = {1: ("<s>", "</s>"), 2: ("<s>", "</s>")}
                if n not in tags:
                    i += n
                    continue
                out.append(marks.paint(text, flushed, i))
                open_tag, close_tag = tags[n]
                out.append(open_tag + self.html(i + n, close, depth + 1) + close_tag)
                flushed = i = close + n
            else:
                i += 1
        out.append(marks.paint(text, flushed, end))
        return "".join(out)

    def _code_close(self, pos: int, end: int, n: int) -> int:
        run = "`" * n
        while True:
            k = self.text.find(run, pos, end)
            if k < 0:
                return -1
            after = k + n
            if after < end and self.text[after] == "`":
                pos = _TICKS.match(self.text, after, end).end()  # type: ignore[union-attr]
                continue
            return k

    def _emphasis_close(self, char: str, n: int, i: int, end: int) -> int:
        if i not in self.opens:
            return -1
        closers = self.closers.get((char, n), [])
        k = bisect_left(closers, i + n + 1)
        if k < len(closers) and closers[k] + n <= end:
            return closers[k]
        return -1
