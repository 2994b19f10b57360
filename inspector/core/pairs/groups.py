"""Several answers to one prompt, gathered for comparison.

Two shapes of data hold them: instruction rows that share a prompt (Alpaca, chat,
prompt/completion: the rows whose prompts are the same after exact-duplicate normalisation
form a group), and rows with a ``completions`` list (UltraFeedback: a row is a group, each
list item an answer). A group needs two answers or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from inspector.core.data import formats
from inspector.core.data.dataset import ID, Dataset
from inspector.core.errors import DataError

#: Formats whose rows are single answers that can share a prompt.
ROW_ANSWER_KINDS = ("alpaca", "messages", "sharegpt", "prompt_completion", "unpaired_preference")


@dataclass(frozen=True)
class Answer:
    """One answer: its row, its place in the row's completions list (None: the row is the
    answer), the row's id, its text and a short label (the model, when the data names it)."""

    row: int
    index: int | None
    id: str
    text: str
    label: str = ""

    @property
    def key(self) -> str:
        """The answer's name in a tag: ``""`` for a row, ``":N"`` for completion N."""
        return "" if self.index is None else f":{self.index}"


@dataclass(frozen=True)
class PromptGroup:
    """One prompt and its answers (in data order)."""

    number: int  # 0.. in order of first row
    prompt: str
    answers: tuple[Answer, ...]

    @property
    def rows(self) -> np.ndarray:
        return np.array(sorted({a.row for a in self.answers}), dtype=np.int64)


def has_groups(dataset: Dataset) -> bool:
    """Whether the data's format can hold several answers per prompt."""
    return dataset.spec.kind == "completions" or dataset.spec.kind in ROW_ANSWER_KINDS


def prompt_groups(dataset: Dataset, *, min_answers: int = 2) -> list[PromptGroup]:
    """Every prompt with at least ``min_answers`` answers, in data order."""
    spec = dataset.spec
    if spec.kind == "completions":
        return _completion_groups(dataset, min_answers)
    if spec.kind not in ROW_ANSWER_KINDS:
        raise DataError(
            f"{dataset.target}: {spec.kind} data has one answer per row and no prompt to "
            "group rows by",
            hint="compare needs rows that share a prompt (instruction data) or a completions "
            "list per row (UltraFeedback-style); for preference pairs use the pair checks",
        )
    from inspector.core.junk.duplicates import exact_keys

    frame = dataset.frame.select(
        pl.col(ID).cast(pl.String).alias("id"),
        formats.prompt_expr(spec).cast(pl.String).fill_null("").alias("prompt"),
        formats.response_expr(spec).cast(pl.String).fill_null("").alias("response"),
    )
    keys = exact_keys(frame.get_column("prompt"))
    frame = (
        pl.concat([frame, keys], how="horizontal").with_row_index("row").filter(pl.col("nonempty"))
    )
    grouped = (
        frame.group_by("h1", "h2", maintain_order=True)
        .agg("row", "id", "response", pl.col("prompt").first())
        .filter(pl.col("row").list.len() >= min_answers)
    )
    out: list[PromptGroup] = []
    for number, (rows, ids, texts, prompt) in enumerate(
        grouped.select("row", "id", "response", "prompt").iter_rows()
    ):
        answers = tuple(Answer(int(r), None, i, t) for r, i, t in zip(rows, ids, texts))
        out.append(PromptGroup(number, prompt, answers))
    return out


def _completion_groups(dataset: Dataset, min_answers: int) -> list[PromptGroup]:
    spec = dataset.spec
    col = spec.fields["completions"]
    label_key, text_key = spec.message_keys.get(col, ("", ""))
    element = pl.element()
    if text_key:
        text = element.struct.field(text_key).cast(pl.String)
        label = element.struct.field(label_key).cast(pl.String) if label_key else None
    else:
        text, label = element.cast(pl.String), None
    exprs = [
        pl.col(ID).cast(pl.String).alias("id"),
        formats.prompt_expr(spec).cast(pl.String).fill_null("").alias("prompt"),
        pl.col(col).list.eval(text).alias("texts"),
    ]
    if label is not None:
        exprs.append(pl.col(col).list.eval(label).alias("labels"))
    frame = dataset.frame.select(exprs).with_row_index("row")
    out: list[PromptGroup] = []
    for rec in frame.iter_rows(named=True):
        texts = rec["texts"] or []
        if len(texts) < min_answers:
            continue
        labels = rec.get("labels") or [""] * len(texts)
        answers = tuple(
            Answer(int(rec["row"]), i, rec["id"], t or "", lab or "")
            for i, (t, lab) in enumerate(zip(texts, labels))
        )
        out.append(PromptGroup(len(out), rec["prompt"], answers))
    return out
