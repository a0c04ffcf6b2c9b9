"""The explicit finite-state machine that drives multi-hop answering, in the spirit of SG-FSM.

    DECOMPOSE -> REVISE_DECOMPOSITION -> SEARCH -> REVISE_SEARCH -> JUDGE -> (SEARCH | ANSWER | UNANSWERABLE) -> DONE

The transition table `TRANSITIONS` is the one place that says which event of which state leads where; `describe()`
prints it (`hopqa ask --show-fsm`). A policy (local rules, or an LLM) fills the states: each handler does its work on
the shared `Context` (the question's state, nothing else) and returns an event. Every transition is recorded in the
trace. The retrieval hop itself (`hopqa.hops.HopRunner`: query, retrieve, condense) is one unit, the same for every
policy: the machine hands it to SEARCH, which picks the query and runs it, and to REVISE_SEARCH, which checks the
hop's facts with its condenser.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Protocol

from .config import Config
from .hops import HopRunner, interleave
from .types import Answer, Fact, Hit, HopTrace, Transition


class State(str, Enum):
    DECOMPOSE = "DECOMPOSE"
    REVISE_DECOMPOSITION = "REVISE_DECOMPOSITION"
    SEARCH = "SEARCH"
    REVISE_SEARCH = "REVISE_SEARCH"
    JUDGE = "JUDGE"
    ANSWER = "ANSWER"
    UNANSWERABLE = "UNANSWERABLE"
    DONE = "DONE"


S = State
#: (state, event) -> next state. Nothing else decides where the machine goes.
TRANSITIONS: dict[tuple[State, str], State] = {
    (S.DECOMPOSE, "decomposed"): S.REVISE_DECOMPOSITION,
    (S.DECOMPOSE, "no_decomposition"): S.SEARCH,
    (S.REVISE_DECOMPOSITION, "valid"): S.SEARCH,
    (S.REVISE_DECOMPOSITION, "revised"): S.REVISE_DECOMPOSITION,
    (S.REVISE_DECOMPOSITION, "invalid"): S.SEARCH,
    (S.SEARCH, "retrieved"): S.REVISE_SEARCH,
    (S.SEARCH, "exhausted"): S.JUDGE,
    (S.REVISE_SEARCH, "accepted"): S.JUDGE,
    (S.REVISE_SEARCH, "retry"): S.SEARCH,
    (S.REVISE_SEARCH, "rejected"): S.JUDGE,
    (S.JUDGE, "next"): S.SEARCH,
    (S.JUDGE, "sufficient"): S.ANSWER,
    (S.JUDGE, "max_hops"): S.ANSWER,
    (S.JUDGE, "no_progress"): S.ANSWER,
    (S.JUDGE, "insufficient"): S.UNANSWERABLE,
    (S.ANSWER, "answered"): S.DONE,
    (S.ANSWER, "unsupported"): S.UNANSWERABLE,
    (S.UNANSWERABLE, "done"): S.DONE,
}

EVENT_HELP = {
    "decomposed": "the question was split into sub-questions with #k references",
    "no_decomposition": "no decomposition (single-shot, or no rule applies): decomposition-free condensed hops",
    "valid": "every sub-question after the first refers only to earlier answers",
    "revised": "the decomposition was repaired; check it again",
    "invalid": "the decomposition cannot be repaired: fall back to decomposition-free hops",
    "retrieved": "a hop retrieved passages and condensed them into facts",
    "exhausted": "the hop found nothing new",
    "accepted": "a kept fact states the sub-answer as the asked relation of the asked subject",
    "retry": "the sub-answer is unsupported: search again (next candidate or reformulated query)",
    "rejected": "no supported sub-answer after the allowed retries",
    "next": "more evidence is needed: next hop",
    "sufficient": "the evidence answers the question",
    "max_hops": "the hop budget is spent",
    "no_progress": "the last hop added no new fact",
    "insufficient": "the evidence cannot answer the question",
    "answered": "a supported answer was extracted",
    "unsupported": "no answer above the confidence threshold",
    "done": "finished",
}


def describe() -> str:
    """The transition table as text, one row a transition."""
    rows = [f"{'state':22s} {'event':18s} {'next state':22s} meaning"]
    for (state, event), target in TRANSITIONS.items():
        rows.append(f"{state.value:22s} {event:18s} {target.value:22s} {EVENT_HELP.get(event, '')}")
    return "\n".join(rows)


@dataclass
class PolicyState:
    """What a policy keeps about one question between states, typed, in one place for both policies. `diagnostics()`
    is the part that reaches the trace (`Answer.diagnostics`): why the machine went where it went."""

    # DECOMPOSE / REVISE_DECOMPOSITION
    why_no_decomposition: str | None = None
    decomposition_problems: list[list[str]] = field(default_factory=list)  # one list per checked draft
    drafts: list[list[str]] = field(default_factory=list)  # replaced drafts (LLM policy)
    dropped_decomposition: list[str] | None = None  # the draft given up for decomposition-free hops
    decomposition_revisions: int = 0  # LLM repairs asked (LLM policy)
    rules_fallback: bool = False  # the rule decomposer's draft replaced the LLM's (LLM policy)
    # REVISE_SEARCH
    unsupported_steps: list[int] = field(default_factory=list)  # sub-questions given up (1-based)
    step_confidence: dict[int, float] = field(default_factory=dict)  # accepted sub-answers' confidence
    lm_sub_answers: list[int] = field(default_factory=list)  # steps (1-based) whose sub-answer the model read
    verification: list[dict[str, Any]] = field(default_factory=list)  # the rule verifier's verdicts
    step_verification: dict[int, str] = field(default_factory=dict)  # how the LLM's sub-answer was accepted
    free_answers: list[dict[str, Any]] = field(default_factory=list)  # decomposition-free answers (LLM policy)
    # comparison / yes-no questions
    compared_years: dict[str, int | None] | None = None
    yes_no_each: dict[str, str] | None = None
    # the rule reader's ranked candidates ({text, score, passage_id, fact_index, cue}, best first, `Candidate.to_dict`):
    step_candidates: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # per step (1-based), last reading
    answer_candidates: list[dict[str, Any]] = field(default_factory=list)  # ANSWER's reading of the whole question
    # JUDGE / ANSWER
    judge_confidence: float | None = None
    judge_reason: str | None = None
    answer_reader: str | None = None
    answer_reason: str | None = None
    # UNANSWERABLE: where the best guess came from (`best_guess`): "policy", "last_sub_answer" or "reader"
    guess_source: str | None = None
    notes: list[str] = field(default_factory=list)  # the LLM policy's per-state notes (bad replies, retries)
    # transient, never in the trace: SEARCH's proposal for REVISE_SEARCH, the last unparseable reply per state
    proposal: dict[str, Any] | None = None
    raw_replies: dict[str, str | None] = field(default_factory=dict)

    _TRANSIENT = ("proposal", "raw_replies")  # a class constant (no annotation: not a field)

    def diagnostics(self) -> dict[str, Any]:
        """The set (non-empty) fields, for the trace; dict keys made strings for JSON."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            unset = v is None or v is False or (isinstance(v, (list, dict)) and not v) or (
                f.name == "decomposition_revisions" and v == 0)
            if f.name in self._TRANSIENT or unset:
                continue
            out[f.name] = {str(k): x for k, x in v.items()} if isinstance(v, dict) else v
        return out


