"""Multimodal Parquet as the Hub serves it: an ``image`` column of ``{bytes, path}`` structs,
raw binary columns, lists of binary. Opening it hashed the rows' JSON, which polars cannot
write for binary values: a Rust panic. The bytes count in the row's identity (as base64),
the ids stay stable, and label → export → apply keeps the other rows whole."""

from __future__ import annotations

import os

import numpy as np
import polars as pl

from inspector.core.data.dataset import content_sha256, open_dataset
from inspector.core.export.apply import write_without


def multimodal(n: int = 12) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "image": [
                None if i == 5 else {"bytes": os.urandom(16) if i % 3 else None, "path": f"{i}.png"}
                for i in range(n)
            ],
            "thumbs": [[b"\x00\x01", b"\x02"]] * n,
            "raw": [b"\xff" * (i + 1) for i in range(n)],
            "messages": [
                [
                    {"role": "user", "content": f"describe {i}"},
                    {"role": "assistant", "content": "a cat"},
                ]
                for i in range(n)
            ],
        }
    )


def test_binary_columns_open_with_stable_ids(tmp_path):
    frame = multimodal()
    path = tmp_path / "train.parquet"
    frame.write_parquet(path)
    ds = open_dataset(path)
    assert ds.height == 12 and ds.spec.kind == "messages"
    assert ds.ids.n_unique() == 12
    assert open_dataset(path).ids.to_list() == ds.ids.to_list()
    # the bytes count: rows alike but for one byte differ
    changed = frame.with_columns(pl.col("raw").replace({b"\xff": b"\xfe"}))
    assert content_sha256(changed)[0] != content_sha256(frame)[0]
    assert content_sha256(changed)[1:].to_list() == content_sha256(frame)[1:].to_list()


def test_binary_columns_apply(tmp_path):
    frame = multimodal()
    path = tmp_path / "train.parquet"
    frame.write_parquet(path)
    ds = open_dataset(path)
    out = tmp_path / "out.parquet"
    write_without(path, ds.files[0], np.array([0, 5]), out)
    kept = pl.read_parquet(out)
    assert kept.equals(frame.filter(~pl.int_range(pl.len()).is_in([0, 5])))
