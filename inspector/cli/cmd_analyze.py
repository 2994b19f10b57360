"""`inspector analyze PATH --out DIR`: map, duplicates, quality rules and eval leakage.

Writes DIR/analysis.parquet (one row per sample), DIR/proposed_filter.parquet (the proposed
removals in the filter-file schema, with DIR/manifest.json) and prints counts per finder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from inspector.cli.cmd_map import add_map_options, downloads_from
from inspector.cli.common import (
    add_dataset_options,
    open_from_args,
    run_guarded,
    terminal_progress,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="find duplicates, quality flags, outliers and eval leaks; write proposals",
    )
    add_dataset_options(p)
    add_map_options(p)
    p.add_argument("--out", required=True, help="folder for analysis.parquet and the filter")
    p.add_argument(
        "--dedup-on",
        metavar="FIELD[,FIELD]",
        help="what duplicates compare: prompt, response, all or column names "
        "(default: prompt and response)",
    )
    p.add_argument("--against", metavar="EVAL", help="flag rows that (near-)copy this eval set")
    p.add_argument("--rules", metavar="FILE", help="a quality rules TOML overriding the defaults")
    p.add_argument(
        "--keep",
        default="first",
        help="which duplicate to keep: first, longest, best (fewest flags) or COLUMN=VALUE",
    )
    p.add_argument(
        "--threshold",
        type=float,
        help="cosine for semantic duplicates (default: the model's measured threshold)",
    )
    p.set_defaults(handler=run_guarded(_analyze))


def _analyze(args: argparse.Namespace) -> int:
    from inspector.core.export.filterfile import export_filter
    from inspector.core.export.outputs import check_outputs
    from inspector.core.junk.project_junk import AnalysisParams, run_analysis
    from inspector.core.map.project_map import MapParams

    out = Path(args.out)
    started = time.monotonic()
    params = AnalysisParams(
        map=MapParams(model=args.model, embed_field=args.embed_field, vectors_column=args.vectors),
        dedup_on=args.dedup_on,
        against=args.against,
        rules_path=args.rules,
        keep=args.keep,
        semantic_threshold=args.threshold,
        out_dir=str(out),
    )
    with terminal_progress("reading") as progress, downloads_from(args):
        project = open_from_args(args, progress)
        # refused before any work: an --out inside the data would open as more rows next time
        check_outputs(
            project.dataset,
            [out, out / "analysis.parquet", out / "proposed_filter.parquet"],
            store=project.store,
        )
        out.mkdir(parents=True, exist_ok=True)
        result = run_analysis(project, params, progress)
    try:
        export = export_filter(
            project.dataset,
            project.store,
            out / "proposed_filter.parquet",
            proposals=result.removals(),
            embedding_model=result.model,
            rules=result.junk.rules.source,
            thresholds={"semantic": result.threshold},
        )
    finally:
        project.close()
    print_summary(result, project.dataset.height)
    print(
        f"{project.dataset.height:,} rows in {time.monotonic() - started:.1f} s; "
        f"wrote {result.path} and {export.path} ({export.rows:,} rows)"
    )
    return 0


def print_summary(result, n_rows: int) -> None:
    """Counts per finder as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Issues · semantic threshold {result.threshold:.3f} ({result.model})")
    table.add_column("finder")
    table.add_column("rows", justify="right")
    table.add_column("% rows", justify="right")
    table.add_column("groups", justify="right")
    for finder, rows, groups in result.summary().iter_rows():
        pct = f"{100 * rows / n_rows:.1f}" if n_rows else "-"
        table.add_row(finder, f"{rows:,}", pct, "" if groups is None else f"{groups:,}")
    Console(width=110).print(table)
