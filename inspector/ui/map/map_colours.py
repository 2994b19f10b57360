"""What the map can be coloured by: the clusters, the length, the dataset's columns, and
sources that features add (labels, quality flags), each turned into categories with names or
into numbers for a colour bar."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.data.dataset import LENGTH

if TYPE_CHECKING:
    from inspector.core.project import Project

MAX_CATEGORIES = 20  # a column with more distinct values shows its 19 commonest + "other"
CONTINUOUS_MIN_DISTINCT = 13  # a numeric column with fewer distinct values is categorical

# A colour source returns, for every dataset row, either numbers (a colour bar), a
# ``(codes, names)`` pair (-1 = none) or values to count as categories (strings, bools).
ColourValues = np.ndarray | pl.Series | tuple[np.ndarray, dict[int, str]] | list
ColourSource = Callable[["Project"], ColourValues]


def categorical_codes(values: pl.Series) -> tuple[np.ndarray, dict[int, str]]:
    """Codes by frequency (0 = commonest); past ``MAX_CATEGORIES`` the rest share "other";
    nulls are -1."""
    s = (values.cast(pl.String) if values.dtype != pl.String else values).rename("value")
    counts = s.drop_nulls().value_counts(sort=True)
    top = counts[s.name].to_list()
    other = len(top) > MAX_CATEGORIES
    if other:
        top = top[: MAX_CATEGORIES - 1]
    names = {i: (t if t != "" else "(empty)") for i, t in enumerate(top)}
    lookup = pl.DataFrame({s.name: top, "__code": np.arange(len(top), dtype=np.int64)})
    codes = (
        s.to_frame().join(lookup, on=s.name, how="left", maintain_order="left")["__code"].to_numpy()
    )
    codes = np.asarray(codes, dtype=np.float64)
    nulls = s.is_null().to_numpy()
    out = np.where(np.isnan(codes), len(top) if other else -1, codes).astype(np.int64)
    out[nulls] = -1
    if other:
        names[len(top)] = "other"
    return out, names


def colour_values(values: ColourValues) -> tuple[str, Any]:
    """``("continuous", floats)`` or ``("categorical", (codes, names))`` for any source."""
    if isinstance(values, tuple):
        codes, names = values
        return "categorical", (np.asarray(codes, dtype=np.int64), dict(names))
    series = values if isinstance(values, pl.Series) else pl.Series("values", values)
    dtype = series.dtype
    if dtype.is_numeric() and series.n_unique() >= CONTINUOUS_MIN_DISTINCT:
        return "continuous", series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    return "categorical", categorical_codes(series)


def is_scalar(dtype: pl.DataType) -> bool:
    """A column that can colour the map (not a list, a struct or vectors)."""
    return (
        dtype.is_numeric()
        or dtype in (pl.String, pl.Boolean, pl.Categorical)
        or isinstance(dtype, pl.Enum)
    )


def colour_choices(project: Project | None, sources: Sequence[str]) -> list[tuple[str, str] | None]:
    """(label, key) for the colour-by list; None marks a separator before the columns."""
    choices: list[tuple[str, str] | None] = [
        ("cluster", "cluster:coarse"),
        ("cluster (fine)", "cluster:fine"),
        ("length", "length"),
    ]
    choices += [(name, f"source:{name}") for name in sources]
    if project is not None:
        schema = project.dataset.frame.schema
        columns = [c for c in project.dataset.user_columns if is_scalar(schema[c])]
        if columns:
            choices.append(None)
        choices += [(c, f"column:{c}") for c in columns]
    return choices


def colouring(
    key: str,
    project: Project,
    clusters: tuple,
    sources: Mapping[str, ColourSource],
    title: str,
) -> tuple[str, Any, str]:
    """``(kind, data, title)`` for ``key``: kind "categorical" (data: codes, names),
    "continuous" (data: a number per row), "continuous_log" (the same, on a log scale
    labelled in the values' units) or "uniform" (the clusters do not exist yet).
    ``clusters`` is the map's (coarse codes, coarse names, fine codes, fine names)."""
    if key.startswith("cluster:"):
        coarse, names_coarse, fine, names_fine = clusters
        codes, names = (fine, names_fine) if key == "cluster:fine" else (coarse, names_coarse)
        if codes is None:
            codes, names = (coarse, names_coarse) if fine is None else (fine, names_fine)
        if codes is None:
            return "uniform", None, title
        return "categorical", (np.asarray(codes), dict(names or {})), title
    if key == "length":
        length = project.dataset.frame[LENGTH].cast(pl.Float64).to_numpy()
        return "continuous_log", length, "length (characters)"
    if key.startswith("column:"):
        values: ColourValues = project.dataset.frame[key[len("column:") :]]
    elif key.startswith("source:") and key[len("source:") :] in sources:
        values = sources[key[len("source:") :]](project)
    else:
        raise ValueError(f"no colouring {key!r}")
    kind, data = colour_values(values)
    return kind, data, title
