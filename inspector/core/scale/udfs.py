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


class EmbedAndWrite(Embed):
    """Embeds a block (in batches of ``BATCH`` texts) and writes it as one Parquet file of
    ``rows_dir``, named by its first row (a retried block overwrites its own file); returns
    the block's row count. Writing here, not in a Ray ``write_parquet`` after the actors,
    keeps the blocks out of the object store (they queued there, 1.8 GB at 1M rows, while
    the write waited for a CPU the actors held)."""

    BATCH = 4096

    def __init__(self, model: str, rows_dir: str) -> None:
        super().__init__(model)
        self.rows_dir = Path(rows_dir)

    def __call__(self, table: Any) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = [
            super(EmbedAndWrite, self).__call__(table.slice(s, self.BATCH))
            for s in range(0, table.num_rows, self.BATCH)
        ]
        if not parts:
            return pa.table({"rows": pa.array([], pa.int64())})
        out = pa.concat_tables(parts)
        first = (int(out.column("file")[0].as_py()), int(out.column("rec")[0].as_py()))
        self.rows_dir.mkdir(parents=True, exist_ok=True)
        name = f"block-{first[0]:06d}-{first[1]:012d}.parquet"
        pq.write_table(out, self.rows_dir / f".{name}.tmp")
        (self.rows_dir / f".{name}.tmp").replace(self.rows_dir / name)
        return pa.table({"rows": pa.array([out.num_rows], pa.int64())})


class WriteShard:
    """Places rows on the map, fills in ids and duplicate columns, writes a shard."""

    def __init__(self, shared_ref: Any) -> None:
        import ray

        self.shared = ray.get(shared_ref) if isinstance(shared_ref, ray.ObjectRef) else shared_ref

    def __call__(self, table: Any) -> Any:
        from inspector.core.scale.output import write_block

        return write_block(table, self.shared)
