"""`inspector review PATH [--queue all|unlabeled|random:N|cluster:ID|flag:RULE|dups]`: open the
window straight into a review session on that list."""

from __future__ import annotations

import argparse

from inspector.cli.common import add_dataset_options, fail, parse_fields

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
        fields = parse_fields(args.field) or None
    except ValueError as exc:
        return fail(str(exc))
    from inspector.ui.review_wiring import run_review

    return run_review(
        args.path,
        args.queue,
        project_path=args.project,
        split=args.split,
        skip_bad_lines=args.skip_bad_lines,
        kind=args.kind,
        fields=fields,
        id_column=args.id_column,
    )
