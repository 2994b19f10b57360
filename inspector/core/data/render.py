"""Turn one record into what a person reads: labelled turns, sections, or a chosen/rejected
pair. The UI draws these blocks; the CLI prints them as text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from inspector.core.data import transcripts
from inspector.core.data.formats import FormatSpec, normal_role


@dataclass
class Block:
    """A titled piece of text: a chat turn ("user", "assistant"...) or a section."""

    title: str
    text: str
    role: str = "section"  # user | assistant | system | tool | section


@dataclass
class Rendered:
    kind: str
    blocks: list[Block] = field(default_factory=list)
    chosen: list[Block] | None = None  # preference pairs: shown side by side
    rejected: list[Block] | None = None
    answers: list[Block] | None = None  # several completions of one prompt (also in blocks)
    extra: dict[str, Any] = field(default_factory=dict)  # the other columns

    def to_text(self, width: int = 0) -> str:
        lines: list[str] = []
        for b in self.blocks:
            lines += [f"[{b.title}]", b.text, ""]
        if self.chosen is not None and self.rejected is not None:
            for name, side in (("chosen", self.chosen), ("rejected", self.rejected)):
                for b in side:
                    title = name if b.title == name else f"{name} · {b.title}"
                    lines += [f"[{title}]", b.text, ""]
        text = "\n".join(lines).rstrip()
        if width and len(text) > width:
            text = text[:width] + "…"
        return text


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)


def content_text(content: Any) -> str:
    """A turn's content as text: a string as is; a list of parts (OpenAI's ``{"type":
    "text", "text": ...}``) as its texts, other parts named in brackets (``[image_url]``)."""
    if isinstance(content, str) and content.startswith('[{"type"'):
        try:  # a reader that met text in some rows and parts in others kept parts as JSON
            content = json.loads(content)
        except ValueError:
            return content
    if not isinstance(content, list):
        return _as_text(content)
    out = []
    for part in content:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            out.append(part["text"])
        elif isinstance(part, dict):
            out.append(f"[{part.get('type') or 'part'}]")
    return "\n".join(out)


def turn_value(turn: dict[str, Any], key: str) -> Any:
    """A turn's field; for ``a|b`` keys (sets merged), the first of them that is set."""
    return next((turn[k] for k in key.split("|") if turn.get(k) is not None), None)


def turn_text(turn: dict[str, Any], content_key: str) -> str:
    """What a turn says, with its tool calls (``→ name(arguments)``) after the text."""
    text = content_text(turn_value(turn, content_key))
    calls = turn.get("tool_calls") or turn.get("function_call")
    if isinstance(calls, dict):
        calls = [calls]
    lines = [text] if text else []
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, dict):
            continue
        fn: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else call
        args = fn.get("arguments")
        args = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        lines.append(f"→ {fn.get('name') or 'call'}({'' if args == 'null' else args})")
    return "\n".join(lines)


def _turns(value: Any, keys: tuple[str, str] | None) -> list[Block]:
    if transcripts.is_transcript(keys) and isinstance(value, str):
        return [Block(s, text, role) for s, role, text in transcripts.split_turns(value)]
    if transcripts.is_alternating(keys) and isinstance(value, list):
        return [Block(s, text, role) for s, role, text in transcripts.alternating_turns(value)]
    if keys is not None and transcripts.is_pairs(keys) and isinstance(value, list):
        return [Block(s, text, role) for s, role, text in transcripts.pair_turns(value, keys)]
    if isinstance(value, list) and keys:
        role_key, content_key = keys
        blocks = []
        content_key = content_key.split("[]", 1)[0]
        for turn in value:
            if not isinstance(turn, dict):
                continue
            raw = str(turn_value(turn, role_key) or "")
            role = normal_role(raw) if raw else "turn"
            blocks.append(Block(raw or role, turn_text(turn, content_key), role))
        return blocks
    return [Block("text", _as_text(value))]