@dataclass
class Context:
    """Everything the machine knows about one question while answering it: state only. The tools that change it are
    the policy and the hop (`hopqa.hops.HopRunner`), which the machine hands to SEARCH and REVISE_SEARCH."""

    question: str
    config: Config
    sub_questions: list[str] = field(default_factory=list)
    decomposition_rule: str | None = None
    question_type: str = "composition"  # or "comparison", "yes_no", "bridge_comparison" (hopqa.compare)
    shape: Any = None  # the hopqa.compare.Shape of a comparison / yes-no question
    step: int = 0  # index of the pending sub-question
    sub_answers: dict[int, str] = field(default_factory=dict)  # 1-based, as in #k
    sub_support: dict[int, list[str]] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    read_rows: set[int] = field(default_factory=set)  # passages already read: never read twice
    hops: list[HopTrace] = field(default_factory=list)
    retries: int = 0
    pending_query: str | None = None  # a reformulated query for the next SEARCH
    new_facts_last_hop: int = 0
    answer: str = "unanswerable"
    answerable: bool = False
    confidence: float = 0.0
    answer_support: list[str] = field(default_factory=list)
    guess: str | None = None  # a policy's own best guess for an unanswerable question (else `best_guess` finds one)
    transitions: list[Transition] = field(default_factory=list)
    policy_state: PolicyState = field(default_factory=lambda: PolicyState())
    # The flagged oracle ablation only (`Asker.ask(sub_questions=...)`): the gold decomposition replaces DECOMPOSE.
    oracle_sub_questions: list[str] | None = None

    @property
    def decomposed(self) -> bool:
        return bool(self.sub_questions)

    @property
    def hops_left(self) -> int:
        return self.config.hops.max_hops - len(self.hops)

    def pending_sub_question(self) -> str | None:
        """The next unanswered sub-question with earlier answers substituted for its #k, if decomposed."""
        if not self.decomposed or self.step >= len(self.sub_questions):
            return None
        from .decompose import substitute

        return substitute(self.sub_questions[self.step], self.sub_answers)

    def ranking(self) -> list[Hit]:
        """The final evidence ranking: the hops' rankings merged round-robin."""
        return interleave([hop.hits for hop in self.hops], self.config.hops.final_k)

    def evidence(self) -> list[Hit]:
        """The evidence chain: the passages behind the sub-answers and the answer, else the top passage of each hop."""
        ids: list[str] = []
        for k in sorted(self.sub_support):
            ids += self.sub_support[k]
        ids += self.answer_support
        if not ids:
            ids = [hop.hits[0].id for hop in self.hops if hop.hits]
        return self.hits_by_ids(ids)

    def hits_by_ids(self, ids: list[str]) -> list[Hit]:
        """The retrieved hits with these ids, in that order, each once (ids no hop retrieved are dropped)."""
        by_id = {x.id: x for hop in self.hops for x in hop.hits}
        out, seen = [], set()
        for i in ids:
            if i in by_id and i not in seen:
                seen.add(i)
                out.append(by_id[i])
        return out


