"""The LLM policy (SG-FSM style): an LLM behind any OpenAI-compatible endpoint fills the states of the same machine.

Two flows (`[llm] flow`). "grounded" (the default): DECOMPOSE and REVISE_DECOMPOSITION as below (comparison and
yes/no shapes, single-shot and the oracle decomposition as in the local policy); SEARCH, REVISE_SEARCH, JUDGE and
ANSWER are the local policy's, reading through the grounded reader prompt (hopqa.lm.reader) on this policy's
endpoint and client. "sgfsm": every state asks the LLM with its own prompt, as described below. The reply schemas
and tolerant readers live in `hopqa.policy.replies`, the calls (budgets, retries, counts) in `hopqa.policy.calls`,
the rules both policies share in `hopqa.policy.rules`.

Only the policy changes: the states, the transition table, the retrieval hop (`hopqa.hops.HopRunner`) and the trace are
those of the offline policy. Each state asks the LLM one question through its prompt (`hopqa.llm.prompts`) and reads
only the JSON fields that state expects; every reply is checked locally before it can move the machine.

- DECOMPOSE: `{"sub_questions": [...]}`. One sub-question is a single-hop question (still searched and verified).
  `max_hops <= 1`: no call, single-shot. An unparseable reply is salvaged (quoted or listed questions) when possible,
  else decomposition-free hops.
- REVISE_DECOMPOSITION: checked locally (#k points backwards; every later step uses an earlier answer, or is an
  independent fact that a later step uses, as the DECOMPOSE prompt allows; at most `max_hops` steps); with problems,
  first a local repair (`link_repair`: a repeated subject becomes #k, no call), then the LLM is asked to fix the
  draft, at most `MAX_REVISIONS` times ("revised"), then the local rule-based decomposer's draft ("revised",
  rule "rules:fallback"), then "valid", or "invalid" (decomposition-free hops over the whole question).
- SEARCH: the pending sub-question with earlier answers substituted (plus bridge entities while a #k is unresolved;
  or the reformulated query of a retry) runs one hop; the LLM answers the sub-question from that hop's top `k`
  passages only, citing their ids.
- REVISE_SEARCH: not found / unparseable -> "retry" with the LLM's reformulated query (bounded by `hops.retries` and
  the hop budget) else "rejected". A found answer is verified by the LLM against the passages it cites (only ids that
  were shown count): accept, correct (use the corrected span), or retry.
- JUDGE: a pending sub-question -> "next" (or "max_hops"); every sub-question with a verified answer (COMPACT, the
  default) -> "sufficient" without a call; otherwise the LLM judges: "sufficient", "next",
  "insufficient" (or "max_hops" when it wants a search and none is left). Unparseable -> the local rules.
- ANSWER: `{"answer", "answerable"}` from the steps and the evidence passages; not answerable -> "unsupported".
  COMPACT: a verified chain of a question that neither compares nor asks yes/no is answered by its last sub-answer,
  without a call.
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
from ..errors import InputError
from ..fsm import Context
from ..hops import HopRunner, next_query
from ..llm.cache import CallCache, default_cache_dir
from ..llm.client import ChatClient
from ..types import Hit
from .calls import MAX_TOKENS, PROMPT_TOKENS, StateCalls, fresh_counts
from .replies import NO_ANSWER, as_sub_questions, as_text, as_truth, link_repair, norm_words, reply_schema, salvage_questions
from .rules import chain_judge, check_decomposition

FLOWS = ("grounded", "sgfsm")  # [llm] flow (hopqa.config.LLMConfig.flow)
MAX_REVISIONS = 2  # REVISE_DECOMPOSITION: LLM repairs of a draft before it is dropped

SEARCH_PASSAGES = 3  # SEARCH shows at most this many of the hop's top passages (then fewer if they do not fit)
ANSWER_PASSAGES = 3  # ANSWER's evidence passages
# Compact flow (the default; for small local models, and cheaper on large ones): a chain whose every sub-question
# has an accepted (verified) answer needs no LLM JUDGE call ("sufficient"), and unless the question compares or asks
# yes/no, no LLM ANSWER call either (the last verified sub-answer is the answer). Measured on the demo questions with
# Qwen2.5-Coder-0.5B: the LLM judge kept asking for searches after a complete verified chain (13 calls, then the
# wrong answer). COMPACT = False asks the LLM in every state (the full SG-FSM flow).
COMPACT = True
_COMPARES = re.compile(r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b|\bor\b|"
                       r"\b(?:both|same|more|less|older|younger|earlier|later|first|longer|shorter|larger|smaller|"
                       r"higher|lower|bigger|taller|than)\b", re.IGNORECASE)
_USAGE_KEYS = ("calls", "cached_calls", "prompt_tokens", "completion_tokens", "seconds", "http_requests", "retries",
               "errors")


def _rules_decomposition(question: str, max_hops: int) -> list[str] | None:
    """The local rule-based decomposer's sub-questions (hopqa.decompose), when it finds at least two."""
    from ..decompose import decompose

    d = decompose(question, max_steps=max_hops)
    return list(d.sub_questions) if d is not None and len(d.sub_questions) >= 2 else None


