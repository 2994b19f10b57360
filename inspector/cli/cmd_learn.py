"""`inspector learn PATH --out DIR`: learn the curator's keep/drop judgment and score every row.

Trains on the project's decisions (or on a column of the data such as a judge score) and
writes DIR/scores.parquet (id, keep_probability, uncertainty, in_training; for preference
data also rejected_keep_probability, the rejected side scored the same way),
DIR/quality_model.json (labels per class, features, model chosen, cross-validated AUC,
precision and recall at cuts, seconds, tool version) and DIR/signal_flags.parquet (each
no-label signal that fired: id, row, signal, value, threshold, span). The model, scores and
flags are also saved beside the project database (``<project>.learn/``) so reopening needs
no retraining.
Nothing is written unless training succeeded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.cli.cmd_map import add_download_option, downloads_from
from inspector.cli.common import (
    add_dataset_options,
    open_from_args,
    run_guarded,
    terminal_progress,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "learn",
        help="learn keep/drop from the labels; write scores.parquet and quality_model.json",
    )
    add_dataset_options(p)
    p.add_argument("--out", required=True, help="folder for scores.parquet and quality_model.json")
    p.add_argument(
        "--label-column",
        metavar="COL",
        help="learn from this column (e.g. a judge score) instead of the project's decisions",
    )
    p.add_argument(
        "--label-threshold",
        type=float,
        metavar="T",
        help="with --label-column: rows whose value is >= T are keep, the others drop",
    )
    p.add_argument(
        "--min-labels", type=int, default=20, metavar="N", help="refuse with fewer (default 20)"
    )
    p.add_argument("--model", default="default", help="embedding model (default: the offline one)")
    add_download_option(p)
    p.add_argument(
        "--ignore-missing-labels",
        action="store_true",
        help="learn from the labels whose rows remain when some rows left the data",
    )
    p.set_defaults(handler=run_guarded(_learn))


def _learn(args: argparse.Namespace) -> int:
    from inspector.core.learn.project_learn import (
        LearnParams,
        learn_dir,
        run_learn,
        save_learned,
    )

    if args.label_threshold is not None and not args.label_column:
        raise ValueError("--label-threshold needs --label-column COL")
    if args.min_labels < 2:
        raise ValueError(f"--min-labels {args.min_labels}: give at least 2")
    out = Path(args.out)
    _check_out(out, Path(args.path))
    params = LearnParams(
        label_column=args.label_column,
        label_threshold=args.label_threshold,
        min_labels=args.min_labels,
        model=args.model,
        ignore_missing_labels=args.ignore_missing_labels,
    )
    with terminal_progress("learning") as progress, downloads_from(args):
        project = open_from_args(args, progress)
        try:
            result = run_learn(project, params, progress)
            save_learned(result, out)
            save_learned(result, learn_dir(project), versioned=True)
        finally:
            project.close()
    r = result.report
    print(
        f"learned {r['model']} from {r['labels']['keep']:,} keep / {r['labels']['drop']:,} drop "
        f"labels ({r['label_source']}); cross-validated AUC {r['cv_auc_chosen']:.3f} "
        f"({', '.join(f'{k} {v:.3f}' for k, v in r['cv_auc'].items())})"
    )
    for c in r["at_cuts"]:
        if c["drop_precision"] is not None:
            print(
                f"  keep_probability < {c['cut']:.1f}: drop precision {c['drop_precision']:.2f}, "
                f"recall {c['drop_recall']:.2f} ({c['predicted_drop']:,} labelled rows)"
            )
    low = int((result.scores["keep_probability"] < 0.5).sum())
    print(
        f"{result.scores.height:,} rows scored, {low:,} below 0.5, in {r['seconds']:.1f} s; "
        f"wrote {out / 'scores.parquet'} and {out / 'quality_model.json'}"
    )
    return 0


def _check_out(out: Path, data: Path) -> None:
    """The output folder is never the data file nor inside a data folder."""
    if not data.exists():
        return
    o, d = out.resolve(), data.resolve()
    if o == d or (d.is_dir() and d in o.parents) or (out.exists() and not out.is_dir()):
        raise ValueError(f"--out {out}: choose a folder that is not the data or inside it")
