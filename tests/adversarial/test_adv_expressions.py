"""The filter bar's expression sees only the dataset's own columns: no table function, file,
URL or subquery ever runs (nothing is read, nothing is fetched), and an error never echoes what
a file holds. Ordinary conditions over columns keep working."""

from __future__ import annotations

import http.server
import json
import re
import threading

import polars as pl
import pytest

from inspector.core.data.dataset import open_dataset

SECRET = "TOPSECRET-7f3a"

ROWS = [
    {"id": "a", "instruction": "Tell me a joke.", "output": "No.", "score": 3, "tags": ["x"]},
    {"id": "b", "instruction": "Write code", "output": "print('hi')", "score": None, "tags": []},
    {
        "id": "c",
        "instruction": "Explain",
        "output": "Because 100% of it",
        "score": 10,
        "tags": ["x", "y"],
    },
    {
        "id": "d",
        "instruction": "SHORT?",
        "output": "Yes, it is a longer answer.",
        "score": -2,
        "tags": ["z"],
    },
]


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return open_dataset(path)


@pytest.fixture
def secrets(tmp_path):
    """The same secret in every format a table function could read."""
    frame = pl.DataFrame({SECRET: [SECRET], "column_1": [SECRET]})
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "s.csv").write_text(f"{SECRET},x\n{SECRET},y\n")
    frame.write_parquet(folder / "s.parquet")
    frame.write_ndjson(folder / "s.ndjson")
    frame.write_json(folder / "s.json")
    frame.write_ipc(folder / "s.ipc")
    return folder