def render_record(record: dict[str, Any], spec: FormatSpec) -> Rendered:
    """Blocks for one record (its user columns) under ``spec``."""
    f = spec.fields
    mk = spec.message_keys
    used = set(f.values())
    out = Rendered(spec.kind)
    k = spec.kind
    if k == "alpaca":
        if record.get(f.get("system", "")):
            out.blocks.append(Block("system", _as_text(record[f["system"]]), "system"))
        for pair in record.get(f.get("history", ""), None) or []:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                out.blocks.append(Block("history · instruction", _as_text(pair[0]), "user"))
                out.blocks.append(Block("history · output", _as_text(pair[1]), "assistant"))
        out.blocks.append(Block("instruction", _as_text(record.get(f["instruction"])), "user"))
        if record.get(f.get("input", "")):
            out.blocks.append(Block("input", _as_text(record[f["input"]]), "user"))
        out.blocks.append(Block("output", _as_text(record.get(f["output"])), "assistant"))
    elif k in ("messages", "sharegpt"):
        col = next(iter(f.values()))
        out.blocks = _turns(record.get(col), mk.get(col))
    elif k == "preference":
        if "prompt" in f:
            value = record.get(f["prompt"])
            blocks = _turns(value, mk.get(f["prompt"]))
            out.blocks = [
                Block("prompt", b.text, "user") if b.title == "text" else b for b in blocks
            ]
        chosen = _turns(record.get(f["chosen"]), mk.get(f["chosen"]))
        rejected = _turns(record.get(f["rejected"]), mk.get(f["rejected"]))
        if f["chosen"] in mk:
            # The turns shared by both sides (the prompt, earlier turns) come first, once;
            # a turn that only repeats the prompt column is not shown again.
            shared = 0
            while (
                shared < min(len(chosen), len(rejected)) - 1
                and chosen[shared].text == rejected[shared].text
            ):
                shared += 1
            asked = {b.text.strip() for b in out.blocks}
            out.blocks += [b for b in chosen[:shared] if b.text.strip() not in asked]
            chosen, rejected = chosen[shared:], rejected[shared:]
        out.chosen = [
            Block("chosen" if b.title == "text" else b.title, b.text, "assistant") for b in chosen
        ]
        out.rejected = [
            Block("rejected" if b.title == "text" else b.title, b.text, "assistant")
            for b in rejected
        ]
    elif k == "completions":
        out.blocks = [
            Block("prompt", b.text, "user") if b.title == "text" else b
            for b in _turns(record.get(f["prompt"]), mk.get(f["prompt"]))
        ]
        if out.blocks and out.blocks[-1].role == "assistant" and not out.blocks[-1].text.strip():
            out.blocks.pop()  # a transcript prompt's open "Assistant:" (the answers follow)
        out.answers = completion_blocks(record.get(f["completions"]), mk.get(f["completions"]))
        out.blocks += out.answers
    elif k in ("unpaired_preference", "prompt_completion"):
        if record.get(f.get("system", "")):
            out.blocks.append(Block("system", _as_text(record[f["system"]]), "system"))
        out.blocks += [
            Block("prompt", b.text, "user") if b.title == "text" else b
            for b in _turns(record.get(f["prompt"]), mk.get(f["prompt"]))
        ]
        out.blocks += [
            Block("completion", b.text, "assistant") if b.title == "text" else b
            for b in _turns(record.get(f["completion"]), mk.get(f["completion"]))
        ]
        if k == "unpaired_preference":
            out.blocks.append(Block("label", _as_text(record.get(f["label"]))))
    elif k == "text":
        out.blocks = [Block("text", _as_text(record.get(f["text"])))]
    else:
        out.blocks = [Block(col, _as_text(record.get(col))) for col in f.values()]
    out.extra = {c: v for c, v in record.items() if c not in used and not c.startswith("__")}
    return out


def completion_blocks(value: Any, keys: tuple[str, str] | None) -> list[Block]:
    """One block per completion, titled "answer N" (and its model where the data names it)."""
    blocks: list[Block] = []
    label_key, text_key = keys or ("", "")
    for i, item in enumerate(value or [], start=1):
        if isinstance(item, dict):
            text = _as_text(item.get(text_key) if text_key else item)
            label = str(item.get(label_key) or "") if label_key else ""
        else:
            text, label = _as_text(item), ""
        blocks.append(Block(f"answer {i}" + (f" · {label}" if label else ""), text, "assistant"))
    return blocks


def word_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Split two texts into (word, differs) runs so a view can mark what changed."""
    import difflib
    import re

    wa = re.findall(r"\S+|\s+", a)
    wb = re.findall(r"\S+|\s+", b)
    if len(wa) * len(wb) > 4_000_000:  # very long pairs: mark nothing rather than stall
        return [(a, False)], [(b, False)]
    sm = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    ra: list[tuple[str, bool]] = []
    rb: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            ra.append(("".join(wa[i1:i2]), not same))
        if j2 > j1:
            rb.append(("".join(wb[j1:j2]), not same))
    return ra, rb
