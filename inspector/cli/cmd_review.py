"""`inspector review PATH [--queue all|unlabeled|random:N|cluster:ID|flag:RULE|dups]`: open the
window straight into a review session on that list."""

from __future__ import annotations

import argparse

from inspector.cli.common import add_dataset_options, fail, open_options
from inspector.core.errors import DataError

QUEUE_HELP = (
    "the list to review: all, unlabeled (default), random:N, cluster:ID (needs the map), "
    "flag:RULE or dups (need the junk finders' proposals)"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="open PATH in the window, straight into a review session")
    add_dataset_options(p)
    p.add_argument("--queue", default="unlabeled", help=QUEUE_HELP)
    p.set_defaults(handler=_review)


def _review(args: argparse.Namespace) -> int:
    from inspector.core.queues import parse_queue

    try:
        parse_queue(args.queue)
        options = open_options(args)
    except (ValueError, DataError) as exc:
        return fail(str(exc))
    from inspector.ui.app import run_app

    return run_app(args.path, review_queue=args.queue, **options)
