"""Conversations written as one string: ``"\\n\\nHuman: ...\\n\\nAssistant: ..."`` (Anthropic's
HH-RLHF chosen/rejected columns) or ``"### Human: ...### Assistant: ..."`` (OpenAssistant
Guanaco's ``text`` column), and conversations kept as a bare list of strings whose turns
alternate user, assistant (LIMA's ``conversations``).

Such a column is a chat in disguise: read as plain text, the prompt side of a pair would be the
whole transcript and nothing would know where the answer starts. Detection marks the column
with :data:`TRANSCRIPT_KEYS` in ``FormatSpec.message_keys`` (the place list-of-turns columns keep
their role/content keys), and the text extraction and the reader split it into turns: the
Human turns are the prompt side, the Assistant turns the response side, and a pair's shared
turns are shown once above the two answers. Splitting is vectorised (polars) for the columns
and plain ``re`` for the one record the reader shows.
"""

from __future__ import annotations

import re

import polars as pl

# The marker ``message_keys`` holds for a transcript column (a real struct field is never
# named so).
TRANSCRIPT_KEYS = ("__transcript__", "text")

# A turn starts at the start of the string, after a blank line, or after "###".
_MARK = r"(?:###[ \t]*|\n\n|^)(Human|Assistant):"
_SEP = "\x1e"  # record separator: never in the text we split (it is removed first)
_ROLES = {"Human": "user", "Assistant": "assistant"}
_PREFIX = {"user": "Human:", "assistant": "Assistant:"}
_STARTS = re.compile(r"^\s*(?:###[ \t]*)?Human:")
_SPLIT = re.compile(_MARK)

# The marker for a list of strings that alternate user, assistant, user...
ALTERNATING_KEYS = ("__alternating__", "text")
# Column names that hold such a list (a list of strings under another name is not a chat).
ALTERNATING_NAMES = ("conversations", "conversation", "messages", "turns", "dialog", "dialogue")
# Names read as such a list only when no other format fits (UltraChat's ``data``).
LAST_RESORT_ALTERNATING = ("data",)

SHARE_NEEDED = 0.8  # of the sampled non-empty values must look like a transcript


def is_transcript(keys: tuple[str, str] | None) -> bool:
    return keys == TRANSCRIPT_KEYS


def looks_like_transcripts(values: pl.Series) -> bool:
    """Whether most non-empty strings of ``values`` are Human/Assistant transcripts: they
    start with a Human turn and hold at least one Assistant turn."""
    if values.dtype != pl.String:
        return False
    texts = [v for v in values.drop_nulls().to_list() if v.strip()]
    if not texts:
        return False
    hits = sum(
        1
        for t in texts
        if _STARTS.match(t) and ("\n\nAssistant:" in t or re.search(r"###[ \t]*Assistant:", t))
    )
    return hits >= SHARE_NEEDED * len(texts)


def turns_expr(col: str, roles: set[str] | None) -> pl.Expr:
    """The text of the turns of transcript column ``col`` whose role is in ``roles`` (None:
    every turn, each with its speaker), joined by blank lines."""
    marked = (
        pl.col(col)
        .cast(pl.String)
        .str.replace_all(_SEP, " ", literal=True)
        .str.replace_all(_MARK, _SEP + "${1}:")
    )
    parts = marked.str.split(_SEP)
    element = pl.element()
    if roles is None:
        picked = element.filter(element.str.strip_chars() != "").str.strip_chars()
    else:
        prefixes = [_PREFIX[r] for r in sorted(roles) if r in _PREFIX]
        if not prefixes:
            return pl.lit("", dtype=pl.String)
        keep = pl.any_horizontal([element.str.starts_with(p) for p in prefixes])
        picked = element.filter(keep).str.replace(r"^(?:Human|Assistant):", "").str.strip_chars()
    return parts.list.eval(picked).list.join("\n\n")


def split_turns(text: str) -> list[tuple[str, str, str]]:
    """``(speaker, role, text)`` for each turn of one transcript; text before the first
    turn (rare) is kept as a ``preamble`` turn."""
    pieces = _SPLIT.split(text)
    turns: list[tuple[str, str, str]] = []
    if pieces[0].strip():
        turns.append(("preamble", "section", pieces[0].strip()))
    for speaker, body in zip(pieces[1::2], pieces[2::2], strict=False):
        turns.append((speaker, _ROLES[speaker], body.strip()))
    return turns


def is_alternating(keys: tuple[str, str] | None) -> bool:
    return keys == ALTERNATING_KEYS


def alternating_expr(col: str, roles: set[str] | None) -> pl.Expr:
    """The turns of alternating list ``col`` whose role is in ``roles`` (even places are the
    user's, odd ones the assistant's; None: every turn), joined by blank lines."""
    turns = pl.col(col)
    if roles is None or {"user", "assistant"} <= roles:
        picked = turns
    elif "user" in roles:
        picked = turns.list.gather_every(2, 0)
    elif "assistant" in roles:
        picked = turns.list.gather_every(2, 1)
    else:
        return pl.lit("", dtype=pl.String)
    return picked.list.drop_nulls().list.join("\n\n")


def alternating_turns(value: list) -> list[tuple[str, str, str]]:
    """``(speaker, role, text)`` for each string of an alternating list."""
    roles = ("user", "assistant")
    return [(roles[i % 2], roles[i % 2], "" if t is None else str(t)) for i, t in enumerate(value)]


# The marker for a list of {input, output} structs: each one exchange, the user's input and
# the assistant's output (Capybara's ``conversation``). The second item names the two fields.
PAIRS_MARK = "__pairs__"
PAIR_FIELDS = (("input", "output"),)


def pair_keys(dtype: pl.DataType) -> tuple[str, str] | None:
    """The marker keys if ``dtype`` is a list of exchange structs, else None."""
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return None
    names = {f.name for f in dtype.inner.fields}
    for asked, answered in PAIR_FIELDS:
        if asked in names and answered in names:
            return (PAIRS_MARK, f"{asked}|{answered}")
    return None


def is_pairs(keys: tuple[str, str] | None) -> bool:
    return keys is not None and keys[0] == PAIRS_MARK


def pairs_expr(col: str, keys: tuple[str, str], roles: set[str] | None) -> pl.Expr:
    """The inputs (user), outputs (assistant) or both (None) of exchange list ``col``,
    joined by blank lines."""
    asked, answered = keys[1].split("|")
    element = pl.element()
    said = element.struct.field(asked).cast(pl.String)
    answer = element.struct.field(answered).cast(pl.String)
    if roles is None or {"user", "assistant"} <= roles:
        picked = pl.concat_list([said, answer]).list.drop_nulls().list.join("\n\n")
    elif "user" in roles:
        picked = said
    elif "assistant" in roles:
        picked = answer
    else:
        return pl.lit("", dtype=pl.String)
    return pl.col(col).list.eval(picked).list.drop_nulls().list.join("\n\n")


def pair_turns(value: list, keys: tuple[str, str]) -> list[tuple[str, str, str]]:
    """``(speaker, role, text)`` for each input and output of an exchange list."""
    asked, answered = keys[1].split("|")
    turns = []
    for exchange in value:
        if not isinstance(exchange, dict):
            continue
        for key, role in ((asked, "user"), (answered, "assistant")):
            if exchange.get(key) is not None:
                turns.append((key, role, str(exchange[key])))
    return turns
