"""The built-in demo: a deterministic instruction dataset across several topics, with planted
exact duplicates, near duplicates and junk answers, so every feature has something to find."""

from __future__ import annotations

import json
import random
from pathlib import Path

from inspector.core import paths
from inspector.core.atomic import atomic_write

TOPICS: dict[str, dict[str, list[str]]] = {
    "cooking": {
        "subjects": [
            "risotto",
            "sourdough bread",
            "a tomato sauce",
            "pad thai",
            "a lemon tart",
            "roast chicken",
            "miso soup",
            "pancakes",
            "a vegetable curry",
            "guacamole",
        ],
        "asks": [
            "How do I make {s} at home?",
            "What is the secret to a good {s}?",
            "Give me a simple recipe for {s}.",
            "Why does my {s} always turn out bland?",
        ],
        "facts": [
            "Season in layers and taste as you go.",
            "Use fresh ingredients at room temperature.",
            "Let the dough rest so the gluten relaxes.",
            "Toast the spices in oil to release their aroma.",
            "A splash of acid at the end brightens the flavour.",
            "Cook the onions slowly until they are soft and sweet.",
        ],
    },
    "python": {
        "subjects": [
            "a list comprehension",
            "a context manager",
            "a decorator",
            "asyncio",
            "a dataclass",
            "type hints",
            "a generator",
            "unit tests with pytest",
            "virtual environments",
            "f-strings",
        ],
        "asks": [
            "Explain {s} in Python with an example.",
            "When should I use {s} in Python?",
            "What are common mistakes with {s}?",
            "Show me how {s} works in Python.",
        ],
        "facts": [
            "```python\nsquares = [x * x for x in range(10)]\nprint(squares)\n```",
            "Python evaluates the expression lazily, one item at a time.",
            "The with statement guarantees that cleanup code runs.",
            "Keep functions small and give them names that say what they do.",
            '```python\ndef greet(name: str) -> str:\n    return f"Hello, {name}!"\n```',
            "Run the tests often; a failing test is cheaper than a bug in production.",
        ],
    },
    "travel": {
        "subjects": [
            "Kyoto",
            "Lisbon",
            "the Scottish Highlands",
            "Patagonia",
            "Vietnam",
            "Iceland",
            "Morocco",
            "New Zealand",
            "the Amalfi coast",
            "Peru",
        ],
        "asks": [
            "Plan a one-week trip to {s}.",
            "What should I pack for {s}?",
            "When is the best time to visit {s}?",
            "What are hidden gems in {s}?",
        ],
        "facts": [
            "Book trains and popular sights a few weeks ahead.",
            "Spring and autumn have mild weather and fewer crowds.",
            "Learn a few words of the local language; people appreciate it.",
            "Pack layers and a waterproof jacket.",
            "Local markets are the best place to try street food.",
            "Leave a free day in the plan for rest and surprises.",
        ],
    },
    "finance": {
        "subjects": [
            "an emergency fund",
            "index funds",
            "compound interest",
            "a budget",
            "credit card debt",
            "a retirement account",
            "inflation",
            "a mortgage",
            "diversification",
            "taxes on investments",
        ],
        "asks": [
            "Explain {s} to a beginner.",
            "How should I think about {s}?",
            "What is the most important thing to know about {s}?",
            "Is {s} a good idea for someone in their twenties?",
        ],
        "facts": [
            "Spend less than you earn and automate your savings.",
            "Low fees matter more than most people think over decades.",
            "Pay off high-interest debt before investing.",
            "Keep three to six months of expenses in cash.",
            "Diversify across many companies and countries.",
            "Time in the market beats timing the market.",
        ],
    },
    "health": {
        "subjects": [
            "better sleep",
            "a running routine",
            "stretching",
            "drinking enough water",
            "reducing stress",
            "strength training",
            "a balanced breakfast",
            "posture at a desk",
            "walking every day",
            "meditation",
        ],
        "asks": [
            "Give me tips for {s}.",
            "How do I start with {s}?",
            "What does science say about {s}?",
            "Why is {s} important?",
        ],
        "facts": [
            "Consistency matters more than intensity.",
            "Start small and increase gradually to avoid injury.",
            "Keep a regular schedule, even on weekends.",
            "Sunlight in the morning helps set your body clock.",
            "Protein and vegetables keep you full for longer.",
            "See a doctor if pain persists for more than a few days.",
        ],
    },
    "space": {
        "subjects": [
            "black holes",
            "the Moon landing",
            "Mars rovers",
            "exoplanets",
            "the James Webb telescope",
            "neutron stars",
            "the International Space Station",
            "dark matter",
            "solar eclipses",
            "Saturn's rings",
        ],
        "asks": [
            "Explain {s} to a ten-year-old.",
            "What have we learned from {s}?",
            "Why are scientists excited about {s}?",
            "Tell me three facts about {s}.",
        ],
        "facts": [
            "Light from distant galaxies left them billions of years ago.",
            "Gravity shapes everything from orbits to the largest structures.",
            "Telescopes see in infrared to look through dust.",
            "A day on Mars lasts about 24 hours and 39 minutes.",
            "Astronauts exercise two hours a day to keep muscle.",
            "Most of the matter in the universe does not emit light.",
        ],
    },
}

