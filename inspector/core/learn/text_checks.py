"""Checks that read one answer's text: cut off mid-sentence (or inside a code fence), and a
loop that repeats itself at the end. Plain functions of a string; the signals table
(:mod:`inspector.core.learn.signals`) runs them over every row and keeps their spans."""

from __future__ import annotations

import re
import unicodedata

LOOP_CHAR_MAX_PERIOD = 120
LOOP_CHAR_MIN = 120
LOOP_CHAR_TAIL = 600
LOOP_MAX_PERIOD = 60  # words in the repeating unit
LOOP_MIN_WORDS = 24  # words covered by the loop
LOOP_TAIL_CHARS = 6000
_ATTRIBUTION = re.compile(r"\s[-–—]\s*[A-Z][\w.' ]+$")
_CUT_END = re.compile(
    r"(?i)(?:,|\s(?:the|a|an|and|or|but|of|to|with|for|in|on|at|by|from|that|which|is|are|was"
    r"|were|as|if|than|because|while|when|where|who|whose|this|these|their|its|our|your|my))$"
)
_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.M)
_FINISHED = re.compile(r"[.!?][\"')\]*_`”’]*$")
_HASHTAG_END = re.compile(r"#\w+$")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s")
_LIST_LINE = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#|\|)")
_LOWER_WORD = re.compile(r"(?:^|\s)[a-z]{2,}")
_NEW_SENTENCE = re.compile(r"[a-z0-9)\]\"”'’][.!?][\"”’)]*\s+\S.*[^\W\d_]$")
_TERMINAL_END = re.compile(r"[.!?。！？…:;)\]}\"'”’»*`>|_~]$")


def cut_off(text: str, verse: bool = False) -> tuple[float, int]:
    """(1, where the cut part starts) when ``text`` stops mid-sentence or leaves a code fence
    open; (0, -1) otherwise. The last line is read against the rest of the answer: a list
    item without a full stop is cut when its sibling items have one, a short line is cut when
    it follows finished sentences. ``verse``: the prompt asked for a song or a poem, whose
    lines end without punctuation on purpose (only an open code fence counts then)."""
    if not text:
        return 0.0, -1
    s = text.rstrip()
    if not s:
        return 0.0, -1
    line_start = s.rfind("\n") + 1
    line = s[line_start:]
    fences = list(_FENCE.finditer(s))
    # an odd number of fences: a block left open, unless the text then ends a sentence (a
    # block showing a fence inside it)
    if len(fences) % 2 == 1 and not _FINISHED.search(line):
        return 1.0, fences[-1].start()
    if verse:
        return 0.0, -1
    last = s[-1]
    if _TERMINAL_END.search(s) or unicodedata.category(last) in ("So", "Sk", "Pe", "Pf"):
        return 0.0, -1
    if _HASHTAG_END.search(line) or _ATTRIBUTION.search(line):
        return 0.0, -1
    if _CUT_END.search(s):
        return 1.0, line_start
    if last.isdigit():
        return 0.0, -1
    n_line = len(line.split())
    if n_line >= 6 and _NEW_SENTENCE.search(_LIST_ITEM.sub("", line, count=1)):
        return 1.0, line_start  # a sentence ended on this line and the next one stops
    item = _LIST_ITEM.match(line)
    if item:
        marker = "n" if item.group(1)[0].isdigit() else item.group(1)
        siblings = []
        for ln in reversed(s[:line_start].split("\n")):  # this list: up to the text before it
            m = _LIST_ITEM.match(ln)
            if m is None:
                if ln.strip() and not ln.startswith((" ", "\t")):
                    break
                continue
            if ("n" if m.group(1)[0].isdigit() else m.group(1)) == marker:
                siblings.append(ln.rstrip())
        ended = sum(bool(_TERMINAL_END.search(ln)) for ln in siblings)
        if len(siblings) >= 2 and ended >= 2 * len(siblings) / 3:
            return 1.0, line_start
        return 0.0, -1
    if _LIST_LINE.match(line):
        return 0.0, -1  # a heading or a table row
    words = len(s.split())
    if n_line >= 6 and words >= 12:
        return 1.0, line_start
    before = s[:line_start].rstrip()
    prev = before[before.rfind("\n") + 1 :]
    if n_line >= 2 and words >= 12 and _FINISHED.search(prev) and _LOWER_WORD.search(line):
        return 1.0, line_start  # a short line after finished sentences ("Overall, the")
    return 0.0, -1


def repetition_loop(text: str) -> tuple[float, int, int]:
    """(repetitions, start, end) of the shortest run of words repeating back to back at the
    end of ``text``, covering at least ``LOOP_MIN_WORDS`` words; (0, -1, -1) if none."""
    if len(text) < 40:
        return 0.0, -1, -1
    offset = max(0, len(text) - LOOP_TAIL_CHARS)
    toks = [(m.start() + offset, m.end() + offset, m.group().lower().strip(".,;:!?\"'()*"))
            for m in re.finditer(r"\S+", text[offset:])]  # fmt: skip
    w = [t[2] for t in toks]
    n = len(w)
    if n < LOOP_MIN_WORDS:
        return 0.0, -1, -1
    best: tuple[float, int, int] = (0.0, -1, -1)
    if w[-1] not in w[-LOOP_MAX_PERIOD - 1 : -1]:  # cheap exit: a loop repeats its last word
        return _char_loop(text)
    for p in range(1, min(LOOP_MAX_PERIOD, n // 2) + 1):
        run = 0
        i = n - 1
        while i - p >= 0 and w[i] == w[i - p]:
            run += 1
            i -= 1
        covered = run + p
        reps = covered / p
        if reps >= 2 and covered >= LOOP_MIN_WORDS and reps > best[0]:
            best = (round(reps, 2), toks[n - covered][0], toks[-1][1])
    return best if best[0] else _char_loop(text)


def _char_loop(text: str) -> tuple[float, int, int]:
    """The same at the character level, for loops without spaces ("#abc#abc#abc...")."""
    s = text.rstrip()
    tail = s[-LOOP_CHAR_TAIL:]
    n = len(tail)
    for p in range(4, min(LOOP_CHAR_MAX_PERIOD, n // 3) + 1):
        run = 0
        i = n - 1
        while i - p >= 0 and tail[i] == tail[i - p]:
            run += 1
            i -= 1
        covered = run + p
        if covered >= LOOP_CHAR_MIN and covered / p >= 3:
            return round(covered / p, 2), len(s) - covered, len(s)
    return 0.0, -1, -1


# -- helpers ---------------------------------------------------------------------------------
