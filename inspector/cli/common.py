"""Options and helpers shared by the subcommands: opening a dataset, progress, errors."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sqlite3
import sys
from collections.abc import Iterator, Sequence

from inspector.core.errors import DataError
from inspector.core.jobs import Progress


def add_dataset_options(p: argparse.ArgumentParser, path_optional: bool = False) -> None:
    """PATH plus the options every command that opens a dataset takes."""
    p.add_argument(
        "path",
        nargs="?" if path_optional else None,
        help="a data file, a folder of shards, a glob, or a save_to_disk folder",
    )
    p.add_argument("--format", dest="kind", help="override the detected format (e.g. alpaca)")
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="override which column plays a role, e.g. --field output=response (repeatable)",
    )
    p.add_argument("--id-column", help="the column that identifies rows (unique, non-null)")
    p.add_argument("--split", help="the split of a DatasetDict folder (default: train)")
    p.add_argument("--skip-bad-lines", action="store_true", help="skip malformed records")
    p.add_argument(
        "--max-decompressed-gb",
        type=float,
        metavar="GB",
        help="refuse a compressed file that expands past this size (default: 100 times its "
        "compressed size, at least 1 GB; env INSPECTOR_MAX_DECOMPRESSED_GB)",
    )
    p.add_argument(
        "--max-line-mb",
        type=float,
        metavar="MB",
        help="refuse a line longer than this (default: 64 MB; env INSPECTOR_MAX_LINE_MB)",
    )
    p.add_argument("--project", help="the project database (default: the user data folder)")
    p.add_argument(
        "--carry-labels-from",
        metavar="PROJECT",
        help="carry the labels of another project (e.g. one made on an earlier version of "
        "this data) over; each is checked against the rows, changed ones are set aside as stale",
    )


def parse_fields(values: list[str]) -> dict[str, str]:
    fields = {}
    for v in values:
        if "=" not in v:
            raise DataError(f"--field {v}: expected ROLE=COLUMN, e.g. --field output=response")
        role, col = v.split("=", 1)
        fields[role.strip()] = col.strip()
    return fields


def open_options(args: argparse.Namespace) -> dict:
    """The common dataset options as ``open_project`` keyword arguments."""
    from inspector.core.data.readers import ReadLimits

    return {
        "limits": ReadLimits.from_settings(args.max_decompressed_gb, args.max_line_mb),
        "project_path": args.project,
        "split": args.split,
        "skip_bad_lines": args.skip_bad_lines,
        "kind": args.kind,
        "fields": parse_fields(args.field) or None,
        "id_column": args.id_column,
        "carry_labels_from": getattr(args, "carry_labels_from", None),
    }


def open_from_args(args: argparse.Namespace, progress: Progress | None = None):
    """Open the project named by the common dataset options."""
    from inspector.core.project import open_project

    project = open_project(args.path, progress=progress or Progress(), **open_options(args))
    report_labels(project)
    return project


def report_labels(project) -> None:
    """Say on stderr what checking the labels against the data did, and offer the labels of
    an earlier version of the same data."""
    reconciled = project.reconciled
    if reconciled is not None and reconciled.summary():
        print(f"inspector: labels: {reconciled.summary()}", file=sys.stderr)
    if reconciled is not None and reconciled.stale_total and not reconciled.stale:
        n = reconciled.stale_total
        print(
            f"inspector: {n:,} stale label{'s' if n != 1 else ''} (not exported)", file=sys.stderr
        )
    prev = project.previous
    if prev is not None:
        print(
            f"inspector: {prev.labels:,} labels exist for an earlier version of this data, in "
            f"{prev.path}; to carry them over (each checked against the current rows) add "
            f"--carry-labels-from {shlex.quote(str(prev.path))}",
            file=sys.stderr,
        )


def is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


@contextlib.contextmanager
def terminal_progress(description: str = "working") -> Iterator[Progress]:
    """A Progress drawn as a rich progress bar (rows/s and time left) on stderr; a plain
    Progress when stderr is not a terminal (nothing would be drawn: rich is not loaded)."""
    if not is_terminal(sys.stderr):
        yield Progress()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    console = Console(stderr=True)
    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task(description, total=None, rate="")
    state = {"stage": None}

    def update(p: Progress) -> None:
        if p.stage != state["stage"]:
            state["stage"] = p.stage
            bar.reset(task, total=p.total, description=p.stage or description)
        rate = f"{p.rate:,.0f}/s" if p.done and p.total else ""
        bar.update(task, completed=p.done, total=p.total, rate=rate)

    with bar:
        yield Progress(on_update=update)


def print_table(
    title: str,
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    notes: Sequence[str] = (),
) -> None:
    """A small table on stdout (first column left, the others right-aligned), then ``notes``
    line by line: drawn by rich on a terminal, plain columns otherwise (a pipe, a file, a
    script reading it), where rich is not loaded."""
    if is_terminal(sys.stdout):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for i, name in enumerate(header):
            table.add_column(name, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*row)
        console = Console(width=110)
        console.print(table)
        for note in notes:
            console.print(note, highlight=False)
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [title]
    for row in [header, *rows]:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    print("\n".join([*lines, *notes]))


def fail(message: str) -> int:
    print(f"inspector: {message}", file=sys.stderr)
    return 1


def run_guarded(handler):
    """Wrap a handler so bad input prints a clear one-line error instead of a traceback."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DataError as exc:
            message = exc.describe()
            if len(exc.bad_records) > 1:
                message += f"\n  {len(exc.bad_records)} bad records; the first few:"
                for b in exc.bad_records[:5]:
                    message += f"\n  - {b.describe()}"
            return fail(message)
        except (ValueError, FileNotFoundError) as exc:
            return fail(str(exc))
        except sqlite3.Error as exc:  # one the store did not put into words
            from inspector.core.store import store_error

            return fail(
                store_error(exc, getattr(args, "project", None) or "the project").describe()
            )

    return wrapped
