"""The offline policy: rules and an extractive reader fill the states; no LLM.

- DECOMPOSE: the rule-based decomposer (`hopqa.decompose`); when no rule applies, decomposition-free hops.
- REVISE_DECOMPOSITION: #k references must point backwards and every later step must use an earlier answer.
- SEARCH: a condensed retrieval hop. Query: the pending sub-question with earlier answers substituted, plus the bridge
  entities of the newest facts (decomposition-free: the question plus those entities).
- REVISE_SEARCH (verification): a sub-answer is supported only if a fact of this hop that contains it states the asked
  relation of the asked subject (`Condenser.verify`: a relation term of the sub-question in the sentence, or a reader
  cue introducing the answer; and the subject named by the sentence or its passage title), not merely an answer of
  the right type. Otherwise: the reader's next candidate above the threshold, then a retry hop with a reformulated
  query (only with a hop to spare for the later sub-questions), then the step is rejected.
- JUDGE: stop when every sub-question is answered, when a hop adds no new fact, on a confident answer after
  `min_hops` (decomposition-free), or at `max_hops`.
- ANSWER: the last sub-answer when every link of the chain is supported ("unanswerable" if one was rejected, or below
  the reader's threshold); decomposition-free: the reader over all kept facts.
"""
from __future__ import annotations

import re
from typing import Any

from ..fsm import Context
from ..hops import Condenser, HopRunner, bridge_entities, next_query
from .rules import chain_judge, check_decomposition

_REF = re.compile(r"#(\d+)")
# "the first director of #1" followed by more words: a description of the subject, not the relation asked
_OF_REF = re.compile(r"\bthe ((?:[a-z][\w'-]* ){0,3}[a-z][\w'-]*) of #\d+")


def _refs(q: str) -> list[int]:
    return [int(m) for m in _REF.findall(q)]


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def as_question(sub_q: str) -> str:
    """A "subject >> relation" step as a plain question for a language model ("Lenn >> place of birth" ->
    "What is the place of birth of Lenn?"); other sub-questions unchanged."""
    if ">>" not in sub_q:
        return sub_q
    subject, relation = (p.strip() for p in sub_q.split(">>", 1))
    return f"What is the {relation.rstrip('?')} of {subject}?"


