"""Filter expressions: a small SQL-like condition over a dataset's own columns, compiled to a
polars expression by our own parser.

The text never reaches polars' SQL engine, whose table functions (``read_csv``,
``read_parquet``, ``scan_*``, URLs) and subqueries would read any file or fetch any URL. What
an expression may hold is listed here and nothing else parses:

- columns (``output``, ``"a column"``) — only the dataset's own;
- literals: numbers, ``'text'`` (``''`` for a quote), ``TRUE``, ``FALSE``, ``NULL``;
- ``OR AND NOT``, ``= == != <> < <= > >=``, ``IS [NOT] NULL``, ``[NOT] IN (values)``,
  ``[NOT] BETWEEN a AND b``, ``[NOT] LIKE``/``ILIKE`` (``%`` any text, ``_`` one character),
  ``~ ~* !~ !~*`` (regex), ``+ - * / %``, ``||`` (concatenation), ``CASE … END``,
  ``CAST(x AS type)``, ``TRY_CAST``, ``x::type``;
- the functions in :data:`FUNCTIONS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

# -- tokens ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*"|`[^`]*`)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>::|\|\||<=|>=|<>|!=|==|!~\*|!~|~\*|[-+*/%=<>(),~])
    """,
    re.VERBOSE,
)

KEYWORDS = frozenset(
    "AND OR NOT IS NULL IN BETWEEN LIKE ILIKE CASE WHEN THEN ELSE END CAST TRY_CAST AS "
    "TRUE FALSE".split()
)
# Words that start a query or name a table: an expression is a condition on one row.
QUERY_WORDS = frozenset(
    "SELECT FROM WITH UNION INTERSECT EXCEPT JOIN TABLE VALUES WHERE INTO EXISTS ANY ALL SOME "
    "LIMIT ORDER GROUP HAVING INSERT UPDATE DELETE DROP CREATE ATTACH COPY PRAGMA LATERAL "
    "UNNEST".split()
)