class LLMPolicy(StateCalls):
    """Fills the machine's states with an LLM (see the module docstring). One instance serves many questions."""

    name = "llm"

    def __init__(self, config: LLMConfig, client: ChatClient | None = None, *, cache: CallCache | bool = True):
        self.config = config
        if config.flow not in FLOWS:
            raise InputError(f"llm.flow must be one of {', '.join(FLOWS)}, not {config.flow!r}", field="llm.flow")
        if client is None:
            if cache is True:
                cache = CallCache(default_cache_dir(config.cache_dir))
            # Not `cache or None`: an empty CallCache has len() 0, so it is falsy.
            client = ChatClient(config, cache if isinstance(cache, CallCache) else None)
        self.client = client
        self._tls = threading.local()
        self.flow = config.flow
        # The grounded flow reads through the local policy's grounded reader, talking to this policy's endpoint (one
        # client: one cache, one set of usage counters).
        from ..lm.reader import LMReader
        from ..lm.runtime import EndpointLM
        from .local import LocalPolicy

        self._reader_lm = EndpointLM(config, client=self.client)
        self.local = LocalPolicy(LMReader(self._reader_lm))

    def __repr__(self) -> str:
        return f"LLMPolicy({self.client!r})"

    def close(self) -> None:
        self.client.close()

    # -- DECOMPOSE -----------------------------------------------------------------------------------------------------
    def decompose(self, ctx: Context) -> str:
        self._tls.start = self.client.thread_usage  # DECOMPOSE is always the first state: usage() counts from here
        self._tls.read_start = self._reader_lm.counters.thread()
        self._tls.q = fresh_counts()
        if self.flow == "grounded":
            # Single-shot, the oracle decomposition and comparison / yes-no shapes (one lookup per named entity,
            # compared in code: hopqa.compare) as in the local policy; every other question is decomposed by the LLM.
            event = self.local.decompose(ctx)
            if ctx.config.hops.max_hops <= 1 or ctx.shape is not None or ctx.decomposition_rule == "given":
                return event
            ctx.sub_questions, ctx.decomposition_rule = [], None
        max_hops = ctx.config.hops.max_hops
        if max_hops <= 1:
            ctx.policy_state.why_no_decomposition = "max_hops=1: single-shot retrieval"
            return "no_decomposition"
        if ctx.oracle_sub_questions:  # the flagged oracle-decomposition ablation: no call
            ctx.sub_questions = list(ctx.oracle_sub_questions)
            ctx.decomposition_rule = "given"
            return "decomposed"
        value, err = self._ask(ctx, "decompose", expect=None, question=ctx.question, max_sub_questions=max_hops)
        qs = as_sub_questions(value) if err is None else None
        rule = "llm"
        if qs is None:
            qs = salvage_questions(ctx.policy_state.raw_replies.get("decompose"), ctx.question)
            rule = "llm:salvaged"
        if not qs:
            ctx.policy_state.why_no_decomposition = "the LLM gave no usable sub-questions"
            return "no_decomposition"
        ctx.sub_questions = qs
        ctx.decomposition_rule = rule if len(qs) > 1 else rule + ":single_hop"
        return "decomposed"

    def revise_decomposition(self, ctx: Context) -> str:
        if self.flow == "grounded" and ctx.shape is not None:
            return self.local.revise_decomposition(ctx)
        max_hops = ctx.config.hops.max_hops
        problems = check_decomposition(ctx.sub_questions, max_hops)
        if not problems:
            return "valid"
        done = ctx.policy_state.decomposition_revisions
        ctx.policy_state.decomposition_problems.append(problems)
        linked = link_repair(ctx.sub_questions)
        if linked != ctx.sub_questions and not check_decomposition(linked, max_hops):  # no call needed
            ctx.policy_state.drafts.append(list(ctx.sub_questions))
            ctx.sub_questions = linked
            ctx.decomposition_rule = (ctx.decomposition_rule or "llm") + "+linked"
            return "revised"
        if done < MAX_REVISIONS:
            ctx.policy_state.decomposition_revisions = done + 1
            value, err = self._ask(ctx, "revise_decomposition", expect=None, question=ctx.question,
                                   draft=list(ctx.sub_questions), problems=problems)
            qs = as_sub_questions(value) if err is None else None
            if qs:
                ctx.policy_state.drafts.append(list(ctx.sub_questions))
                ctx.sub_questions = qs
                ctx.decomposition_rule = (ctx.decomposition_rule or "llm") + "+revised"
                return "revised"
        ctx.policy_state.dropped_decomposition = list(ctx.sub_questions)
        rules = None if ctx.policy_state.rules_fallback else _rules_decomposition(ctx.question, max_hops)
        if rules and not check_decomposition(rules, max_hops):  # the local decomposer's draft, checked like any other
            ctx.policy_state.rules_fallback = True
            ctx.sub_questions = rules
            ctx.decomposition_rule = "rules:fallback"
            return "revised"
        ctx.sub_questions = []
        ctx.decomposition_rule = None
        return "invalid"

    # -- SEARCH --------------------------------------------------------------------------------------------------------
    @staticmethod
    def _steps(ctx: Context, upto: int | None = None) -> list[tuple[str, str | None]]:
        if ctx.decomposed:
            n = len(ctx.sub_questions) if upto is None else upto
            return [(q, ctx.sub_answers.get(i)) for i, q in enumerate(ctx.sub_questions[:n], 1)]
        return [(f["question"], f["answer"]) for f in ctx.policy_state.free_answers]

    def search(self, ctx: Context, runner: HopRunner) -> str:
        if self.flow == "grounded":  # the hop only: its facts are read in REVISE_SEARCH
            return self.local.search(ctx, runner)
        h = ctx.config.hops
        ctx.policy_state.proposal = None
        if ctx.hops_left <= 0:
            return "exhausted"
        sub_q = ctx.pending_sub_question()
        hop = runner(ctx, runner.query(ctx, sub_q), sub_question=sub_q)
        if not hop.hits:
            return "exhausted"
        shown = hop.hits[: min(h.k, SEARCH_PASSAGES)]
        goal = sub_q or ctx.question
        value, err = self._ask(ctx, "search", question=ctx.question, sub_question=goal,
                               steps=self._steps(ctx, ctx.step) or None, passages=shown)
        shown_ids = list(getattr(self._tls, "shown", None) or [x.id for x in shown])  # what fitted in the prompt
        proposal: dict[str, Any] = {"hop": hop.hop, "shown": shown_ids, "status": "malformed",
                                    "query": None}
        if err is None:
            answer = as_text(value.get("answer"))
            found = as_truth(value.get("found"))
            if found is None:  # no (usable) "found": an answer that is not a refusal counts as found
                found = answer is not None and norm_words(answer) not in NO_ANSWER
            if found and answer and norm_words(answer) not in NO_ANSWER:
                proposal.update(status="found", answer=answer, cited=self._real_ids(value.get("passage_ids")))
            else:
                proposal.update(status="not_found", query=as_text(value.get("reformulated_query")))
        ctx.policy_state.proposal = proposal
        return "retrieved"

    # -- REVISE_SEARCH -------------------------------------------------------------------------------------------------
    def revise_search(self, ctx: Context, runner: HopRunner) -> str:
        if self.flow == "grounded":  # the grounded reader over the hop's facts, verified as in the local policy
            return self.local.revise_search(ctx, runner)
        hop = ctx.hops[-1]
        proposal, ctx.policy_state.proposal = ctx.policy_state.proposal or {"status": "malformed", "query": None}, None
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
            cited = [i for i, x in by_id.items() if norm_words(answer) and norm_words(answer) in norm_words(f"{x.title} {x.text}")]
        if not cited:
            return self._retry_or_reject(ctx, hop, None, "SEARCH: the answer cites no passage that was shown")
        passages = [by_id[i] for i in cited]
        value, err = self._ask(ctx, "revise_search", question=ctx.question, sub_question=goal, answer=answer,
                               passages=passages)
        verdict = str(value.get("verdict", "")).strip().lower() if err is None else ""
        if verdict == "accept":
            return self._accept(ctx, hop, answer, cited, "verified")
        if verdict == "correct":
            corrected = as_text(value.get("answer"))
            # A correction must be stated by a passage that was shown (a small model may copy the template's
            # "<short span>"); otherwise the proposed answer goes to the local check below.
            if (corrected and norm_words(corrected) not in NO_ANSWER
                    and any(norm_words(corrected) in norm_words(f"{x.title} {x.text}") for x in by_id.values())):
                if norm_words(corrected) == norm_words(answer):
                    return self._accept(ctx, hop, answer, cited, "verified")
                support = [i for i in self._real_ids(value.get("passage_ids")) if i in by_id] or cited
                return self._accept(ctx, hop, corrected, support, "corrected")
        if verdict == "retry":
            return self._retry_or_reject(ctx, hop, as_text(value.get("query")), "REVISE_SEARCH: verdict retry")
        # An unparseable or unknown verdict: the local check, the answer must occur in a cited passage.
        self._note(ctx, "revise_search", f"unusable verdict {verdict!r}: local check")
        if any(norm_words(answer) in norm_words(f"{x.title} {x.text}") for x in passages):
            return self._accept(ctx, hop, answer, cited, "local check")
        return self._retry_or_reject(ctx, hop, None, "REVISE_SEARCH: unverified")

    def _accept(self, ctx: Context, hop: Any, answer: str, support: list[str], how: str) -> str:
        hop.sub_answer = answer
        if hop.sub_question is not None and ctx.decomposed and ctx.step < len(ctx.sub_questions):
            k = ctx.step + 1
            ctx.sub_answers[k] = answer
            ctx.sub_support[k] = list(support)
            ctx.policy_state.step_verification[k] = how
            ctx.step += 1
        else:  # decomposition-free (or an extra hop): an answer to the whole question
            ctx.policy_state.free_answers.append(
                {"question": ctx.question, "answer": answer, "support": list(support), "hop": hop.hop, "how": how})
        ctx.retries = 0
        return "accepted"

    def _retry_or_reject(self, ctx: Context, hop: Any, query: str | None, why: str) -> str:
        h = ctx.config.hops
        goal = hop.sub_question or ctx.question
        if ctx.retries < h.retries and ctx.hops_left > 0:
            ctx.retries += 1
            if not query or norm_words(query) == norm_words(hop.query):
                # No (new) reformulation from the LLM: the goal plus the bridge entities of what has been read.
                query = next_query(ctx.question, ctx.facts[:2], sub_question=goal, limit=h.query_entities)
            ctx.pending_query = query
            self._note(ctx, "revise_search", f"{why}; retry {ctx.retries} with query {query!r}")
            return "retry"
        self._note(ctx, "revise_search", f"{why}; step given up")
        if hop.sub_question is not None and ctx.decomposed and ctx.step < len(ctx.sub_questions):
            ctx.policy_state.unsupported_steps.append(ctx.step + 1)
            ctx.step += 1
        ctx.retries = 0
        return "rejected"

    # -- JUDGE ---------------------------------------------------------------------------------------------------------
    def _local_judge(self, ctx: Context) -> str:
        event = chain_judge(ctx)
        if event is not None:
            return event
        if ctx.policy_state.free_answers:
            return "sufficient"
        if ctx.hops_left <= 0:
            return "max_hops"
        return "next" if ctx.new_facts_last_hop > 0 else "no_progress"

    @staticmethod
    def _chain_verified(ctx: Context) -> bool:
        n = len(ctx.sub_questions)
        return (ctx.decomposed and n > 0 and ctx.step >= n and not ctx.policy_state.unsupported_steps
                and all(k in ctx.sub_answers for k in range(1, n + 1)))

    def judge(self, ctx: Context) -> str:
        if self.flow == "grounded":
            return self.local.judge(ctx)
        if ctx.decomposed and ctx.step < len(ctx.sub_questions):
            return chain_judge(ctx)
        if not ctx.decomposed and not ctx.policy_state.free_answers:
            if ctx.hops_left <= 0:
                return "max_hops"
            return "next" if ctx.new_facts_last_hop > 0 else "no_progress"
        if COMPACT and self._chain_verified(ctx):
            ctx.policy_state.judge_reason = "every sub-question has a verified answer (compact flow: no call)"
            return "sufficient"
        # Every sub-question has been through SEARCH (or a decomposition-free hop found an answer): ask the LLM.
        value, err = self._ask(ctx, "judge", question=ctx.question, steps=self._steps(ctx) or None,
                               searches_left=max(0, ctx.hops_left))
        if err is None:
            nxt = str(value.get("next", "")).strip().lower()
            sufficient = as_truth(value.get("sufficient"))
            if nxt not in ("answer", "search", "unanswerable"):
                nxt = {True: "answer", False: "search"}.get(sufficient, "")  # type: ignore[arg-type]
            reason = as_text(value.get("reason"))
            if reason:
                ctx.policy_state.judge_reason = reason
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
        for f in ctx.policy_state.free_answers:
            ids += f["support"]
        ids += [hop.hits[0].id for hop in ctx.hops if hop.hits]
        return ctx.hits_by_ids(ids)[: max(1, ctx.config.hops.k)]

    def answer(self, ctx: Context) -> str:
        if self.flow == "grounded":
            return self.local.answer(ctx)
        evidence = self._evidence(ctx)
        if COMPACT and self._chain_verified(ctx) and not _COMPARES.search(ctx.question):
            return self._answered(ctx, ctx.sub_answers[len(ctx.sub_questions)], evidence, 1.0,
                                  "the last verified sub-answer (compact flow: no call)")
        value, err = self._ask(ctx, "answer", question=ctx.question, steps=self._steps(ctx) or None,
                               passages=evidence[:ANSWER_PASSAGES] or None)
        unsupported = ctx.policy_state.unsupported_steps
        if err is not None:  # unparseable: the last sub-answer when the chain is complete and verified
            last = len(ctx.sub_questions)
            if ctx.decomposed and last in ctx.sub_answers and not unsupported:
                return self._answered(ctx, ctx.sub_answers[last], evidence, 0.5,
                                      "ANSWER reply unparseable: the last verified sub-answer")
            ctx.policy_state.answer_reason = "ANSWER reply unparseable and no complete verified chain"
            return self._unsupported(ctx)
        answer = as_text(value.get("answer"))
        answerable = as_truth(value.get("answerable"))
        if answer is None or norm_words(answer) in NO_ANSWER or answerable is False:
            ctx.policy_state.answer_reason = "the LLM found the question unanswerable from the evidence"
            return self._unsupported(ctx)
        if unsupported:
            return self._answered(ctx, answer, evidence, 0.5, f"LLM answer; sub-answers {unsupported} unverified")
        return self._answered(ctx, answer, evidence, 1.0, "LLM answer over verified sub-answers")

    def _answered(self, ctx: Context, answer: str, evidence: list[Hit], confidence: float, reason: str) -> str:
        ctx.answer, ctx.answerable, ctx.confidence = answer, True, confidence
        ctx.policy_state.answer_reason = reason
        key = norm_words(answer)
        support = [x.id for x in evidence if key and key in norm_words(f"{x.title} {x.text}")]
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
        q = getattr(self._tls, "q", None) or fresh_counts()
        out.update({k: v for k, v in q.items() if k != "by_state"})
        out["by_state"] = {k: dict(v) for k, v in q["by_state"].items()}
        # The grounded reader's calls (sub-answers and answers; counted in the totals above too) as one more "state".
        read_now, read_start = self._reader_lm.counters.thread(), getattr(self._tls, "read_start", None) or {}
        reads = {k: read_now.get(k, 0) - read_start.get(k, 0) for k in ("calls", "prompt_tokens", "invalid_replies")}
        if reads["calls"]:
            out["by_state"]["read"] = {"calls": reads["calls"], "schema_valid": reads["calls"] - reads["invalid_replies"],
                                       "invalid": reads["invalid_replies"], "prompt_tokens": reads["prompt_tokens"]}
            out["schema_valid"] += reads["calls"] - reads["invalid_replies"]
            out["invalid_replies"] += reads["invalid_replies"]
        out["flow"] = self.flow
        return out



__all__ = ["LLMPolicy", "check_decomposition", "reply_schema", "MAX_REVISIONS", "MAX_TOKENS", "PROMPT_TOKENS"]
