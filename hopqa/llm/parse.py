"""Tolerant, bounded parsing of what an LLM answers when it was asked for JSON.

`extract_json(text)` accepts, in this order of preference:

1. the whole reply as JSON (after dropping `<think>...</think>` blocks that reasoning models emit);
2. the content of a ```json (or bare ```) fenced block;
3. a JSON object or array embedded in prose (the longest one wins, so "see [1]" before the real object is skipped);

and, for each candidate that does not parse as-is, a light repair: trailing commas, single-quoted strings, and
Python literals (True/False/None). A JSON string whose content is itself a JSON object (double encoding) is unwrapped.

Everything is linear scanning with `str.find` and small hand-written scanners; there is no backtracking regex. The work
is bounded by `max_chars` (longer replies are refused) and by a cap on the number of embedded candidates tried.
Failure raises `LLMParseError` with a one-line reason; the raw reply is kept on the exception as `.reply`.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import LLMParseError

MAX_CHARS = 50_000  # replies longer than this are refused (a 512-token answer is ~2,000 characters)
MAX_CANDIDATES = 32  # embedded '{' / '[' start positions tried at most
SCAN_BUDGET = 200_000  # characters the bracket scanner may visit in total, whatever the reply looks like
_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw newlines/tabs inside strings are accepted

__all__ = ["extract_json", "MAX_CHARS"]


def _fail(reason: str, text: str | None, expect: type | None = None) -> LLMParseError:
    snippet = " ".join((text or "").split())
    if len(snippet) > 60:
        snippet = snippet[:57] + "..."
    msg = f"unparseable LLM reply: {reason}" + (f" (reply starts {snippet!r})" if snippet else "")
    err = LLMParseError(msg)
    err.reply = text  # type: ignore[attr-defined]
    err.reason = reason  # type: ignore[attr-defined]
    return err


def _strip_think(text: str) -> str:
    """Drop closed <think>...</think> blocks (reasoning models). An unclosed one is left alone."""
    out, pos = [], 0
    low = text.lower()
    while True:
        i = low.find("<think>", pos)
        if i < 0:
            break
        j = low.find("</think>", i)
        if j < 0:
            break
        out.append(text[pos:i])
        pos = j + len("</think>")
    out.append(text[pos:])
    return "".join(out)


def _fenced_blocks(text: str) -> list[str]:
    """Contents of ``` fenced blocks, the language tag (```json) removed. An unclosed last fence runs to the end."""
    blocks, pos = [], 0
    while True:
        i = text.find("```", pos)
        if i < 0:
            break
        start = i + 3
        j = text.find("```", start)
        body = text[start:] if j < 0 else text[start:j]
        nl = body.find("\n")
        first = body[:nl] if nl >= 0 else body
        if nl >= 0 and first.strip().isalnum():  # ```json / ```JSON / ```python
            body = body[nl + 1:]
        elif first.strip().lower() == "json":
            body = ""
        blocks.append(body.strip())
        if j < 0:
            break
        pos = j + 3
    return blocks


def _balanced_end(s: str, start: int, budget: list[int], quotes: str = '"') -> int | None:
    """Index just past the bracket that closes the one at `start`, skipping quoted strings; None if never closed.

    `budget[0]` is decremented by the characters visited; the scan stops (None) when it runs out."""
    n = min(len(s), start + max(budget[0], 0))
    end = _scan(s, start, n, quotes)
    budget[0] -= (end if end is not None else n) - start
    return end


def _scan(s: str, start: int, n: int, quotes: str) -> int | None:
    depth = 0
    quote = ""
    i = start
    while i < n:
        c = s[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in quotes:
            quote = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _repair(s: str) -> str:
    """One pass: single-quoted strings -> double-quoted, trailing commas dropped, True/False/None -> JSON literals."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == '"' or c == "'":
            q = c
            buf = ['"']
            i += 1
            while i < n and s[i] != q:
                ch = s[i]
                if ch == "\\" and i + 1 < n:
                    nxt = s[i + 1]
                    buf.append("'" if nxt == "'" else ch + nxt)
                    i += 2
                    continue
                buf.append('\\"' if (ch == '"' and q == "'") else ch)
                i += 1
            buf.append('"')
            out.append("".join(buf))
            i += 1
            continue
        if c == ",":
            j = i + 1
            while j < n and s[j] in " \t\r\n":
                j += 1
            if j < n and s[j] in "}]":
                i += 1
                continue
        if c.isalpha():
            j = i
            while j < n and (s[j].isalnum() or s[j] == "_"):
                j += 1
            word = s[i:j]
            out.append({"True": "true", "False": "false", "None": "null"}.get(word, word))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _accept(value: Any, expect: type | None) -> Any:
    """dict/list pass; a JSON string holding an object/array is unwrapped once; anything else is None."""
    if isinstance(value, str):
        inner = value.strip()
        if inner[:1] in ("{", "["):
            try:
                value = _DECODER.decode(inner)
            except (ValueError, RecursionError):
                return None
    if not isinstance(value, (dict, list)):
        return None
    if expect is not None and not isinstance(value, expect):
        return None
    return value


