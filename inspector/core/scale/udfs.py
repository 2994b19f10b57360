"""The callables Ray runs for ``--engine ray`` (one instance per actor): reading a shard's
blocks, embedding them, writing the output shards (moved from ``engine``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from inspector.core.scale import blocks


def read_shard(batch: dict[str, np.ndarray], block: blocks.BlockSpec) -> Any:
    """Reads the shard(s) of one call, yielding one table of findings per block."""
    for file_index, path in zip(batch["file"].tolist(), batch["path"].tolist()):
        rec = 0
        for frame, rows in blocks.read_blocks(Path(path), block.limits):
            features = blocks.block_features(frame, rows, int(file_index), rec, block)
            rec += frame.height
            yield features.to_arrow()


class Embed:
    """One loaded model per actor; adds ``emb`` (float32, L2-normalised)."""

    def __init__(self, model: str) -> None:
        from inspector.core.map.models import load_embedder

        self.embedder = load_embedder(model)

    def __call__(self, table: Any) -> Any:
        import pyarrow as pa

        texts = table.column("etext").to_pylist()
        vectors = self.embedder.encode(texts).astype(np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 else self.embedder.dim
        flat = pa.array(vectors.reshape(-1), pa.float32())
        return table.append_column("emb", pa.FixedSizeListArray.from_arrays(flat, dim))


class WriteShard:
    """Places rows on the map, fills in ids and duplicate columns, writes a shard."""

    def __init__(self, shared_ref: Any) -> None:
        import ray

        self.shared = ray.get(shared_ref) if isinstance(shared_ref, ray.ObjectRef) else shared_ref

    def __call__(self, table: Any) -> Any:
        from inspector.core.scale.output import write_block

        return write_block(table, self.shared)
