"""How the LLM policy talks to the LLM: one call per state through `StateCalls._ask`, with the state's reply schema,
its prompt fitted into a token budget and the server's context, bounded retries of off-schema replies, and usage
counted per state. `LLMPolicy` (hopqa.policy.llm) inherits it.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import LLMContextError, LLMParseError
from ..fsm import Context
from ..llm.prompts import render
from ..lm.runtime import conforms
from .replies import as_ids, reply_schema, usable_reply

# Sized for a small local model on a 2k-4k context (and cheap on a large remote one). Every prompt is fitted into
# PROMPT_TOKENS[state] (and into the server's context, read from llama.cpp's /props, minus the reply budget) by
# dropping the lowest-ranked passages, then shortening the passages; a prompt that still cannot fit is not sent: the
# call is counted as `over_context` and the state takes its unparseable-reply fallback. Token counts are estimated at
# CHARS_PER_TOKEN characters a token (conservative for English with BPE tokenisers).
MAX_TOKENS = {"decompose": 200, "revise_decomposition": 200, "search": 120, "revise_search": 96, "judge": 24,
              "answer": 48}
PROMPT_TOKENS = {"decompose": 450, "revise_decomposition": 550, "search": 950, "revise_search": 650, "judge": 450,
                 "answer": 800}
CHARS_PER_TOKEN = 3.2
PASSAGE_CHARS = 500  # a passage shown is cut to this many characters first
SCHEMA_RETRIES = 1  # a parsed reply that fits neither the schema nor the state's tolerant reader is asked again once


def estimate_tokens(messages: list[dict[str, Any]]) -> int:
    """Estimated prompt tokens of `messages` (characters / CHARS_PER_TOKEN, plus a few a message for the template)."""
    return int(sum(len(str(m.get("content", ""))) for m in messages) / CHARS_PER_TOKEN) + 8 * len(messages)


SHORT_ID = 8  # passage ids longer than this are shown as P1, P2, ... (a small model copies those without slips)


def _cut(passages: list[Any], chars: int) -> list[dict[str, Any]]:
    out = []
    alias = any(len(str(p.get("id") if isinstance(p, dict) else p.id)) > SHORT_ID for p in passages)
    for k, p in enumerate(passages, 1):
        text = str(getattr(p, "text", "") if not isinstance(p, dict) else p.get("text", ""))
        if len(text) > chars:
            text = text[: max(1, chars - 3)].rsplit(" ", 1)[0] + "..."
        pid = p.get("id") if isinstance(p, dict) else p.id
        title = p.get("title", "") if isinstance(p, dict) else getattr(p, "title", "")
        out.append({"id": f"P{k}" if alias else pid, "real_id": pid, "title": title, "text": text})
    return out


def fresh_counts() -> dict[str, Any]:
    """A question's per-state counters, before its first call."""
    return {"schema_valid": 0, "invalid_replies": 0, "reply_retries": 0, "over_context": 0, "passages_dropped": 0,
            "by_state": {}}


