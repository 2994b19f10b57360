"""Configurable text normalisation, vectorised with polars.

Duplicates are found on normalised text: two answers that differ only in case or spacing are
the same answer. What counts as "only" is a choice, so each step can be switched off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

# Fields are joined with the ASCII unit separator: it is neither whitespace nor punctuation,
# so ("a", "b c") and ("a b", "c") never normalise to the same text.
FIELD_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Normalization:
    """Which normalisation steps to apply (in this order: unicode, case, digits, punctuation,
    accents, whitespace)."""

    unicode: bool = True  # NFKC: full-width letters, ligatures, non-breaking spaces
    case: bool = True  # lower-case
    digits: bool = False  # every run of digits (with decimal separators) becomes "0"
    punctuation: bool = False  # punctuation and symbols become spaces
    accents: bool = False  # strip combining marks ("café" -> "cafe")
    whitespace: bool = True  # runs of whitespace become one space; ends stripped

    @classmethod
    def parse(cls, spec: str) -> Normalization:
        """Build from a comma list of step names, e.g. ``"case,whitespace,punctuation"``;
        ``"none"`` switches every step off."""
        names = {s.strip() for s in spec.split(",") if s.strip()}
        known = {"unicode", "case", "digits", "punctuation", "accents", "whitespace"}
        unknown = names - known - {"none"}
        if unknown:
            raise ValueError(
                f"unknown normalisation step(s) {sorted(unknown)}; choose from {sorted(known)}"
            )
        return cls(**{k: k in names for k in known})


#: Exact duplicates: same text up to case, unicode form and spacing.
EXACT = Normalization()
#: Near-duplicates (MinHash): also ignore punctuation and numbers, as datatrove's simplify_text.
LEXICAL = Normalization(digits=True, punctuation=True, accents=True)


def normalize_expr(expr: pl.Expr, norm: Normalization = EXACT) -> pl.Expr:
    """A polars expression that normalises a string expression; nulls become ""."""
    out = expr.cast(pl.String).fill_null("")
    if norm.unicode:
        out = out.str.normalize("NFKC")
    if norm.case:
        out = out.str.to_lowercase()
    if norm.digits:
        out = out.str.replace_all(r"\p{Nd}+(?:[.,]\p{Nd}+)*", "0")
    if norm.punctuation:
        out = out.str.replace_all(r"[\p{P}\p{S}]+", " ")
    if norm.accents:
        out = out.str.normalize("NFD").str.replace_all(r"\p{Mn}+", "")
    if norm.whitespace:  # each field stripped too: spaces around the field separator go
        out = out.str.replace_all(r"\s*\x1f\s*", FIELD_SEPARATOR).str.replace_all(r"\s+", " ")
        out = out.str.strip_chars()
    return out


def normalize_texts(
    texts: pl.Series | Sequence[str | None], norm: Normalization = EXACT
) -> pl.Series:
    """Normalise a Series (or list) of texts; returns a String Series of the same length."""
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts))
    name = series.name or "text"
    return pl.select(normalize_expr(pl.lit(series), norm).alias(name)).to_series()


def combined_text(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """The chosen fields of each row joined into one text (nulls as ""), e.g. prompt+response.

    Raises ValueError naming the missing column(s) and the ones that exist.
    """
    if not columns:
        raise ValueError("choose at least one column to compare (e.g. the response column)")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; it has {frame.columns}")
    if len(columns) == 1:
        return frame.get_column(columns[0]).cast(pl.String).fill_null("").alias("text")
    parts = [pl.col(c).cast(pl.String).fill_null("") for c in columns]
    return frame.select(pl.concat_str(parts, separator=FIELD_SEPARATOR).alias("text")).to_series()
