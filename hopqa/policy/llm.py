"""The LLM policy (SG-FSM style): an LLM behind any OpenAI-compatible endpoint fills the states of the same machine.

Only the policy changes: the states, the transition table, the retrieval hop (`Context.run_hop`) and the trace are
those of the offline policy. Each state asks the LLM one question through its prompt (`hopqa.llm.prompts`) and reads
only the JSON fields that state expects; every reply is checked locally before it can move the machine.

- DECOMPOSE: `{"sub_questions": [...]}`. One sub-question is a single-hop question (still searched and verified).
  `max_hops <= 1`: no call, single-shot. An unparseable reply is salvaged (quoted or listed questions) when possible,
  else decomposition-free hops.
- REVISE_DECOMPOSITION: checked locally (#k points backwards; every later step uses an earlier answer, or is an
  independent fact that a later step uses, as the DECOMPOSE prompt allows; at most `max_hops` steps); with problems the LLM is asked to fix the draft, at most `MAX_REVISIONS` times ("revised"), then
  "valid", or "invalid" (decomposition-free hops over the whole question).
- SEARCH: the pending sub-question with earlier answers substituted (plus bridge entities while a #k is unresolved;
  or the reformulated query of a retry) runs one hop; the LLM answers the sub-question from that hop's top `k`
  passages only, citing their ids.
- REVISE_SEARCH: not found / unparseable -> "retry" with the LLM's reformulated query (bounded by `hops.retries` and
  the hop budget) else "rejected". A found answer is verified by the LLM against the passages it cites (only ids that
  were shown count): accept, correct (use the corrected span), or retry.
- JUDGE: a pending sub-question -> "next" (or "max_hops"); all answered -> the LLM judges: "sufficient", "next",
  "insufficient" (or "max_hops" when it wants a search and none is left). Unparseable -> the local rules.
- ANSWER: `{"answer", "answerable"}` from the steps and the evidence passages; not answerable -> "unsupported".
- UNANSWERABLE -> "done".

Passages are data: the prompt module wraps them in delimiters, and nothing a passage says can produce an event other
than through the few JSON fields read here. `LLMParseError` (a reply in the wrong shape after the client's bounded
parse retries) is handled in every state; any other `LLMError` (endpoint unreachable, keeps failing, timed out)
propagates as a one-line error. `usage()` is this question's share of the client's counters.
"""
from __future__ import annotations

import re
import threading
from typing import Any

from ..config import LLMConfig
from ..decompose import references
from ..errors import LLMParseError
from ..fsm import Context, State
from ..hops import next_query
from ..llm.cache import CallCache, default_cache_dir
from ..llm.client import ChatClient
from ..llm.prompts import render
from ..types import Hit

MAX_REVISIONS = 2  # REVISE_DECOMPOSITION: LLM repairs of a draft before it is dropped
_USAGE_KEYS = ("calls", "cached_calls", "prompt_tokens", "completion_tokens", "seconds", "http_requests", "retries",
               "errors")
_NO_ANSWER = {"", "unanswerable", "unknown", "none", "null", "n/a", "na", "not found", "no answer"}
_QUOTED_Q = re.compile(r'"((?:[^"\\\n]|\\.){3,300}?\?)"')
_LISTED_Q = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])?\s*(\S.{2,300}\?)\s*$", re.MULTILINE)


def _norm(s: Any) -> str:
    return " ".join(re.findall(r"\w+", str(s).lower()))


def _truth(v: Any) -> bool | None:
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


