"""A project: an opened dataset together with its durable store.

The format and field mapping chosen for a dataset are remembered in its store and used the
next time it is opened (unless the user overrides them again).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inspector.core import formats
from inspector.core.dataset import Dataset, open_dataset
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.store import ProjectStore, default_project_path


@dataclass
class Project:
    dataset: Dataset
    store: ProjectStore

    def set_spec(self, spec: formats.FormatSpec) -> None:
        """Use another format/field mapping and remember it for this dataset."""
        self.dataset = self.dataset.with_spec(spec)
        self.store.set("format", spec.to_json())

    def close(self) -> None:
        self.store.close()


def open_project(
    target: str | Path,
    *,
    project_path: str | Path | None = None,
    split: str | None = None,
    skip_bad_lines: bool = False,
    kind: str | None = None,
    fields: dict[str, str] | None = None,
    id_column: str | None = None,
    defer_ids: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> Project:
    """Open ``target`` and its store; a remembered mapping applies unless overridden.
    ``defer_ids``: see :func:`open_dataset` (the window shows the rows before their ids)."""
    dataset = open_dataset(
        target,
        split=split,
        skip_bad_lines=skip_bad_lines,
        kind=kind,
        fields=fields,
        id_column=id_column,
        defer_ids=defer_ids,
        progress=progress,
    )
    store = ProjectStore(project_path or default_project_path(dataset.fingerprint))
    if kind or fields:
        store.set("format", dataset.spec.to_json())
    else:
        saved = store.get("format")
        if saved:
            try:
                spec = formats.FormatSpec.from_json(saved)
                if all(c in dataset.frame.columns for c in spec.fields.values()):
                    dataset = dataset.with_spec(spec)
            except (KeyError, TypeError, IndexError):
                pass
    store.set("target", str(target))
    store.set("id_rule", dataset.id_rule)
    store.record_files([f.to_json() for f in dataset.files])
    return Project(dataset, store)
