"""CSV and TSV as spreadsheets and scripts write them: semicolons (a European Excel export),
a TSV written without quoting whose fields hold stray double quotes, a row with more fields
than the header. Every row read, apply keeping the other rows' bytes, and a bad row named by
its line."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from inspector.core.data.dataset import open_dataset
from inspector.core.errors import DataError
from inspector.core.export.apply import write_without

ROWS = [(f"Question {i}, with a comma?", f"Answer {i}; with a semicolon.") for i in range(40)]


def drop_and_read(ds, tmp_path, drop: list[int]) -> bytes:
    out = tmp_path / ("out" + ds.sources.files[0].suffix)
    write_without(ds.sources.files[0], ds.files[0], pl.Series(drop).to_numpy(), out)
    return out.read_bytes()


def test_semicolon_csv(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["prompt", "response"])
    writer.writerows(ROWS)
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())
    ds = open_dataset(path)
    assert ds.user_columns == ["prompt", "response"]
    assert ds.prompt().to_list() == [p for p, _ in ROWS]
    assert ds.response().to_list() == [r for _, r in ROWS]
    lines = path.read_bytes().split(b"\r\n")
    assert drop_and_read(ds, tmp_path, [0, 5]) == b"\r\n".join(
        line for i, line in enumerate(lines) if i not in (1, 6)
    )


def test_unquoted_tsv_with_stray_quotes(tmp_path):
    lines = ["prompt\tcompletion"]
    for i, (p, r) in enumerate(ROWS):
        lines.append(f'He said "hi {p}\t{r}' if i % 7 == 3 else f"{p}\t{r}")
    path = tmp_path / "raw.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = open_dataset(path)
    assert ds.height == len(ROWS)
    assert ds.prompt()[3] == f'He said "hi {ROWS[3][0]}'
    assert ds.response().to_list() == [r for _, r in ROWS]
    kept = drop_and_read(ds, tmp_path, [3]).decode().splitlines()
    assert kept == [line for i, line in enumerate(lines) if i != 4]


def test_ragged_row_is_named_by_line_and_field_count(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["prompt", "response"])
    for i, (p, r) in enumerate(ROWS):
        writer.writerow([p, r + "\nsecond line"] if i < 10 else [p, r])
    writer.writerow(["one", "two", "three"])
    writer.writerows(ROWS[:3])
    path = tmp_path / "ragged.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    e = err.value
    # header 1 line, 10 two-line records, 30 one-line ones: the bad record starts on line 52
    assert e.file == str(path) and e.line == 52
    assert "3 fields" in str(e) and "header has 2" in str(e)


def test_semicolon_csv_with_line_breaks_in_fields_applies_by_record(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["prompt", "response"])
    writer.writerows([(p, f"{r}\nsecond, line") for p, r in ROWS])
    path = tmp_path / "multi.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    ds = open_dataset(path)
    assert ds.height == len(ROWS)
    out = drop_and_read(ds, tmp_path, [1, 2])
    kept = list(csv.reader(io.StringIO(out.decode()), delimiter=";"))
    assert kept[1:] == [
        [p, f"{r}\nsecond, line"] for i, (p, r) in enumerate(ROWS) if i not in (1, 2)
    ]


def test_unclosed_quote_is_named_and_skipping_is_not_offered_again(tmp_path):
    lines = ["prompt\tcompletion"] + [f"q{i}\ta{i}" for i in range(300)]
    lines[11] = '"an unclosed quote\tanswer'
    path = tmp_path / "quote.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for skip in (False, True):
        with pytest.raises(DataError) as err:
            open_dataset(path, skip_bad_lines=skip)
        assert err.value.line == 12
        assert "never closed" in str(err.value)
        assert ("--skip-bad-lines" in str(err.value)) is not skip


def test_no_parser_warning_reaches_the_terminal(tmp_path, recwarn):
    lines = ["prompt\tcompletion"] + [
        (f'He said "hi {i}\tok' if i % 7 == 3 else f"q{i}\ta{i}") for i in range(60)
    ]
    path = tmp_path / "raw.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert open_dataset(path, skip_bad_lines=True).height == 60
    assert not [w for w in recwarn if "malformed" in str(w.message)]


def test_header_names_with_spaces_around_them(tmp_path):
    # spreadsheets keep the spaces typed around a header name
    path = tmp_path / "spaced.csv"
    path.write_text("Question , Answer\nWhat is 2+2?,4\nName a colour,Blue\n", encoding="utf-8")
    ds = open_dataset(path)
    assert ds.spec.kind == "prompt_completion"
    assert ds.spec.fields == {"prompt": "Question ", "completion": " Answer"}
    assert ds.prompt().to_list() == ["What is 2+2?", "Name a colour"]
