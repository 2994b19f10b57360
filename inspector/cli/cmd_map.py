"""`inspector map PATH --out DIR` and `inspector models list|prepare`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inspector.cli.common import (
    add_dataset_options,
    open_from_args,
    run_guarded,
    terminal_progress,
)


def add_map_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default="default",
        help="default (offline static model), minilm, a local model folder or a Hugging Face "
        "name (from the local cache; see --allow-download)",
    )
    add_download_option(p)
    p.add_argument(
        "--embed-field",
        help="what to embed: prompt (default), response, all, or a column name",
    )
    p.add_argument("--vectors", help="use the vectors already in this column instead of a model")


def add_download_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-download",
        action="store_true",
        help="let --model fetch a Hugging Face model that is not in the local cache "
        "(without it, nothing is downloaded)",
    )


def downloads_from(args: argparse.Namespace):
    """The block in which the command may download its model (when --allow-download)."""
    from inspector.core.map.models import downloads_opted_in

    return downloads_opted_in(bool(getattr(args, "allow_download", False)))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("map", help="embed, lay out and cluster; write map.parquet and map.png")
    add_dataset_options(p)
    add_map_options(p)
    p.add_argument("--out", required=True, help="folder for map.parquet and map.png")
    p.set_defaults(handler=run_guarded(_map))

    p = sub.add_parser("models", help="list the embedding models, or prepare the default one")
    p.add_argument("action", choices=["list", "prepare"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_guarded(_models))


def map_params(args: argparse.Namespace):
    from inspector.core.map.project_map import MapParams

    return MapParams(model=args.model, embed_field=args.embed_field, vectors_column=args.vectors)


def _map(args: argparse.Namespace) -> int:
    from inspector.core.atomic import atomic_write
    from inspector.core.export.outputs import check_outputs
    from inspector.core.map.project_map import compute_map, map_frame
    from inspector.ui.rendering.map_picture import render_map_png

    out = Path(args.out)
    started = time.monotonic()
    with terminal_progress("reading") as progress, downloads_from(args):
        project = open_from_args(args, progress)
        check_outputs(
            project.dataset, [out, out / "map.parquet", out / "map.png"], store=project.store
        )
        out.mkdir(parents=True, exist_ok=True)
        result = compute_map(project, map_params(args), progress)
    frame = map_frame(project, result)
    atomic_write(out / "map.parquet", frame.write_parquet)
    render_map_png(
        result.xy,
        result.cluster_coarse,
        result.names_coarse,
        out / "map.png",
        title=f"{project.dataset.name} · {project.dataset.height:,} rows · {args.model}",
    )
    n_clusters = len({int(c) for c in result.cluster_coarse if c >= 0})
    print(
        f"{project.dataset.height:,} rows → {n_clusters} clusters in "
        f"{time.monotonic() - started:.1f} s; wrote {out / 'map.parquet'} and {out / 'map.png'}"
    )
    project.close()
    return 0


def _models(args: argparse.Namespace) -> int:
    from inspector.core.map import models

    if args.action == "prepare":
        with terminal_progress("preparing the default model, once") as progress:
            path = models.prepare_default(progress)
        print(f"default model ready at {path}")
        return 0
    infos = models.list_models()
    if args.json:
        print(json.dumps([getattr(i, "__dict__", i) for i in infos], indent=2, default=str))
        return 0
    for info in infos:
        state = "ready" if info.prepared else "not prepared"
        print(f"{info.name:<12} {info.kind:<12} {state:<13} {info.description}")
    return 0