class LocalPolicy:
    name = "local"

    def __init__(self, reader: Any = None):
        # None: the rule reader with each question's [reader] settings (the reader of the offline policy so far)
        self.reader = reader

    @property
    def lm(self) -> Any:
        """The language-model reader, if this policy has one (else None: rules only)."""
        return None if self.reader is None or getattr(self.reader, "name", "") == "rules" else self.reader

    def _read(self, ctx: Context, question: str, facts: list, exclude: list[str] = ()) -> Any:
        """The rule reader's reading (the candidates REVISE_SEARCH verifies)."""
        from ..reader import read

        return read(question, facts, config=ctx.config.reader, exclude=exclude)

    def _lm_read(self, ctx: Context, question: str, facts: list, exclude: list[str] = ()) -> Any:
        return self.lm.read(as_question(question), facts, exclude=exclude)

    # -- DECOMPOSE -----------------------------------------------------------------------------------------------------
    def decompose(self, ctx: Context) -> str:
        if ctx.config.hops.max_hops <= 1:
            ctx.policy_state.why_no_decomposition = "max_hops=1: single-shot retrieval"
            return "no_decomposition"
        if ctx.oracle_sub_questions:  # the flagged oracle-decomposition ablation
            ctx.sub_questions = list(ctx.oracle_sub_questions)
            ctx.decomposition_rule = "given"
            return "decomposed"
        from ..compare import shape

        sh = shape(ctx.question, ctx.config.hops.max_hops)
        if sh is not None:  # comparison / yes-no / bridge-comparison: one lookup per entity (hopqa.compare)
            ctx.shape, ctx.question_type = sh, sh.kind
            ctx.sub_questions = list(sh.sub_questions)
            ctx.decomposition_rule = sh.kind
            return "decomposed"
        from ..decompose import decompose

        d = decompose(ctx.question, max_steps=ctx.config.hops.max_hops)
        if d is None or len(d.sub_questions) < 2:
            return "no_decomposition"
        ctx.sub_questions = list(d.sub_questions)
        ctx.decomposition_rule = d.rule
        return "decomposed"

    def revise_decomposition(self, ctx: Context) -> str:
        qs = ctx.sub_questions
        if ctx.shape is not None:  # independent lookups, compared at ANSWER
            return "valid" if 1 <= len(qs) <= ctx.config.hops.max_hops else "invalid"
        # The rules both policies share (hopqa.policy.rules): references point backwards, the chain is connected.
        problems = check_decomposition(qs, ctx.config.hops.max_hops)
        if not problems:
            return "valid"
        ctx.policy_state.decomposition_problems.append(problems)
        ctx.policy_state.dropped_decomposition = list(qs)
        ctx.sub_questions = []
        return "invalid"

    # -- SEARCH --------------------------------------------------------------------------------------------------------
    def search(self, ctx: Context, runner: HopRunner) -> str:
        sub_q = ctx.pending_sub_question()
        query = self._lookup_query(ctx) if ctx.shape is not None and sub_q is not None else runner.query(ctx, sub_q)
        hop = runner(ctx, query, sub_question=sub_q)
        return "retrieved" if hop.hits else "exhausted"

    def _lookup_query(self, ctx: Context) -> str:
        """A comparison lookup: the entity and the question's stem; a follow-up: that plus the bridge entities of the
        entity's first lookup (its director, author, ...); a retry: the entity's name alone."""
        sh, k = ctx.shape, ctx.step
        n = len(sh.entities)
        entity = sh.entities[k % n]
        if ctx.pending_query:
            query, ctx.pending_query = ctx.pending_query, None
            return query
        if k < n:
            return f"{entity} {sh.stem}"
        first = [h for h in ctx.hops if h.sub_question == ctx.sub_questions[k - n]]
        facts = first[-1].facts if first else []
        # the stem and the names the entity's facts add (its director, author, ...), without the entity itself (its
        # passage is read) and without bare numbers (years say nothing of who to look up)
        ents = [" ".join(w for w in e.split() if not w.replace(",", "").isdigit())
                for e in bridge_entities(facts, f"{entity} {sh.stem}", ctx.config.hops.query_entities + 2)]
        ents = [e for e in ents if e][: ctx.config.hops.query_entities]
        return " ".join([sh.stem, *ents])

    def _revise_lookup(self, ctx: Context, hop, condenser: Condenser) -> str:
        """A comparison lookup is accepted when a kept fact (or its passage title) names the entity; else one retry
        with the entity's name alone, then the lookup is given up (the comparison may still be read)."""
        sh, k = ctx.shape, ctx.step
        entity = sh.entities[k % len(sh.entities)]
        naming = [f.passage_id for f in hop.facts if condenser.subject_share(f"{f.title} {f.text}", [entity]) >= 0.5]
        if naming or k >= len(sh.entities):  # a follow-up hop's facts are its result
            ctx.sub_support[k + 1] = list(dict.fromkeys(naming or [f.passage_id for f in hop.facts[:1]]))
            ctx.step += 1
            ctx.retries = 0
            return "accepted"
        if ctx.retries < ctx.config.hops.retries and ctx.hops_left > len(ctx.sub_questions) - ctx.step - 1:
            ctx.retries += 1
            ctx.pending_query = entity
            return "retry"
        ctx.step += 1
        ctx.retries = 0
        return "rejected"

    def _answer_shape(self, ctx: Context) -> str:
        """Compare the lookups. Date comparisons ("earlier", "born first", "younger"): each option's year, read by the
        model (kept only when that option's facts state it; the rules: the first year its facts give), compared in
        code. Otherwise the model reads the question over every lookup's facts (an option, yes/no, or a span)."""
        from ..compare import date_direction, first_years, pick_by_years

        sh = ctx.shape
        n = len(sh.entities)
        by_entity = [[f for h in ctx.hops if h.sub_question in (ctx.sub_questions[j], *ctx.sub_questions[j + n:j + n + 1])
                      for f in h.facts] for j in range(n)]
        # a bridge comparison compares the related entities (the directors), whose facts the follow-up hops read
        follow = [[f for h in ctx.hops if h.sub_question in ctx.sub_questions[j + n:j + n + 1] for f in h.facts]
                  for j in range(n)] if sh.bridge else by_entity
        pick = None
        from ..lm.reader import is_yes_no, options

        # "Which ..., A or B?" (not "Are A and B both ...?")
        between = sh.kind in ("comparison", "bridge_comparison") and not is_yes_no(ctx.question)
        # the stem, not the question: "The Last Ferry" names an option, it does not ask for the later one
        if between and date_direction(sh.stem):
            years = self.lm.years(ctx.question, sh.entities, follow) if self.lm is not None else [None] * n
            rule_years = first_years(follow)
            years = [y if y is not None else r for y, r in zip(years, rule_years)]
            ctx.policy_state.compared_years = dict(zip(sh.entities, years))
            pick = pick_by_years(sh.stem, sh.entities, years)
        if pick is not None:
            ctx.answer, ctx.confidence, ctx.answerable = pick, 0.8, True
            ctx.answer_support = list(dict.fromkeys(f.passage_id for f in by_entity[sh.entities.index(pick)]))
            return "answered"
        if self.lm is None:
            return "unsupported"
        if sh.kind == "yes_no" and self._yes_no_each(ctx, by_entity):
            return "answered"
        # the answer of "Which ..., A or B?" is one of the options ("What do A and B share?" names none)
        choices = sh.entities if between and len(options(ctx.question)) >= 2 else ()
        res = self.lm.read(ctx.question, [f for fs in by_entity for f in fs] or [f for h in ctx.hops for f in h.facts],
                           choices=choices)
        ctx.answer, ctx.confidence, ctx.answer_support = res.text, res.confidence, list(res.passage_ids)
        ctx.answerable = bool(res.answerable)
        return "answered" if ctx.answerable else "unsupported"

    def _yes_no_each(self, ctx: Context, by_entity: list) -> bool:
        """"Are A and B both X?": asked of each entity over its own facts ("Are A X?"), yes only if every one is yes
        (a small model checks one fact far better than two at once). False (not decided) when an entity's answer is
        unknown, or the question relates the entities ("the same nationality") rather than asking each."""
        sh = ctx.shape
        m = re.match(r"\s*(\w+)\b", ctx.question)
        if len(sh.entities) < 2 or not re.search(r"\bboth\b", ctx.question, re.IGNORECASE) or \
                re.search(r"\b(same|different|each other)\b", ctx.question, re.IGNORECASE) or not m:
            return False
        aux = m.group(1)
        pred = re.sub(rf"^\s*{re.escape(aux)}\s+", "", sh.stem)
        pred = " ".join(w for w in pred.split() if w.lower() != "both")
        verdicts, support = [], []
        for entity, facts in zip(sh.entities, by_entity):
            res = self.lm.read(f"{aux} {entity} {pred}?", facts)
            if not res.answerable or res.text not in ("yes", "no"):
                return False
            verdicts.append(res.text)
            support += res.passage_ids
        ctx.answer = "no" if "no" in verdicts else "yes"
        ctx.confidence, ctx.answerable = 0.8, True
        ctx.answer_support = list(dict.fromkeys(support))
        ctx.policy_state.yes_no_each = dict(zip(sh.entities, verdicts))
        return True

    # -- REVISE_SEARCH -------------------------------------------------------------------------------------------------
    def revise_search(self, ctx: Context, runner: HopRunner) -> str:
        hop = ctx.hops[-1]
        sub_q = hop.sub_question
        if ctx.shape is not None and sub_q is not None:
            return self._revise_lookup(ctx, hop, runner.condenser)
        if sub_q is None:  # decomposition-free: the facts themselves are the result
            return "accepted"
        # The sub-answer must come from what this hop read: older facts answer older sub-questions.
        facts = hop.facts or ctx.facts
        exclude = list(ctx.sub_answers.values())
        res = self._read(ctx, sub_q, facts, exclude)
        ctx.policy_state.step_candidates[ctx.step + 1] = [c.to_dict() for c in res.candidates]
        subjects, described = self._subjects(ctx), self._described(ctx)
        lm_first = self.lm is not None and ctx.config.reader.order == "lm_first"
        if lm_first and self._accept_lm(ctx, hop, sub_q, facts, exclude):
            return "accepted"
        # Verify the reader's candidates best first: the first one above the threshold that a fact states, as the
        # answer of the asked relation of the asked subject, is the sub-answer.
        for cand in res.candidates:
            if cand.score < ctx.config.reader.threshold:
                break
            support = self._support(ctx, runner.condenser, sub_q, cand, facts, subjects, described)
            if support:
                self._accept(ctx, hop, cand.text, support, cand.score)
                return "accepted"
        # The rules found no supported span: the language model reads the hop's facts (grounded in them).
        if self.lm is not None and not lm_first and self._accept_lm(ctx, hop, sub_q, facts, exclude):
            return "accepted"
        # Retry only with a hop to spare: every later sub-question still needs its own hop.
        if ctx.retries < ctx.config.hops.retries and ctx.hops_left > len(ctx.sub_questions) - ctx.step - 1:
            ctx.retries += 1
            # Reformulate: the whole question plus the bridge entities of what we have read.
            ctx.pending_query = next_query(ctx.question, ctx.facts[:2], sub_question=sub_q,
                                           limit=ctx.config.hops.query_entities)
            return "retry"
        # Give the step up: keep the best guess so the chain can go on, but mark it unsupported.
        k = ctx.step + 1
        if res.candidates:
            ctx.sub_answers[k] = res.candidates[0].text
            hop.sub_answer = res.candidates[0].text
        ctx.policy_state.unsupported_steps.append(k)
        ctx.step += 1
        ctx.retries = 0
        return "rejected"

    def _accept(self, ctx: Context, hop, answer: str, support: list[str], confidence: float) -> None:
        k = ctx.step + 1
        ctx.sub_answers[k] = answer
        ctx.sub_support[k] = support
        ctx.policy_state.step_confidence[k] = confidence
        hop.sub_answer = answer
        ctx.step += 1
        ctx.retries = 0

    def _accept_lm(self, ctx: Context, hop, sub_q: str, facts: list, exclude: list[str]) -> bool:
        """The language model's sub-answer, if it is grounded in the hop's facts (`LMReader.check`)."""
        res = self._lm_read(ctx, sub_q, facts, exclude)
        if not res.answerable:
            return False
        self._accept(ctx, hop, res.text, list(res.passage_ids), max(res.confidence, ctx.config.reader.threshold))
        ctx.policy_state.lm_sub_answers.append(ctx.step)
        return True

    def _described(self, ctx: Context) -> list[str]:
        """Words that describe the subject inside the pending sub-question: "first director" in "Where was the first
        director of #1 born?" (not in "Who was the first director of #1?", where they are what is asked)."""
        raw = ctx.sub_questions[ctx.step]
        return [m.group(1) for m in _OF_REF.finditer(raw) if raw[m.end():].strip(" ?.")]

    def _subjects(self, ctx: Context) -> list[str]:
        """What the pending sub-question is about: the earlier answers it refers to, else the names it contains."""
        from ..hops import subject_names

        raw = ctx.sub_questions[ctx.step]
        refs = [ctx.sub_answers[r] for r in _refs(raw) if r in ctx.sub_answers]
        return refs or subject_names(raw.split(">>", 1)[0] if ">>" in raw else raw)

    def _support(self, ctx: Context, condenser: Condenser, sub_q: str, cand, facts: list, subjects: list[str],
                 described: list[str]) -> list[str]:
        """The passages whose kept facts state the candidate as the answer of `sub_q` (empty: unsupported). A fact
        speaks of its passage's title entity even when it says "He" or "She": the title counts as naming it."""
        answer = cand.text
        key = _norm(answer)
        out: list[str] = []
        for i, f in enumerate(facts):
            if not key or f" {key} " not in f" {_norm(f'{f.title} {f.text}')} ":
                continue
            if not ctx.config.reader.verify:
                if f.passage_id not in out:
                    out.append(f.passage_id)
                continue
            verdict = condenser.verify(sub_q, f, subjects, cue=cand.cue if i == cand.fact_index else 0.0,
                                       described=described)
            ctx.policy_state.verification.append({"sub_question": sub_q, "answer": answer, "fact": f.text,
                                                  **verdict.to_dict()})
            if verdict.supported and f.passage_id not in out:
                out.append(f.passage_id)
        return out

    # -- JUDGE ---------------------------------------------------------------------------------------------------------
    def judge(self, ctx: Context) -> str:
        h = ctx.config.hops
        event = chain_judge(ctx)
        if event is not None:
            return event
        if ctx.hops_left <= 0:
            return "max_hops"
        if ctx.new_facts_last_hop == 0:
            return "no_progress"
        if len(ctx.hops) >= h.min_hops:
            from ..reader import read

            res = read(ctx.question, ctx.facts, config=ctx.config.reader)
            ctx.policy_state.judge_confidence = res.confidence
            if res.answerable and res.confidence >= h.judge_threshold:
                return "sufficient"
        return "next"

    # -- ANSWER --------------------------------------------------------------------------------------------------------
    def answer(self, ctx: Context) -> str:
        if ctx.shape is not None:
            return self._answer_shape(ctx)
        if ctx.decomposed and ctx.sub_answers:
            last = len(ctx.sub_questions)
            unsupported = set(ctx.policy_state.unsupported_steps)
            # Every link must be supported: an answer reached through a rejected (guessed) sub-answer is a guess.
            if last in ctx.sub_answers and not unsupported:
                ctx.answer = ctx.sub_answers[last]
                ctx.answer_support = list(ctx.sub_support.get(last, []))
                # The chain's confidence is its weakest link.
                ctx.confidence = min(ctx.policy_state.step_confidence.values(), default=0.0)
                ctx.answerable = ctx.confidence >= ctx.config.reader.threshold
                return "answered" if ctx.answerable else "unsupported"
            # The chain broke at one of its links: the rules do not guess. The language model may still find the
            # answer stated in all the kept facts (grounded), reading the whole question.
            return self._answer_from_facts(ctx) if self.lm is not None else "unsupported"
        # lm_first: the language model reads the whole question over the kept facts; the rules where it finds nothing.
        if self.lm is not None and ctx.config.reader.order == "lm_first" and self._answer_from_facts(ctx) == "answered":
            return "answered"
        # The answer of the whole question is not an intermediate (bridge) answer.
        res = self._read(ctx, ctx.question, ctx.facts, list(ctx.sub_answers.values()))
        ctx.policy_state.answer_candidates = [c.to_dict() for c in res.candidates]
        ctx.answer, ctx.confidence, ctx.answer_support = res.text, res.confidence, list(res.passage_ids)
        ctx.answerable = bool(res.answerable and res.confidence >= ctx.config.reader.threshold)
        if not ctx.answerable and self.lm is not None and ctx.config.reader.order != "lm_first":
            return self._answer_from_facts(ctx)
        return "answered" if ctx.answerable else "unsupported"

    def _answer_from_facts(self, ctx: Context) -> str:
        facts = [f for h in ctx.hops for f in h.facts]  # in hop order: the chain as it was read
        res = self.lm.read(ctx.question, facts, exclude=list(ctx.sub_answers.values()))
        ctx.answer, ctx.confidence, ctx.answer_support = res.text, res.confidence * 0.5, list(res.passage_ids)
        ctx.answerable = bool(res.answerable)
        if ctx.answerable:
            ctx.policy_state.answer_reader = "lm"
        return "answered" if ctx.answerable else "unsupported"

    def unanswerable(self, ctx: Context) -> str:
        ctx.answerable = False
        return "done"

    def usage(self) -> dict[str, Any]:
        return {}

