"""The language of a prompt and of its answer, and the signal that they differ
(``language_mismatch``): an offline identifier whose model ships inside its wheel (py3langid:
no download, no pickle). A prompt that asks for a translation or names a language never
counts; a prompt too short to identify is taken to be in the data's own language when most
prompts share one."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

MIN_LETTERS_LANGUAGE = 30
MIN_PROMPTS_DOMINANT = 20  # identified prompts needed to speak of the data's language
DOMINANT_SHARE = 0.8
LANGUAGE_CHARS = 600
_ASKS_LANGUAGE = re.compile(
    r"(?i)translat|\blanguage|\b(?:english|french|spanish|german|italian|portuguese|dutch|"
    r"russian|chinese|mandarin|cantonese|japanese|korean|arabic|hindi|bengali|turkish|polish|"
    r"greek|hebrew|latin|swedish|norwegian|danish|finnish|czech|ukrainian|vietnamese|thai|"
    r"indonesian|malay|persian|farsi|urdu|swahili|romanian|hungarian|catalan|tagalog)\b"
)


def identify_language(text: str) -> tuple[str, float]:
    """(ISO 639 code, probability) of ``text``'s language; ("", 0) with too few letters."""
    text = _language_text(text)
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS_LANGUAGE:
        return "", 0.0
    lang, prob = _identifier().classify(text)
    return str(lang), float(prob)


def language_mismatch(prompts: pl.Series, responses: pl.Series) -> tuple[np.ndarray, list]:
    """min(prompt, response) language confidence where the two languages differ and the
    prompt mentions no language or translation; NaN otherwise. Plus "prompt xx, response yy".

    A prompt too short to identify ("What is Atlantis?") is taken to be in the data's own
    language when ``DOMINANT_SHARE`` of the prompts that can be identified share one, unless
    its own best guess is the answer's language ("Hola, ¿qué tal?" answered in Spanish)."""
    n = len(prompts)
    out = np.full(n, np.nan)
    detail: list[str | None] = [None] * n
    cache: dict[str, tuple[str, float]] = {}

    def lang(text: str) -> tuple[str, float]:
        hit = cache.get(text)
        if hit is None:
            hit = cache[text] = identify_language(text)
        return hit

    plist, rlist = prompts.to_list(), responses.to_list()
    found = [lang(p) if p else ("", 0.0) for p in plist]
    known = [lp for lp, _ in found if lp]
    dominant = ""
    if len(known) >= MIN_PROMPTS_DOMINANT:
        top, count = Counter(known).most_common(1)[0]
        dominant = top if count >= DOMINANT_SHARE * len(known) else ""
    for i, (p, r) in enumerate(zip(plist, rlist)):
        if not p or not r or _ASKS_LANGUAGE.search(p):
            continue
        lp, pp = found[i]
        if not lp and not dominant:
            continue
        lr, pr = identify_language(r)
        if not lr:
            continue
        if lp and lp != lr:
            out[i] = min(pp, pr)
            detail[i] = f"prompt {lp}, response {lr}"
        elif not lp and lr != dominant and _identifier().classify(p)[0] != lr:
            out[i] = pr
            detail[i] = (
                f"prompt too short to identify (the data's prompts: {dominant}), response {lr}"
            )
    return out, detail


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier: its model ships inside the wheel (no download, no pickle)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _language_text(text: str) -> str:
    text = re.sub(r"```.*?(```|$)", " ", text[: LANGUAGE_CHARS * 3], flags=re.S)
    text = re.sub(r"https?://\S+|`[^`]*`", " ", text)
    return text[:LANGUAGE_CHARS]
