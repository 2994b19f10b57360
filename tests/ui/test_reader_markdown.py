"""The reader renders Markdown (issue 12, item 5): headings, lists, emphasis, links, tables and
code in the sample pane's document, a raw/rendered toggle remembered in the settings, text laid
out in columns in monospace, and the filter's text/regex matches marked in both views."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QTextCursor, QTextTable

from inspector.core.data.render import Block, Rendered
from inspector.ui.common.reader_text import columnar, lines_of, match_spans
from inspector.ui.common.sample_view import (
    MATCH_MARK,
    RAW_SETTING,
    SampleView,
    TextMatch,
    sample_html,
    text_html,
)

ANSWER = """# Steps to follow

Use **bold words** and *a slanted one*, then `pip install x`.

- first item
- second item
  - a nested item

1. one
2. two

| name | score |
|------|------:|
| ada  | 9     |
| bob  | 7     |

See [the docs](https://example.org/docs).

```python
print("hi")
```
"""


def document_of(html: str, qtbot) -> SampleView:
    view = SampleView()
    qtbot.addWidget(view)
    view.setHtml(html)
    return view


def shown(view: SampleView, rendered: Rendered) -> None:
    view._set(sample_html(rendered, markdown=not view.raw, match=view.match))


def block_with(view: SampleView, text: str):
    block = view.document().begin()
    while block.isValid() and text not in block.text():
        block = block.next()
    assert block.isValid(), f"{text!r} is not in the reader"
    return block


def format_at(view: SampleView, text: str, offset: int = 0):
    block = block_with(view, text)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index(text) + offset + 1)
    return cursor.charFormat()


def tables(view: SampleView) -> list[QTextTable]:
    out = []
    block = view.document().begin()
    while block.isValid():
        table = QTextCursor(block).currentTable()
        if table is not None and table not in out:
            out.append(table)
        block = block.next()
    return out


def answer_row(text: str = ANSWER) -> Rendered:
    return Rendered(
        "alpaca",
        blocks=[
            Block("instruction", "Explain the steps", "user"),
            Block("output", text, "assistant"),
        ],
    )


def test_markdown_is_rendered_in_the_reader(qtbot):
    view = document_of(text_html(ANSWER), qtbot)
    plain = view.toPlainText()
    heading = block_with(view, "Steps to follow")
    assert heading.blockFormat().headingLevel() == 1
    assert "# Steps" not in plain and "**" not in plain and "```" not in plain
    assert format_at(view, "bold words").fontWeight() >= QFont.Weight.Bold
    assert format_at(view, "a slanted one").fontItalic()
    nested = block_with(view, "a nested item").textList()
    first = block_with(view, "first item").textList()
    assert first is not None and nested is not None
    assert nested.format().indent() > first.format().indent()
    assert block_with(view, "two").textList().format().style().name.startswith("ListDecimal")
    link = format_at(view, "the docs")
    assert link.isAnchor() and link.anchorHref() == "https://example.org/docs"
    grid = [t for t in tables(view) if t.columns() == 2 and t.rows() == 3]
    assert grid, "the Markdown table is a table"
    assert grid[0].cellAt(2, 0).firstCursorPosition().block().text() == "bob"
    assert format_at(view, 'print("hi")').fontFamilies()[0] in ("DejaVu Sans Mono", "monospace")
    assert format_at(view, "pip install x").fontFamilies()[0] == "DejaVu Sans Mono"


def test_roles_keep_their_labels_when_rendered(qtbot):
    rendered = Rendered(
        "chat",
        blocks=[
            Block("system", "Be **brief**.", "system"),
            Block("user", "## Question\nCapital of France?", "user"),
            Block("assistant", "**Paris**.", "assistant"),
        ],
    )
    view = document_of(sample_html(rendered), qtbot)
    plain = view.toPlainText()
    assert plain.index("SYSTEM") < plain.index("Be brief.") < plain.index("USER")
    assert plain.index("USER") < plain.index("Question") < plain.index("ASSISTANT")
    assert block_with(view, "Question").blockFormat().headingLevel() == 2
    assert "Paris." in plain and "**" not in plain


def test_raw_text_toggle_shows_the_text_as_written_and_is_remembered(qtbot):
    QSettings().remove(RAW_SETTING)
    view = SampleView()
    qtbot.addWidget(view)
    assert view.raw is False
    shown(view, answer_row())
    assert "# Steps" not in view.toPlainText()
    view.set_raw(True)
    shown(view, answer_row())
    plain = view.toPlainText()
    assert "# Steps to follow" in plain and "**bold words**" in plain
    assert "| ada  | 9     |" in plain
    assert block_with(view, "Steps to follow").blockFormat().headingLevel() == 0
    assert QSettings().value(RAW_SETTING, type=bool) is True
    again = SampleView()
    qtbot.addWidget(again)
    assert again.raw is True  # remembered
    again.set_raw(False)
    assert QSettings().value(RAW_SETTING, type=bool) is False


def test_text_laid_out_in_columns_is_monospace(qtbot):
    text = (
        "The results:\n"
        "model      wins   losses\n"
        "alpha      12     3\n"
        "beta       7      8\n"
        "Done.  Thanks for asking.\n\n"
        "┌─────┬─────┐\n│ a   │ b   │\n└─────┴─────┘\n"
    )
    for markdown in (True, False):
        view = document_of(text_html(text, markdown=markdown), qtbot)
        assert format_at(view, "alpha      12").fontFamilies()[0] == "DejaVu Sans Mono"
        assert format_at(view, "│ a   │ b   │").fontFamilies()[0] == "DejaVu Sans Mono"
        assert "alpha      12     3" in view.toPlainText()  # the spaces are kept
        assert format_at(view, "The results").fontFamilies() in ([], None) or (
            format_at(view, "The results").fontFamilies()[0] != "DejaVu Sans Mono"
        )


def test_columns_need_three_aligned_lines_and_not_list_marks():
    def flags(text: str) -> list[bool]:
        return columnar(text, lines_of(text, 0, len(text)))

    assert flags("a  b\nc  d\ne  f") == [True, True, True]
    assert flags("a  b\nc  d\nplain") == [False, False, False]  # two lines only
    assert flags("end.  Next one.\nA line.  More here.\nNo gap") == [False, False, False]
    assert flags("1.  one\n2.  two\n3.  three") == [False, False, False]  # a list
    assert flags("x\ty\nz\tw\nq\tr") == [True, True, True]  # tab-separated
    assert flags("+---+\n| a |\n+---+") == [True, True, True]


@pytest.mark.parametrize("raw", [False, True])
def test_filter_matches_are_marked_in_both_views(qtbot, raw):
    view = SampleView()
    qtbot.addWidget(view)
    view.raw = raw
    view.match = TextMatch("bold")
    shown(view, answer_row())
    assert format_at(view, "bold words").background().color().name() == MATCH_MARK
    assert format_at(view, "bold words", 5).background().color().name() != MATCH_MARK
    view.match = TextMatch(r"\bs\w+nd\b", regex=True)
    shown(view, answer_row())
    assert format_at(view, "second item").background().color().name() == MATCH_MARK
    view.match = TextMatch("STEPS", case=True)
    shown(view, answer_row())
    assert MATCH_MARK not in view.current_html


def test_matches_follow_the_filters_case_and_skip_the_labels():
    text = "Output output OUTPUT"
    assert match_spans(text, "output") == [(0, 6), (7, 13), (14, 20)]
    assert match_spans(text, "output", case=True) == [(7, 13)]
    assert match_spans(text, r"out\w+", regex=True, case=True) == [(7, 13)]
    assert match_spans(text, "(", regex=True) == []  # an invalid pattern marks nothing
    assert match_spans("a.b axb", ".") == [(1, 2)]  # a plain search is literal
    html = sample_html(answer_row("the output"), match=TextMatch("output"))
    assert html.count(f"background-color:{MATCH_MARK}") == 1  # not the OUTPUT label


def test_matches_and_word_differences_share_a_pair(qtbot):
    rendered = Rendered(
        "preference",
        blocks=[Block("prompt", "Is the sky blue?", "user")],
        chosen=[Block("chosen", "Yes, the **sky** is blue today.", "assistant")],
        rejected=[Block("rejected", "No, the **sky** is green today.", "assistant")],
    )
    html = sample_html(rendered, match=TextMatch("sky"))
    assert "<span style='background-color:#bbf7d0'>blue</span>" in html
    assert "<span style='background-color:#fecaca'>green</span>" in html
    view = document_of(html, qtbot)
    assert "**" not in view.toPlainText()
    sky = format_at(view, "sky is green")
    assert sky.background().color().name() == MATCH_MARK and sky.fontWeight() >= QFont.Weight.Bold


def test_the_window_marks_the_filter_text_and_has_a_raw_text_action(qtbot, make_window, tmp_path):
    rows = [
        {"instruction": "Name a colour", "input": "", "output": "## Colours\nThe sky is **blue**."},
        {"instruction": "Say hi", "input": "", "output": "Hello there."},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    window = make_window(path)
    view = window.sample_view
    assert block_with(view, "Colours").blockFormat().headingLevel() == 2
    bar = window.filter_bar
    bar.text_box.setText("SKY")
    with qtbot.waitSignal(window.filterApplied, timeout=5000):
        bar.apply()
    assert window.model.rowCount() == 1
    assert format_at(view, "sky is").background().color().name() == MATCH_MARK
    assert window.actions.keys("view.raw_text") == ["Ctrl+U"]  # resources/keymap.toml
    action = window.actions["view.raw_text"]
    assert action.isCheckable() and not action.isChecked()
    window.actions.trigger("view.raw_text")
    assert action.isChecked() and view.raw
    assert "## Colours" in view.toPlainText()
    assert format_at(view, "sky is").background().color().name() == MATCH_MARK
    bar.text_box.clear()
    with qtbot.waitSignal(window.filterApplied, timeout=5000):
        bar.apply()
    assert MATCH_MARK not in view.current_html
    window.actions.trigger("view.raw_text")
    assert not view.raw and QSettings().value(RAW_SETTING, type=bool) is False
