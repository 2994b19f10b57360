"""The Ray engine's output shards (scale.output.write_block): a block that holds rows of two
places in the data (Ray joins small files into one block) is written as one shard per run of
consecutive rows, so the shard names sort in row order and merging them gives the data's
order. Before, the block went out as one shard named by its first row, and the merged
analysis.parquet of a 1M-row set was out of order from its 250,000th row."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from inspector.core.scale import cellknn, output


def _shared(tmp_path, n: int) -> dict:
    rng = np.random.default_rng(0)
    svec = rng.normal(size=(6, 4)).astype(np.float32)
    svec /= np.linalg.norm(svec, axis=1, keepdims=True)
    none = np.full(n, -1, np.int64)
    return {
        "offsets": np.array([0, n // 2], np.int64),  # two files of n/2 rows
        "nth": np.ones(n, np.int32),
        "column": None,
        "id_rule": "content_sha256",
        "cols": {
            "group": none,
            "kind": np.full(n, -1, np.int8),
            "representative": none,
            "matched": none,
            "similarity": np.full(n, np.nan, np.float32),
            "removed": np.zeros(n, bool),
        },
        "score": np.zeros(n, np.float32),
        "z": np.zeros(n, np.float32),
        "oflag": None,
        "n_flags": np.zeros(n, np.int32),
        "ref_pos": np.zeros(0, np.int64),
        "ref_ids": pl.Series([], dtype=pl.String),
        "sample": np.arange(6),
        "svec": svec,
        "cells": cellknn.make_cells(svec, 0),
        "xy": rng.normal(size=(6, 2)).astype(np.float32),
        "coarse": np.zeros(6, np.int32),
        "fine": np.zeros(6, np.int32),
        "names_coarse": {0: "a"},
        "names_fine": {0: "b"},
        "shown": ["one.jsonl", "two.jsonl"],
        "analysis_dir": str(tmp_path / "analysis"),
        "filter_dir": str(tmp_path / "filter"),
    }


def _block(file: int, recs: list[int], dim: int = 4) -> pa.Table:
    rng = np.random.default_rng(file)
    emb = rng.normal(size=(len(recs), dim)).astype(np.float32)
    return pa.table(
        {
            "file": np.full(len(recs), file, np.int64),
            "rec": np.array(recs, np.int64),
            "row": np.array(recs, np.int64),
            "chash": [f"{file:02d}{r:062d}" for r in recs],
            "emb": pa.FixedSizeListArray.from_arrays(pa.array(emb.reshape(-1)), dim),
            "q:response.empty": np.zeros(len(recs)),
            "q:response.empty.flag": np.zeros(len(recs), bool),
        }
    )


def test_a_block_of_two_places_is_two_shards_in_row_order(tmp_path) -> None:
    n = 20
    shared = _shared(tmp_path, n)
    # blocks that each hold two places: positions 6-9 with 14-17, and 10-13 with 18-19
    output.write_block(pa.concat_tables([_block(1, [4, 5, 6, 7]), _block(0, [6, 7, 8, 9])]), shared)
    output.write_block(_block(0, [0, 1, 2, 3, 4, 5]), shared)
    output.write_block(pa.concat_tables([_block(1, [0, 1, 2, 3, 8, 9])]), shared)

    shards = sorted((tmp_path / "analysis").glob("*.parquet"))
    assert [s.name for s in shards] == [
        "part-000000000000.parquet",
        "part-000000000006.parquet",
        "part-000000000010.parquet",
        "part-000000000014.parquet",
        "part-000000000018.parquet",
    ]
    merged = pl.concat([pl.read_parquet(s) for s in shards])
    files = merged["source_file"].to_list()
    assert files == ["one.jsonl"] * 10 + ["two.jsonl"] * 10
    assert merged["row_index"].to_list() == list(range(10)) * 2
    filters = sorted((tmp_path / "filter").glob("*.parquet"))
    assert [f.name for f in filters] == [s.name for s in shards]


def test_runs_of_consecutive_positions() -> None:
    assert output.runs(np.array([], np.int64)) == [(0, 0)]
    assert output.runs(np.array([4])) == [(0, 1)]
    assert output.runs(np.array([0, 1, 2, 5, 6, 9])) == [(0, 3), (3, 5), (5, 6)]
