"""What the junk finders compare in a project: ``--dedup-on`` read the same way by both
engines (local and ``--engine ray``), the frame ``analyze_junk`` reads, the keep policy and the
model's semantic threshold. :mod:`inspector.core.junk.project_junk` runs the analysis on them.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from inspector.core.data import formats
from inspector.core.data.dataset import ID
from inspector.core.errors import DataError
from inspector.core.project import Project

ROLES = ("prompt", "response", "all")


#: What ``--dedup-on`` compares when it is not given, per format (the help and README say so).
DEDUP_DEFAULTS = {
    "preference": "prompt, chosen and rejected (the whole pair): a copy only when each of "
    "the three is a (near) copy on its own",
    "instruction": "prompt and response together; rows that share a prompt are duplicates "
    "only when their responses are (near) copies too",
    "text": "the text",
}
DEDUP_HELP = (
    "what duplicates compare: prompt, response, all or column names, comma-separated. "
    f"Default: for preference pairs {DEDUP_DEFAULTS['preference']}; for instruction and "
    f"chat data {DEDUP_DEFAULTS['instruction']}; for plain text {DEDUP_DEFAULTS['text']}. "
    "'--dedup-on prompt' counts every row that asks the same prompt as a copy, whatever it "
    "answers"
)


def dedup_columns(project: Project, dedup_on: str | None) -> list[str]:
    """The analysis frame's columns compared for duplicates (checked against the data).

    Default: the whole pair for preference data, prompt + response for instruction data,
    the text for plain text (see :data:`DEDUP_DEFAULTS`)."""
    return parse_dedup_on(
        dedup_on,
        kind=project.dataset.spec.kind,
        has_response=_has_response(project),
        user_columns=list(project.dataset.user_columns),
    )


def parse_dedup_on(
    dedup_on: str | None, *, kind: str, has_response: bool, user_columns: list[str]
) -> list[str]:
    """``--dedup-on`` read one way for both engines (local and ``--engine ray``): roles
    (prompt, response, all) and column names, or the format's default when empty."""
    if not dedup_on:
        if kind == "preference":
            return ["prompt", "response", "rejected"]
        return ["prompt", "response"] if has_response else ["prompt"]
    out: list[str] = []
    for part in (p.strip() for p in dedup_on.split(",")):
        if not part:
            continue
        if part in ROLES:
            out.append(part)
        elif part in user_columns:
            out.append(f"col:{part}")
        else:
            raise DataError(
                f"--dedup-on {part}: not a field",
                field=part,
                hint=f"use prompt, response, all or a column ({', '.join(user_columns)})",
            )
    if not out:
        raise DataError("--dedup-on: name at least one field (prompt, response, all, a column)")
    return out


def _has_response(project: Project) -> bool:
    return project.dataset.spec.kind not in ("text", "generic")


def junk_frame(
    project: Project, dedup_on: str | None = None, extra_columns: list[str] | None = None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The frame for ``analyze_junk`` and its column keyword arguments.

    Columns: id, prompt, response (chosen for preference data), rejected (preference data),
    ``all`` and ``col:NAME`` when duplicates are compared on them, plus ``extra_columns``
    (user columns a keep policy names) under their own names."""
    ds = project.dataset
    spec = ds.spec
    cols = dedup_columns(project, dedup_on)
    exprs: list[pl.Expr] = [
        pl.col(ID).cast(pl.String).alias("id"),
        formats.prompt_expr(spec).cast(pl.String).fill_null("").alias("prompt"),
        formats.response_expr(spec).cast(pl.String).fill_null("").alias("response"),
    ]
    rejected = formats.rejected_expr(spec)
    if rejected is not None:
        exprs.append(rejected.cast(pl.String).fill_null("").alias("rejected"))
    if "all" in cols:
        exprs.append(
            formats.embed_field_expr(spec, "all", ds.frame.schema).fill_null("").alias("all")
        )
    for c in cols:
        if c.startswith("col:"):
            exprs.append(
                formats.embed_field_expr(spec, c[4:], ds.frame.schema).fill_null("").alias(c)
            )
    for c in extra_columns or []:
        if c not in ds.frame.columns:
            raise DataError(f"no column '{c}'", field=c, hint=f"columns: {ds.user_columns}")
        exprs.append(pl.col(c))
    frame = ds.frame.select(exprs)
    kwargs: dict[str, Any] = {"id_col": "id", "prompt_col": "prompt", "text_cols": cols}
    if rejected is not None:
        kwargs.update(chosen_col="response", rejected_col="rejected")
    elif _has_response(project):
        kwargs["response_col"] = "response"
    return frame, kwargs


def keep_policy(text: str) -> tuple[str, list[str]]:
    """``first|longest|best|COLUMN=VALUE`` → (KeepPolicy spelling, columns it needs)."""
    t = (text or "first").strip()
    if t == "best":
        return "best_score", []
    if t.startswith(("prefer:", "longest:", "best_score:")):
        rest = t.partition(":")[2]
        return t, [rest.partition("=")[0].strip()]
    if "=" in t:
        col, _, value = t.partition("=")
        return f"prefer:{col.strip()}={value.strip()}", [col.strip()]
    if t in ("first", "longest", "best_score"):
        return t, []
    raise DataError(f"--keep {text}: use first, longest, best or COLUMN=VALUE")


def default_threshold(model: str, vectors_column: str | None = None) -> float:
    """The model's measured semantic-duplicate threshold (junk's default when unknown)."""
    from inspector.core.junk.junk import DEFAULT_SEMANTIC_THRESHOLD

    if vectors_column:
        return DEFAULT_SEMANTIC_THRESHOLD
    from inspector.core.map.models import model_info

    value = model_info(model).default_dup_threshold
    return DEFAULT_SEMANTIC_THRESHOLD if value is None else float(value)