TYPES: dict[str, pl.DataType] = {
    **dict.fromkeys(("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "INT64"), pl.Int64()),
    **dict.fromkeys(("FLOAT", "DOUBLE", "REAL", "NUMERIC", "DECIMAL", "FLOAT64"), pl.Float64()),
    **dict.fromkeys(("TEXT", "VARCHAR", "STRING", "CHAR"), pl.String()),
    **dict.fromkeys(("BOOLEAN", "BOOL"), pl.Boolean()),
}


class ExpressionError(ValueError):
    """The expression cannot be used; the message says where and what would fix it."""


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, quoted, op, end
    text: str
    pos: int  # 0-based character offset

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "name" else ""


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text.startswith(("--", "/*"), pos):
            raise ExpressionError(
                f"a comment ('{text[pos : pos + 2]}') cannot be part of an expression"
            )
        m = _TOKEN.match(text, pos)
        if m is None:
            char = text[pos]
            if char in "'\"`":
                raise ExpressionError(f"the quote at character {pos + 1} is never closed")
            if char == ";":
                raise ExpressionError("one condition only: ';' is not part of an expression")
            raise ExpressionError(f"'{char}' at character {pos + 1} is not part of an expression")
        kind = m.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- functions -------------------------------------------------------------------------------


def _length(args: list[pl.Expr], dtypes: list[pl.DataType]) -> pl.Expr:
    if isinstance(dtypes[0], (pl.List, pl.Array)):
        return args[0].list.len()
    return _text(args[0], dtypes[0]).str.len_chars()


def _text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return expr if dtype == pl.String else expr.cast(pl.String)


def _regexp_like(args: list[pl.Expr], dtypes: list[pl.DataType], flags: str = "") -> pl.Expr:
    return _regex(_text(args[0], dtypes[0]), args[1], flags)


def _substr(args: list[pl.Expr], dtypes: list[pl.DataType]) -> pl.Expr:
    text = _text(args[0], dtypes[0])
    length = args[2] if len(args) > 2 else None
    return text.str.slice(args[1] - 1, length)  # SQL counts from 1


def _trim(method: str) -> Callable[[list[pl.Expr], list[pl.DataType]], pl.Expr]:
    def build(args: list[pl.Expr], dtypes: list[pl.DataType]) -> pl.Expr:
        chars = args[1] if len(args) > 1 else None
        return getattr(_text(args[0], dtypes[0]).str, method)(chars)

    return build


def _text_fn(method: str) -> Callable[[list[pl.Expr], list[pl.DataType]], pl.Expr]:
    def build(args: list[pl.Expr], dtypes: list[pl.DataType]) -> pl.Expr:
        return getattr(_text(args[0], dtypes[0]).str, method)(*args[1:])

    return build


Builder = Callable[[list[pl.Expr], list[pl.DataType]], pl.Expr]

# name: (fewest arguments, most arguments (None: any), builder)
FUNCTIONS: dict[str, tuple[int, int | None, Builder]] = {
    "length": (1, 1, _length),
    "char_length": (1, 1, _length),
    "character_length": (1, 1, _length),
    "octet_length": (1, 1, lambda a, t: _text(a[0], t[0]).str.len_bytes()),
    "lower": (1, 1, _text_fn("to_lowercase")),
    "upper": (1, 1, _text_fn("to_uppercase")),
    "trim": (1, 2, _trim("strip_chars")),
    "ltrim": (1, 2, _trim("strip_chars_start")),
    "rtrim": (1, 2, _trim("strip_chars_end")),
    "starts_with": (2, 2, _text_fn("starts_with")),
    "ends_with": (2, 2, _text_fn("ends_with")),
    "contains": (2, 2, lambda a, t: _text(a[0], t[0]).str.contains(a[1], literal=True)),
    "substr": (2, 3, _substr),
    "substring": (2, 3, _substr),
    "left": (2, 2, _text_fn("head")),
    "right": (2, 2, _text_fn("tail")),
    "reverse": (1, 1, _text_fn("reverse")),
    "replace": (3, 3, lambda a, t: _text(a[0], t[0]).str.replace_all(a[1], a[2], literal=True)),
    "regexp_like": (2, 3, _regexp_like),  # the flags argument is read by the parser
    "concat": (1, None, lambda a, t: pl.concat_str(a, ignore_nulls=True)),
    "coalesce": (1, None, lambda a, t: pl.coalesce(a)),
    "nullif": (2, 2, lambda a, t: pl.when(a[0] == a[1]).then(None).otherwise(a[0])),
    "greatest": (1, None, lambda a, t: pl.max_horizontal(a)),
    "least": (1, None, lambda a, t: pl.min_horizontal(a)),
    "abs": (1, 1, lambda a, t: a[0].abs()),
    "round": (1, 2, lambda a, t: a[0].round(_int_literal(a, 1))),
    "floor": (1, 1, lambda a, t: a[0].floor()),
    "ceil": (1, 1, lambda a, t: a[0].ceil()),
}


def _int_literal(args: list[pl.Expr], i: int) -> int:
    if len(args) <= i:
        return 0
    value = pl.select(args[i]).item()
    if not isinstance(value, int):
        raise ExpressionError("round(x, n) takes a whole number of decimals")
    return value


def _regex(text: pl.Expr, pattern: pl.Expr, flags: str) -> pl.Expr:
    if flags:
        pattern = pl.lit(f"(?{flags})") + pattern
    return text.str.contains(pattern)


_RUST_META = set("\\.+*?()|[]{}^$#&-~")


def like_regex(pattern: str) -> str:
    """A LIKE pattern as an anchored regex: ``%`` any text, ``_`` one character."""
    out = ["(?s)^"]
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append("\\" + char if char in _RUST_META else char)
    out.append("$")
    return "".join(out)


# -- the parser ------------------------------------------------------------------------------


@dataclass
class _Value:
    """A parsed operand: its polars expression and, for literals, the Python value."""

    expr: pl.Expr
    literal: bool = False
    value: Any = None


class _Parser:
    def __init__(self, text: str, schema: Mapping[str, pl.DataType]) -> None:
        self.text = text
        self.schema = dict(schema)
        self.tokens = tokenize(text)
        self.i = 0
        self._empty = pl.LazyFrame(schema=self.schema)

    # -- token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, *words: str) -> bool:
        return self.tok.word in words or (self.tok.kind == "op" and self.tok.text in words)

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.i += 1
            return True
        return False

    def expect(self, word: str, what: str) -> None:
        if not self.accept(word):
            raise self.error(f"expected {what}")

    def error(self, what: str) -> ExpressionError:
        tok = self.tok
        if tok.kind == "end":
            return ExpressionError(f"{what} at the end")
        return ExpressionError(f"{what} at character {tok.pos + 1} ('{_short(tok.text)}')")

    def dtype(self, expr: pl.Expr) -> pl.DataType:
        try:
            return self._empty.select(expr).collect_schema().dtypes()[0]
        except Exception as exc:  # noqa: BLE001 - polars raises several kinds
            raise ExpressionError(_first_line(exc)) from exc

    # -- grammar (lowest precedence first)
    def parse(self) -> pl.Expr:
        if self.tok.kind == "end":
            raise ExpressionError("empty")
        value = self.or_expr()
        if self.tok.kind != "end":
            raise self.error("unexpected text")
        return value.expr

    def or_expr(self) -> _Value:
        left = self.and_expr()
        while self.accept("OR"):
            left = _Value(left.expr | self.and_expr().expr)
        return left

    def and_expr(self) -> _Value:
        left = self.not_expr()
        while self.accept("AND"):
            left = _Value(left.expr & self.not_expr().expr)
        return left

    def not_expr(self) -> _Value:
        if self.accept("NOT"):
            return _Value(~self.not_expr().expr)
        return self.predicate()

    def predicate(self) -> _Value:
        left = self.concat()
        e = left.expr
        comparisons = {
            "=": e.eq,
            "==": e.eq,
            "!=": e.ne,
            "<>": e.ne,
            "<": e.lt,
            "<=": e.le,
            ">": e.gt,
            ">=": e.ge,
        }
        if self.tok.kind == "op" and self.tok.text in comparisons:
            op = self.take().text
            return _Value(comparisons[op](self.concat().expr))
        if self.tok.kind == "op" and self.tok.text in ("~", "~*", "!~", "!~*"):
            op = self.take().text
            regex = self.regex_pattern(self.concat())
            match = _regex(self.text_of(e), regex, "i" if "*" in op else "")
            return _Value(~match if op.startswith("!") else match)
        if self.accept("IS"):
            negate = self.accept("NOT")
            if self.accept("NULL"):
                return _Value(e.is_not_null() if negate else e.is_null())
            if self.at("TRUE", "FALSE"):
                truth = self.take().word == "TRUE"
                test = e.eq_missing(pl.lit(truth))
                return _Value(~test if negate else test)
            raise self.error("IS takes NULL, NOT NULL, TRUE or FALSE")
        negate = self.at("NOT") and self.peek().word in ("IN", "BETWEEN", "LIKE", "ILIKE")
        if negate:
            self.take()
        if self.accept("IN"):
            result = e.is_in(self.value_list())
        elif self.accept("BETWEEN"):
            low = self.concat().expr
            self.expect("AND", "AND in 'x BETWEEN low AND high'")
            result = e.is_between(low, self.concat().expr)
        elif self.at("LIKE", "ILIKE"):
            insensitive = self.take().word == "ILIKE"
            like = self.concat()
            if not (like.literal and isinstance(like.value, str)):
                raise ExpressionError("LIKE takes a quoted pattern, e.g. output LIKE '%word%'")
            flags = "(?i)" if insensitive else ""
            result = self.text_of(e).str.contains(flags + like_regex(like.value))
        else:
            return left
        return _Value(~result if negate else result)

    def value_list(self) -> list[Any]:
        if not self.accept("("):
            raise self.error("IN takes a list of values in brackets, e.g. tag IN ('a', 'b')")
        values = []
        while True:
            item = self.concat()
            if not item.literal:
                raise ExpressionError(
                    "IN takes a list of values (numbers or quoted text), e.g. tag IN ('a', 'b')"
                )
            values.append(item.value)
            if self.accept(")"):
                return values
            self.expect(",", "',' or ')' in the IN list")

    def concat(self) -> _Value:
        left = self.additive()
        while self.accept("||"):
            right = self.additive()
            left = _Value(pl.concat_str([self.text_of(left.expr), self.text_of(right.expr)]))
        return left

    def additive(self) -> _Value:
        left = self.multiplicative()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take().text
            right = self.multiplicative()
            left = _fold(left, right, op)
        return left

    def multiplicative(self) -> _Value:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%"):
            op = self.take().text
            right = self.unary()
            left = _fold(left, right, op)
        return left

    def unary(self) -> _Value:
        if self.tok.kind == "op" and self.tok.text in ("-", "+"):
            op = self.take().text
            operand = self.unary()
            if op == "+":
                return operand
            if operand.literal and isinstance(operand.value, (int, float)):
                return _literal(-operand.value)
            return _Value(-operand.expr)
        return self.postfix()

    def postfix(self) -> _Value:
        value = self.primary()
        while self.accept("::"):
            value = _Value(value.expr.cast(self.type_name()))
        return value

    def type_name(self) -> pl.DataType:
        tok = self.tok
        if tok.kind == "name" and tok.word in TYPES:
            self.take()
            return TYPES[tok.word]
        raise self.error(
            "expected a type (" + ", ".join(sorted({"INT", "FLOAT", "TEXT", "BOOLEAN"})) + ")"
        )

    def primary(self) -> _Value:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return _literal(float(tok.text) if re.search(r"[.eE]", tok.text) else int(tok.text))
        if tok.kind == "string":
            self.take()
            return _literal(tok.text[1:-1].replace("''", "'"))
        if tok.kind == "quoted":
            self.take()
            name = tok.text[1:-1].replace('""', '"') if tok.text[0] == '"' else tok.text[1:-1]
            return self.column(name, tok)
        if self.accept("("):
            if self.at(*QUERY_WORDS):
                raise self.query_error()
            inner = self.or_expr()
            self.expect(")", "')'")
            return inner
        if tok.kind == "name":
            word = tok.word
            if word in QUERY_WORDS:
                raise self.query_error()
            if word in ("TRUE", "FALSE"):
                self.take()
                return _literal(word == "TRUE")
            if word == "NULL":
                self.take()
                return _Value(pl.lit(None), literal=True, value=None)
            if word == "CASE":
                return self.case()
            if word in ("CAST", "TRY_CAST") and self.peek().text == "(":
                return self.cast()
            if self.peek().text == "(":
                return self.call()
            if word in KEYWORDS:
                raise ExpressionError(f"'{tok.text}' at character {tok.pos + 1} is out of place")
            self.take()
            return self.column(tok.text, tok)
        if tok.kind == "end":
            raise ExpressionError("the expression ends too early: a value is missing at the end")
        raise self.error("expected a column, a value or '('")

    def query_error(self) -> ExpressionError:
        return ExpressionError(
            f"'{self.tok.text}' is not allowed: an expression is a condition on each row and "
            f"sees only this dataset's columns (no SELECT, FROM or subqueries)"
        )

    def column(self, name: str, tok: Token) -> _Value:
        if name not in self.schema:
            shown = ", ".join(c for c in self.schema if not c.startswith("__"))
            raise ExpressionError(
                f"no column '{_short(name)}' at character {tok.pos + 1}; columns: {shown}"
            )
        return _Value(pl.col(name))

    def call(self) -> _Value:
        tok = self.take()
        name = tok.text.lower()
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"'{_short(tok.text)}()' is not a function an expression can use; "
                f"functions: {', '.join(FUNCTIONS)}"
            )
        fewest, most, build = FUNCTIONS[name]
        self.expect("(", "'('")
        args: list[_Value] = []
        if not self.accept(")"):
            while True:
                args.append(self.or_expr())
                if self.accept(")"):
                    break
                self.expect(",", f"',' or ')' in {name}()")
        if len(args) < fewest or (most is not None and len(args) > most):
            want = (
                str(fewest)
                if most == fewest
                else f"{fewest} or more"
                if most is None
                else f"{fewest} to {most}"
            )
            noun = "argument" if want == "1" else "arguments"
            raise ExpressionError(f"{name}() takes {want} {noun}, not {len(args)}")
        exprs = [a.expr for a in args]
        if name == "regexp_like":
            flags = args[2].value if len(args) > 2 else ""
            if len(args) > 2 and not (
                args[2].literal and isinstance(flags, str) and re.fullmatch("[imsU]*", flags)
            ):
                raise ExpressionError("regexp_like's third argument is flags in quotes, e.g. 'i'")
            exprs[1] = self.regex_pattern(args[1])
            return _Value(_regexp_like(exprs[:2], [self.dtype(exprs[0])], flags))
        return _Value(build(exprs, [self.dtype(e) for e in exprs]))

    def cast(self) -> _Value:
        strict = self.take().word == "CAST"
        self.expect("(", "'('")
        inner = self.or_expr().expr
        self.expect("AS", "AS in CAST(x AS type)")
        dtype = self.type_name()
        self.expect(")", "')'")
        return _Value(inner.cast(dtype, strict=strict))

    def case(self) -> _Value:
        self.take()
        subject = None if self.at("WHEN") else self.or_expr().expr
        branches: list[tuple[pl.Expr, pl.Expr]] = []
        while self.accept("WHEN"):
            cond = self.or_expr().expr
            self.expect("THEN", "THEN in CASE WHEN … THEN …")
            branches.append((cond if subject is None else subject.eq(cond), self.or_expr().expr))
        if not branches:
            raise self.error("CASE needs WHEN … THEN …")
        otherwise = self.or_expr().expr if self.accept("ELSE") else pl.lit(None)
        self.expect("END", "END to close CASE")
        chain: Any = pl
        for cond, then in branches:
            chain = chain.when(cond).then(then)
        return _Value(chain.otherwise(otherwise))

    def regex_pattern(self, value: _Value) -> pl.Expr:
        """A regex operand; a quoted one is checked now, so a typo reads as one line."""
        if value.literal and isinstance(value.value, str):
            try:
                pl.select(pl.lit("").str.contains(value.value))
            except Exception as exc:  # noqa: BLE001 - polars raises several kinds
                lines = [ln.strip() for ln in str(exc).splitlines()]
                why = next((ln[6:].strip() for ln in lines if ln.startswith("error:")), "invalid")
                raise ExpressionError(
                    f"regular expression '{_short(value.value)}': {why}"
                ) from None
        return value.expr

    def text_of(self, expr: pl.Expr) -> pl.Expr:
        return _text(expr, self.dtype(expr))


def _literal(value: Any) -> _Value:
    return _Value(pl.lit(value), literal=True, value=value)


def _fold(left: _Value, right: _Value, op: str) -> _Value:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "%": lambda a, b: a % b,
    }
    return _Value(ops[op](left.expr, right.expr))


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def compile_expression(text: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """The polars expression for ``text`` over columns ``schema``; :class:`ExpressionError`
    (a ValueError) says what is wrong. Nothing outside the columns can be named."""
    parser = _Parser(text, schema)
    expr = parser.parse()
    if parser.dtype(expr) not in (pl.Boolean, pl.Null):
        raise ExpressionError(
            "the expression must be a condition, true or false for each row, "
            "e.g. length(output) < 20"
        )
    unknown = set(expr.meta.root_names()) - set(schema)
    if unknown:  # the parser only names schema columns; this guards the guarantee itself
        raise ExpressionError(f"no column {sorted(unknown)[0]!r}")
    if not expr.meta.root_names():  # a constant ("TRUE"): one value for every row
        expr = pl.repeat(expr, pl.len())
    return expr
