"""The catalogue of quality rules and their configuration (TOML).

Each rule measures one value per text and flags the text when the value is below ``min`` or
above ``max`` (the published thresholds of Gopher, C4 and FineWeb are kept as the reference).
Which rules run, on which fields, with which thresholds, is configuration:
``resources/quality_rules.toml`` holds the defaults, a user file overrides any part of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FIELDS = ("prompt", "response", "chosen", "rejected", "pair", "row")


@dataclass(frozen=True)
class RuleInfo:
    """What a rule measures and where its reference threshold comes from."""

    name: str
    group: str  # gopher_quality, gopher_repetition, c4, fineweb, chat, preference, graph
    measures: str
    min: float | None = None
    max: float | None = None
    source: str = ""


def _info(
    name: str,
    group: str,
    measures: str,
    min: float | None = None,
    max: float | None = None,
    source: str = "",
) -> RuleInfo:
    return RuleInfo(name, group, measures, min, max, source)


_GQ = "Gopher (Rae et al. 2021, A1); datatrove GopherQualityFilter"
_GR = "Gopher (Rae et al. 2021, Table A1); datatrove GopherRepetitionFilter"
_C4 = "C4 (Raffel et al. 2020); datatrove C4QualityFilter"
_FW = "FineWeb (Penedo et al. 2024); datatrove FineWebQualityFilter"

CATALOGUE: dict[str, RuleInfo] = {
    r.name: r
    for r in [
        _info("gopher_short_doc", "gopher_quality", "words (without pure punctuation)", 50, None, _GQ),
        _info("gopher_long_doc", "gopher_quality", "words (without pure punctuation)", None, 100_000, _GQ),
        _info("gopher_avg_word_length", "gopher_quality", "mean characters per word", 3, 10, _GQ),
        _info("gopher_hash_ratio", "gopher_quality", "'#' per token", None, 0.1, _GQ),
        _info("gopher_ellipsis_ratio", "gopher_quality", "ellipses per token", None, 0.1, _GQ),
        _info("gopher_bullet_lines", "gopher_quality", "share of lines starting with a bullet", None, 0.9, _GQ),
        _info("gopher_ellipsis_lines", "gopher_quality", "share of lines ending in an ellipsis", None, 0.3, _GQ),
        _info("gopher_alpha_words", "gopher_quality", "share of tokens with a letter", 0.8, None, _GQ),
        _info("gopher_stop_words", "gopher_quality", "distinct stop words (the, be, to, of, and, that, have, with)", 2, None, _GQ),
        _info("gopher_dup_para_frac", "gopher_repetition", "share of repeated paragraphs", None, 0.3, _GR),
        _info("gopher_dup_para_char_frac", "gopher_repetition", "share of characters in repeated paragraphs", None, 0.2, _GR),
        _info("gopher_dup_line_frac", "gopher_repetition", "share of repeated lines", None, 0.3, _GR),
        _info("gopher_dup_line_char_frac", "gopher_repetition", "share of characters in repeated lines", None, 0.2, _GR),
        _info("gopher_top_2_gram", "gopher_repetition", "characters of the most frequent 2-gram / text", None, 0.2, _GR),
        _info("gopher_top_3_gram", "gopher_repetition", "characters of the most frequent 3-gram / text", None, 0.18, _GR),
        _info("gopher_top_4_gram", "gopher_repetition", "characters of the most frequent 4-gram / text", None, 0.16, _GR),
        _info("gopher_dup_5_gram", "gopher_repetition", "characters in repeated 5-grams / text", None, 0.15, _GR),
        _info("gopher_dup_6_gram", "gopher_repetition", "characters in repeated 6-grams / text", None, 0.14, _GR),
        _info("gopher_dup_7_gram", "gopher_repetition", "characters in repeated 7-grams / text", None, 0.13, _GR),
        _info("gopher_dup_8_gram", "gopher_repetition", "characters in repeated 8-grams / text", None, 0.12, _GR),
        _info("gopher_dup_9_gram", "gopher_repetition", "characters in repeated 9-grams / text", None, 0.11, _GR),
        _info("gopher_dup_10_gram", "gopher_repetition", "characters in repeated 10-grams / text", None, 0.10, _GR),
        _info("c4_lorem_ipsum", "c4", "kept lines containing 'lorem ipsum'", None, 0, _C4),
        _info("c4_curly_bracket", "c4", "kept lines containing '{'", None, 0, _C4),
        _info("c4_sentences", "c4", "sentences in lines that end in terminal punctuation", 5, None, _C4),
        _info("fineweb_line_punct_ratio", "fineweb", "share of lines ending in terminal punctuation", 0.12, None, _FW),
        _info("fineweb_short_line_ratio", "fineweb", "share of lines of at most 30 characters", None, 0.67, _FW),
        _info("fineweb_char_dup_ratio", "fineweb", "characters in repeated lines / characters", None, 0.01, _FW),
        _info("fineweb_list_ratio", "fineweb", "newlines per word", None, 0.3, _FW),
        _info("empty", "chat", "characters after stripping whitespace", 1, None, "Inspector"),
        _info("too_short", "chat", "characters after stripping whitespace", 2, None, "Inspector"),
        _info("too_long", "chat", "characters", None, 32_000, "Inspector"),
        _info("echo_prompt", "chat", "1 when the answer equals the prompt (normalised)", None, 0, "Inspector"),
        _info("cut_off", "chat", "1 when the text stops mid-sentence or inside a code block", None, 0, "Inspector"),
        _info("refusal", "chat", "boilerplate refusal / AI-disclaimer phrases", None, 0, "Inspector"),
        _info("symbol_ratio", "chat", "share of non-space characters that are neither letter nor digit", None, 0.5, "Inspector"),
        _info("non_letter_ratio", "chat", "share of non-space characters that are not letters", None, 0.8, "Inspector"),
        _info("chosen_rejected_similarity", "preference", "estimated Jaccard of chosen and rejected (char 5-grams)", None, 0.95, "Inspector"),
        _info("empty_side", "preference", "1 when chosen or rejected is empty", None, 0, "Inspector"),
        _info("outlier", "graph", "robust z-score of 1 - mean neighbour similarity", None, 5.0, "Inspector"),
    ]
}  # fmt: skip

# Plain names for the Rules dialog and the reader.
TITLES: dict[str, str] = {
    "gopher_short_doc": "Very short text", "gopher_long_doc": "Very long text",
    "gopher_avg_word_length": "Unusual word lengths", "gopher_hash_ratio": "Many '#' symbols",
    "gopher_ellipsis_ratio": "Many ellipses", "gopher_bullet_lines": "Almost all bullet lines",
    "gopher_ellipsis_lines": "Many lines end in '...'", "gopher_alpha_words": "Few real words",
    "gopher_stop_words": "Few common words (the, and, of...)",
    "gopher_dup_para_frac": "Repeated paragraphs", "gopher_dup_para_char_frac": "Text in repeated paragraphs",
    "gopher_dup_line_frac": "Repeated lines", "gopher_dup_line_char_frac": "Text in repeated lines",
    "gopher_top_2_gram": "One word pair dominates", "gopher_top_3_gram": "One 3-word phrase dominates",
    "gopher_top_4_gram": "One 4-word phrase dominates",
    "gopher_dup_5_gram": "Repeated 5-word runs", "gopher_dup_6_gram": "Repeated 6-word runs",
    "gopher_dup_7_gram": "Repeated 7-word runs", "gopher_dup_8_gram": "Repeated 8-word runs",
    "gopher_dup_9_gram": "Repeated 9-word runs", "gopher_dup_10_gram": "Repeated 10-word runs",
    "c4_lorem_ipsum": "Placeholder text (lorem ipsum)", "c4_curly_bracket": "Curly brackets",
    "c4_sentences": "Few full sentences", "fineweb_line_punct_ratio": "Lines without end punctuation",
    "fineweb_short_line_ratio": "Mostly short lines", "fineweb_char_dup_ratio": "Duplicated lines (characters)",
    "fineweb_list_ratio": "Many line breaks per word", "empty": "Empty", "too_short": "Too short",
    "too_long": "Too long", "echo_prompt": "Answer repeats the prompt", "cut_off": "Cut-off text",
    "refusal": "Refusal or AI disclaimer", "symbol_ratio": "Mostly symbols",
    "non_letter_ratio": "Few letters", "chosen_rejected_similarity": "Chosen and rejected nearly the same",
    "empty_side": "Chosen or rejected empty", "outlier": "Far from every other sample",
}  # fmt: skip
ACTIONS = ("flag", "remove")
# Rules that propose removal by default: a row they fire on is junk by definition. The
# others flag for review (issue 11: removal needs >= 0.9 measured precision).
DEFAULT_REMOVE = frozenset({"empty", "echo_prompt", "empty_side"})

# Rules that judge a relation between fields: their values live under one pseudo-field.
ROW_LEVEL = {"echo_prompt": "response", "chosen_rejected_similarity": "pair", "empty_side": "pair",
             "outlier": "row"}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """One configured rule: flags a text when value < min or value > max, but only when
    the text has at least ``min_words`` words (0: always)."""

    name: str
    enabled: bool
    fields: tuple[str, ...]
    min: float | None
    max: float | None
    min_words: int = 0
    action: str = "flag"  # what a hit proposes when the rule is on: flag or remove

    @property
    def info(self) -> RuleInfo:
        return CATALOGUE[self.name]

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    def description(self) -> str:
        """One line: what is measured and when it flags."""
        bounds = []
        if self.min is not None:
            bounds.append(f"below {self.min:g}")
        if self.max is not None:
            bounds.append(f"above {self.max:g}")
        gate = f", texts of {self.min_words}+ words" if self.min_words else ""
        when = " or ".join(bounds) or "never (no bound)"
        return f"{self.info.measures}; flags when {when}{gate}"

    def effective_action(self) -> str:
        """flag, remove, or off (disabled)."""
        return self.action if self.enabled else "off"

    def columns(self) -> list[str]:
        """The value columns this rule writes (``<field>.<rule>``)."""
        if self.name in ROW_LEVEL:
            return [f"{ROW_LEVEL[self.name]}.{self.name}"]
        return [f"{f}.{self.name}" for f in self.fields]


@dataclass(frozen=True)
class RuleSet:
    """All rules, in catalogue order; immutable (``with_rule`` returns a changed copy)."""

    rules: tuple[Rule, ...]
    source: str = "built-in"

    def __getitem__(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"unknown rule {name!r}; known: {', '.join(CATALOGUE)}")

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]

    def with_rule(self, name: str, **changes: Any) -> RuleSet:
        """A copy with one rule changed, e.g. ``with_rule("too_long", max=50_000)``."""
        self[name]  # raises on an unknown name
        return replace(
            self, rules=tuple(replace(r, **changes) if r.name == name else r for r in self.rules)
        )

    def only(self, names: Iterable[str]) -> RuleSet:
        """A copy where exactly ``names`` are enabled."""
        keep = set(names)
        for name in keep:
            self[name]
        return replace(self, rules=tuple(replace(r, enabled=r.name in keep) for r in self.rules))


def published_rules(fields: tuple[str, ...] = ("response",)) -> RuleSet:
    """Every rule on, with the published thresholds and no length gate (as datatrove)."""
    return RuleSet(
        tuple(
            Rule(i.name, True, fields, i.min, i.max, 0, _default_action(i.name))
            for i in CATALOGUE.values()
        ),
        source="published thresholds",
    )


def _default_action(name: str) -> str:
    return "remove" if name in DEFAULT_REMOVE else "flag"


def rule_catalogue(rules: RuleSet) -> list[dict[str, Any]]:
    """Every rule as the Rules dialog lists it: name, title (plain name), description (one
    line), fields, action (flag / remove / off), min, max, min_words, group, source."""
    return [
        {
            "name": r.name,
            "title": r.title,
            "description": r.description(),
            "fields": list(r.fields),
            "action": r.effective_action(),
            "min": r.min,
            "max": r.max,
            "min_words": r.min_words,
            "group": r.info.group,
            "source": r.info.source,
        }
        for r in rules
    ]


def default_rules_path() -> Path:
    from inspector.core.paths import resources_dir

    return resources_dir() / "quality_rules.toml"


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The default rules (resources/quality_rules.toml), overridden by the file at ``path``.

    A user file may set any subset of rules and keys. Errors name the file, the rule and the
    key, and say what would be accepted.
    """
    base = _apply(published_rules(), _read(default_rules_path()), default_rules_path())
    if path is None:
        return base
    return replace(_apply(base, _read(Path(path)), Path(path)), source=str(path))