class Server:
    """A local HTTP server that records every request it gets (and serves the secret)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.requests.append(self.path)
                body = f"{SECRET},x\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


ATTACKS = [
    "output IN (SELECT column_1 FROM read_csv('{d}/s.csv'))",
    "output IN (SELECT * FROM read_csv('{d}/s.csv'))",
    "output IN (SELECT column_1 FROM read_parquet('{d}/s.parquet'))",
    "output IN (SELECT column_1 FROM read_ndjson('{d}/s.ndjson'))",
    "output IN (SELECT column_1 FROM read_json('{d}/s.json'))",
    "output IN (SELECT column_1 FROM read_ipc('{d}/s.ipc'))",
    "output IN (SELECT column_1 FROM scan_csv('{d}/s.csv'))",
    "output IN (SELECT column_1 FROM scan_parquet('{d}/s.parquet'))",
    "output IN (SELECT column_1 FROM read_csv('{url}/s.csv'))",
    "output IN (SELECT column_1 FROM read_parquet('{url}/s.parquet'))",
    "output = (SELECT column_1 FROM read_csv('{d}/s.csv') LIMIT 1)",
    "EXISTS (SELECT 1 FROM read_csv('{d}/s.csv'))",
    "read_csv('{d}/s.csv') IS NULL",
    "length(read_csv('{url}/s.csv')) > 0",
    "output IN (SELECT * FROM '{d}/s.csv')",
    "output IN (SELECT \"{secret}\" FROM read_csv('{d}/s.csv'))",
    "output IN (WITH t AS (SELECT 1) SELECT * FROM t)",
    "output IN (VALUES (1))",
    "output = 'x' UNION SELECT * FROM read_csv('{d}/s.csv')",
    "1 = 1; SELECT * FROM read_csv('{d}/s.csv')",
    "output = 'x' FROM read_csv('{d}/s.csv')",
]


@pytest.mark.parametrize("template", ATTACKS)
def test_no_file_or_url_is_ever_read(dataset, secrets, server, template):
    expr = template.format(d=secrets, url=server.url, secret=SECRET)
    with pytest.raises(ValueError) as info:
        dataset.match(expr=expr)
    message = str(info.value)
    assert message.startswith("expression:")
    # The expression's own text may be quoted back, but nothing a file holds: the secret is
    # only in the files, except where the attack names it as a column (then it is the user's).
    if SECRET not in expr:
        assert SECRET not in message
    assert server.requests == []


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("output IN (SELECT column_1 FROM read_csv('/etc/passwd'))", ["SELECT", "columns"]),
        ("read_csv('/etc/passwd') IS NULL", ["read_csv", "length"]),
        ("no_such_column > 3", ["no_such_column", "output"]),
        ("length(output) <", ["end"]),
        ("output = 'open", ["quote"]),
        ("output IN (1, score)", ["IN"]),
    ],
)
def test_refusals_say_what_is_wrong(dataset, expr, words):
    with pytest.raises(ValueError) as info:
        dataset.match(expr=expr)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert len(message.splitlines()) <= 2 and len(message) <= 400  # what the filter bar shows


def test_polars_sql_is_never_handed_the_text(dataset, monkeypatch):
    def refuse(*_args: object, **_kw: object) -> None:
        raise AssertionError("the expression reached polars' SQL engine")

    monkeypatch.setattr(pl, "sql_expr", refuse)
    monkeypatch.setattr(pl, "SQLContext", refuse)
    monkeypatch.setattr(pl, "sql", refuse)
    assert dataset.match(expr="length(output) < 5").tolist() == [0]


def rows_where(predicate) -> list[int]:
    return [i for i, r in enumerate(ROWS) if predicate(r)]


ORDINARY = [
    ("length(output) < 20", lambda r: len(r["output"]) < 20),
    ("char_length(instruction) >= 10", lambda r: len(r["instruction"]) >= 10),
    ("output LIKE '%is%'", lambda r: "is" in r["output"]),
    ("output LIKE 'No_'", lambda r: re.fullmatch("No.", r["output"]) is not None),
    ("output NOT LIKE '%is%'", lambda r: "is" not in r["output"]),
    ("instruction ILIKE 'short%'", lambda r: r["instruction"].lower().startswith("short")),
    ("lower(instruction) = 'explain'", lambda r: r["instruction"].lower() == "explain"),
    ("upper(output) LIKE '%HI%'", lambda r: "HI" in r["output"].upper()),
    (
        "regexp_like(output, '^[A-Z][a-z]+\\.$')",
        lambda r: re.search(r"^[A-Z][a-z]+\.$", r["output"]),
    ),
    ("regexp_like(instruction, 'short', 'i')", lambda r: "short" in r["instruction"].lower()),
    ("output ~ '\\d+'", lambda r: re.search(r"\d+", r["output"])),
    ("output !~* 'YES'", lambda r: "yes" not in r["output"].lower()),
    ("score IS NULL", lambda r: r["score"] is None),
    ("score IS NOT NULL AND score > 0", lambda r: r["score"] is not None and r["score"] > 0),
    ("score > 5 OR output = 'No.'", lambda r: (r["score"] or 0) > 5 or r["output"] == "No."),
    ("NOT (score > 5) ", lambda r: r["score"] is not None and not r["score"] > 5),
    ("id IN ('a', 'd')", lambda r: r["id"] in ("a", "d")),
    ("id NOT IN ('a', 'd')", lambda r: r["id"] not in ("a", "d")),
    ("score IN (3, -2)", lambda r: r["score"] in (3, -2)),
    ("score * 2 + 1 > 6", lambda r: r["score"] is not None and r["score"] * 2 + 1 > 6),
    ("score % 2 = 0", lambda r: r["score"] is not None and r["score"] % 2 == 0),
    ("-score > 0", lambda r: r["score"] is not None and -r["score"] > 0),
    ("score BETWEEN 0 AND 5", lambda r: r["score"] is not None and 0 <= r["score"] <= 5),
    ("score <> 3", lambda r: r["score"] is not None and r["score"] != 3),
    ("\"output\" != 'No.'", lambda r: r["output"] != "No."),
    ("CASE WHEN score > 5 THEN 'high' ELSE 'low' END = 'high'", lambda r: (r["score"] or 0) > 5),
    ("CAST(score AS TEXT) = '10'", lambda r: r["score"] == 10),
    ("score::varchar = '3'", lambda r: r["score"] == 3),
    ("length(tags) = 2", lambda r: len(r["tags"]) == 2),
    ("coalesce(score, 0) = 0", lambda r: (r["score"] or 0) == 0),
    ("starts_with(output, 'Yes')", lambda r: r["output"].startswith("Yes")),
    ("substr(instruction, 1, 4) = 'Tell'", lambda r: r["instruction"][:4] == "Tell"),
    (
        "instruction || output LIKE '%code%print%'",
        lambda r: "codeprint" in r["instruction"] + r["output"],
    ),
    ("length(trim(' ' || output || ' ')) = length(output)", lambda r: True),
    ("TRUE", lambda r: True),
]


@pytest.mark.parametrize(("expr", "predicate"), ORDINARY, ids=[e for e, _ in ORDINARY])
def test_ordinary_expressions_keep_working(dataset, expr, predicate):
    assert dataset.match(expr=expr).tolist() == rows_where(predicate)
