"""`inspector [open] PATH`, `inspector info PATH`, `inspector demo`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inspector.cli.common import (
    add_dataset_options,
    open_from_args,
    run_guarded,
    terminal_progress,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("open", help="open PATH (or nothing) in the window")
    add_dataset_options(p, path_optional=True)
    p.add_argument(
        "--analysis",
        metavar="DIR",
        help="show the analysis 'inspector analyze --out DIR' wrote (local or Ray engine) "
        "over PATH: map, clusters, flags and duplicates from DIR, nothing recomputed; "
        "refused when DIR was made from other data",
    )
    p.set_defaults(handler=_open)

    p = sub.add_parser("info", help="print the format, mapping, rows, id rule and three samples")
    add_dataset_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--samples", type=int, default=3, help="how many samples to show")
    p.set_defaults(handler=run_guarded(_info))

    p = sub.add_parser("demo", help="make the built-in demo dataset and open it")
    p.add_argument("--no-window", action="store_true", help="only write it and print its path")
    p.set_defaults(handler=_demo)


def _open(args: argparse.Namespace) -> int:
    from inspector.cli.common import open_options
    from inspector.ui.shell.app import run_app

    return run_app(args.path, analysis=args.analysis, **open_options(args))


def info_dict(project, samples: int = 3) -> dict:
    from inspector.core.data.dataset import id_column_note

    d = project.dataset
    n = min(samples, d.height)
    step = max(1, d.height // max(n, 1))
    return {
        "path": d.target,
        "rows": d.height,
        "files": [f.to_json() for f in d.files],
        "format": d.spec.kind,
        "fields": d.spec.fields,
        "columns": d.user_columns,
        "id_rule": d.id_rule,
        "id_note": id_column_note(d.frame) if d.id_rule == "content_sha256" else None,
        "fingerprint": d.fingerprint,
        "skipped_records": len(d.bad),
        "splits": list(d.sources.splits),
        "split": d.sources.split,
        "left_out": [str(f) for f in d.sources.left_out],
        "project": str(project.store.path),
        "stale_labels": project.stale_labels,
        "samples": [
            {"id": d.ids[i], "text": d.render(i).to_text(width=600)}
            for i in range(0, step * n, step)
        ],
    }


def _info(args: argparse.Namespace) -> int:
    with terminal_progress("reading") as progress:
        project = open_from_args(args, progress)
    info = info_dict(project, args.samples)
    project.close()
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = Console()
    table = Table(show_header=False, box=None)
    table.add_row("path", info["path"])
    table.add_row("rows", f"{info['rows']:,}")
    table.add_row("files", ", ".join(f"{f['path']} ({f['rows']:,})" for f in info["files"]))
    table.add_row("format", info["format"])
    table.add_row("fields", ", ".join(f"{k}={v}" for k, v in info["fields"].items()))
    table.add_row("id rule", info["id_rule"])
    if info["id_note"]:
        table.add_row("", info["id_note"])
    table.add_row("fingerprint", info["fingerprint"][:16])
    if info["skipped_records"]:
        table.add_row("skipped", f"{info['skipped_records']} bad records")
    if info["splits"]:
        table.add_row("splits", f"{', '.join(info['splits'])} (opened: {info['split']})")
    if info["left_out"]:
        names = ", ".join(Path(f).name for f in info["left_out"][:5])
        more = f" and {len(info['left_out']) - 5} more" if len(info["left_out"]) > 5 else ""
        table.add_row("left out", f"{names}{more} (in no split)")
    if info["stale_labels"]:
        table.add_row(
            "stale labels",
            f"{info['stale_labels']:,} (their rows changed since they were labelled; not exported)",
        )
    console.print(table)
    for s in info["samples"]:
        console.print(Panel(Text(s["text"]), title=Text(str(s["id"])), expand=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from inspector.core.data.demo import ensure_demo

    path = ensure_demo()
    print(path, file=sys.stderr if not args.no_window else sys.stdout)
    if args.no_window:
        return 0
    from inspector.ui.shell.app import run_app

    return run_app(str(path))
