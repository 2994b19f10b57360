"""What a dedup-only run loads, loaded more cheaply but to the same effect: the static model
without model2vec's hub-aware loader, and the compiled exact/MinHash kernels ahead of use."""

from __future__ import annotations

import shutil

import numpy as np
import polars as pl
import pytest

from inspector.core.data.normalize import EXACT, LEXICAL
from inspector.core.junk import duplicates, minhash
from inspector.core.map.models import load_static_model, prepare_default

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Ünïcödé text, with accents — and dashes.",
    "def f(x):\n    return x * 2  # code",
    "short",
    "",
    "A much longer answer " * 200,
]


def test_the_static_model_loads_as_from_pretrained_does(tmp_path):
    from model2vec import StaticModel

    path = prepare_default()
    ours = load_static_model(path)
    theirs = StaticModel.from_pretrained(str(path))
    assert (ours.dim, ours.normalize, ours.max_length) == (
        theirs.dim,
        theirs.normalize,
        theirs.max_length,
    )
    assert ours.median_token_length == theirs.median_token_length
    np.testing.assert_array_equal(ours.embedding, theirs.embedding)
    np.testing.assert_array_equal(ours.encode(TEXTS), theirs.encode(TEXTS))
    # a folder not in that layout goes to model2vec's loader (which refuses this one)
    other = tmp_path / "other-layout"
    shutil.copytree(path, other)
    (other / "model.safetensors").rename(other / "renamed.safetensors")
    with pytest.raises(ValueError):
        load_static_model(other)


def dedup_kernels() -> list:
    k = minhash._kernels()
    return [k.exact_keys, k.folded_word_signatures, k.band_keys, k.bucket_pairs, k.agreement]


def test_prepared_kernels_are_the_ones_the_finders_use():
    """``prepare_kernels`` (run in a thread while the vectors are made) loads the very
    overloads the exact and MinHash finders call: running them afterwards adds none."""
    duplicates.prepare_kernels()
    before = [len(k.signatures) for k in dedup_kernels()]
    assert all(before)
    texts = pl.Series("text", [*TEXTS, TEXTS[0], TEXTS[0].upper() + "  ", TEXTS[2] + " extra"])
    keys = duplicates.exact_keys(texts, EXACT)
    exact = duplicates.find_exact_duplicates(texts, keys=keys)
    sig = minhash.text_signatures(texts, minhash.MinHashParams(), LEXICAL)
    near = duplicates.find_minhash_duplicates(signatures=sig)
    assert exact.removed.sum() == 2 and near.removed.sum() >= 1
    assert [len(k.signatures) for k in dedup_kernels()] == before
