"""Small data the tests build, shared across tests/core, tests/cli and tests/ui (tests/ is on
sys.path through its conftest): the planted instruction rows the junk finders must find."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

WORDS = (
    "apple river stone cloud garden window silver mountain candle forest ocean paper "
    "violin copper meadow lantern harbor pepper thunder marble falcon velvet canyon orbit "
    "saddle tulip glacier ember quartz willow basket compass dragon hollow island jungle"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def planted_rows(seed: int = 0) -> list[dict]:
    """30 distinct rows, then planted cases:
    s30 exact copy of s03, s31 near copy of s05 (one word changed), s32 semantic copy of s07
    (other words, almost the same vector), s33 an empty answer, s34 a boilerplate refusal."""
    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    rows = []
    for i in range(30):
        rows.append(
            {
                "id": f"s{i:02d}",
                "instruction": f"Question {i}: " + _sentence(rng, 8),
                "output": " ".join(_sentence(rng, 12) for _ in range(6)),
                "vec": vec_rng.normal(size=16).round(5).tolist(),
                "source": "a" if i % 2 else "b",
            }
        )
    copy = dict(rows[3], id="s30", source="c")
    near_words = rows[5]["output"].split()
    near_words[10] = "zebra"
    near = dict(rows[5], id="s31", output=" ".join(near_words))
    semantic = dict(
        rows[7],
        id="s32",
        instruction="Something phrased quite differently " + _sentence(rng, 6),
        output=" ".join(_sentence(rng, 12) for _ in range(6)),
        vec=(np.asarray(rows[7]["vec"]) * 1.001 + 0.001).round(5).tolist(),
    )
    empty = dict(rows[0], id="s33", instruction="Say something useful.", output="   ",
                 vec=vec_rng.normal(size=16).round(5).tolist())  # fmt: skip
    refusal = dict(
        rows[0],
        id="s34",
        instruction="Tell me how to pick a lock.",
        output="As an AI language model, I cannot help with that request.",
        vec=vec_rng.normal(size=16).round(5).tolist(),
    )
    return rows + [copy, near, semantic, empty, refusal]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def mixed_rows() -> list[dict]:
    """The planted rows plus s35, a semantic copy of s03 (which s30 copies exactly): one group
    that two finders joined, {s03, s30, s35}."""
    rows = planted_rows()
    rng = random.Random(7)
    s35 = dict(
        rows[3],
        id="s35",
        instruction="Worded in another way entirely " + _sentence(rng, 6),
        output=" ".join(_sentence(rng, 12) for _ in range(6)),
        vec=(np.asarray(rows[3]["vec"]) * 1.001 + 0.001).round(5).tolist(),
    )
    return rows + [s35]


def four_topic_rows(n: int = 40, seed: int = 3) -> list[dict]:
    """``n`` instruction rows with a 4-d ``vec`` column in four tight groups (the subset
    builder's tests): six prompts, answers of four lengths."""
    rng = np.random.default_rng(seed)
    return [
        {
            "id": f"d{i:02d}",
            "instruction": f"prompt {i % 6}",
            "output": f"answer {i} " + "word " * (i % 4 + 1),
            "vec": (np.eye(4)[i % 4] * 3 + rng.normal(scale=0.2, size=4)).round(5).tolist(),
        }
        for i in range(n)
    ]
