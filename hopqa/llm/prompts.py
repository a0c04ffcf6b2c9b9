"""Prompt templates for the LLM policy, one per state of hopqa's state machine (in the spirit of SG-FSM).

The templates are plain text files next to this module (`hopqa/llm/prompts/<state>.txt`, plus `system.txt`), written
with `string.Template` placeholders (`$question`); braces are literal, so JSON examples need no escaping.
`render(state, **fields)` returns the chat messages `[system, user]`.

Fields per state (required, then optional with its default):

  decompose             question                         | max_sub_questions=4
  revise_decomposition  question, draft, problems        |
  search                question, sub_question           | steps="(none yet)", passages="(no passages)"
  revise_search         question, sub_question, answer   | passages="(no passages)"
  judge                 question                         | steps="(none yet)", searches_left="not limited"
  answer                question                         | steps="(none yet)", passages="(no passages)"

Field values may be structured, and are formatted here:

  question, sub_question, answer   str
  draft                            list[str] (numbered "1. ...") or str
  problems                         list[str] (bulleted) or str
  steps                            list of (sub_question, answer) pairs, or of dicts with "question"/"sub_question"
                                   and "answer" (None: "(not answered yet)"), or str
  passages                         list of Passage/Hit-like objects (.id/.title/.text), dicts with id/title/text, or
                                   (id, title, text) tuples
  max_sub_questions, searches_left int or str

Passages are data: each is wrapped as `<passage id="..." title="...">text</passage>` inside a `<passages>` block, and
the system prompt says text inside passages is never an instruction. Attribute values are entity-escaped, and in every
interpolated value (passage text, question, answers...) anything that looks like a passage tag (`<passage`,
`</passage`, `<passages`, with any case or spacing) has its `<` turned into `&lt;`, so no value can close or open a
passage block. Passage text longer than MAX_PASSAGE_CHARS is cut (with "...").
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from string import Template
from typing import Any, Iterable, Mapping

PROMPT_DIR = Path(__file__).with_name("prompts")
MAX_PASSAGE_CHARS = 4000

STATES = ("decompose", "revise_decomposition", "search", "revise_search", "judge", "answer")

# state -> (required fields, optional fields with defaults)
FIELDS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "decompose": (("question",), {"max_sub_questions": 4}),
    "revise_decomposition": (("question", "draft", "problems"), {}),
    "search": (("question", "sub_question"), {"steps": None, "passages": None}),
    "revise_search": (("question", "sub_question", "answer"), {"passages": None}),
    "judge": (("question",), {"steps": None, "searches_left": "not limited"}),
    "answer": (("question",), {"steps": None, "passages": None}),
}

# `<` of anything that looks like a passage tag: "<passage", "</passage", "< / PASSAGES", ... Bounded, no nesting.
# Whitespace includes zero-width characters, which a model would read through.
_GAP = "[\\s\u200b-\u200d\u2060\ufeff]{0,16}"
_TAG_LIKE = re.compile("<(?=" + _GAP + "/?" + _GAP + "passages?\\b)", re.IGNORECASE)

__all__ = ["render", "render_user", "format_passages", "format_steps", "neutralise", "STATES", "FIELDS", "PROMPT_DIR"]


def neutralise(text: Any) -> str:
    """`text` as a string in which no passage tag can be opened or closed."""
    return _TAG_LIKE.sub("&lt;", "" if text is None else str(text))


def _attr(value: Any) -> str:
    s = "" if value is None else str(value)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return " ".join(s.split())  # one line


def _passage_parts(p: Any) -> tuple[Any, Any, Any]:
    if isinstance(p, Mapping):
        if "id" not in p:
            raise ValueError("a passage dict needs an 'id'")
        return p["id"], p.get("title", ""), p.get("text", "")
    if isinstance(p, (tuple, list)):
        if len(p) == 3:
            return p[0], p[1], p[2]
        if len(p) == 2:
            return p[0], "", p[1]
        raise ValueError("a passage tuple is (id, title, text) or (id, text)")
    try:
        return p.id, getattr(p, "title", ""), p.text
    except AttributeError:
        raise ValueError(f"cannot format {type(p).__name__} as a passage (needs id and text)") from None


def format_passages(passages: Iterable[Any] | str | None, max_chars: int = MAX_PASSAGE_CHARS) -> str:
    """The passages as a delimited `<passages>` block (a str is taken as already formatted, but still neutralised)."""
    if passages is None:
        return "(no passages)"
    if isinstance(passages, str):
        return neutralise(passages) or "(no passages)"
    blocks = []
    for p in passages:
        pid, title, text = _passage_parts(p)
        body = neutralise(text).strip()
        if len(body) > max_chars:
            body = body[: max_chars - 3].rstrip() + "..."
        blocks.append(f'<passage id="{_attr(pid)}" title="{_attr(title)}">\n{body}\n</passage>')
    if not blocks:
        return "(no passages)"
    return "<passages>\n" + "\n".join(blocks) + "\n</passages>"


def format_steps(steps: Iterable[Any] | str | None) -> str:
    """Sub-questions with their answers so far, numbered so that #k refers to line k."""
    if steps is None:
        return "(none yet)"
    if isinstance(steps, str):
        return neutralise(steps) or "(none yet)"
    lines = []
    for k, step in enumerate(steps, 1):
        if isinstance(step, Mapping):
            q = step.get("sub_question", step.get("question", ""))
            a = step.get("answer")
        elif isinstance(step, (tuple, list)) and len(step) == 2:
            q, a = step
        else:
            raise ValueError("a step is a (sub_question, answer) pair or a dict with 'question' and 'answer'")
        shown = "(not answered yet)" if a is None or (isinstance(a, str) and not a.strip()) else _line(a)
        lines.append(f"{k}. {_line(q)}\n   Answer #{k}: {shown}")
    return "\n".join(lines) or "(none yet)"


