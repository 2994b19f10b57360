"""A project's decisions as a filter file and its manifest: what ``inspector export`` and the
window's File ▸ Export Filter List… both run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from inspector.core.export.filterfile import ExportResult, export_filter, load_proposals

if TYPE_CHECKING:
    from inspector.core.project import Project

# Settings other areas may fill in the project store so the manifest records how proposals
# were made (manifest field -> store key).
MANIFEST_SETTINGS = {
    "embedding_model": "manifest.embedding_model",
    "rules": "manifest.rules",
    "thresholds": "manifest.thresholds",
}


def export_project(
    project: Project,
    out: str | Path,
    *,
    format: str | None = None,
    include_proposals: bool = False,
    learned_below: float | None = None,
) -> ExportResult:
    """Write ``project``'s filter file to ``out`` (format from ``format`` or the suffix) and its
    manifest beside it, with the settings of :data:`MANIFEST_SETTINGS`; the embedding model
    falls back to the params the map was made with. ``include_proposals`` adds the finders'
    proposals to the decisions; ``learned_below`` proposes removing the rows whose learned
    keep_probability is below it (reason ``learned``: ``core.learn.project_learn``)."""
    store = project.store
    settings = {field: store.get(key) for field, key in MANIFEST_SETTINGS.items()}
    if settings["embedding_model"] is None:
        settings["embedding_model"] = store.get("map_params")
    proposals = load_proposals(store) if include_proposals else None
    if learned_below is not None:
        import polars as pl

        from inspector.core.learn.project_learn import learned_proposals

        learned = learned_proposals(project, learned_below)
        proposals = learned if proposals is None else pl.concat([proposals, learned])
    return export_filter(
        project.dataset,
        store,
        out,
        format=format,
        proposals=proposals,
        embedding_model=settings["embedding_model"],
        rules=settings["rules"],
        thresholds=settings["thresholds"],
    )