def _text(v: Any, limit: int = 300) -> str | None:
    """A short one-line string field, or None (numbers are accepted as text; lists/objects are not)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        v = str(v)
    if not isinstance(v, str):
        return None
    s = " ".join(v.split()).strip()
    return s[:limit] if s else None


def _ids(v: Any) -> list[str]:
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list):
        return []
    out: list[str] = []
    for x in v:
        if isinstance(x, (str, int)) and not isinstance(x, bool) and str(x).strip() and str(x).strip() not in out:
            out.append(str(x).strip())
    return out


def _sub_questions(value: Any) -> list[str] | None:
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
        q = _text(item)
        if q:
            out.append(q)
    return out


def _salvage(raw: str | None, question: str) -> list[str]:
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
    content = {w for w in _norm(question).split() if len(w) >= 4}
    if not any(content & set(_norm(q).split()) for q in out):
        return []
    return out


def check_decomposition(sub_questions: list[str], max_hops: int) -> list[str]:
    """Problems of a draft decomposition (empty when it is valid)."""
    problems: list[str] = []
    if not sub_questions:
        return ["there are no sub-questions"]
    # Answers that a later sub-question uses: an independent fact (MuSiQue 3hop2/4hop2/4hop3 shapes, e.g.
    # ["Who founded X?", "In which city is Y?", "When did #1 move to #2?"]) is fine when a later step joins it in.
    used = {r for j, q in enumerate(sub_questions, 1) for r in references(q) if 1 <= r < j}
    for i, q in enumerate(sub_questions, 1):
        refs = references(q)
        bad = [r for r in refs if r < 1 or r >= i]
        for r in bad:
            if r == i:
                problems.append(f"sub-question {i} refers to its own answer (#{r})")
            elif r > len(sub_questions) or r < 1:
                problems.append(f"sub-question {i} refers to #{r}, which does not exist")
            else:
                problems.append(f"sub-question {i} refers to #{r}, a later sub-question (forward reference)")
        if i > 1 and not [r for r in refs if 1 <= r < i] and i not in used:
            problems.append(f"sub-question {i} does not use any earlier answer (#1..#{i - 1}) and no later "
                            f"sub-question uses its answer")
    if len(sub_questions) > max_hops:
        problems.append(f"there are {len(sub_questions)} sub-questions; at most {max_hops} are allowed")
    return problems


class LLMPolicy:
    """Fills the machine's states with an LLM (see the module docstring). One instance serves many questions."""

    name = "llm"

    def __init__(self, config: LLMConfig, client: ChatClient | None = None, *, cache: CallCache | bool = True):
        self.config = config
        if client is None:
            if cache is True:
                cache = CallCache(default_cache_dir(config.cache_dir))
            # Not `cache or None`: an empty CallCache has len() 0, so it is falsy.
            client = ChatClient(config, cache if isinstance(cache, CallCache) else None)
        self.client = client
        self._tls = threading.local()

    def __repr__(self) -> str:
        return f"LLMPolicy({self.client!r})"

    def close(self) -> None:
        self.client.close()

    # -- the one way to talk to the LLM --------------------------------------------------------------------------------
    def _ask(self, ctx: Context, state: str, expect: type | None = dict, **fields: Any) -> tuple[Any, str | None]:
        """(parsed JSON, None), or (None, reason) when the reply stays unparseable. Other LLMErrors propagate."""
        try:
            value, _ = self.client.chat_json(render(state, **fields), expect=expect)
            return value, None
        except LLMParseError as e:
            self._note(ctx, state, str(e))
            ctx.scratch.setdefault("_raw", {})[state] = getattr(e, "reply", None)
            return None, str(e)

    @staticmethod
    def _note(ctx: Context, state: str, message: str) -> None:
        ctx.scratch.setdefault("notes", []).append(f"{state}: {message}"[:300])

    # -- DECOMPOSE -----------------------------------------------------------------------------------------------------
    def decompose(self, ctx: Context) -> str:
        self._tls.start = self.client.thread_usage  # DECOMPOSE is always the first state: usage() counts from here
        max_hops = ctx.config.hops.max_hops
        if max_hops <= 1:
            ctx.scratch["why_no_decomposition"] = "max_hops=1: single-shot retrieval"
            return "no_decomposition"
        if ctx.scratch.get("given_sub_questions"):  # the oracle-decomposition ablation: no call
            ctx.sub_questions = list(ctx.scratch["given_sub_questions"])
            ctx.decomposition_rule = "given"
            return "decomposed"
        value, err = self._ask(ctx, "decompose", expect=None, question=ctx.question, max_sub_questions=max_hops)
        qs = _sub_questions(value) if err is None else None
        rule = "llm"
        if qs is None:
            qs = _salvage(ctx.scratch.get("_raw", {}).get("decompose"), ctx.question)
            rule = "llm:salvaged"
        if not qs:
            ctx.scratch["why_no_decomposition"] = "the LLM gave no usable sub-questions"
            return "no_decomposition"
        ctx.sub_questions = qs
        ctx.decomposition_rule = rule if len(qs) > 1 else rule + ":single_hop"
        return "decomposed"

    def revise_decomposition(self, ctx: Context) -> str:
        max_hops = ctx.config.hops.max_hops
        problems = check_decomposition(ctx.sub_questions, max_hops)
        if not problems:
            return "valid"
        done = ctx.scratch.get("decomposition_revisions", 0)
        ctx.scratch.setdefault("decomposition_problems", []).append(problems)
        if done < MAX_REVISIONS:
            ctx.scratch["decomposition_revisions"] = done + 1
            value, err = self._ask(ctx, "revise_decomposition", expect=None, question=ctx.question,
                                   draft=list(ctx.sub_questions), problems=problems)
            qs = _sub_questions(value) if err is None else None
            if qs:
                ctx.scratch.setdefault("drafts", []).append(list(ctx.sub_questions))
                ctx.sub_questions = qs
                ctx.decomposition_rule = (ctx.decomposition_rule or "llm") + "+revised"
                return "revised"
        ctx.scratch["dropped_decomposition"] = list(ctx.sub_questions)
        ctx.sub_questions = []
        ctx.decomposition_rule = None
        return "invalid"

    # -- SEARCH --------------------------------------------------------------------------------------------------------
    @staticmethod
    def _steps(ctx: Context, upto: int | None = None) -> list[tuple[str, str | None]]:
        if ctx.decomposed:
            n = len(ctx.sub_questions) if upto is None else upto
            return [(q, ctx.sub_answers.get(i)) for i, q in enumerate(ctx.sub_questions[:n], 1)]
        return [(f["question"], f["answer"]) for f in ctx.scratch.get("free_answers", [])]

    def search(self, ctx: Context) -> str:
        h = ctx.config.hops
        ctx.scratch.pop("proposal", None)
        if ctx.hops_left <= 0:
            return "exhausted"
        sub_q = ctx.pending_sub_question()
        query = ctx.search_query(sub_q)
        hop = ctx.run_hop(query, state=State.SEARCH, sub_question=sub_q, goal=sub_q or ctx.question)
        if not hop.hits:
            return "exhausted"
        shown = hop.hits[: h.k]
        goal = sub_q or ctx.question
        value, err = self._ask(ctx, "search", question=ctx.question, sub_question=goal,
                               steps=self._steps(ctx, ctx.step) or None, passages=shown)
        proposal: dict[str, Any] = {"hop": hop.hop, "shown": [x.id for x in shown], "status": "malformed",
                                    "query": None}
        if err is None:
            answer = _text(value.get("answer"))
            found = _truth(value.get("found"))
            if found is None:  # no (usable) "found": an answer that is not a refusal counts as found
                found = answer is not None and _norm(answer) not in _NO_ANSWER
            if found and answer and _norm(answer) not in _NO_ANSWER:
                proposal.update(status="found", answer=answer, cited=_ids(value.get("passage_ids")))
            else:
                proposal.update(status="not_found", query=_text(value.get("reformulated_query")))
        ctx.scratch["proposal"] = proposal
        return "retrieved"

    # -- REVISE_SEARCH -------------------------------------------------------------------------------------------------
    def revise_search(self, ctx: Context) -> str:
        hop = ctx.hops[-1]
        proposal = ctx.scratch.pop("proposal", None) or {"status": "malformed", "query": None}
        if proposal.get("hop") not in (None, hop.hop):
            proposal = {"status": "malformed", "query": None}
        goal = hop.sub_question or ctx.question
        by_id = {x.id: x for x in hop.hits if x.id in set(proposal.get("shown", []))}
        if proposal["status"] != "found":
            return self._retry_or_reject(ctx, hop, proposal.get("query"), f"SEARCH: {proposal['status']}")
        answer: str = proposal["answer"]
        cited = [i for i in proposal.get("cited", []) if i in by_id]  # invented ids are ignored
        invented = [i for i in proposal.get("cited", []) if i not in by_id]
        if invented:
            self._note(ctx, "search", f"ignored cited ids not shown: {invented[:5]}")
        if not cited:  # no real citation: the shown passages that contain the answer, if any
            cited = [i for i, x in by_id.items() if _norm(answer) and _norm(answer) in _norm(f"{x.title} {x.text}")]
        if not cited:
            return self._retry_or_reject(ctx, hop, None, "SEARCH: the answer cites no passage that was shown")
        passages = [by_id[i] for i in cited]
        value, err = self._ask(ctx, "revise_search", question=ctx.question, sub_question=goal, answer=answer,
                               passages=passages)
        verdict = str(value.get("verdict", "")).strip().lower() if err is None else ""
        if verdict == "accept":
            return self._accept(ctx, hop, answer, cited, "verified")
        if verdict == "correct":
            corrected = _text(value.get("answer"))
            if corrected and _norm(corrected) not in _NO_ANSWER:
                support = [i for i in _ids(value.get("passage_ids")) if i in by_id] or cited
                return self._accept(ctx, hop, corrected, support, "corrected")
        if verdict == "retry":
            return self._retry_or_reject(ctx, hop, _text(value.get("query")), "REVISE_SEARCH: verdict retry")
        # An unparseable or unknown verdict: the local check, the answer must occur in a cited passage.
        self._note(ctx, "revise_search", f"unusable verdict {verdict!r}: local check")
        if any(_norm(answer) in _norm(f"{x.title} {x.text}") for x in passages):
            return self._accept(ctx, hop, answer, cited, "local check")
        return self._retry_or_reject(ctx, hop, None, "REVISE_SEARCH: unverified")

    def _accept(self, ctx: Context, hop: Any, answer: str, support: list[str], how: str) -> str:
        hop.sub_answer = answer
        if hop.sub_question is not None and ctx.decomposed and ctx.step < len(ctx.sub_questions):
            k = ctx.step + 1
            ctx.sub_answers[k] = answer
            ctx.sub_support[k] = list(support)
            ctx.scratch.setdefault("verification", {})[k] = how
            ctx.step += 1
        else:  # decomposition-free (or an extra hop): an answer to the whole question
            ctx.scratch.setdefault("free_answers", []).append(
                {"question": ctx.question, "answer": answer, "support": list(support), "hop": hop.hop, "how": how})
        ctx.retries = 0
        return "accepted"

    def _retry_or_reject(self, ctx: Context, hop: Any, query: str | None, why: str) -> str:
        h = ctx.config.hops
        goal = hop.sub_question or ctx.question
        if ctx.retries < h.retries and ctx.hops_left > 0:
            ctx.retries += 1
            if not query or _norm(query) == _norm(hop.query):
                # No (new) reformulation from the LLM: the goal plus the bridge entities of what has been read.
                query = next_query(ctx.question, ctx.facts[:2], sub_question=goal, limit=h.query_entities)
            ctx.pending_query = query
            self._note(ctx, "revise_search", f"{why}; retry {ctx.retries} with query {query!r}")
            return "retry"
        self._note(ctx, "revise_search", f"{why}; step given up")
        if hop.sub_question is not None and ctx.decomposed and ctx.step < len(ctx.sub_questions):
            ctx.scratch.setdefault("unsupported_steps", []).append(ctx.step + 1)
            ctx.step += 1
        ctx.retries = 0
        return "rejected"

    # -- JUDGE ---------------------------------------------------------------------------------------------------------
    def _local_judge(self, ctx: Context) -> str:
        if ctx.decomposed:
            if ctx.step >= len(ctx.sub_questions):
                return "sufficient"
            return "next" if ctx.hops_left > 0 else "max_hops"
        if ctx.scratch.get("free_answers"):
            return "sufficient"
        if ctx.hops_left <= 0:
            return "max_hops"
        return "next" if ctx.new_facts_last_hop > 0 else "no_progress"

    def judge(self, ctx: Context) -> str:
        if ctx.decomposed and ctx.step < len(ctx.sub_questions):
            return "next" if ctx.hops_left > 0 else "max_hops"
        if not ctx.decomposed and not ctx.scratch.get("free_answers"):
            if ctx.hops_left <= 0:
                return "max_hops"
            return "next" if ctx.new_facts_last_hop > 0 else "no_progress"
        # Every sub-question has been through SEARCH (or a decomposition-free hop found an answer): ask the LLM.
        value, err = self._ask(ctx, "judge", question=ctx.question, steps=self._steps(ctx) or None,
                               searches_left=max(0, ctx.hops_left))
        if err is None:
            nxt = str(value.get("next", "")).strip().lower()
            sufficient = _truth(value.get("sufficient"))
            if nxt not in ("answer", "search", "unanswerable"):
                nxt = {True: "answer", False: "search"}.get(sufficient, "")  # type: ignore[arg-type]
            reason = _text(value.get("reason"))
            if reason:
                ctx.scratch["judge_reason"] = reason
            if nxt == "answer":
                return "sufficient"
            if nxt == "unanswerable":
                return "insufficient"
            if nxt == "search":
                return "next" if ctx.hops_left > 0 else "max_hops"
        self._note(ctx, "judge", "unusable reply: local rules")
        return self._local_judge(ctx)

    # -- ANSWER --------------------------------------------------------------------------------------------------------
    def _evidence(self, ctx: Context) -> list[Hit]:
        """The passages behind the sub-answers, then the top passage of each hop; at most `hops.k`."""
        ids: list[str] = []
        for k in sorted(ctx.sub_support):
            ids += ctx.sub_support[k]
        for f in ctx.scratch.get("free_answers", []):
            ids += f["support"]
        ids += [hop.hits[0].id for hop in ctx.hops if hop.hits]
        return ctx.hits_by_ids(ids)[: max(1, ctx.config.hops.k)]

    def answer(self, ctx: Context) -> str:
        evidence = self._evidence(ctx)
        value, err = self._ask(ctx, "answer", question=ctx.question, steps=self._steps(ctx) or None,
                               passages=evidence or None)
        unsupported = ctx.scratch.get("unsupported_steps", [])
        if err is not None:  # unparseable: the last sub-answer when the chain is complete and verified
            last = len(ctx.sub_questions)
            if ctx.decomposed and last in ctx.sub_answers and not unsupported:
                return self._answered(ctx, ctx.sub_answers[last], evidence, 0.5,
                                      "ANSWER reply unparseable: the last verified sub-answer")
            ctx.scratch["answer_reason"] = "ANSWER reply unparseable and no complete verified chain"
            return self._unsupported(ctx)
        answer = _text(value.get("answer"))
        answerable = _truth(value.get("answerable"))
        if answer is None or _norm(answer) in _NO_ANSWER or answerable is False:
            ctx.scratch["answer_reason"] = "the LLM found the question unanswerable from the evidence"
            return self._unsupported(ctx)
        if unsupported:
            return self._answered(ctx, answer, evidence, 0.5, f"LLM answer; sub-answers {unsupported} unverified")
        return self._answered(ctx, answer, evidence, 1.0, "LLM answer over verified sub-answers")

    def _answered(self, ctx: Context, answer: str, evidence: list[Hit], confidence: float, reason: str) -> str:
        ctx.answer, ctx.answerable, ctx.confidence = answer, True, confidence
        ctx.scratch["answer_reason"] = reason
        key = _norm(answer)
        support = [x.id for x in evidence if key and key in _norm(f"{x.title} {x.text}")]
        if not support and ctx.decomposed:
            support = list(ctx.sub_support.get(len(ctx.sub_questions), []))
        ctx.answer_support = support
        return "answered"

    @staticmethod
    def _unsupported(ctx: Context) -> str:
        ctx.answer, ctx.answerable, ctx.confidence, ctx.answer_support = "unanswerable", False, 0.0, []
        return "unsupported"

    def unanswerable(self, ctx: Context) -> str:
        ctx.answerable = False
        ctx.answer = "unanswerable"
        return "done"

    # -- usage ---------------------------------------------------------------------------------------------------------
    def usage(self) -> dict[str, Any]:
        """This question's LLM usage: the client's counters for this thread since its current question began (calls,
        cached_calls, prompt_tokens, completion_tokens, seconds, http_requests, retries, errors), so that summing
        `Answer.usage` over questions (the eval report) counts each call once, with worker threads too."""
        now = self.client.thread_usage
        start = getattr(self._tls, "start", None) or {}
        out: dict[str, Any] = {}
        for k in _USAGE_KEYS:
            out[k] = now.get(k, 0) - start.get(k, 0)
        out["seconds"] = round(float(out["seconds"]), 3)
        return out


__all__ = ["LLMPolicy", "check_decomposition", "MAX_REVISIONS"]
