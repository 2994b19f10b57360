"""Label and filter-file commands: ``export``, ``apply``, ``import-filter``, ``label``.

inspector export PATH --out FILE [--format parquet|jsonl|csv|ids] [--include-proposals]
                [--learned-below P]
inspector apply PATH --filter FILE --out OUT [--match-by-id]
inspector import-filter PATH FILE [--as decisions|proposals] [--reason R] [--match-by-id]
inspector label PATH --ids-file F --decision drop [--tag T] [--reason R] [--note N]
"""

from __future__ import annotations

import argparse
import sys

from inspector.cli.common import (
    add_dataset_options,
    fail,
    open_from_args,
    run_guarded,
    terminal_progress,
)


def register(sub: argparse._SubParsersAction) -> None:
    # `--format` here is the filter file's format; the dataset's own is `--data-format`.
    p = sub.add_parser(
        "export",
        help="write the decisions as a filter file (+ manifest.json) for training pipelines",
        conflict_handler="resolve",
    )
    add_dataset_options(p)
    p.add_argument("--data-format", dest="kind", help="override the detected data format")
    p.add_argument("--out", required=True, help="the filter file to write (e.g. filter.parquet)")
    p.add_argument(
        "--format",
        dest="filter_format",
        choices=("parquet", "jsonl", "csv", "ids"),
        help="filter file format (default: from --out's suffix, else parquet)",
    )
    p.add_argument(
        "--include-proposals",
        action="store_true",
        help="add the junk finders' proposals for rows without a human decision",
    )
    p.add_argument(
        "--learned-below",
        type=float,
        metavar="P",
        help="propose removing rows without a human decision whose learned keep_probability "
        "is below P (reason learned, the probability in score; needs `inspector learn`)",
    )
    p.set_defaults(handler=run_guarded(_export))

    p = sub.add_parser(
        "apply", help="write the dataset without the rows a filter file removes, same format"
    )
    add_dataset_options(p)
    p.add_argument("--filter", required=True, dest="filter_file", help="the filter file")
    p.add_argument("--out", required=True, help="a new file or folder for the filtered data")
    p.add_argument(
        "--match-by-id",
        action="store_true",
        help="go ahead even if the data changed since the filter was made (match ids only)",
    )
    p.set_defaults(handler=run_guarded(_apply))

    p = sub.add_parser(
        "import-filter",
        help="read a filter file (ours, an id list, or a Parquet with an id column) back",
    )
    add_dataset_options(p)
    p.add_argument("file", help="the filter file, id list, or Parquet file/folder")
    p.add_argument(
        "--as",
        dest="as_",
        choices=("decisions", "proposals"),
        default="decisions",
        help="import as decisions (undoable, default) or as proposals",
    )
    p.add_argument("--reason", help="the reason to record (default: the file's, else imported)")
    p.add_argument("--source", help="proposals only: the source name (default import:FILE)")
    p.add_argument(
        "--match-by-id",
        action="store_true",
        help="import rows whose content changed since the file was made too (by id alone)",
    )
    p.set_defaults(handler=run_guarded(_import))

    p = sub.add_parser("label", help="label rows by id from a script (one undoable command)")
    add_dataset_options(p)
    p.add_argument(
        "--ids-file", required=True, help="a file with one row id per line ('-' for stdin)"
    )
    p.add_argument("--decision", choices=("keep", "drop", "unsure", "none"))
    p.add_argument("--tag", action="append", default=[], help="add a tag (repeatable)")
    p.add_argument("--reason", default="manual", help="the reason to record (default manual)")
    p.add_argument("--note", help="a note to set")
    p.add_argument("--annotator", help="record this annotator (default: settings, OS user)")
    p.set_defaults(handler=run_guarded(_label))


def _open(args: argparse.Namespace):
    with terminal_progress("opening") as progress:
        return open_from_args(args, progress)


