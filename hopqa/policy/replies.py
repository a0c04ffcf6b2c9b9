"""The LLM policy's replies: what each state's JSON reply must look like (`reply_schema`, sent as the JSON-schema
`response_format` and checked on every reply), the tolerant readers of each field (a small model writes "true" for
true, a number for a string, one question for a list), and the local repair of a draft decomposition.
"""
from __future__ import annotations

import re
from typing import Any

from ..decompose import references

_SPAN, _QUERY, _ID = 100, 160, 64  # maxLength of answer spans, queries, passage ids in the reply schemas
NO_ANSWER = {"", "unanswerable", "unknown", "none", "null", "n/a", "na", "not found", "no answer"}
_QUOTED_Q = re.compile(r'"((?:[^"\\\n]|\\.){3,300}?\?)"')
_LISTED_Q = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])?\s*(\S.{2,300}\?)\s*$", re.MULTILINE)


def norm_words(s: Any) -> str:
    return " ".join(re.findall(r"\w+", str(s).lower()))


def as_truth(v: Any) -> bool | None:
    """A JSON boolean, tolerating "true"/"false"/"yes"/"no" strings; None when it is neither."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
    return None


def as_text(v: Any, limit: int = 300) -> str | None:
    """A short one-line string field, or None (numbers are accepted as text; lists/objects are not)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        v = str(v)
    if not isinstance(v, str):
        return None
    s = " ".join(v.split()).strip()
    return s[:limit] if s else None


def as_ids(v: Any) -> list[str]:
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list):
        return []
    out: list[str] = []
    for x in v:
        if isinstance(x, (str, int)) and not isinstance(x, bool) and str(x).strip() and str(x).strip() not in out:
            out.append(str(x).strip())
    return out


def as_sub_questions(value: Any) -> list[str] | None:
    """Sub-questions from a parsed reply: {"sub_questions": [...]}, a bare list, strings or {"question": ...} items."""
    if isinstance(value, dict):
        for key in ("sub_questions", "subquestions", "questions", "steps"):
            if key in value:
                value = value[key]
                break
        else:
            return None
    if isinstance(value, str):  # one string with one question a line
        value = [m.group(1) for m in _LISTED_Q.finditer(value)] or [value]
    if not isinstance(value, list):
        return None
    out: list[str] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("question", item.get("sub_question", item.get("text")))
        q = as_text(item)
        if q:
            out.append(q)
    return out


def salvage_questions(raw: str | None, question: str) -> list[str]:
    """Questions recoverable from an unparseable decomposition (a truncated JSON list, a numbered list); nothing
    unless they share a content word with the question (so "What do you mean?" is not searched)."""
    if not raw:
        return []
    found = [m.group(1).replace('\\"', '"') for m in _QUOTED_Q.finditer(raw)]
    if not found:
        found = [m.group(1) for m in _LISTED_Q.finditer(raw)]
    out: list[str] = []
    for q in found:
        q = " ".join(q.split())
        if q and q not in out:
            out.append(q)
    content = {w for w in norm_words(question).split() if len(w) >= 4}
    if not any(content & set(norm_words(q).split()) for q in out):
        return []
    return out


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def _ids_schema() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "maxLength": _ID}, "maxItems": 2}


def reply_schema(state: str, max_sub_questions: int = 4) -> dict[str, Any]:
    """The JSON schema of `state`'s reply: sent as response_format json_schema (llama.cpp enforces it with a grammar)
    and checked here on every reply. Bounded strings and lists keep a reply inside MAX_TOKENS[state]."""
    span = {"type": "string", "maxLength": _SPAN}
    query = {"type": "string", "maxLength": _QUERY}
    if state in ("decompose", "revise_decomposition"):
        return _obj(["sub_questions"], sub_questions={"type": "array", "minItems": 1,
                                                      "maxItems": max(1, int(max_sub_questions)),
                                                      "items": {"type": "string", "maxLength": 200}})
    if state == "search":
        return _obj(["answer", "passage_ids", "found"], answer=span, passage_ids=_ids_schema(),
                    found={"type": "boolean"}, reformulated_query=query)
    if state == "revise_search":
        return _obj(["verdict"], verdict={"type": "string", "enum": ["accept", "correct", "retry"]}, answer=span,
                    passage_ids=_ids_schema(), query=query)
    if state == "judge":
        return _obj(["next"], next={"type": "string", "enum": ["answer", "search", "unanswerable"]})
    if state == "answer":
        return _obj(["answer", "answerable"], answer=span, answerable={"type": "boolean"})
    raise ValueError(f"no reply schema for state {state!r}")


def usable_reply(state: str, value: Any) -> bool:
    """Can the state's tolerant reader use this off-schema reply? (Else it is asked again, then the fallback.)"""
    if state in ("decompose", "revise_decomposition"):
        return bool(as_sub_questions(value))
    if not isinstance(value, dict):
        return False
    if state == "search":
        return any(k in value for k in ("answer", "found", "reformulated_query"))
    if state == "revise_search":
        return str(value.get("verdict", "")).strip().lower() in ("accept", "correct", "retry")
    if state == "judge":
        return (str(value.get("next", "")).strip().lower() in ("answer", "search", "unanswerable")
                or as_truth(value.get("sufficient")) is not None)
    return "answer" in value or as_truth(value.get("answerable")) is False


_CAP_RUN = re.compile(r"\b[A-Z0-9][\w'\-]*(?:\s+(?:of|the|de|la|von|van|and|on|in|at|for|[A-Z0-9][\w'\-]*))*"
                      r"(?<!\bof)(?<!\bthe)(?<!\band)(?<!\bon)(?<!\bin)(?<!\bat)(?<!\bfor)")


def link_repair(sub_questions: list[str]) -> list[str]:
    """A draft whose later sub-question repeats an earlier sub-question's subject instead of using its answer (the
    usual slip of small models: ["Who wrote Tidewater Suite?", "Where was Tidewater Suite born?"]) gets that subject
    replaced by #k: ["Who wrote Tidewater Suite?", "Where was #1 born?"]. Only sub-questions without any reference are
    touched, and only with the longest capitalised name they share with the sub-question just before them."""
    out = list(sub_questions)
    for i in range(1, len(out)):
        if references(out[i]):
            continue
        names = sorted({m.group(0).strip() for m in _CAP_RUN.finditer(out[i - 1])}, key=len, reverse=True)
        for name in names:
            if len(name) < 3 or name.split()[0] in ("Who", "What", "When", "Where", "Which", "How", "In", "The"):
                continue
            pat = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
            if pat.search(out[i]):
                out[i] = pat.sub(f"#{i}", out[i], count=1)
                break
    return out


__all__ = ["NO_ANSWER", "as_ids", "as_sub_questions", "as_text", "as_truth", "link_repair", "norm_words", "reply_schema",
           "salvage_questions", "usable_reply"]