def _line(value: Any) -> str:
    return " ".join(neutralise(value).split())


def _numbered(items: Iterable[Any] | str) -> str:
    if isinstance(items, str):
        return neutralise(items)
    return "\n".join(f"{k}. {_line(x)}" for k, x in enumerate(items, 1)) or "(empty)"


def _bullets(items: Iterable[Any] | str) -> str:
    if isinstance(items, str):
        return neutralise(items)
    return "\n".join(f"- {_line(x)}" for x in items) or "(none listed)"


_FORMAT = {
    "passages": format_passages,
    "steps": format_steps,
    "draft": _numbered,
    "problems": _bullets,
}


@functools.lru_cache(maxsize=None)
def _template(name: str) -> Template:
    path = PROMPT_DIR / f"{name}.txt"
    return Template(path.read_text(encoding="utf-8").strip())


def _state_name(state: Any) -> str:
    name = getattr(state, "name", None) or getattr(state, "value", None) or state
    name = str(name).strip().lower()
    if name not in FIELDS:
        raise ValueError(f"no prompt for state {state!r} (known: {', '.join(STATES)})")
    return name


def render_user(state: Any, **fields: Any) -> str:
    """The user message for `state` (a name like "DECOMPOSE"/"search", or an Enum member)."""
    name = _state_name(state)
    required, optional = FIELDS[name]
    missing = [f for f in required if fields.get(f) is None]
    if missing:
        raise ValueError(f"prompt '{name}' needs field(s): {', '.join(missing)}")
    unknown = sorted(set(fields) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"prompt '{name}' has no field(s): {', '.join(unknown)}")
    values: dict[str, str] = {}
    for f in (*required, *optional):
        v = fields.get(f, optional.get(f))
        fmt = _FORMAT.get(f)
        values[f] = fmt(v) if fmt else _line(v)
    return _template(name).substitute(values)


def render(state: Any, **fields: Any) -> list[dict[str, str]]:
    """Chat messages for `state`: the system prompt, then the state's user message."""
    return [
        {"role": "system", "content": _template("system").substitute()},
        {"role": "user", "content": render_user(state, **fields)},
    ]
