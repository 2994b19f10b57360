"""Cluster names a curator can trust: no template words shared by the whole set, no
contraction fragments, word pairs allowed, no name that repeats itself, and the share of
members a name speaks for."""

from __future__ import annotations

import re

import numpy as np

from inspector.core.map.keywords import SEPARATOR, cluster_keywords, cluster_names, name_clusters

TOPICS = {
    "cooking": "recipe oven flour bake dough salt butter sugar",
    "football": "football goal striker league referee penalty stadium match",
    "astronomy": "planet orbit galaxy telescope comet nebula asteroid star",
    "music": "violin piano melody concert orchestra symphony chord tempo",
    "programming": "python compiler function variable debugger syntax loop integer",
}
TEMPLATE = "You are a helpful assistant. Answer the user carefully and kindly. "
CONTRACTIONS = "I've don't we'll isn't they're you'd can't shouldn't it's won't I'm".split()
FRAGMENTS = {"ve", "ll", "re", "don", "isn", "didn", "doesn", "won", "t", "s", "d", "m", "shouldn"}


def topic_rows(n_per: int = 60, seed: int = 0, template: str = "", contractions: bool = False):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for g, words in enumerate(TOPICS.values()):
        vocab = words.split()
        for _ in range(n_per):
            parts = list(rng.choice(vocab, size=4))
            if contractions:
                parts += list(rng.choice(CONTRACTIONS, size=5))
            texts.append(template + " ".join(parts))
            labels.append(g)
    return texts, np.array(labels, dtype=np.int32)


def terms_of(name: str) -> list[str]:
    return name.split(SEPARATOR)


def test_template_words_shared_by_every_row_are_never_names() -> None:
    texts, labels = topic_rows(template=TEMPLATE)
    (names,) = cluster_names(texts, [labels])
    template_words = set(re.findall(r"[a-z]+", TEMPLATE.lower()))
    for c, name in names.items():
        words = {w for term in terms_of(name) for w in term.split()}
        assert not words & template_words, name
        assert words <= set(list(TOPICS.values())[c].split()), name


def test_a_topic_word_of_a_big_cluster_is_not_mistaken_for_a_template() -> None:
    """A word in 60% of all rows that is in every row of its own cluster names that cluster."""
    rng = np.random.default_rng(4)
    texts = ["galaxy " + " ".join(rng.choice(["orbit", "comet", "nebula"], 3)) for _ in range(120)]
    texts += [" ".join(rng.choice(["violin", "piano", "melody", "chord"], 4)) for _ in range(80)]
    labels = np.array([0] * 120 + [1] * 80, dtype=np.int32)
    (names,) = cluster_names(texts, [labels])
    assert "galaxy" in terms_of(names[0])


def test_contraction_fragments_are_never_names() -> None:
    texts, labels = topic_rows(contractions=True)
    (keywords,) = cluster_keywords(texts, [labels], top=10)
    for terms in keywords.values():
        for term in terms:
            for word in term.split():
                assert word not in FRAGMENTS, term
                assert "'" not in word and "’" not in word, term


def test_word_pairs_name_a_cluster_and_names_do_not_repeat_a_word() -> None:
    rng = np.random.default_rng(2)
    texts, labels = [], []
    for g, phrase in enumerate(["climate change", "machine learning", "ice cream"]):
        others = [w for w in "alpha beta gamma delta epsilon zeta eta theta".split()]
        for _ in range(60):
            texts.append(f"{rng.choice(others)} {phrase} {rng.choice(others)} {g}x")
            labels.append(g)
    (keywords,) = cluster_keywords(texts, [np.array(labels)], top=3)
    for g, phrase in enumerate(["climate change", "machine learning", "ice cream"]):
        terms = keywords[g]
        assert terms[0] == phrase, terms
        words = [w for t in terms for w in t.split()]
        assert len(words) == len(set(words)), terms  # no "climate · climate change"


def test_diversity_prefers_words_that_cover_other_members() -> None:
    """Two words that always come together say the same thing: the name's next word is one
    that covers the members the first pair misses."""
    texts = ["bites dust rock song"] * 30 + ["bites dust"] * 10 + ["queen band rock"] * 30
    texts += [" ".join(["violin", "piano", "melody"])] * 70
    labels = np.array([0] * 70 + [1] * 70, dtype=np.int32)
    (keywords,) = cluster_keywords(texts, [labels], top=2)
    first, second = keywords[0]
    assert {first, second} != {"bites", "dust"}
    assert not ({first, second} <= {"bites", "dust", "bites dust"})


def test_member_share_is_the_share_of_members_holding_a_name_word() -> None:
    texts, labels = topic_rows(n_per=40)
    texts[0] = "nothing topical here at all"  # a cooking member without any name word
    (naming,) = name_clusters(texts, [labels], words=3)
    for c, name in naming.names.items():
        members = [texts[i].lower().split() for i in np.flatnonzero(labels == c)]
        expected = np.mean([any(t in m for t in terms_of(name)) for m in members])
        assert naming.member_share[c] == float(expected)
        assert naming.terms[c] == terms_of(name)
    assert naming.member_share[0] < 1.0


