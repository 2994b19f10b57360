"""`inspector pairs PATH --out FILE`: DPO pairs for TRL's DPOTrainer, from the compare
decisions made on the project or from the learned quality model.

Writes FILE (.jsonl or .parquet: prompt, chosen, rejected, chosen_id, rejected_id, source,
annotator, timestamp), then manifest.json beside it (the file's sha256 and the counts).
Nothing is written when there is no pair.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inspector.cli.common import add_dataset_options, open_from_args, run_guarded, terminal_progress


def register(sub: argparse._SubParsersAction) -> None:
    from inspector.core.pairs.export import DEFAULT_MARGIN

    p = sub.add_parser(
        "pairs",
        help="write DPO pairs (prompt, chosen, rejected) from compare decisions or the "
        "learned model",
        description="Write DPO pairs in the format TRL's DPOTrainer reads. The data needs "
        "several answers per prompt: instruction rows that share a prompt, or a "
        "'completions' list per row (UltraFeedback-style).",
    )
    add_dataset_options(p)
    p.add_argument("--out", required=True, help="the pairs file: .jsonl or .parquet")
    p.add_argument(
        "--from",
        dest="source",
        choices=("decisions", "learned"),
        default="decisions",
        help="decisions: each prompt's best against its worst answer as picked in the compare "
        "view (ties and half-made picks give no pair); learned: each prompt's highest against "
        "its lowest keep_probability of the model 'inspector learn' saved (default: decisions)",
    )
    p.add_argument(
        "--min-margin",
        type=float,
        default=DEFAULT_MARGIN,
        metavar="M",
        help="with --from learned: write a pair only when the two keep_probability values "
        f"differ by at least M (default {DEFAULT_MARGIN})",
    )
    p.set_defaults(handler=run_guarded(_pairs))


def _pairs(args: argparse.Namespace) -> int:
    from inspector.core.pairs.export import write_pairs

    with terminal_progress("reading") as progress:
        project = open_from_args(args, progress)
    try:
        result = write_pairs(
            project, Path(args.out), source=args.source, min_margin=args.min_margin
        )
    finally:
        project.close()
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.counts.items())
    print(
        f"wrote {result.pairs.height:,} pairs to {result.path} ({counts}); {result.manifest_path}"
    )
    return 0
