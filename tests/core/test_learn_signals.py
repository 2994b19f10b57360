"""The no-label SFT signals on data the tests build: each planted kind of garbage fires its
signal, normal answers stay quiet, spans point at the offending text."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.learn.degrade import FOREIGN, plant
from inspector.core.learn.language import identify_language
from inspector.core.learn.signals import (
    REMOVE,
    SIGNALS,
    compute_signals,
    cut_off,
    repetition_loop,
)

TOPICS = ["garden", "bread", "river", "engine", "violin", "planet", "market", "winter"]
OPENERS = ["To care for a {t}, start with the basics.", "A {t} needs attention every week.",
           "Here is how I would think about a {t}.", "The best way to enjoy a {t} is patience."]  # fmt: skip
MIDDLES = ["It is important to check the {t} in the morning and again in the evening.",
           "Most people find that the {t} works better when it is kept clean and dry.",
           "You should also ask an expert if the {t} shows any sign of trouble.",
           "In my experience the {t} lasts for many years with a little care.",
           "Remember that every {t} is different, so adjust the plan to your needs."]  # fmt: skip


def normal_rows(n: int = 160, seed: int = 0) -> tuple[list[str], list[str], np.ndarray]:
    """Prompt/answer pairs about a topic, and each row's topic index."""
    rng = np.random.default_rng(seed)
    prompts, answers, topic = [], [], []
    for i in range(n):
        k = i % len(TOPICS)
        t = TOPICS[k]
        prompts.append(f"How should I look after my {t}? Question {i}.")
        picks = rng.permutation(len(MIDDLES))[:3]
        body = " ".join(MIDDLES[j].format(t=t) for j in picks)
        answers.append(OPENERS[i % len(OPENERS)].format(t=t) + " " + body + f" Case {i} done.")
        topic.append(k)
    return prompts, answers, np.array(topic)


def topic_vectors(topics: np.ndarray, seed: int, dim: int = 32) -> np.ndarray:
    """Unit vectors near a per-topic direction (a stand-in for embeddings)."""
    rng = np.random.default_rng(99)
    centres = rng.normal(size=(len(TOPICS), dim))
    noise = np.random.default_rng(seed).normal(size=(len(topics), dim)) * 0.35
    v = centres[topics] + noise
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def planted():
    prompts, answers, topics = normal_rows()
    garbage = plant(prompts, answers, 6, seed=3)
    kinds = ["normal"] * len(prompts) + [k for k, _, _ in garbage]
    P = prompts + [p for _, p, _ in garbage]
    R = answers + [r for _, _, r in garbage]
    p_topic = np.r_[topics, [TOPICS.index(p.split("my ")[1].split("?")[0]) for _, p, _ in garbage]]
    r_topic = p_topic.copy()
    for i, (k, _, r) in enumerate(garbage):
        if k != "unrelated":
            continue
        r_topic[len(prompts) + i] = next(j for j, t in enumerate(TOPICS) if f" {t}" in r)
    pv = topic_vectors(p_topic, 1)
    rv = topic_vectors(r_topic, 2)
    for i, k in enumerate(kinds):  # garbage text embeds somewhere unrelated
        if k in ("word_salad", "symbol_soup", "wrong_language", "shared_answer"):
            rv[i] = -pv[i]
    table = compute_signals(P, R, pv, rv)
    return table, np.array(kinds), P, R