def best_guess(ctx: Context) -> str | None:
    """An unanswerable question's best guess, the same for every policy: the policy's own (`ctx.guess`), else the
    chain's last sub-answer (kept although a link was not verified), else the rule reader's top span over the kept
    facts (not an intermediate answer). None when `[reader] guess` is off or nothing was read."""
    guess, source = _best_guess(ctx)
    ctx.policy_state.guess_source = source if guess else None
    return guess


def _best_guess(ctx: Context) -> tuple[str | None, str]:
    if not ctx.config.reader.guess:
        return None, ""
    if ctx.guess:
        return ctx.guess, "policy"
    last = len(ctx.sub_questions)
    if ctx.decomposed and ctx.sub_answers.get(last):
        return ctx.sub_answers[last], "last_sub_answer"
    if not ctx.facts:
        return None, ""
    from .reader import read

    res = read(ctx.question, ctx.facts, config=ctx.config.reader, exclude=list(ctx.sub_answers.values()))
    return (res.candidates[0].text if res.candidates else None), "reader"


class Policy(Protocol):
    """Fills the states. Each handler works on the context and returns an event of TRANSITIONS."""

    name: str

    def decompose(self, ctx: Context) -> str: ...
    def revise_decomposition(self, ctx: Context) -> str: ...
    def search(self, ctx: Context, runner: HopRunner) -> str: ...
    def revise_search(self, ctx: Context, runner: HopRunner) -> str: ...
    def judge(self, ctx: Context) -> str: ...
    def answer(self, ctx: Context) -> str: ...
    def unanswerable(self, ctx: Context) -> str: ...
    def usage(self) -> dict[str, Any]: ...


class MachineError(RuntimeError):
    pass


def run(question: str, policy: Policy, ctx: Context, runner: HopRunner, max_steps: int = 64) -> Answer:
    """Drive the machine from DECOMPOSE to DONE and return the answer with its full trace. SEARCH runs the hop (`runner`:
    the policy picks its query and reads what it found); REVISE_SEARCH checks the hop's facts with its condenser."""
    t0 = time.perf_counter()
    handlers = {
        S.DECOMPOSE: policy.decompose,
        S.REVISE_DECOMPOSITION: policy.revise_decomposition,
        S.SEARCH: lambda c: policy.search(c, runner),
        S.REVISE_SEARCH: lambda c: policy.revise_search(c, runner),
        S.JUDGE: policy.judge,
        S.ANSWER: policy.answer,
        S.UNANSWERABLE: policy.unanswerable,
    }
    state = S.DECOMPOSE
    for _ in range(max_steps):
        if state is S.DONE:
            break
        event = handlers[state](ctx)
        target = TRANSITIONS.get((state, event))
        if target is None:
            raise MachineError(f"policy {policy.name} returned event '{event}' that state {state.value} does not have")
        ctx.transitions.append(Transition(state.value, target.value, event))
        state = target
    else:
        raise MachineError(f"the machine did not finish within {max_steps} steps")
    ranking = ctx.ranking()
    guess = None if ctx.answerable else best_guess(ctx)  # before the diagnostics: it records its source there
    return Answer(
        question=question,
        answer=ctx.answer if ctx.answerable else "unanswerable",
        answerable=ctx.answerable,
        confidence=ctx.confidence,
        hops=ctx.hops,
        evidence=ctx.evidence() if ctx.answerable else [],
        ranking=ranking,
        transitions=ctx.transitions,
        sub_questions=list(ctx.sub_questions),
        question_type=ctx.question_type,
        timings={"total_seconds": time.perf_counter() - t0, "retrieval_seconds": sum(h.seconds for h in ctx.hops)},
        usage=policy.usage(),
        guess=guess,
        diagnostics=ctx.policy_state.diagnostics(),
    )
