"""The map of a project's dataset: which text is embedded with which model, and the
pipeline run (embedding → neighbours → layout → clusters), shared by the window and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.project import Project


@dataclass(frozen=True)
class MapParams:
    model: str = "default"
    embed_field: str | None = None  # prompt (default) | response | all | a column
    vectors_column: str | None = None  # use vectors already in the data

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "embed_field": self.embed_field,
            "vectors_column": self.vectors_column,
        }


def vectors_from_column(project: Project, column: str) -> np.ndarray:
    """Vectors stored in the data (a list/array column), L2-normalised, as float32."""
    frame = project.dataset.frame
    if column not in frame.columns:
        raise DataError(
            f"no column '{column}' for --vectors",
            field=column,
            hint=f"columns are {', '.join(project.dataset.user_columns)}",
        )
    series = frame[column]
    if not isinstance(series.dtype, pl.List | pl.Array):
        raise DataError("expected a list of numbers in every row", field=column)
    if series.null_count():
        first = int(np.flatnonzero(series.is_null().to_numpy())[0])
        raise DataError(
            f"{series.null_count()} rows have no vector (first: row {first})", field=column
        )
    lengths = series.list.len() if isinstance(series.dtype, pl.List) else None
    if lengths is not None and lengths.n_unique() != 1:
        raise DataError("vectors have different lengths", field=column)
    vectors = np.asarray(series.cast(pl.List(pl.Float32)).to_list(), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def name_texts(project: Project, params: MapParams) -> list[str] | None:
    """The texts that name the map's clusters when they differ from the embedded ones.

    A curator thinks of chat and instruction data by its prompts, so a map of "all" the
    text (or of precomputed vectors) is named from the prompt side; a map of the responses
    or of one chosen column is named from that text (what made its clusters). For plain
    text the prompt side is the text. ``None``: name from the embedded texts.
    """
    field_name = params.embed_field
    if params.vectors_column or field_name in (None, "", "prompt"):
        return None  # the embedded (or naming) text already is the prompt side
    if field_name != "all":
        return None
    prompts = project.dataset.prompt()
    if not prompts.str.len_chars().gt(0).any():
        return None  # no prompt side (e.g. a generic table): keep the embedded text
    return prompts.to_list()


def compute_map(
    project: Project,
    params: MapParams,
    progress: Progress = NULL_PROGRESS,
    *,
    layout: bool = True,
    neighbours: bool = True,
    remember: bool = True,
):
    """Run (or load from the caches) the whole map pipeline; remembers the params used.

    ``remember=False`` leaves the project's ``map_params`` alone: a run for another purpose
    (Find issues embeds "all" when it dedups on several fields) must never change which map,
    and which embedded text, the project opens with.

    ``layout=False`` stops after the vectors (and, with ``neighbours``, the kNN graph): the
    layout and clusters then come only from the caches (see ``mapping.build_graph``)."""
    from inspector.core.map.mapping import build_graph, build_map

    dataset = project.dataset
    vectors = None
    if params.vectors_column:
        vectors = vectors_from_column(project, params.vectors_column)
        texts = dataset.prompt().to_list()
    else:
        try:
            texts = dataset.embed_texts(params.embed_field).to_list()
        except ValueError as exc:
            raise DataError(str(exc)) from exc
    naming = name_texts(project, params)
    if layout:
        result = build_map(
            texts, model=params.model, progress=progress, vectors=vectors, name_texts=naming
        )
    else:
        result = build_graph(
            texts, params.model, progress, vectors=vectors, neighbours=neighbours, name_texts=naming
        )
    if remember:
        project.store.set("map_params", params.to_json())
    return result


def map_frame(project: Project, result) -> pl.DataFrame:
    """One row per sample: id, source_file, row_index, x, y, clusters and their names."""
    d = project.dataset.frame
    coarse = np.asarray(result.cluster_coarse)
    fine = np.asarray(result.cluster_fine)
    return pl.DataFrame(
        {
            "id": d["__id"],
            "source_file": d["__source"],
            "row_index": d["__row"],
            "x": result.xy[:, 0].astype(np.float32),
            "y": result.xy[:, 1].astype(np.float32),
            "cluster": coarse.astype(np.int32),
            "cluster_label": [result.names_coarse.get(int(c), "") for c in coarse],
            "cluster_fine": fine.astype(np.int32),
            "cluster_fine_label": [result.names_fine.get(int(c), "") for c in fine],
        }
    )
