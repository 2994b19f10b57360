"""The texts' UTF-8 bytes and offsets without pyarrow (the bundle leaves it out): the same
buffers, content-hash ids and MinHash signatures as the pyarrow code they replace, which is
kept here as the reference."""

from __future__ import annotations

import hashlib
import logging
import sys

import numpy as np
import polars as pl
import pytest

from inspector.core.data import dataset
from inspector.core.junk import minhash

TEXTS = [
    "plain ascii",
    "",
    None,
    "héllo wörld, ünïcödé",
    "emoji 😀 and astral 𝔘𝔫𝔦",
    "中文文本没有空格",
    "line\nbreaks\tand  spaces ",
    "a" * 5000,
    "\x00 nul inside",
    "combining e\u0301 and ﬁ ligature",
]


def _pyarrow_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """minhash.string_buffers as it was with pyarrow."""
    pa = pytest.importorskip("pyarrow")
    arr = texts.cast(pl.String).fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return np.ascontiguousarray(offsets), data


def _pyarrow_sha256_each(texts: pl.Series) -> list[str]:
    """dataset._sha256_each as it was with pyarrow."""
    offsets, data = _pyarrow_buffers(texts)
    view = memoryview(data.tobytes())
    bounds = offsets.tolist()
    return [hashlib.sha256(view[a:b]).hexdigest() for a, b in zip(bounds, bounds[1:])]


def _series(texts: list[str | None]) -> pl.Series:
    # several chunks, as a frame read from several files holds them
    half = len(texts) // 2
    parts = [pl.Series("t", texts[:half], pl.String), pl.Series("t", texts[half:], pl.String)]
    return pl.concat(parts, rechunk=False)


@pytest.mark.parametrize(
    "texts", [TEXTS, [], [None], [""], ["only one"]], ids=["mixed", "empty", "null", "blank", "one"]
)
def test_string_buffers_equal_the_pyarrow_buffers(texts):
    series = _series(texts)
    offsets, data = minhash.string_buffers(series)
    ref_offsets, ref_data = _pyarrow_buffers(series)
    assert offsets.dtype == np.int64 and data.dtype == np.uint8
    np.testing.assert_array_equal(offsets, ref_offsets)
    assert data.tobytes() == ref_data.tobytes()


def test_string_buffers_of_a_sliced_series():
    series = _series(TEXTS).slice(3, 5)
    offsets, data = minhash.string_buffers(series)
    ref_offsets, ref_data = _pyarrow_buffers(series)
    np.testing.assert_array_equal(offsets, ref_offsets)
    assert data.tobytes() == ref_data.tobytes()


def test_bytes_joined_in_pieces_are_the_same(monkeypatch):
    series = pl.Series("t", [t or "" for t in TEXTS] * 7)
    whole_offsets, whole = dataset.utf8_buffers(series)
    # pieces smaller than one row (the 5000-byte one) and than most runs of rows
    monkeypatch.setattr(dataset, "UTF8_PIECE", 100)
    offsets, data = dataset.utf8_buffers(series)
    np.testing.assert_array_equal(offsets, whole_offsets)
    assert data.tobytes() == whole.tobytes()
    assert whole.size > 30 * 100  # the pieces path really ran over many pieces


def test_minhash_signatures_equal_those_from_the_pyarrow_buffers():
    series = _series(TEXTS * 3)
    for params in (minhash.MinHashParams(), minhash.MinHashParams(shingle="char", ngram=5)):
        got = minhash.signatures(series, params)
        offsets, data = _pyarrow_buffers(series)
        a, b = minhash._permutations(params.num_perm, params.seed)
        ref = np.full((len(series), params.num_perm), minhash.EMPTY, dtype=np.uint32)
        kernels = minhash._kernels()
        kernel = kernels.word_signatures if params.shingle == "word" else kernels.char_signatures
        kernel(offsets, data, params.ngram, a, b, ref)
        np.testing.assert_array_equal(got, ref)
        assert (got != minhash.EMPTY).any()


def test_content_hashes_equal_the_pyarrow_ones(monkeypatch):
    frame = pl.DataFrame(
        {
            "prompt": [t for t in TEXTS],
            "n": list(range(len(TEXTS))),
            "tags": [["x", t or ""] for t in TEXTS],
        }
    )
    canonical = dataset.canonical_json_expr(frame.columns, has_nulls=True)
    texts = frame.select(canonical.alias("json")).to_series()
    assert dataset._sha256_each(texts) == _pyarrow_sha256_each(texts)
    # the hashlib route of content_sha256 (the one the bundle takes) gives the same ids
    monkeypatch.setattr(dataset, "HASH_BATCH", 3)
    got = dataset._sha256_hashlib(frame, canonical)
    assert got.to_list() == _pyarrow_sha256_each(texts)
    assert got.to_list()[0] == hashlib.sha256(texts[0].encode("utf-8")).hexdigest()


def test_content_hashes_without_the_polars_hash_plugin_are_the_same_and_quiet(monkeypatch, caplog):
    """The bundle leaves polars-hash out: hashlib gives the same ids, and an expected missing
    plugin is no warning in the log."""
    frame = pl.DataFrame({"prompt": [t or "" for t in TEXTS], "n": list(range(len(TEXTS)))})
    with_plugin = dataset.content_sha256(frame)
    monkeypatch.setitem(sys.modules, "polars_hash", None)
    with caplog.at_level(logging.DEBUG, logger=dataset.log.name):
        without = dataset.content_sha256(frame)
    assert without.to_list() == with_plugin.to_list()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
