"""Hostile sample text in the rendered reader: HTML in the data is shown as text, nothing is
ever loaded (no file or remote image, no link followed), and huge tables, deep nesting,
unclosed markers and a catastrophic regex cost linear time and keep every character."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCursor, QTextTable

from inspector.ui.common.markdown_html import MAX_TABLE_CELLS
from inspector.ui.common.reader_text import MAX_MATCHES, match_spans
from inspector.ui.common.sample_view import MAX_BLOCK_CHARS, SampleView, TextMatch, text_html
from inspector.ui.shell.app import configure_settings

configure_settings()  # INSPECTOR_HOME's settings, not the user's

HOSTILE = (
    "<img src=file:///etc/passwd> <script>alert(1)</script> <b>not bold</b>\n\n"
    "![secret](file:///etc/passwd) ![remote](https://evil.example/x.png)\n\n"
    "[click](javascript:alert(1)) <iframe src='https://evil.example'></iframe>\n\n"
    "<table><tr><td>raw table</td></tr></table>\n"
)


class SpyView(SampleView):
    """A reader that records every resource the text engine asks it for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        super().__init__()

    def loadResource(self, kind, url):  # noqa: N802
        self.asked.append(str(url))
        return super().loadResource(kind, url)


def images_in(view: SampleView) -> list[str]:
    out = []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                out.append(fmt.toImageFormat().name())
            it += 1
        block = block.next()
    return out


def tables_in(view: SampleView) -> list[QTextTable]:
    out: list[QTextTable] = []
    block = view.document().begin()
    while block.isValid():
        table = QTextCursor(block).currentTable()
        if table is not None and table not in out:
            out.append(table)
        block = block.next()
    return out


@pytest.mark.parametrize("markdown", [True, False])
def test_html_in_the_data_is_shown_as_text_and_nothing_is_loaded(qtbot, markdown):
    view = SpyView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    html = text_html(HOSTILE, markdown=markdown)
    assert "<img" not in html and "<script" not in html and "<iframe" not in html
    view._set(html)
    qtbot.wait(10)  # laid out and painted
    plain = view.toPlainText()
    assert "<img src=file:///etc/passwd>" in plain
    assert "<script>alert(1)</script>" in plain and "<b>not bold</b>" in plain
    assert "<table><tr><td>raw table</td></tr></table>" in plain
    assert images_in(view) == [] and view.asked == []
    assert not tables_in(view)  # the data's <table> is text, not a table
    if markdown:
        assert "[image: secret] file:///etc/passwd" in plain
        assert "[image: remote] https://evil.example/x.png" in plain


def test_a_link_is_never_followed(qtbot):
    view = SpyView()
    qtbot.addWidget(view)
    view._set(text_html("[open me](file:///etc/passwd) and <https://evil.example/>"))
    assert not view.openLinks() and not view.openExternalLinks()
    before = view.toPlainText()
    view.setSource("file:///etc/passwd")  # what following the link would do
    assert view.asked and view.toPlainText() in ("", before)
    assert "root:" not in view.toPlainText()


def test_a_huge_table_is_shown_as_monospace_text_not_laid_out(qtbot):
    rows = MAX_TABLE_CELLS  # far more cells than the cap
    text = "| a | b | c |\n|---|---|---|\n" + "".join(f"| {i} | x | y |\n" for i in range(rows))
    view = SampleView()
    qtbot.addWidget(view)
    view._set(text_html(text[:MAX_BLOCK_CHARS]))
    assert not [t for t in tables_in(view) if t.rows() * t.columns() > MAX_TABLE_CELLS]
    assert "| 10 | x | y |" in view.toPlainText()
    wide = "|" + "|".join(["h"] * 5000) + "|\n|" + "|".join(["-"] * 5000) + "|\n"
    view._set(text_html(wide))
    assert not tables_in(view)


@pytest.mark.parametrize(
    "text",
    [
        ">" * 20_000 + " deep quote",
        "".join(" " * i + "- item\n" for i in range(0, 3000, 2)),
        "*a " * 20_000,
        "**x" * 20_000,
        "[" * 30_000 + "](" * 10_000,
        "`" * 10_000 + "x",
        "_a_" * 10_000,
        "\\" * 30_000,
        "~~" * 20_000,
        "<https://" + "a" * 50_000,
        "# " * 20_000,
    ],
    ids=lambda text: repr(text[:12]),
)
def test_hostile_nesting_and_unclosed_marks_keep_every_character(qtbot, text):
    text = text[:MAX_BLOCK_CHARS]
    html = text_html(text)
    view = SampleView()
    qtbot.addWidget(view)
    view._set(html)
    kept = "".join(view.toPlainText().split())
    assert len(kept) >= 0.2 * len("".join(text.split()))  # shown, not swallowed
    assert "deep quote" in view.toPlainText() or "deep quote" not in text


def test_a_catastrophic_regex_does_not_hang_the_reader():
    text = "a" * 40_000 + "b"
    assert match_spans(text, "(a+)+$", regex=True) == []  # linear in polars' engine
    assert len(match_spans(text, "a", regex=True)) == MAX_MATCHES
    html = text_html(text, match=TextMatch("(a|aa)+c", regex=True))
    assert "background-color" not in html


def test_private_use_characters_in_the_data_do_not_confuse_the_marks():
    text = "x\ue000y\ue001z needle \ue000"
    assert match_spans(text, "needle") == [(text.index("needle"), text.index("needle") + 6)]
