"""Planning on the head for ``--engine ray``: the files, the format, and the settings every
block uses (moved from ``engine``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.core.errors import DataError
from inspector.core.junk.junk_inputs import parse_dedup_on
from inspector.core.scale import blocks
from inspector.core.scale.stage_minhash import JACCARD

if TYPE_CHECKING:
    from inspector.core.scale.engine import ScaleParams


@dataclass
class Plan:
    files: list[Path]
    shown: list[str]
    sources: Any
    target: str
    block: blocks.BlockSpec
    threshold: float
    model: str
    rules: Any
    id_rule: str = "content_sha256"
    rows: int = 0
    file_rows: list[int] = field(default_factory=list)
    file_sha: list[str] = field(default_factory=list)


def make_plan(params: ScaleParams) -> Plan:
    from dataclasses import replace

    from inspector.core.data import formats
    from inspector.core.data.dataset import dataset_root
    from inspector.core.data.sources import find_sources
    from inspector.core.junk import minhash
    from inspector.core.junk.junk_inputs import default_threshold
    from inspector.core.junk.quality_rules import load_rules

    sources = replace(find_sources(params.path, params.split), limits=params.limits)
    if sources.kind == "hf_dataset":
        pass  # Arrow shards: read whole per task by the local reader, then cut
    root = dataset_root(params.path, sources)
    shown = [relative(p, root) for p in sources.files]
    first, _ = next(blocks.read_blocks(sources.files[0], params.limits, 1000))
    if params.kind or params.fields:
        try:
            spec = formats.spec_from_fields(
                params.kind or formats.detect_format(first).kind, params.fields or {}, first.schema
            )
        except ValueError as exc:
            raise DataError(str(exc), file=sources.files[0]) from exc
    else:
        spec = formats.detect_format(first)
    has_response = spec.kind not in ("text", "generic")
    dedup_cols = parse_dedup_on(
        params.dedup_on, kind=spec.kind, has_response=has_response, user_columns=list(first.columns)
    )
    embed_field = params.embed_field
    if not embed_field:
        parts = [p.strip() for p in (params.dedup_on or "").split(",") if p.strip()]
        embed_field = parts[0] if len(parts) == 1 else "all"
    if params.id_column:
        if params.id_column not in first.columns:
            raise DataError(f"no id column '{params.id_column}'", field=params.id_column)
        candidates = [params.id_column]
    else:
        candidates = blocks.id_candidates(first)
    bands, band_rows = minhash.optimal_bands(JACCARD, 128)
    threshold = params.threshold
    if threshold is None:
        threshold = default_threshold(params.model)
    rules = load_rules(params.rules_path)
    block = blocks.BlockSpec(
        spec,
        dedup_cols,
        embed_field,
        params.rules_path,
        128,
        bands,
        band_rows,
        candidates,
        params.limits,
    )
    return Plan(sources.files, shown, sources, params.path, block, threshold, params.model, rules)


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