class StateCalls:
    """The one way the LLM policy asks the LLM (needs `self.client`, `self.config` and a thread-local `self._tls`)."""

    # -- the one way to talk to the LLM --------------------------------------------------------------------------------
    def _q(self) -> dict[str, Any]:
        q = getattr(self._tls, "q", None)
        if q is None:
            q = self._tls.q = fresh_counts()
        return q

    def _budget(self, state: str) -> tuple[int, int | None]:
        """(prompt token target, hard limit or None): the state's target, inside the server's context if known."""
        n_ctx = self.client.context_size()
        hard = n_ctx - MAX_TOKENS[state] - 16 if n_ctx else None
        target = PROMPT_TOKENS[state] if hard is None else min(PROMPT_TOKENS[state], hard)
        return target, hard

    def _fit(self, state: str, fields: dict[str, Any], target: int) -> tuple[list[dict[str, str]], int, int]:
        """The messages with as many (and as long) passages as fit `target` tokens: (messages, tokens, dropped)."""
        passages = fields.pop("passages", None)
        ps = list(passages) if passages is not None else None
        chars = PASSAGE_CHARS
        total = len(ps or [])
        while True:
            shown = _cut(ps, chars) if ps else None
            messages = render(state, passages=shown, **fields) if passages is not None else render(state, **fields)
            n = estimate_tokens(messages)
            self._tls.shown = [x["real_id"] for x in shown or []]
            self._tls.alias = {x["id"]: x["real_id"] for x in shown or []}
            if n <= target or not ps:
                return messages, n, total - len(ps or [])
            if len(ps) > 1:
                ps = ps[:-1]  # the lowest-ranked passage goes first
            elif chars > 160:
                chars //= 2
            else:
                return messages, n, total - len(ps)

    def _real_ids(self, value: Any) -> list[str]:
        """Cited ids of the last prompt's passages: aliases (P1...) and real ids alike, as real ids."""
        alias = getattr(self._tls, "alias", None) or {}
        return [alias.get(i, alias.get(i.upper(), i)) for i in as_ids(value)]

    def _ask(self, ctx: Context, state: str, expect: type | None = dict, **fields: Any) -> tuple[Any, str | None]:
        """(parsed JSON, None), or (None, reason) when there is no usable reply: unparseable after the client's parse
        retries, off-schema and unreadable after SCHEMA_RETRIES, or a prompt over the context (not sent, or refused
        by the server). Other LLMErrors (endpoint down) propagate. Calls, schema-valid replies, invalid replies,
        retries and over-context prompts are counted per state in `usage()`."""
        q = self._q()
        self._tls.alias = {}
        st = q["by_state"].setdefault(state, {"calls": 0, "schema_valid": 0, "invalid": 0, "prompt_tokens": 0})
        schema = reply_schema(state, fields.get("max_sub_questions") or ctx.config.hops.max_hops)
        target, hard = self._budget(state)
        messages, est, dropped = self._fit(state, dict(fields), target)
        if dropped:
            q["passages_dropped"] += dropped
        if hard is not None and est > hard:
            q["over_context"] += 1
            self._note(ctx, state, f"prompt of ~{est} tokens does not fit the server's context: not sent")
            return None, "prompt over the context"
        convo = messages
        why = "no reply"
        for attempt in range(SCHEMA_RETRIES + 1):
            before = self.client.thread_usage
            try:
                value, _ = self.client.chat_json(convo, expect=expect, schema=schema, max_tokens=MAX_TOKENS[state])
                err = None
            except LLMContextError as e:
                q["over_context"] += 1
                self._note(ctx, state, f"prompt refused as over the context: {e}")
                return None, "prompt over the context"
            except LLMParseError as e:
                err = e
            finally:
                now = self.client.thread_usage
                made = now.get("calls", 0) - before.get("calls", 0)
                st["calls"] += made
                st["prompt_tokens"] += now.get("prompt_tokens", 0) - before.get("prompt_tokens", 0)
            if err is not None:
                st["invalid"] += made
                q["invalid_replies"] += made
                q["reply_retries"] += max(0, made - 1)
                self._note(ctx, state, str(err))
                ctx.policy_state.raw_replies[state] = getattr(err, "reply", None)
                return None, str(err)
            q["invalid_replies"] += max(0, made - 1)  # the client's parse retries before this reply
            q["reply_retries"] += max(0, made - 1)
            st["invalid"] += max(0, made - 1)
            why = conforms(value, schema) if isinstance(value, dict) else "reply is not an object"
            if why is None:
                st["schema_valid"] += 1
                q["schema_valid"] += 1
                return value, None
            st["invalid"] += 1
            q["invalid_replies"] += 1
            if usable_reply(state, value):  # off-schema but readable by the state's tolerant reader
                return value, None
            if attempt < SCHEMA_RETRIES and self.config.parse_retries > 0:
                q["reply_retries"] += 1
                convo = messages + [
                    {"role": "assistant", "content": json.dumps(value, ensure_ascii=False)[:1000]},
                    {"role": "user", "content": f"That reply does not fit the requested shape ({why}). Reply again "
                                                f"with only the JSON object shown in the step."}]
                continue
            break
        self._note(ctx, state, f"reply does not fit the schema: {why}")
        return None, f"reply does not fit the schema: {why}"

    @staticmethod
    def _note(ctx: Context, state: str, message: str) -> None:
        ctx.policy_state.notes.append(f"{state}: {message}"[:300])


__all__ = ["CHARS_PER_TOKEN", "MAX_TOKENS", "PASSAGE_CHARS", "PROMPT_TOKENS", "SCHEMA_RETRIES", "StateCalls",
           "estimate_tokens", "fresh_counts"]
