"""DPO pairs written out for TRL's ``DPOTrainer``: one record per pair with ``prompt``,
``chosen``, ``rejected`` (plain strings, TRL's standard preference format) plus where each
side came from (``chosen_id``, ``rejected_id``: a row id, or ``ID#N`` for item N of a row's
completions list), ``source`` (decisions | learned), ``annotator`` and ``timestamp``.

Two sources: the compare decisions in the project (:mod:`inspector.core.pairs.decisions`:
each prompt whose best and worst answers are two different answers gives one pair; ties and
prompts with only one of the two give none) or the learned quality model (per prompt, the
answer with the highest ``keep_probability`` against the one with the lowest, when they
differ by at least ``min_margin``).

The pairs file (JSONL or Parquet) is written atomically, then ``manifest.json`` beside it,
naming the file's sha256 and the counts; an existing ``manifest.json`` there that describes
another file is refused rather than replaced. Outputs never overwrite or join the input
(:func:`inspector.core.export.outputs.check_outputs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inspector.core.errors import DataError
from inspector.core.pairs.groups import Answer, PromptGroup, prompt_groups

if TYPE_CHECKING:
    from inspector.core.project import Project

SOURCES = ("decisions", "learned")
FORMATS = {".jsonl": "jsonl", ".parquet": "parquet"}
MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1
PAIR_SCHEMA = {
    "prompt": pl.String(),
    "chosen": pl.String(),
    "rejected": pl.String(),
    "chosen_id": pl.String(),
    "rejected_id": pl.String(),
    "source": pl.String(),
    "annotator": pl.String(),
    "timestamp": pl.String(),
}
DEFAULT_MARGIN = 0.2


@dataclass
class PairsResult:
    path: Path
    manifest_path: Path
    format: str
    pairs: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def answer_id(answer: Answer) -> str:
    return answer.id if answer.index is None else f"{answer.id}#{answer.index}"


def format_for(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise DataError(
            f"--out {out}: write the pairs as .jsonl or .parquet",
            hint=f"e.g. {out.with_suffix('.jsonl')}",
        )
    return fmt


def pairs_from_decisions(project: Project, groups: list[PromptGroup]) -> tuple[pl.DataFrame, dict]:
    """One pair per prompt whose compare decision names a best and a different worst answer."""
    from inspector.core.labels.states import labels_frame
    from inspector.core.pairs.decisions import read_decisions

    decisions = read_decisions(labels_frame(project.store), groups)
    records = []
    for d in decisions:
        if not d.complete:
            continue
        assert d.best is not None and d.worst is not None
        best, worst = d.group.answers[d.best], d.group.answers[d.worst]
        records.append(_record(d.group, best, worst, "decisions", d.annotator, d.timestamp))
    counts = {
        "prompts": len(groups),
        "decided": len(decisions),
        "ties": sum(d.tie for d in decisions),
        "incomplete": sum(not d.tie and not d.complete for d in decisions),
        "pairs": len(records),
    }
    return pl.DataFrame(records, schema=PAIR_SCHEMA), counts


def pairs_from_learned(
    project: Project, groups: list[PromptGroup], min_margin: float
) -> tuple[pl.DataFrame, dict]:
    """Per prompt, the best-scored answer against the worst, when the learned
    ``keep_probability`` differs by at least ``min_margin``."""
    from inspector.core.labels.states import utc_now
    from inspector.core.learn.project_learn import MODEL, learn_dir, load_learned

    if project.dataset.spec.kind == "completions":
        raise DataError(
            f"{project.dataset.target}: the learned model scores whole rows, and each row here "
            "holds all the answers to its prompt (a completions list)",
            hint="use --from decisions (pick best and worst in the compare view)",
        )
    loaded = load_learned(project)
    if loaded is None:
        raise DataError(
            f"no learned model for this project (looked in {learn_dir(project)})",
            hint="run 'inspector learn PATH --out DIR' first, or use --from decisions",
        )
    model, scores = loaded
    score_of = dict(
        zip(scores["id"].cast(pl.String).to_list(), scores["keep_probability"].to_list())
    )
    annotator = f"auto:learned:{model.report.get('model', 'model')}"
    when = _saved_at(learn_dir(project) / MODEL) or utc_now()  # when the model was trained
    records = []
    below = unscored = 0
    for g in groups:
        scored = [
            (float(s), i) for i, a in enumerate(g.answers) if (s := score_of.get(a.id)) is not None
        ]
        if len(scored) < 2:
            unscored += 1
            continue
        # highest score first; ties to the answer seen first
        best = min(scored, key=lambda t: (-t[0], t[1]))
        worst = min(scored, key=lambda t: (t[0], t[1]))
        if best[0] - worst[0] < min_margin or best[1] == worst[1]:
            below += 1
            continue
        records.append(
            _record(g, g.answers[best[1]], g.answers[worst[1]], "learned", annotator, when)
        )
    counts = {
        "prompts": len(groups),
        "below_margin": below,
        "unscored": unscored,
        "pairs": len(records),
    }
    return pl.DataFrame(records, schema=PAIR_SCHEMA), counts


def _saved_at(path: Path) -> str | None:
    from datetime import datetime, timezone

    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return (
        datetime.fromtimestamp(stamp, timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _record(
    group: PromptGroup,
    chosen: Answer,
    rejected: Answer,
    source: str,
    annotator: str | None,
    timestamp: str | None,
) -> dict[str, Any]:
    return {
        "prompt": group.prompt,
        "chosen": chosen.text,
        "rejected": rejected.text,
        "chosen_id": answer_id(chosen),
        "rejected_id": answer_id(rejected),
        "source": source,
        "annotator": annotator,
        "timestamp": timestamp,
    }


def write_pairs(
    project: Project,
    out: str | Path,
    *,
    source: str = "decisions",
    min_margin: float = DEFAULT_MARGIN,
) -> PairsResult:
    """Build the pairs from ``source`` and write them to ``out`` (.jsonl or .parquet), then
    ``manifest.json`` beside it. Nothing is written when there is no pair."""
    from inspector.core.atomic import atomic_write
    from inspector.core.data.dataset import file_sha256
    from inspector.core.export.outputs import check_outputs

    out = Path(out)
    if source not in SOURCES:
        raise DataError(f"--from {source}: use decisions or learned")
    if not 0.0 <= min_margin <= 1.0:
        raise DataError(f"--min-margin {min_margin}: give a probability difference in [0, 1]")
    fmt = format_for(out)
    if out.name == MANIFEST_NAME:
        raise DataError(
            f"--out {out}: the manifest is written under that name; call it pairs.jsonl"
        )
    if out.is_dir():
        raise DataError(f"--out {out} is a folder; give a file name (e.g. {out / 'pairs.jsonl'})")
    manifest_path = out.parent / MANIFEST_NAME
    check_outputs(project.dataset, [out, manifest_path], store=project.store)
    _check_manifest_is_ours(manifest_path, out)
    groups = prompt_groups(project.dataset)
    if source == "decisions":
        pairs, counts = pairs_from_decisions(project, groups)
    else:
        pairs, counts = pairs_from_learned(project, groups, min_margin)
    if not pairs.height:
        raise DataError(
            f"no pairs to write from {source}: {_describe(counts)}",
            hint="pick a best and a worst answer per prompt in the compare view"
            if source == "decisions"
            else f"lower --min-margin (now {min_margin:g}) or label more rows and learn again",
        )
    sha: list[str] = []

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            pairs.write_parquet(tmp, compression="zstd")
        else:
            pairs.write_ndjson(tmp)
        sha.append(file_sha256(tmp))

    atomic_write(out, write)
    manifest = _manifest(project, out, fmt, sha[0], source, min_margin, counts)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    atomic_write(manifest_path, lambda p: p.write_text(text, "utf-8"))
    return PairsResult(out, manifest_path, fmt, pairs, counts)


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())


def _check_manifest_is_ours(manifest_path: Path, out: Path) -> None:
    """An existing manifest.json that describes another file (a filter, other pairs) stays."""
    if not manifest_path.exists():
        return
    try:
        data = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("pairs_file") != out.name:
        raise DataError(
            f"{manifest_path} already describes another file; writing the pairs' manifest "
            "would replace it",
            hint="write the pairs into a folder of their own (e.g. pairs/pairs.jsonl)",
        )


def _manifest(
    project: Project,
    out: Path,
    fmt: str,
    sha: str,
    source: str,
    min_margin: float,
    counts: dict[str, int],
) -> dict[str, Any]:
    from inspector import __version__
    from inspector.core.labels.states import utc_now

    ds = project.dataset
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "inspector",
        "tool_version": __version__,
        "created": utc_now(),
        "kind": "dpo_pairs",
        "pairs_file": out.name,
        "format": fmt,
        "pairs_sha256": sha,
        "columns": list(PAIR_SCHEMA),
        "source": source,
        "min_margin": min_margin if source == "learned" else None,
        "dataset": {
            "target": str(ds.target),
            "format": ds.spec.kind,
            "rows": ds.height,
            "fingerprint": ds.fingerprint,
        },
        "input_files": [f.to_json() for f in ds.files],
        "counts": counts,
    }
