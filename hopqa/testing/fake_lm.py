"""A deterministic stand-in for a language model (no weights, no runtime): scripted replies by question.

`ScriptedLM(replies)` implements `hopqa.lm.runtime.LanguageModel`. `replies` maps a question (as it appears after
"Question: " in the reader's prompt) to a reply: a dict (the JSON value), a str (the raw reply text, parsed and checked
against the schema as a real model's would be, so malformed replies can be tested), an exception to raise, or a
callable `(question, facts) -> any of those`, where `facts` are the numbered fact lines of the prompt. Questions it has
no reply for get `default` (by default `{"answer": "unanswerable", "facts": []}`). Every request is kept in `calls`.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import LLMParseError
from ..lm.runtime import Generation, Counters, check_reply

_FACT = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


class ScriptedLM:
    name = "scripted"

    def __init__(self, replies: dict[str, Any] | Callable[[str, list[str]], Any] | None = None,
                 default: Any = None):
        self.replies = replies if replies is not None else {}
        self.default = default if default is not None else {"answer": "unanswerable", "facts": []}
        self.calls: list[list[dict[str, str]]] = []
        self.counters = Counters()
        self.load_seconds = 0.0

    def preload(self) -> None:
        pass

    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int) -> Generation:
        self.calls.append(messages)
        user = messages[-1]["content"]
        question = user.rsplit("Question: ", 1)[-1].strip()
        facts = [m.group(2) for m in _FACT.finditer(user)]
        reply = self.replies(question, facts) if callable(self.replies) else self.replies.get(question, self.default)
        if callable(reply):
            reply = reply(question, facts)
        if isinstance(reply, list):  # replies to successive calls for the same question
            reply = reply.pop(0) if reply else self.default
        self.counters.add(calls=1, prompt_tokens=len(user) // 4, completion_tokens=8)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, str):
            try:
                value = check_reply(reply, schema)
            except LLMParseError:
                self.counters.add(invalid_replies=1)
                raise
            return Generation(value, reply, len(user) // 4, 8, 0.0)
        from ..lm.runtime import conforms

        if conforms(reply, schema):  # a reply in the wrong shape is what a model ignoring the schema sends
            self.counters.add(invalid_replies=1)
            raise LLMParseError(f"scripted reply does not fit the schema: {conforms(reply, schema)}")
        return Generation(dict(reply), str(reply), len(user) // 4, 8, 0.0)

    def usage(self) -> dict[str, Any]:
        return {**self.counters.thread(), "model": self.name}


__all__ = ["ScriptedLM"]
