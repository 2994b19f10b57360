"""Recognise what a training set holds (Alpaca, chat messages, ShareGPT, preference pairs,
several completions per prompt as in UltraFeedback, prompt/completion, plain text) and say where the prompt and the response live.

Detection looks at a sample of rows spread through the data, not only the first. Text
extraction is vectorised (polars expressions) so it scales to millions of rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from inspector.core.data import transcripts

KINDS = (
    "preference",
    "completions",
    "unpaired_preference",
    "messages",
    "sharegpt",
    "alpaca",
    "prompt_completion",
    "text",
    "generic",
)

# role -> column names that usually hold it, in order of preference
ALIASES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "question", "query", "input", "inputs", "problem", "human"),
    "chosen": ("chosen", "chosen_response", "response_chosen"),
    "rejected": ("rejected", "rejected_response", "response_rejected"),
    "completion": (
        "completion",
        "response",
        "answer",
        "output",
        "targets",
        "solution",
        "assistant",
        "chosen",  # an SFT cut of preference data: prompt and chosen only
    ),
    "label": ("label",),
    "instruction": ("instruction",),
    "input": ("input", "context"),
    "output": ("output", "response"),
    "system": ("system", "system_prompt"),
    "history": ("history",),
    "text": ("text", "content", "document"),
    "completions": ("completions", "responses", "answers"),
}
# The struct field that holds a completion's text, and the one that names it (its model).
COMPLETION_TEXT_KEYS = ("response", "text", "content", "completion", "output", "answer")
COMPLETION_LABEL_KEYS = ("model", "generator", "name", "source")
PROMPT_ALIASES = ("prompt", "instruction", "question", "query")

# Role spellings (compared in lower case) -> the normalised role. ShareGPT's human/gpt and
# their forks (bot, model, chatgpt...), OpenAI's developer and function, Llama 3's ipython.
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "prompter": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "claude": "assistant",
    "system": "system",
    "developer": "system",
    "observation": "tool",
    "function_call": "assistant",
    "tool": "tool",
    "function": "tool",
    "function_response": "tool",
    "tool_response": "tool",
    "ipython": "tool",
}


def normal_role(raw: str) -> str:
    """The normalised role of a turn's raw role (``GPT`` -> assistant); unknown ones as
    written."""
    return SHAREGPT_ROLES.get(raw.lower(), raw)


REQUIRED: dict[str, tuple[str, ...]] = {
    "preference": ("chosen", "rejected"),
    "completions": ("prompt", "completions"),
    "unpaired_preference": ("prompt", "completion", "label"),
    "messages": ("messages",),
    "sharegpt": ("conversations",),
    "alpaca": ("instruction", "output"),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
    "generic": (),
}


@dataclass(frozen=True)
class FormatSpec:
    """The detected (or chosen) format and which column plays which role."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    # For message-list columns: the struct field names of role and content.
    message_keys: dict[str, tuple[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "fields": dict(self.fields),
            "message_keys": {k: list(v) for k, v in self.message_keys.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> FormatSpec:
        return cls(
            data["kind"],
            dict(data.get("fields", {})),
            {k: (v[0], v[1]) for k, v in data.get("message_keys", {}).items()},
        )

    def describe(self) -> str:
        mapping = ", ".join(f"{role}={col}" for role, col in self.fields.items())
        return f"{self.kind} ({mapping})" if mapping else self.kind


def message_keys(dtype: pl.DataType) -> tuple[str, str] | None:
    """(role key, content key) if ``dtype`` is a list of chat-turn structs."""
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return None
    fields = {f.name: f.dtype for f in dtype.inner.fields}
    pairs = [(r, c) for r, c in (("role", "content"), ("from", "value")) if {r, c} <= set(fields)]
    if len(pairs) == 2 and all(fields[k] == pl.String for pair in pairs for k in pair):
        # rows of two sets merged: some turns role/content, others from/value
        return ("role|from", "content|value")
    for role, content in pairs:
        return (role, content + _parts_suffix(fields[content]))
    return None


def turn_field(element: pl.Expr, key: str) -> pl.Expr:
    """A turn's field as text; for ``a|b`` keys, the first of them that is set."""
    names = key.split("|")
    fields = [element.struct.field(n).cast(pl.String) for n in names]
    return fields[0] if len(fields) == 1 else pl.coalesce(fields)


# A content key that ends so names turns whose content is a list of parts (OpenAI's
# ``[{"type": "text", "text": ...}, {"type": "image_url", ...}]``) or of strings.
PARTS = "[].text"
STRINGS = "[]"


def _parts_suffix(dtype: Any) -> str:
    if not isinstance(dtype, pl.List):
        return ""
    if isinstance(dtype.inner, pl.Struct) and "text" in {f.name for f in dtype.inner.fields}:
        return PARTS
    return STRINGS if dtype.inner == pl.String else ""


def _content(element: pl.Expr, content_key: str) -> pl.Expr:
    """The text of one turn: its content, or its text parts joined by newlines."""
    if content_key.endswith(PARTS):
        parts = element.struct.field(content_key[: -len(PARTS)])
        texts = parts.list.eval(pl.element().struct.field("text").cast(pl.String))
        return texts.list.drop_nulls().list.join("\n")
    if content_key.endswith(STRINGS):
        parts = element.struct.field(content_key[: -len(STRINGS)])
        return parts.list.drop_nulls().list.join("\n")
    return turn_field(element, content_key).map_batches(
        parts_json_as_text, return_dtype=pl.String, is_elementwise=True
    )


_PARTS_JSON = r'^\s*\[\s*\{\s*"type"'


def parts_json_as_text(texts: pl.Series) -> pl.Series:
    """Contents that are a list of parts kept as JSON text (the JSON reader does that when
    other rows hold a plain string) as their text parts joined by newlines; every other
    value as it is. Only those values are parsed (in Python)."""
    looks = texts.str.contains(_PARTS_JSON).fill_null(False)
    if not looks.any():
        return texts
    where = looks.arg_true()
    fixed = [_parts_text(v) for v in texts.gather(where).to_list()]
    return texts.scatter(where, pl.Series(fixed, dtype=pl.String))


def _parts_text(value: str) -> str:
    try:
        parts = json.loads(value)
    except ValueError:
        return value
    if not isinstance(parts, list) or not all(isinstance(p, dict) and "type" in p for p in parts):
        return value
    return "\n".join(p["text"] for p in parts if isinstance(p.get("text"), str))


def completion_keys(dtype: pl.DataType) -> tuple[str, str] | None:
    """(label key or "", text key) if ``dtype`` is a list of completions: strings, or structs
    with a text field (UltraFeedback: ``{"model": ..., "response": ...}``)."""
    if not isinstance(dtype, pl.List):
        return None
    if dtype.inner == pl.String:
        return ("", "")
    if not isinstance(dtype.inner, pl.Struct):
        return None
    names = [f.name for f in dtype.inner.fields]
    if {"role", "content"} <= set(names) or {"from", "value"} <= set(names):
        return None  # chat turns
    text = next((k for k in COMPLETION_TEXT_KEYS if k in names), None)
    if text is None:
        return None
    label = next((k for k in COMPLETION_LABEL_KEYS if k in names), "")
    return (label, text)


def _is_completions(dtype: pl.DataType) -> bool:
    return completion_keys(dtype) is not None


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String


def _is_text_or_turns(dtype: pl.DataType) -> bool:
    return _is_text(dtype) or message_keys(dtype) is not None


def _is_label(dtype: pl.DataType) -> bool:
    return dtype == pl.Boolean or dtype.is_integer()


def _find(schema: pl.Schema, role: str, check) -> str | None:
    """The column that plays ``role``: its usual names in order, spelt exactly, then in any
    case and with the spaces a spreadsheet keeps around a header (``Question ``/``Answer``)."""
    folded: dict[str, str] = {}
    for present in schema:
        folded.setdefault(present.strip().lower(), present)
    for name in ALIASES.get(role, (role,)):
        for column in (name, folded.get(name)):
            if column is not None and column in schema and check(schema[column]):
                return column
    return None


def candidate_specs(schema: pl.Schema) -> list[FormatSpec]:
    """Every format whose columns exist in ``schema``, most specific first."""
    specs: list[FormatSpec] = []
    found = {
        name: message_keys(dtype) or transcripts.pair_keys(dtype) for name, dtype in schema.items()
    }
    for name, dtype in schema.items():
        if name in transcripts.ALTERNATING_NAMES and dtype == pl.List(pl.String):
            found[name] = transcripts.ALTERNATING_KEYS
    keys = {k: v for k, v in found.items() if v is not None}

    chosen = _find(schema, "chosen", _is_text_or_turns)
    rejected = _find(schema, "rejected", _is_text_or_turns)
    if chosen and rejected:
        fields = {"chosen": chosen, "rejected": rejected}
        prompt = _find(schema, "prompt", _is_text_or_turns)
        if prompt:
            fields["prompt"] = prompt
        mk = {c: keys[c] for c in fields.values() if c in keys}
        specs.append(FormatSpec("preference", fields, mk))
    completions = _find(schema, "completions", _is_completions)
    if completions:
        asked = next(
            (c for c in PROMPT_ALIASES if c in schema and _is_text_or_turns(schema[c])), None
        )
        if asked:
            ck = completion_keys(schema[completions])
            mk = {c: keys[c] for c in (asked,) if c in keys}
            if ck and ck[1]:
                mk[completions] = ck
            specs.append(
                FormatSpec("completions", {"prompt": asked, "completions": completions}, mk)
            )
    prompt = _find(schema, "prompt", _is_text_or_turns)
    completion = _find(schema, "completion", _is_text_or_turns)
    label = _find(schema, "label", _is_label)
    if prompt and completion and label:
        fields = {"prompt": prompt, "completion": completion, "label": label}
        mk = {c: keys[c] for c in (prompt, completion) if c in keys}
        specs.append(FormatSpec("unpaired_preference", fields, mk))
    for name, (role_key, _content_key) in keys.items():
        if name in ("chosen", "rejected", "prompt", "completion"):
            continue
        kind = "messages" if role_key == "role" or name == "messages" else "sharegpt"
        specs.append(
            FormatSpec(
                kind, {kind if kind == "messages" else "conversations": name}, {name: keys[name]}
            )
        )
    instruction = _find(schema, "instruction", _is_text)
    output = _find(schema, "output", _is_text)
    if instruction and output:
        fields = {"instruction": instruction, "output": output}
        for role in ("input", "system"):
            col = _find(schema, role, _is_text)
            if col:
                fields[role] = col
        if "history" in schema and isinstance(schema["history"], pl.List):
            fields["history"] = "history"
        specs.append(FormatSpec("alpaca", fields))
    if completion is not None and completion == chosen and rejected:
        completion = None  # a pair set, even where some rows lack the rejected side
    if prompt and completion:
        mk = {c: keys[c] for c in (prompt, completion) if c in keys}
        fields = {"prompt": prompt, "completion": completion}
        system = _find(schema, "system", _is_text)
        if system:  # OpenOrca's system_prompt / question / response
            fields["system"] = system
        specs.append(FormatSpec("prompt_completion", fields, mk))
    text = _find(schema, "text", _is_text)
    if text:
        specs.append(FormatSpec("text", {"text": text}))
    for name in transcripts.LAST_RESORT_ALTERNATING:  # UltraChat's ``data``: when nothing else fits
        if name in schema and schema[name] == pl.List(pl.String):
            keys = {name: transcripts.ALTERNATING_KEYS}
            specs.append(FormatSpec("sharegpt", {"conversations": name}, keys))
    return specs


def detect_format(frame: pl.DataFrame, sample_size: int = 1000) -> FormatSpec:
    """Pick the format that fits most rows of a sample spread through ``frame``."""
    user = frame.select([c for c in frame.columns if not c.startswith("__")])
    if user.height > sample_size:
        step = user.height / sample_size
        sample = user[[int(i * step) for i in range(sample_size)]]
    else:
        sample = user
    best: FormatSpec | None = None
    best_score = 0.0
    for spec in candidate_specs(sample.schema):
        required = [spec.fields[r] for r in REQUIRED[spec.kind] if r in spec.fields]
        if not required:
            continue
        present = sample.select(
            pl.all_horizontal([_present(pl.col(c), sample.schema[c]) for c in required])
            .mean()
            .alias("score")
        )["score"][0]
        score = float(present or 0.0)
        if score > best_score + 1e-9:  # earlier (more specific) kinds win ties
            best, best_score = spec, score
    if best is not None and best_score >= 0.5:
        return mark_transcripts(best, sample)
    strings = [c for c, d in user.schema.items() if _is_text(d)]
    return FormatSpec("generic", {f"text{i}": c for i, c in enumerate(strings)})


def mark_transcripts(spec: FormatSpec, sample: pl.DataFrame) -> FormatSpec:
    """``spec`` with its Human/Assistant transcript columns marked (see
    :mod:`inspector.core.data.transcripts`): a pair's string chosen/rejected/prompt columns,
    the prompt column beside completions, and a plain-text column, which then reads as a
    chat (kind ``messages``)."""
    roles = {
        "text": ("text",),
        "preference": ("chosen", "rejected", "prompt"),
        # (Nectar's prompt: "\n\nHuman: ...\n\nAssistant:", the answers beside it)
        "completions": ("prompt",),
        "prompt_completion": ("prompt",),
        "unpaired_preference": ("prompt",),
    }.get(spec.kind)
    if roles is None:
        return spec
    marked = {
        spec.fields[r]: transcripts.TRANSCRIPT_KEYS
        for r in roles
        if r in spec.fields
        and spec.fields[r] not in spec.message_keys
        and transcripts.looks_like_transcripts(sample[spec.fields[r]])
    }
    if not marked:
        return spec
    if spec.kind == "text":
        return FormatSpec("messages", {"messages": spec.fields["text"]}, marked)
    if spec.kind == "preference" and not {spec.fields["chosen"], spec.fields["rejected"]} <= set(
        marked
    ):
        return spec  # one side a transcript and the other not: leave both as text
    return FormatSpec(spec.kind, dict(spec.fields), {**spec.message_keys, **marked})


def _present(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if _is_text(dtype):
        return expr.is_not_null()
    if isinstance(dtype, pl.List):
        return expr.is_not_null() & (expr.list.len() > 0)
    return expr.is_not_null()


def spec_from_fields(kind: str, fields: dict[str, str], schema: pl.Schema) -> FormatSpec:
    """A user-chosen format and mapping (``--format``/``--field``), checked against ``schema``."""
    if kind not in KINDS:
        raise ValueError(f"unknown format '{kind}'; choose one of {', '.join(KINDS)}")
    for role, col in fields.items():
        if col not in schema:
            raise ValueError(
                f"--field {role}={col}: no column '{col}'; columns are {', '.join(schema)}"
            )
    defaults = next((s for s in candidate_specs(schema) if s.kind == kind), None)
    merged = dict(defaults.fields) if defaults else {}
    merged.update(fields)
    for role in REQUIRED[kind]:  # roles not named: their usual column names, if present
        if role not in merged:
            check = {"label": _is_label, "completions": _is_completions}.get(
                role, _is_text_or_turns
            )
            usual = _find(schema, role, check)
            if usual and usual not in merged.values():
                merged[role] = usual
    missing = [r for r in REQUIRED[kind] if r not in merged]
    if missing:
        raise ValueError(f"format '{kind}' needs --field {missing[0]}=COLUMN")
    mk = {
        c: keys
        for c in merged.values()
        if (keys := message_keys(schema[c]) or transcripts.pair_keys(schema[c]))
    }
    if kind == "completions":
        ck = completion_keys(schema[merged["completions"]])
        if ck is None:
            raise ValueError(
                f"--field completions={merged['completions']}: not a list of completions "
                f"(strings, or structs with one of {', '.join(COMPLETION_TEXT_KEYS)})"
            )
        if ck[1]:
            mk[merged["completions"]] = ck
    return FormatSpec(kind, merged, mk)  # type: ignore[arg-type]


# -- text extraction ------------------------------------------------------------------------


def turns_expr(col: str, keys: tuple[str, str], roles: set[str] | None) -> pl.Expr:
    """Join the contents of the turns whose (normalised) role is in ``roles`` (None = all)."""
    role_key, content_key = keys
    element = pl.element()
    content = _content(element, content_key)
    if roles is None:
        picked = content
    else:
        raw_roles = [r for r, norm in SHAREGPT_ROLES.items() if norm in roles] + sorted(roles)
        role = turn_field(element, role_key).str.to_lowercase()
        picked = pl.when(role.is_in(raw_roles)).then(content)
    return pl.col(col).list.eval(picked).list.drop_nulls().list.join("\n\n")


def completions_expr(spec: FormatSpec, separator: str = "\n\n") -> pl.Expr:
    """Every completion's text of a row, joined (the response side of ``completions``)."""
    col = spec.fields["completions"]
    if col in spec.message_keys:
        text_key = spec.message_keys[col][1]
        picked = pl.col(col).list.eval(pl.element().struct.field(text_key).cast(pl.String))
    else:
        picked = pl.col(col).list.eval(pl.element().cast(pl.String))
    return picked.list.drop_nulls().list.join(separator)


def _side(spec: FormatSpec, role: str, roles: set[str] | None) -> pl.Expr | None:
    col = spec.fields.get(role)
    if col is None:
        return None
    if role == "completions":
        return completions_expr(spec)
    if col in spec.message_keys:
        keys = spec.message_keys[col]
        if transcripts.is_transcript(keys):
            return transcripts.turns_expr(col, roles)
        if transcripts.is_alternating(keys):
            return transcripts.alternating_expr(col, roles)
        if transcripts.is_pairs(keys):
            return transcripts.pairs_expr(col, keys, roles)
        return turns_expr(col, keys, roles)
    return pl.col(col).cast(pl.String)


def _join(parts: Sequence[pl.Expr | None]) -> pl.Expr:
    exprs = [p for p in parts if p is not None]
    if not exprs:
        return pl.lit("", dtype=pl.String)
    return pl.concat_str(exprs, separator="\n\n", ignore_nulls=True)


def prompt_expr(spec: FormatSpec) -> pl.Expr:
    """The prompt side: what the model is asked (default text to embed)."""
    k = spec.kind
    if k == "alpaca":
        return _join([_side(spec, "instruction", None), _side(spec, "input", None)])
    if k == "messages":
        return _side(spec, "messages", {"user"})  # type: ignore[return-value]
    if k == "sharegpt":
        return _side(spec, "conversations", {"user"})  # type: ignore[return-value]
    if k == "preference":
        if "prompt" in spec.fields:
            return _side(spec, "prompt", {"user"})  # type: ignore[return-value]
        return _join([_side(spec, "chosen", {"user"})])  # prompt implicit in the messages
    if k in ("unpaired_preference", "prompt_completion", "completions"):
        return _side(spec, "prompt", {"user"})  # type: ignore[return-value]
    if k == "text":
        return _side(spec, "text", None)  # type: ignore[return-value]
    return _join([pl.col(c) for c in spec.fields.values()])


def response_expr(spec: FormatSpec) -> pl.Expr:
    """The response side: what the model is trained to answer ('' for plain text)."""
    k = spec.kind
    if k == "alpaca":
        return _side(spec, "output", None)  # type: ignore[return-value]
    if k == "messages":
        return _side(spec, "messages", {"assistant"})  # type: ignore[return-value]
    if k == "sharegpt":
        return _side(spec, "conversations", {"assistant"})  # type: ignore[return-value]
    if k == "preference":
        return _side(spec, "chosen", {"assistant"})  # type: ignore[return-value]
    if k in ("unpaired_preference", "prompt_completion"):
        return _side(spec, "completion", {"assistant"})  # type: ignore[return-value]
    if k == "completions":
        return completions_expr(spec)
    return pl.lit("", dtype=pl.String)


def rejected_expr(spec: FormatSpec) -> pl.Expr | None:
    if spec.kind != "preference":
        return None
    return _side(spec, "rejected", {"assistant"})


def text_exprs(spec: FormatSpec) -> list[pl.Expr]:
    """Every readable text of a sample (what the search box looks through)."""
    if spec.kind == "generic":
        return [pl.col(c).cast(pl.String) for c in spec.fields.values()]
    exprs: list[pl.Expr] = []
    for role in spec.fields:
        if role == "label":
            continue
        side = _side(spec, role, None)
        if side is not None and (spec.fields[role] in spec.message_keys or role != "history"):
            exprs.append(side)
    return exprs


def embed_field_expr(spec: FormatSpec, field_name: str | None, schema: pl.Schema) -> pl.Expr:
    """The text to embed: the prompt side by default, else 'response', 'all' or a column."""
    if field_name in (None, "", "prompt"):
        return prompt_expr(spec)
    if field_name == "response":
        return response_expr(spec)
    if field_name == "all":
        return _join(text_exprs(spec))
    if field_name in schema:
        keys = message_keys(schema[field_name])
        if keys:
            return turns_expr(field_name, keys, None)
        return pl.col(field_name).cast(pl.String)
    raise ValueError(
        f"--embed-field {field_name}: use prompt, response, all or a column "
        f"({', '.join(c for c in schema if not c.startswith('__'))})"
    )
