"""`inspector review PATH [--queue all|unlabeled|random:N|cluster:ID|flag:RULE|dups|learn:uncertain|
learn:likely-drop | --resume]`:
open the window straight into a review session on that list, or back into the latest
unfinished one."""

from __future__ import annotations

import argparse

from inspector.cli.common import add_dataset_options, fail, open_options
from inspector.core.errors import DataError

QUEUE_HELP = (
    "the list to review: all, unlabeled (default), random:N, cluster:ID (needs the map), "
    "flag:RULE or dups (need the junk finders' proposals), learn:uncertain (the rows the "
    "learned model is least sure of, spread over its features) or learn:likely-drop (need "
    "`inspector learn`)"
)
RESUME_HELP = (
    "go back to the latest unfinished review session of this dataset, at its first sample "
    "not yet decided"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="open PATH in the window, straight into a review session")
    add_dataset_options(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--queue", help=QUEUE_HELP)
    which.add_argument("--resume", action="store_true", help=RESUME_HELP)
    p.set_defaults(handler=_review)


def _review(args: argparse.Namespace) -> int:
    from inspector.core.labels.queues import parse_queue

    queue = args.queue or "unlabeled"
    try:
        spec = parse_queue(queue)
        options = open_options(args)
        if args.resume:
            _check_resumable(args.path, options)
        elif spec.kind == "learn":
            _check_learned(args.path, options)
    except (ValueError, DataError) as exc:
        return fail(str(exc))
    from inspector.ui.shell.app import run_app

    if args.resume:
        return run_app(args.path, resume_review=True, **options)
    return run_app(args.path, review_queue=queue, **options)


def _check_resumable(path: str, options: dict) -> None:
    """Say so before the window opens when there is nothing to resume (this reads the data
    once to find its project; the row ids are left to the window)."""
    from inspector.core.labels.review_state import SessionLog
    from inspector.core.project import open_project

    project = open_project(path, defer_ids=True, **options)
    try:
        if SessionLog(project.store).latest_unfinished() is None:
            raise ValueError(
                f"no unfinished review session for {path} (project {project.store.path}); "
                "start one with: inspector review PATH --queue unlabeled"
            )
    finally:
        project.close()


def _check_learned(path: str, options: dict) -> None:
    """A learn: list needs a saved model: say so before the window opens."""
    from inspector.core.labels.queues import NO_MODEL
    from inspector.core.learn.project_learn import MODEL, learn_dir
    from inspector.core.project import open_project

    project = open_project(path, defer_ids=True, **options)
    try:
        if not (learn_dir(project) / MODEL).exists():
            raise ValueError(f"{path} (project {project.store.path}): {NO_MODEL}")
    finally:
        project.close()
