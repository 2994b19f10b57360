"""`inspector select PATH --n N --out FILE`: the best N rows, spread over the embedding space.

Writes FILE (a filter file: ``keep`` for the N rows, reason ``selected``; ``remove`` for the
rest, reason ``not_selected``), manifest.json beside it and FILE.report.json (clusters
covered, length and source distributions before/after, mean distance to the nearest
selected row); ``inspector apply PATH --filter FILE --out DIR`` then writes the subset.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.cli.common import add_dataset_options, open_from_args, run_guarded, terminal_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "select",
        help="pick the best N rows spread over the map; write them as a filter file",
        description="Pick N rows: never a row dropped (or marked unsure) by a person or "
        "proposed for removal by the finders; shared over the map's clusters in proportion "
        "to their size, then the most different rows within each; weighted by the learned "
        "keep_probability ('inspector learn') or, without a model, by the quality flags of "
        "the last analysis. The same data, settings and seed give the same rows.",
    )
    add_dataset_options(p)
    p.add_argument("--n", type=int, required=True, help="how many rows to pick")
    p.add_argument("--out", required=True, help="the filter file (.parquet, .jsonl, .csv)")
    p.add_argument(
        "--by",
        choices=("diversity", "quality", "both"),
        default="both",
        help="diversity: spread only; quality: the best weights only; both (default): "
        "spread, each pick weighted by quality",
    )
    p.add_argument(
        "--per",
        metavar="COLUMN",
        help="cap the rows per value of COLUMN (e.g. a prompt or source column) at an "
        "equal share of N (at least 1), or at --per-max",
    )
    p.add_argument("--per-max", type=int, metavar="K", help="with --per: at most K per value")
    p.add_argument("--seed", type=int, default=0, help="seed for ties and k-means (default 0)")
    p.add_argument(
        "--vectors", metavar="COLUMN", help="use the vectors in this column (default: the map's)"
    )
    p.add_argument("--model", help="embed with this model (default: the one the map used)")
    p.add_argument("--embed-field", help="embed this field (default: the one the map used)")
    p.set_defaults(handler=run_guarded(_select))


def _select(args: argparse.Namespace) -> int:
    from inspector.core.select.project_select import (
        SelectParams,
        report_path,
        select_subset,
        write_selection,
    )

    params = SelectParams(n=args.n, by=args.by, per=args.per, per_max=args.per_max, seed=args.seed)
    with terminal_progress("reading") as progress:
        project = open_from_args(args, progress)
        try:
            params.check(project)
            result = select_subset(project, params, progress)
            manifest = write_selection(project, result, Path(args.out))
        finally:
            project.close()
    print_report(result.report)
    counts = manifest["counts"]["by_action"]
    print(
        f"selected {len(result.rows):,} of {result.report['rows']:,} rows "
        f"({result.report['eligible']:,} could be picked); wrote {args.out} "
        f"(keep {counts['keep']:,}, remove {counts['remove']:,}), manifest.json and "
        f"{report_path(args.out).name}"
    )
    if len(result.rows) < params.n:
        print(f"note: only {len(result.rows):,} rows could be picked (asked for {params.n:,})")
    return 0


def print_report(report: dict) -> None:
    """Before/after as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Selection · by {report['by']} · weights: {report['weights']}")
    table.add_column("")
    table.add_column("all rows", justify="right")
    table.add_column("selected", justify="right")
    clusters = report["clusters"]
    table.add_row("clusters covered", f"{clusters['before']:,}", f"{clusters['after']:,}")
    for key in ("p10", "p50", "p90", "mean"):
        before = report["length_chars"]["before"][key]
        after = report["length_chars"]["after"][key]
        table.add_row(f"length {key} (chars)", _num(before), _num(after))
    before, after = report["source_share"]["before"], report["source_share"]["after"]
    for source in list(before)[:5]:
        table.add_row(
            f"share of {source}",
            f"{100 * before[source]:.1f}%",
            f"{100 * after.get(source, 0):.1f}%",
        )
    distance = report["mean_nearest_selected_distance"]
    table.add_row("mean distance to nearest selected", "", _num(distance, 4))
    Console(width=110).print(table)


def _num(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"
