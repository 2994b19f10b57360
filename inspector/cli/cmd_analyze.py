"""`inspector analyze PATH --out DIR`: map, duplicates, quality rules and eval leakage.

Writes DIR/analysis.parquet (one row per sample), DIR/proposed_filter.parquet (the proposed
removals in the filter-file schema, with DIR/manifest.json), DIR/run.json (seconds per stage)
and prints counts per finder. ``--only duplicates,...`` runs just those finders.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from inspector.cli.cmd_map import add_map_options, downloads_from
from inspector.cli.common import (
    add_dataset_options,
    open_from_args,
    print_table,
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
        help="what duplicates compare: prompt, response, all or column names. Default: "
        "preference pairs, prompt+chosen+rejected (the whole pair); instruction/chat data, "
        "prompt+response, and rows sharing a prompt are duplicates only when their responses "
        "are (near) copies too; plain text, the text. 'prompt' alone counts every row asking "
        "the same prompt as a copy, whatever it answers",
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
    p.add_argument(
        "--only",
        metavar="FINDER[,FINDER]",
        help="run only these finders and what they need: duplicates (vectors, no map "
        "layout; the neighbour graph only above 20,000 rows), quality (the text rules), leaks "
        "(needs --against), outliers (the neighbour graph). Default: everything, with the map",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print the seconds of every stage")
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (this process) or ray (Ray Data: a local cluster, or --ray-address)",
    )
    p.add_argument(
        "--ray-address",
        metavar="auto|ray://HOST:PORT",
        help="the Ray cluster to join (default: start one on this machine, 127.0.0.1 only)",
    )
    p.add_argument(
        "--ray-cpus", type=int, metavar="N", help="CPUs of the cluster started here (default: all)"
    )
    p.add_argument(
        "--map-sample",
        type=int,
        default=100_000,
        metavar="ROWS",
        help="--engine ray: rows UMAP is fitted on; the rest are placed from them",
    )
    # run as a process, it ends without the interpreter's teardown (cli.exit_at_once)
    p.set_defaults(handler=run_guarded(_analyze), exit_at_once=True)


def _analyze(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        return _analyze_ray(args)
    from inspector.core.export.filterfile import export_filter
    from inspector.core.export.outputs import check_outputs
    from inspector.core.junk.duplicates import prepare_kernels
    from inspector.core.junk.finder_sets import parse_only
    from inspector.core.junk.project_junk import AnalysisParams, run_analysis
    from inspector.core.map.project_map import MapParams

    out = Path(args.out)
    started = time.monotonic()
    only = parse_only(args.only)
    if only is None or "duplicates" in only:
        start_in_background(prepare_kernels)
    if _embeds_with_default_model(args, only):
        start_in_background(_load_default_model)  # while the data is read
    params = AnalysisParams(
        only=only,
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
        read_seconds = time.monotonic() - started
        # refused before any work: an --out inside the data would open as more rows next time
        check_outputs(
            project.dataset,
            [out, *(out / n for n in ("analysis.parquet", "proposed_filter.parquet", "run.json"))],
            store=project.store,
        )
        out.mkdir(parents=True, exist_ok=True)
        result = run_analysis(project, params, progress)
    t_filter = time.monotonic()
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
    stages = {"read": round(read_seconds, 3), **result.stages}
    stages["filter"] = round(time.monotonic() - t_filter, 3)
    seconds = time.monotonic() - started
    write_run_json(out, project.dataset.height, seconds, stages, result)
    print_summary(result, project.dataset.height)
    shown = stages if args.verbose else dict(sorted(stages.items(), key=lambda kv: -kv[1])[:3])
    print(
        f"{project.dataset.height:,} rows in {seconds:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in shown.items())
        + f"); wrote {result.path}, {export.path} ({export.rows:,} rows) and {out / 'run.json'}"
    )
    return 0


def _embeds_with_default_model(args: argparse.Namespace, only: tuple[str, ...] | None) -> bool:
    """This run embeds with the default model, which is already prepared (loading it takes
    no download, no distillation and no progress to show)."""
    from inspector.core.map.models import DEFAULT_NAME, is_default_prepared

    needs_vectors = only is None or bool({"duplicates", "leaks", "outliers"} & set(only))
    return (
        needs_vectors and not args.vectors and args.model == DEFAULT_NAME and is_default_prepared()
    )


def _load_default_model() -> None:
    from inspector.core.map.models import DEFAULT_NAME, load_embedder

    load_embedder(DEFAULT_NAME)  # kept loaded: the embedding step finds it


def start_in_background(work) -> None:
    """Run ``work()`` in a daemon thread; a failure there only means the main thread does
    that work itself when it gets to it."""
    import threading

    def guarded() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - the main thread loads whatever is missing
            pass

    threading.Thread(target=guarded, name=getattr(work, "__name__", "work"), daemon=True).start()


def write_run_json(out: Path, rows: int, seconds: float, stages: dict, result) -> None:
    """DIR/run.json: the run's seconds per stage (the keys the Ray engine's run.json has)."""
    import json

    from inspector.core.atomic import atomic_write

    run = {
        "engine": "local",
        "rows": rows,
        "only": list(result.only),
        "seconds": round(seconds, 2),
        "seconds_per_stage": stages,
        "model": result.model,
        "semantic_threshold": result.threshold,
        "analysis": result.path.name,
    }
    text = json.dumps(run, indent=2) + "\n"
    atomic_write(out / "run.json", lambda p: p.write_text(text, "utf-8"))


def print_summary(result, n_rows: int) -> None:
    """Counts per finder on stdout: a rich table on a terminal, plain columns otherwise."""
    from inspector.core.junk.finder_sets import FINDERS, family

    title = f"Issues · semantic threshold {result.threshold:.3f} ({result.model})"
    header = ("finder", "rows", "% rows", "groups")
    partial = len(result.only) < len(FINDERS)
    rows_out = []
    for finder, rows, groups in result.summary().iter_rows():
        if partial and family(finder) not in result.only:
            continue
        pct = f"{100 * rows / n_rows:.1f}" if n_rows else "-"
        rows_out.append((finder, f"{rows:,}", pct, "" if groups is None else f"{groups:,}"))
    findings = [  # dataset-level: not a count of rows to remove
        f"{str(f.get('finder', 'finding')).replace('_', ' ').capitalize()}: {f.get('message', '')}"
        for f in result.findings
    ]
    print_table(title, header, rows_out, findings)


def _analyze_ray(args: argparse.Namespace) -> int:
    """``--engine ray``: the same outputs from Ray Data (see docs/scale-out.md)."""
    from inspector.cli.common import parse_fields
    from inspector.core.data.readers import ReadLimits
    from inspector.core.errors import DataError
    from inspector.core.scale.engine import ScaleParams, run_ray_analysis

    if args.against:
        raise DataError("--against needs the local engine for now (drop --engine ray)")
    if args.vectors:
        raise DataError("--vectors needs the local engine for now (drop --engine ray)")
    if args.only:
        raise DataError("--only needs the local engine for now (drop --engine ray)")
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        raise DataError(
            "--engine ray needs Ray", hint='pip install "trainset-inspector[ray]"'
        ) from exc
    out = Path(args.out).expanduser()
    _refuse_out_inside(Path(args.path).expanduser(), out)
    params = ScaleParams(
        path=args.path,
        out=str(out),
        address=args.ray_address,
        num_cpus=args.ray_cpus,
        model=args.model,
        embed_field=args.embed_field,
        dedup_on=args.dedup_on,
        rules_path=args.rules,
        keep=args.keep,
        threshold=args.threshold,
        map_sample=args.map_sample,
        split=args.split,
        kind=args.kind,
        fields=parse_fields(args.field) or None,
        id_column=args.id_column,
        limits=ReadLimits.from_settings(args.max_decompressed_gb, args.max_line_mb),
    )
    with downloads_from(args):
        result = run_ray_analysis(params, say=lambda line: print(line, flush=True))
    run = result.run
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(
        f"{result.rows:,} rows on {run['workers']} CPU(s), {run['nodes']} node(s) in "
        f"{run['seconds']:.1f} s ({stages}); wrote {out}/analysis.parquet, "
        f"proposed_filter.parquet, manifest.json, run.json"
    )
    if result.summary is not None and result.summary.height:
        summary = result.summary.group_by("finder", maintain_order=True).agg(pl_sum("rows"))
        for finder, rows in summary.iter_rows():
            print(f"  {finder}: {rows:,}")
    return 0


def pl_sum(column: str):
    import polars as pl

    return pl.col(column).sum()


def _refuse_out_inside(data: Path, out: Path) -> None:
    """An --out inside the data would be read as more rows next time."""
    from inspector.core.errors import DataError

    if data.is_dir():
        try:
            out.resolve().relative_to(data.resolve())
        except ValueError:
            return
        raise DataError(
            f"--out {out} is inside the dataset folder", hint="write the analysis elsewhere"
        )