def test_names_are_the_same_every_time_and_noise_is_unnamed() -> None:
    texts, labels = topic_rows(n_per=50, template=TEMPLATE, contractions=True)
    labels[::7] = -1
    first = name_clusters(texts, [labels, labels // 2])
    second = name_clusters(texts, [labels, labels // 2])
    assert [n.names for n in first] == [n.names for n in second]
    assert -1 not in first[0].names and set(first[0].names) == set(range(5))


def test_no_vocabulary_gives_no_names() -> None:
    texts = ["the and of", "12 34", "", "a an the"] * 20
    labels = np.repeat([0, 1], 40).astype(np.int32)
    (naming,) = name_clusters(texts, [labels])
    assert all(v == "" for v in naming.names.values())
    assert all(v == 0.0 for v in naming.member_share.values())


# -- the map job: names from the name texts, details with representatives ----------------


def blob_vectors(n_per: int = 150, dim: int = 24, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(TOPICS), dim)) * 4.0
    truth = np.repeat(np.arange(len(TOPICS)), n_per)
    x = centres[truth] + rng.normal(size=(len(truth), dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_build_map_names_from_the_name_texts(tmp_path, monkeypatch) -> None:
    from inspector.core.map.mapping import build_map

    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    vectors, truth = blob_vectors()
    rng = np.random.default_rng(1)
    topic_words = [w.split() for w in TOPICS.values()]
    prompts = [" ".join(rng.choice(topic_words[g], 4)) for g in truth]
    embedded = [f"{p}\n\n{TEMPLATE} reply words answer text" for p in prompts]
    result = build_map(embedded, vectors=vectors, name_texts=prompts)
    all_topic = {w for ws in topic_words for w in ws}
    for name in [*result.names_coarse.values(), *result.names_fine.values()]:
        assert {w for t in terms_of(name) for w in t.split()} <= all_topic, name
    shares = result.details.member_share
    assert set(shares) == {"coarse", "fine"}
    assert set(shares["fine"]) == set(result.names_fine)
    assert all(0.0 <= s <= 1.0 for s in shares["fine"].values())


def test_build_map_details_representatives_and_confidence(tmp_path, monkeypatch) -> None:
    from inspector.core.map.cluster_details import ClusterDetails
    from inspector.core.map.mapping import build_map

    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    vectors, truth = blob_vectors(seed=2)
    texts = [f"row {i} " + list(TOPICS.values())[g] for i, g in enumerate(truth)]
    result = build_map(texts, vectors=vectors)
    details = result.details
    assert isinstance(details, ClusterDetails)
    assert details.low_confidence.dtype == np.bool_ and len(details.low_confidence) == len(texts)
    for level, labels in (("coarse", result.cluster_coarse), ("fine", result.cluster_fine)):
        reps = details.representatives[level]
        assert set(reps) == set(np.unique(labels[labels >= 0]).tolist())
        for c, rows in reps.items():
            members = np.flatnonzero(labels == c)
            assert len(rows) == min(3, len(members)) and len(set(rows)) == len(rows)
            assert set(rows) <= set(members.tolist())
            # The first is the member nearest the cluster's centre.
            centre = vectors[members].mean(axis=0)
            centre /= np.linalg.norm(centre)
            sims = vectors[members] @ centre
            assert vectors[rows[0]] @ centre >= sims.max() - 1e-5
    again = build_map(texts, vectors=vectors)  # from the caches
    assert again.details.representatives == details.representatives
    assert again.details.member_share == details.member_share
    np.testing.assert_array_equal(again.details.low_confidence, details.low_confidence)
    fresh = build_map(texts, vectors=vectors, cache=False)
    assert fresh.details.representatives == details.representatives


def test_representatives_skip_copies_and_prefer_confident_members() -> None:
    from inspector.core.map.cluster_details import representatives

    v = np.array([[1, 0], [1, 0], [0.99, 0.1], [0.9, 0.3], [0.8, 0.5], [1, 0.01]], np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    labels = np.zeros(6, np.int32)
    keys = np.array([b"a", b"a", b"b", b"c", b"d", b"e"], dtype="S1")
    low = np.array([False, False, False, False, False, True])
    reps = representatives(v, labels, low, keys)
    centre = v.mean(axis=0) / np.linalg.norm(v.mean(axis=0))
    by_nearness = [int(i) for i in np.argsort(-(v @ centre), kind="stable") if i != 5]
    distinct = [i for i in by_nearness if i != 1]  # row 1 is a copy of row 0 (same key)
    assert reps[0] == distinct[:3]
    assert 5 not in reps[0]  # reassigned: only when too few confident members
    assert representatives(v, labels, low, keys, k=10)[0][-1] == 5


def test_a_map_of_all_the_text_is_named_from_the_prompts(tmp_path) -> None:
    import json

    from inspector.core.map.project_map import MapParams, name_texts
    from inspector.core.project import open_project

    rows = [
        {"instruction": f"plan a trip {i}", "input": "", "output": f"assistant reply {i}"}
        for i in range(6)
    ]
    data = tmp_path / "a.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    project = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        named = name_texts(project, MapParams(embed_field="all"))
        assert named is not None and len(named) == 6
        assert all("plan a trip" in t and "assistant reply" not in t for t in named)
        assert name_texts(project, MapParams()) is None  # the embedded text is the prompt
        assert name_texts(project, MapParams(embed_field="response")) is None
    finally:
        project.close()


def test_chat_fillers_are_never_names() -> None:
    """Greetings and request fillers ("Hi, did you...", "please", "trying") open many prompts of
    one region by chance; they say nothing about its topic."""
    rng = np.random.default_rng(5)
    fillers = ["Hi,", "Hello,", "Hey,", "Please", "Thanks!", "I did", "I'm trying to", "OK so"]
    texts, labels = [], []
    for g, words in enumerate(TOPICS.values()):
        vocab = words.split()
        for i in range(60):
            lead = fillers[g % 2] if i % 3 else str(rng.choice(fillers))
            texts.append(f"{lead} {' '.join(rng.choice(vocab, size=2))} {i}")
            labels.append(g)
    (keywords,) = cluster_keywords(texts, [np.array(labels, dtype=np.int32)], top=3)
    filler_words = {"hi", "hello", "hey", "please", "thanks", "did", "trying", "ok"}
    for terms in keywords.values():
        assert not {w for t in terms for w in t.split()} & filler_words, terms
