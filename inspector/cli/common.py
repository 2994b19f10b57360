"""Options and helpers shared by the subcommands: opening a dataset, progress, errors."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

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
    p.add_argument("--project", help="the project database (default: the user data folder)")


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
    return {
        "project_path": args.project,
        "split": args.split,
        "skip_bad_lines": args.skip_bad_lines,
        "kind": args.kind,
        "fields": parse_fields(args.field) or None,
        "id_column": args.id_column,
    }


def open_from_args(args: argparse.Namespace, progress: Progress | None = None):
    """Open the project named by the common dataset options."""
    from inspector.core.project import open_project

    return open_project(args.path, progress=progress or Progress(), **open_options(args))


@contextlib.contextmanager
def terminal_progress(description: str = "working") -> Iterator[Progress]:
    """A Progress drawn as a rich progress bar (rows/s and time left) on stderr."""
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

    return wrapped
