"""A project: an opened dataset together with its durable store.

The format and field mapping chosen for a dataset are remembered in its store and used the
next time it is opened (unless the user overrides them again). Once the rows have their ids,
the labels are checked against them (:mod:`inspector.core.labels.reconcile`): a label follows its
record, or is set aside as stale when the record changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.core.data import formats
from inspector.core.data.dataset import Dataset, open_dataset
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.labels.reconcile import (
    PreviousLabels,
    Reconciled,
    carry_labels,
    previous_labels,
    reconcile_labels,
)
from inspector.core.store import ProjectStore, default_project_path


@dataclass
class Project:
    dataset: Dataset
    store: ProjectStore
    # what checking the labels against the rows did (None until the ids are ready)
    reconciled: Reconciled | None = None
    # labels made on an earlier version of the same data path, in another project (offered)
    previous: PreviousLabels | None = None

    def reconcile(self, dataset: Dataset | None = None, *, force: bool = False) -> Reconciled:
        """Check the labels against ``dataset`` (default: this project's), whose ids must be
        ready; safe from a worker thread (one transaction under the store's lock)."""
        self.reconciled = reconcile_labels(self.store, dataset or self.dataset, force=force)
        return self.reconciled

    @property
    def stale_labels(self) -> int:
        return self.reconciled.stale_total if self.reconciled is not None else 0

    def decline_previous(self) -> None:
        """The user does not want the previous version's labels: do not offer them again."""
        if self.previous is not None:
            self.store.set("labels.previous_declined", str(self.previous.path))
            self.previous = None

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
    carry_labels_from: str | Path | None = None,
    limits: Any = None,
    progress: Progress = NULL_PROGRESS,
) -> Project:
    """Open ``target`` and its store; a remembered mapping applies unless overridden.
    ``defer_ids``: see :func:`open_dataset` (the window shows the rows before their ids;
    it calls :meth:`Project.reconcile` once they are ready). ``carry_labels_from``: another
    project whose labels are carried over, each checked against the rows like the project's
    own. A project the user did not name (``project_path``) that holds no labels notes in
    ``previous`` a project made on an earlier version of the same data path."""
    dataset = open_dataset(
        target,
        split=split,
        skip_bad_lines=skip_bad_lines,
        kind=kind,
        fields=fields,
        id_column=id_column,
        defer_ids=defer_ids,
        progress=progress,
        # the read caps (inspector.core.data.readers.ReadLimits), passed on only when given
        **({"limits": limits} if limits is not None else {}),
    )
    store = ProjectStore(project_path or default_project_path(dataset.fingerprint))
    try:
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
        if "*" not in str(target):
            store.set("target_path", str(Path(str(target)).expanduser().resolve()))
        store.set("id_rule", dataset.id_rule)
        store.set("split", dataset.sources.split)  # another split is no earlier version
        store.record_files([f.to_json() for f in dataset.files])
        project = Project(dataset, store)
        if carry_labels_from is not None:
            carry_labels(store, carry_labels_from)
        elif project_path is None and "*" not in str(target):
            project.previous = previous_labels(store, str(target))
        if dataset.ids_ready:
            project.reconcile()
    except BaseException:
        store.close()
        raise
    return project