def _export(args: argparse.Namespace) -> int:
    from inspector.core.export.project_export import export_project

    project = _open(args)
    try:
        result = export_project(
            project,
            args.out,
            format=args.filter_format,
            include_proposals=args.include_proposals,
            learned_below=args.learned_below,
        )
    finally:
        project.close()
    by_action = result.counts["by_action"]
    what = "ids" if result.format == "ids" else "rows"
    print(
        f"wrote {result.path} ({result.format}): {result.rows:,} {what} — "
        f"remove {by_action['remove']:,}, keep {by_action['keep']:,}, flag {by_action['flag']:,}"
    )
    print(f"wrote {result.manifest_path}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from inspector.core.export.apply import apply_filter

    project = _open(args)
    try:
        with terminal_progress("writing") as progress:
            result = apply_filter(
                project.dataset,
                args.filter_file,
                args.out,
                match_by_id=args.match_by_id,
                progress=progress,
            )
    finally:
        project.close()
    width = len(f"{result.rows_in:,}")
    print(f"rows in:  {result.rows_in:>{width},}")
    print(f"removed:  {result.removed:>{width},}")
    print(f"written:  {result.written:>{width},}")
    if result.not_found:
        print(f"ids in the filter not in the data: {result.not_found:,}")
    for note in result.notes:
        print(f"note: {note}")
    print(f"wrote {result.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from inspector.core.export.filter_import import import_filter
    from inspector.core.labels.labelbook import LabelBook

    project = _open(args)
    try:
        book = LabelBook(project.store, project.dataset)
        result = import_filter(
            book,
            args.file,
            as_=args.as_,
            reason=args.reason,
            source=args.source,
            match_by_id=args.match_by_id,
        )
    finally:
        project.close()
    a = result.by_action
    print(
        f"read {result.rows:,} rows ({result.kind.replace('_', ' ')}); "
        f"{result.matched:,} in the data, {result.not_found:,} not"
    )
    if result.changed:
        print(f"note: {result.changed:,} of them have other content now; matched by id alone")
    if result.as_ == "proposals":
        print(
            f"stored {result.matched:,} proposals: remove {a['remove']:,}, keep {a['keep']:,}, "
            f"flag {a['flag']:,}"
        )
    else:
        changed = len(result.changes) if result.changes else 0
        print(
            f"imported as decisions: drop {a['remove']:,}, keep {a['keep']:,}, "
            f"unsure {a['flag']:,} ({changed:,} rows changed; one undo reverts it)"
        )
    return 0 if result.matched or not result.rows else 1


def _label(args: argparse.Namespace) -> int:
    from inspector.core.export.filter_text import decode_ids, parse_ids, read_ids_file
    from inspector.core.labels.commands import Decide, SetNote, SetTags
    from inspector.core.labels.labelbook import LabelBook

    if args.decision is None and not args.tag and args.note is None:
        return fail("label: give --decision, --tag or --note")
    if args.ids_file == "-":
        raw = getattr(sys.stdin, "buffer", None)  # a text stream in tests
        ids = parse_ids(decode_ids(raw.read(), "stdin") if raw else sys.stdin.read())
    else:
        ids = read_ids_file(args.ids_file)
    project = _open(args)
    try:
        book = LabelBook(project.store, project.dataset, annotator=args.annotator)
        rows = book.rows_of(ids)
        found = rows[rows >= 0]
        missing = int((rows < 0).sum())
        if ids and not len(found):
            return fail(
                f"{args.ids_file}: none of the {len(ids):,} ids are in the data "
                f"(ids here follow {project.dataset.id_rule})"
            )
        if args.decision is not None:
            decision = None if args.decision == "none" else args.decision
            changes = book.execute(
                Decide(found, decision, reason=args.reason, add_tags=args.tag, note=args.note)
            )
        elif args.tag:
            changes = book.execute(SetTags(found, add=args.tag))
            if args.note is not None:
                book.execute(SetNote(found, args.note))
        else:
            changes = book.execute(SetNote(found, args.note))
        counts = book.counts()
    finally:
        project.close()
    print(f"{changes.title or 'no change'}: {len(changes):,} rows changed")
    if missing:
        print(f"ids not in the data: {missing:,}")
    print(f"now: keep {counts['keep']:,}, drop {counts['drop']:,}, unsure {counts['unsure']:,}")
    return 0
