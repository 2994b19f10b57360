"""The chunked encoder gives model2vec's own token ids and float16 vectors, bit for bit."""

from __future__ import annotations

import random

import numpy as np
import pytest

from inspector.core.map import models
from inspector.core.map.static_encode import ChunkEncoder, supports

WORDS = (
    "data model answer question Table window river number market music light "
    "café naïve ÉCOLE Straße 東京 中文 emoji🙂 l'été don't e-mail U.S.A. 3.14 $5 #tag @user "
    "[UNK] [PAD] x[UNK]y ﬁne Ⅻ ＡＢＣ İstanbul ΣΑΣ"
).split()
ODD = ["\x00", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000", "\u200b",
       "\ufffd", "\u0301", "\t", "\r\n", "  ", "\x7f", "\u2028", "\U0001f600"]  # fmt: skip


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "\n\t", "[UNK]", "x" * 150, "a" + "\x0b" + "b", "Hello,world!", "e\u0301"]
    out += ["a,b " * 900, "[UNK] x " * 700, "é," * 2000]  # past 512 tokens within the cut
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([1, 3, 20, 200, 900])):
            parts.append(rng.choice(WORDS))
            parts.append(rng.choice(ODD) if rng.random() < 0.15 else " ")
        out.append("".join(parts))
    return out


@pytest.fixture(scope="module")
def static_model():
    embedder = models.load_embedder("default")
    assert isinstance(embedder, models.StaticEmbedder)
    return embedder.model


def test_default_model_qualifies(static_model) -> None:
    assert supports(static_model)
    assert models.load_embedder("default").chunked is not None


def test_same_ids_and_vectors_as_model2vec(static_model) -> None:
    texts = _texts(0, 400)
    assert any(len(t) > 3072 for t in texts)  # the character cut and the 512-token cut
    encoder = ChunkEncoder(static_model)
    static_model._set_max_length_in_tokenizer(static_model.max_length)
    cut = static_model.max_length * static_model.median_token_length
    want_ids = static_model.tokenize([t[:cut] for t in texts])
    assert max(len(i) for i in want_ids) == static_model.max_length
    assert encoder.ids(texts) == want_ids
    want = static_model.encode(texts, use_multiprocessing=False)
    got = encoder.encode(texts)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_cache_starting_over_changes_nothing(static_model) -> None:
    texts = _texts(1, 120)
    want = static_model.encode(texts, use_multiprocessing=False)
    small = ChunkEncoder(static_model, cache_chunks=300)  # starts over within every batch
    got = np.concatenate([small.encode(texts[i : i + 30]) for i in range(0, len(texts), 30)])
    assert np.array_equal(got, want)
    assert len(small.cache) <= max(300, len({c for t in texts[-30:] for c in t.split()}) + 50)


def test_embedder_vectors_unchanged(static_model) -> None:
    """What embed_texts stores: Embedder.encode through the chunked path equals model2vec's."""
    embedder = models.load_embedder("default")
    texts = _texts(2, 60)
    got = embedder.encode(texts)
    keep = [i for i, t in enumerate(texts) if t and not t.isspace()]
    want = np.zeros_like(got)
    want[keep] = models.normalise(
        static_model.encode([texts[i] for i in keep], use_multiprocessing=False).astype(np.float32)
    )
    assert np.array_equal(got, want)


def test_other_tokenizers_keep_model2vec(static_model, monkeypatch) -> None:
    import json

    from tokenizers import Tokenizer

    config = json.loads(static_model.tokenizer.to_str())
    config["pre_tokenizer"] = {"type": "Whitespace"}
    monkeypatch.setattr(static_model, "tokenizer", Tokenizer.from_str(json.dumps(config)))
    assert not supports(static_model)
