"""`inspector analyze` loads the default model in the background while it reads the data,
only when the run embeds with it and it is already prepared (no download, no distillation)."""

from __future__ import annotations

import argparse

import pytest

from inspector.cli import cmd_analyze
from inspector.core.map import models


def args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"model": "default", "vectors": None, **kw})


@pytest.fixture
def prepared(monkeypatch):
    monkeypatch.setattr(models, "is_default_prepared", lambda: True)


def test_runs_that_embed_with_the_prepared_default_model_load_it_early(prepared):
    for only in (None, ("duplicates",), ("leaks",), ("outliers",), ("duplicates", "quality")):
        assert cmd_analyze._embeds_with_default_model(args(), only), only


def test_no_early_load_when_nothing_embeds_with_it(prepared):
    assert not cmd_analyze._embeds_with_default_model(args(), ("quality",))
    assert not cmd_analyze._embeds_with_default_model(args(vectors="vec"), ("duplicates",))
    assert not cmd_analyze._embeds_with_default_model(args(model="minilm"), ("duplicates",))


def test_no_early_load_before_the_default_model_is_prepared(monkeypatch):
    monkeypatch.setattr(models, "is_default_prepared", lambda: False)
    assert not cmd_analyze._embeds_with_default_model(args(), ("duplicates",))


def test_the_early_load_is_the_model_the_embedding_uses(monkeypatch):
    loaded = []
    monkeypatch.setattr(models, "load_embedder", lambda name: loaded.append(name))
    cmd_analyze._load_default_model()
    assert loaded == [models.DEFAULT_NAME]