JUNK = [
    "",
    "   ",
    "As an AI language model, I cannot help with that request.",
    "I'm sorry, but I cannot fulfill this request.",
    "%%%% ### @@@@ $$$$ ^^^^ &&&& **** !!!! ~~~~",
    "The most important step is to",
    "lol",
]


def _answer(rng: random.Random, facts: list[str], subject: str) -> str:
    picked = rng.sample(facts, k=rng.randint(2, 4))
    intro = rng.choice(
        [
            f"Here is how to approach {subject}.",
            f"Good question about {subject}.",
            f"Sure! {subject[0].upper() + subject[1:]} is easier than it looks.",
        ]
    )
    body = "\n".join(f"{i + 1}. {p}" for i, p in enumerate(picked))
    return f"{intro}\n\n{body}\n\nEnjoy, and ask if anything is unclear."


def make_demo_rows(n: int = 3000, seed: int = 7) -> list[dict]:
    """Rows of an Alpaca-style dataset; the same seed always gives the same rows."""
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    rows: list[dict] = []
    base = int(n * 0.9)
    for i in range(base):
        topic = topics[i % len(topics)]
        t = TOPICS[topic]
        subject = rng.choice(t["subjects"])
        ask = rng.choice(t["asks"]).format(s=subject)
        extra = rng.choice(
            ["", "", "", " Keep it short.", " Please be detailed.", " I am a complete beginner."]
        )
        rows.append(
            {
                "id": f"demo-{i:05d}",
                "instruction": ask + extra,
                "input": "",
                "output": _answer(rng, t["facts"], subject),
                "topic": topic,
                "source": rng.choice(["scraped", "synthetic", "human"]),
            }
        )
    planted = 0
    while len(rows) < n:
        kind = planted % 3
        original = rows[rng.randrange(base)]
        row = dict(original)
        row["id"] = f"demo-{len(rows):05d}"
        if kind == 0:  # exact duplicate of another row's content
            row["source"] = original["source"]
        elif kind == 1:  # near duplicate: a few words changed
            row["output"] = original["output"].replace("and", "&", 1).replace(".", "!", 1)
            row["instruction"] = original["instruction"].rstrip("?.") + "?"
        else:  # junk answer
            row["output"] = JUNK[rng.randrange(len(JUNK))] or ""
            if rng.random() < 0.2:
                row["output"] = row["instruction"]
        rows.append(row)
        planted += 1
    rng.shuffle(rows)
    return rows


def demo_path() -> Path:
    return paths.data_dir() / "demo" / "inspector-demo.jsonl"


def ensure_demo(path: Path | None = None, n: int = 3000) -> Path:
    """Write the demo dataset (once) and return its path."""
    path = path or demo_path()
    if path.is_file():
        return path

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in make_demo_rows(n):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    atomic_write(path, write)
    return path