def _loads(s: str, expect: type | None) -> Any:
    """Parse `s` as-is, then repaired; None when neither works."""
    for attempt in (s, None):
        try:
            value = _DECODER.decode(attempt if attempt is not None else _repair(s))
        except (ValueError, RecursionError):
            continue
        got = _accept(value, expect)
        if got is not None:
            return got
    return None


def _embedded(text: str, expect: type | None) -> tuple[Any, str | None]:
    """The longest JSON object/array embedded in `text`, or (None, reason)."""
    best, best_len = None, -1
    reason = None
    budget = [SCAN_BUDGET]
    pos, tried, n = 0, 0, len(text)
    while pos < n and tried < MAX_CANDIDATES:
        i_obj, i_arr = text.find("{", pos), text.find("[", pos)
        starts = [k for k in (i_obj, i_arr) if k >= 0]
        if not starts:
            break
        i = min(starts)
        tried += 1
        # Fast path: a valid JSON value starting here, trailing prose ignored.
        try:
            value, end = _DECODER.raw_decode(text, i)
        except (ValueError, RecursionError):
            value, end = None, None
        if end is not None:
            got = _accept(value, expect)
            if got is not None and end - i > best_len:
                best, best_len = got, end - i
            if got is not None or isinstance(value, (dict, list)):
                pos = end  # skip what this value covered
                continue
        end = _balanced_end(text, i, budget) or _balanced_end(text, i, budget, quotes="\"'")
        if end is None:
            if budget[0] <= 0:
                reason = reason or "no parseable JSON within the scan budget"
                break
            reason = reason or "unbalanced brackets (reply truncated?)"
            pos = i + 1
            continue
        budget[0] -= end - i  # the repair pass below is linear in the slice
        got = _loads(text[i:end], expect)
        if got is not None:
            if end - i > best_len:
                best, best_len = got, end - i
            pos = end
        else:
            reason = reason or "invalid JSON"
            pos = i + 1
    if best is None and reason is None:
        reason = "no JSON object in reply" if expect is dict else "no JSON object or array in reply"
    return best, reason


def extract_json(text: str | None, *, expect: type | None = None, max_chars: int = MAX_CHARS) -> dict | list:
    """The JSON object (or array) in an LLM reply. `expect=dict` (or `list`) only accepts that type.

    Raises LLMParseError("unparseable LLM reply: <reason> ...") when nothing parses.
    """
    if text is None or not text.strip():
        raise _fail("empty reply", text)
    if len(text) > max_chars:
        raise _fail(f"reply too long ({len(text)} characters > {max_chars})", text)
    body = _strip_think(text).strip()
    if not body:
        raise _fail("empty reply (only a <think> block)", text)

    got = _loads(body, expect)
    if got is not None:
        return got
    for block in _fenced_blocks(body):
        if block:
            got = _loads(block, expect) or _embedded(block, expect)[0]
            if got is not None:
                return got
    got, reason = _embedded(body, expect)
    if got is not None:
        return got
    if expect is not None:
        other = _embedded(body, None)[0]
        if other is not None:
            want = "object" if expect is dict else "array" if expect is list else expect.__name__
            have = "object" if isinstance(other, dict) else "array"
            reason = f"expected a JSON {want}, got an {have}"
    raise _fail(reason or "no JSON in reply", text)