def _read(path: Path) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"quality rules file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"quality rules file {path} is not valid TOML: {exc}") from None


_KEYS = {"enabled", "fields", "min", "max", "min_words", "action"}


def _apply(base: RuleSet, data: Mapping[str, Any], path: Path) -> RuleSet:
    unknown_top = set(data) - {"rules"}
    if unknown_top:
        raise ValueError(
            f"{path}: unknown section(s) {sorted(unknown_top)}; rules go under [rules.NAME]"
        )
    out = base
    for name, table in data.get("rules", {}).items():
        where = f"{path}: [rules.{name}]"
        if name not in CATALOGUE:
            raise ValueError(f"{where}: unknown rule; known rules: {', '.join(CATALOGUE)}")
        if not isinstance(table, Mapping):
            raise ValueError(f"{where} must be a table of keys ({', '.join(sorted(_KEYS))})")
        bad = set(table) - _KEYS
        if bad:
            raise ValueError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {sorted(_KEYS)}")
        changes: dict[str, Any] = {}
        if "enabled" in table:
            if not isinstance(table["enabled"], bool):
                raise ValueError(f"{where}: enabled must be true or false")
            changes["enabled"] = table["enabled"]
        if "fields" in table:
            fields = table["fields"]
            if not isinstance(fields, list) or any(f not in FIELDS for f in fields):
                raise ValueError(f"{where}: fields must be a list drawn from {list(FIELDS[:4])}")
            changes["fields"] = tuple(fields)
        for key in ("min", "max"):
            if key in table:
                value = table[key]
                if value is False or value == "none":
                    changes[key] = None  # TOML has no null: `max = false` switches a bound off
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    changes[key] = float(value)
                else:
                    raise ValueError(f"{where}: {key} must be a number, or false for no bound")
        if "action" in table:
            action = table["action"]
            if action == "off":
                changes["enabled"] = False
            elif action in ACTIONS:
                changes["action"] = action
            else:
                raise ValueError(f"{where}: action must be flag, remove or off")
        if "min_words" in table:
            mw = table["min_words"]
            if not isinstance(mw, int) or isinstance(mw, bool) or mw < 0:
                raise ValueError(f"{where}: min_words must be a whole number ≥ 0")
            changes["min_words"] = mw
        out = out.with_rule(name, **changes)
    return out
