"""A deliberately degraded generator: planted garbage with known ground truth.

Given real prompt/answer pairs, makes the kinds of bad SFT rows testing found: answers
unrelated to their prompt, word salad, symbol soup (a broken model's output), one answer
given to many prompts, cut-off answers, loops, answers in the wrong language. The tests and
``benchmarks/bench_learn.py`` mix these into real data to measure signals and the learned
model against a truth nobody trained on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

KINDS = (
    "unrelated",
    "word_salad",
    "symbol_soup",
    "shared_answer",
    "truncated",
    "loop",
    "wrong_language",
)

# Plain sentences in five languages (written for this file), combined into answers.
FOREIGN = {
    "fr": [
        "La ville est calme le matin et les rues se remplissent vers midi.",
        "Nous avons besoin de plus de temps pour terminer ce travail correctement.",
        "Le marché ouvre tous les samedis et on y trouve des légumes frais.",
        "Il faut lire attentivement les instructions avant de commencer.",
        "Mon frère habite dans une petite maison près de la rivière.",
        "Cette méthode est simple, mais elle demande un peu de patience.",
        "Les enfants jouent dans le jardin pendant que leurs parents discutent.",
        "Je vous conseille de comparer plusieurs solutions avant de choisir.",
    ],
    "de": [
        "Die Stadt ist am Morgen ruhig und die Straßen füllen sich gegen Mittag.",
        "Wir brauchen mehr Zeit, um diese Arbeit ordentlich zu beenden.",
        "Der Markt öffnet jeden Samstag und man findet dort frisches Gemüse.",
        "Man sollte die Anleitung sorgfältig lesen, bevor man anfängt.",
        "Mein Bruder wohnt in einem kleinen Haus in der Nähe des Flusses.",
        "Diese Methode ist einfach, aber sie verlangt etwas Geduld.",
        "Die Kinder spielen im Garten, während ihre Eltern sich unterhalten.",
        "Ich empfehle Ihnen, mehrere Lösungen zu vergleichen, bevor Sie wählen.",
    ],
    "es": [
        "La ciudad está tranquila por la mañana y las calles se llenan hacia el mediodía.",
        "Necesitamos más tiempo para terminar este trabajo correctamente.",
        "El mercado abre todos los sábados y allí se encuentran verduras frescas.",
        "Hay que leer con atención las instrucciones antes de empezar.",
        "Mi hermano vive en una casa pequeña cerca del río.",
        "Este método es sencillo, pero requiere un poco de paciencia.",
        "Los niños juegan en el jardín mientras sus padres conversan.",
        "Le recomiendo comparar varias soluciones antes de elegir.",
    ],
    "it": [
        "La città è tranquilla al mattino e le strade si riempiono verso mezzogiorno.",
        "Abbiamo bisogno di più tempo per finire questo lavoro come si deve.",
        "Il mercato apre ogni sabato e si trovano verdure fresche.",
        "Bisogna leggere attentamente le istruzioni prima di cominciare.",
        "Mio fratello abita in una piccola casa vicino al fiume.",
        "Questo metodo è semplice, ma richiede un po' di pazienza.",
        "I bambini giocano in giardino mentre i genitori chiacchierano.",
        "Le consiglio di confrontare diverse soluzioni prima di scegliere.",
    ],
    "pt": [
        "A cidade é calma de manhã e as ruas enchem-se perto do meio-dia.",
        "Precisamos de mais tempo para terminar este trabalho corretamente.",
        "O mercado abre todos os sábados e lá encontram-se legumes frescos.",
        "É preciso ler as instruções com atenção antes de começar.",
        "O meu irmão mora numa casa pequena perto do rio.",
        "Este método é simples, mas exige um pouco de paciência.",
        "As crianças brincam no jardim enquanto os pais conversam.",
        "Recomendo que compare várias soluções antes de escolher.",
    ],
}

_SOUP = ["}", "{", "}:param", "withObject", "verify", "];", "=>", "$$", "::", "0x1f",
         "<\\/", "&&", "#!", "@@", "_init", "|>", "%%", "~/", "^^", "]]", "((", "nil"]  # fmt: skip
_WORDS = re.compile(r"\w+(?:'\w+)?")


def plant(
    prompts: Sequence[str],
    responses: Sequence[str],
    n_per_kind: int,
    *,
    kinds: Sequence[str] = KINDS,
    seed: int = 0,
) -> list[tuple[str, str, str]]:
    """``n_per_kind`` planted rows per kind as (kind, prompt, response), prompts taken from
    the real rows. Same inputs and seed, same rows."""
    rng = np.random.default_rng(seed)
    n = len(prompts)
    vocab = [w for r in responses for w in _WORDS.findall(r)]
    out: list[tuple[str, str, str]] = []
    shared_text = " ".join(rng.choice(vocab, 40)) if vocab else "x"
    shared_text = responses[int(rng.integers(n))] if n else shared_text
    for kind in kinds:
        for _ in range(n_per_kind):
            i = int(rng.integers(n))
            prompt, answer = prompts[i], responses[i]
            if kind == "unrelated":
                j = int(rng.integers(n))
                while prompts[j] == prompt and n > 1:
                    j = int(rng.integers(n))
                text = responses[j]
            elif kind == "word_salad":
                k = int(rng.integers(40, 160))
                text = " ".join(rng.choice(vocab, k))
                text = text[0].upper() + text[1:] + "."
            elif kind == "symbol_soup":
                k = int(rng.integers(20, 80))
                text = " ".join(rng.choice(_SOUP, k))
            elif kind == "shared_answer":
                text = shared_text
            elif kind == "truncated":
                text = _truncate(answer, rng)
            elif kind == "loop":
                text = _loop(answer, rng)
            elif kind == "wrong_language":
                lang = list(FOREIGN)[int(rng.integers(len(FOREIGN)))]
                picks = rng.permutation(len(FOREIGN[lang]))[: int(rng.integers(3, 7))]
                text = " ".join(FOREIGN[lang][p] for p in picks)
            else:
                raise ValueError(f"unknown planted kind {kind!r}; known: {', '.join(KINDS)}")
            out.append((kind, prompt, text))
    return out


def _truncate(answer: str, rng: np.random.Generator) -> str:
    """Cut after a word in the middle of a sentence (never right after its end)."""
    words = list(re.finditer(r"\S+", answer))
    inner = [m for m in words[5:] if m.group()[-1].isalnum()]
    if len(inner) < 4:
        return answer.rstrip(".!?") + " and the"
    m = inner[int(rng.integers(len(inner) // 3, len(inner)))]
    return answer[: m.end()]


def _loop(answer: str, rng: np.random.Generator) -> str:
    """The answer's first half, then one of its sentences repeated until the length limit."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", answer) if len(s.split()) >= 4]
    unit = sentences[int(rng.integers(len(sentences)))] if sentences else "I will repeat this."
    head = answer[: len(answer) // 2]
    return head + " " + " ".join([unit] * int(rng.integers(5, 12)))