EXPECTED = {
    "unrelated": "off_topic",
    "word_salad": "word_salad",
    "symbol_soup": "symbol_soup",
    "shared_answer": "shared_answer",
    "truncated": "cut_off",
    "loop": "repetition_loop",
    "wrong_language": "language_mismatch",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_planted_kind_fires_its_signal(planted, kind):
    table, kinds, _, _ = planted
    fired = table.flagged(EXPECTED[kind])[kinds == kind]
    assert fired.mean() >= 5 / 6, f"{EXPECTED[kind]} caught {fired.sum()} of {len(fired)} {kind}"


def test_normal_answers_are_rarely_flagged(planted):
    table, kinds, _, _ = planted
    normal = table.any_flag()[kinds == "normal"]
    fired = {n: int(table.flagged(n)[kinds == "normal"].sum()) for n in SIGNALS}
    assert normal.mean() <= 0.05, str(fired)


def test_flags_carry_name_field_value_threshold_action_and_span(planted):
    table, kinds, _, R = planted
    flags = table.flags()
    assert set(flags.columns) >= {"row", "signal", "title", "field", "value", "threshold",
                                  "action", "start", "end", "detail"}  # fmt: skip
    loops = flags.filter(flags["signal"] == "repetition_loop")
    assert loops.height > 0
    for row, start, end in loops.select("row", "start", "end").iter_rows():
        text = R[row]
        assert 0 <= start < end == len(text)
        assert kinds[row] == "loop"
    lang = flags.filter(flags["signal"] == "language_mismatch")
    assert all(d.startswith("prompt en, response ") for d in lang["detail"])
    assert set(flags["action"]) <= {"flag", "remove"}
    for name, sig in SIGNALS.items():
        assert sig.title and sig.description and sig.field in ("response", "prompt+response")
        assert sig.action in ("flag", "remove"), name


def test_only_measured_signals_propose_removal():
    # benchmarks/results/learn_precision_judgments.json holds the reading behind these
    assert {n for n, s in SIGNALS.items() if s.action == REMOVE} == {
        "shared_answer",
        "repetition_loop",
    }


def test_cut_off_answers_and_unclosed_fences():
    assert cut_off("Water boils at 100 degrees. It is a fact that the")[0] == 1
    text = "Here is the code:\n```python\nprint('hi')\n"
    value, start = cut_off(text)
    assert value == 1 and text[start:].startswith("```")
    assert cut_off("Water boils at 100 degrees.")[0] == 0
    assert cut_off("1. Apples\n2. Pears\n3. Plums")[0] == 0
    assert cut_off("Arts & Culture")[0] == 0


def test_loops_at_the_end_and_choruses():
    unit = "and we go round and round again "
    text = "The song starts quietly. " + unit * 8
    reps, start, end = repetition_loop(text)
    assert reps >= 3 and text[start:end].startswith("and we go")
    assert repetition_loop("A plain answer with no repeated ending at all, thank you.")[0] == 0
    chorus = "Verse one is here. " + "la la la love you " * 5
    prompts = ["Write song lyrics about love", "Describe your weekend"]
    table = compute_signals(prompts, [chorus, chorus])
    assert table.flagged("repetition_loop").tolist() == [False, True]


def test_boilerplate_span_and_language_prompt_awareness():
    answer = "As an AI language model, I cannot taste food. But here is a recipe: mix flour."
    french = " ".join(FOREIGN["fr"][:4])
    table = compute_signals(
        [
            "Tell me a recipe",
            "Translate this text into French please",
            "Describe a quiet city in the morning, with its streets and its markets",
        ],
        [answer, french, french],
    )
    flags = table.flags()
    ai = flags.filter(flags["signal"] == "ai_boilerplate").row(0, named=True)
    assert answer[ai["start"] : ai["end"]] == "As an AI language model"
    assert table.flagged("language_mismatch").tolist() == [False, False, True]
    assert identify_language(french)[0] == "fr"
    assert identify_language("ok")[0] == ""


def test_lorem_ipsum_asked_for_is_not_word_salad():
    prompts, answers, _ = normal_rows(120)
    prompts.append("Write some python code that prints a list")
    answers.append("```python\nfor x in [1, 2, 3]:\n    print(x)\n```")
    table = compute_signals(prompts, answers)
    assert not table.flagged("word_salad")[-1]
    assert not table.flagged("symbol_soup")[-1]
    assert np.isnan(table.frame["off_topic"].to_numpy().astype(float)).all()  # no vectors


def test_cut_off_reads_the_answer_around_its_last_line():
    steps = "1. Preheat the oven to 200C.\n2. Mix the flour and the water.\n3. Knead the dough"
    value, start = cut_off(steps)  # the other steps end in a full stop: this one was cut
    assert value == 1 and steps[start:] == "3. Knead the dough"
    cash = "Some reasons:\n5. Cash earns nothing: it does not grow like other assets. Banks"
    assert cut_off(cash)[0] == 1  # a new sentence started after the full stop
    prose = "The film is shot in long takes and the plan works well.\n\nOverall, the cinematography"
    assert cut_off(prose)[0] == 1
    # lists whose items all end without punctuation, hashtags, a quote's attribution
    assert cut_off("Good names:\n1. Secretariat\n2. Seabiscuit\n3. Black Caviar")[0] == 0
    assert cut_off("Join us today, friends! #Halloween #JoinTheTeam")[0] == 0
    assert cut_off('"Two things are infinite." - Albert Einstein')[0] == 0
    # a code block that shows a fence inside it, and then a finished sentence
    nested = "Example:\n````\n```python\nprint(1)\n```\n````\n```\nThe backticks mark code."
    assert cut_off(nested)[0] == 0


def test_cut_off_leaves_songs_and_poems_the_prompt_asked_for():
    song = "Verse one\nI walk the line, all night long\nWe keep on coding, we are alive"
    table = compute_signals(["Write a song about programming", "Describe your weekend"],
                            [song, song])  # fmt: skip
    assert table.flagged("cut_off").tolist() == [False, True]


def test_a_short_prompt_is_judged_in_the_data_s_own_language():
    prompts, answers, _ = normal_rows(60)
    prompts += ["What is Atlantis?", "Who made Berlin", "Hola, ¿qué tal?"]
    spanish = " ".join(FOREIGN["es"][:4])
    answers += [" ".join(FOREIGN["fr"][:4]), spanish, spanish]
    table = compute_signals(prompts, answers)
    # too short to identify: the data's prompts are English, so a French answer is a mismatch;
    # a short prompt that itself reads as the answer's language is not
    assert table.flagged("language_mismatch")[-3:].tolist() == [True, True, False]


def test_off_topic_cut_does_not_move_when_much_of_the_data_is_unrelated():
    # 400 rows on 40 subjects (embeddings: a direction per subject plus noise)
    rng = np.random.default_rng(5)
    subject = np.arange(400) % 40
    centres = rng.normal(size=(40, 32))

    def vectors(s: np.ndarray, seed: int) -> np.ndarray:
        v = centres[s] + np.random.default_rng(seed).normal(size=(len(s), 32)) * 0.35
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    prompts = [f"Tell me about subject {s} please, in a few words" for s in subject]
    answers = [f"Subject {s} is a fine subject with many sides to it." for s in subject]
    pv, rv = vectors(subject, 1), vectors(subject, 2)
    clean = compute_signals(prompts, answers, pv, rv)
    bad = rng.choice(400, 100, replace=False)  # a quarter get another subject's answer
    rv2 = rv.copy()
    rv2[bad] = vectors((subject[bad] + 7) % 40, 3)
    dirty = compute_signals(prompts, answers, pv, rv2)
    assert abs(dirty.cuts["off_topic"] - clean.cuts["off_topic"]) < 0.1
    assert dirty.flagged("off_topic")[bad].mean() >= 0.95
    good = np.setdiff1d(np.arange(400), bad)
    assert dirty.flagged("off_topic")[good].mean() <= 0.05
