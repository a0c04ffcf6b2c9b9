"""Answering questions: the `Asker` keeps an index, its condenser and a policy loaded, and runs the FSM per question."""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from .config import Config, load_config
from .errors import InputError
from .fsm import Context, Policy, run
from .hops import Condenser, HopRunner, Retriever
from .index import HybridIndex, open_index
from .types import Answer


def make_policy(name: str, config: Config, reader: Any = None) -> Policy:
    if name == "local":
        from .policy.local import LocalPolicy

        return LocalPolicy(reader)
    if name == "llm":
        from .policy.llm import LLMPolicy

        return LLMPolicy(config.llm)
    raise InputError(f"unknown policy '{name}' (choose local or llm)", field="policy")


class Asker:
    """Answer many questions against one index with the model loaded once."""

    def __init__(self, index: HybridIndex | str, config: Config | None = None, policy: str | Policy = "local",
                 reader: Any = None):
        """`reader`: a reader object (`hopqa.readers`), else the one `config.reader` names (the embedded language
        model by default; `notice` says when it fell back to the rules)."""
        self.index = open_index(index) if isinstance(index, str) else index
        self.config = config or load_config()
        self.notice: str | None = None
        if reader is None and (policy == "local"):
            from .readers import choose_reader

            choice = choose_reader(self.config)
            reader, self.notice = choice.reader, choice.notice
        self.reader = reader
        lm = getattr(reader, "lm", None)
        if lm is not None and hasattr(lm, "preload") and policy == "local":
            lm.preload()  # the model loads while the first question is retrieved
        self.policy = make_policy(policy, self.config, reader) if isinstance(policy, str) else policy
        self.condenser = Condenser(self.index)

    def ask(self, question: str, *, allowed: Sequence[str] | np.ndarray | None = None,
            sub_questions: Sequence[str] | None = None) -> Answer:
        """Answer one question; `allowed` (passage ids or rows) restricts retrieval to those passages.

        `sub_questions` replaces the policy's own decomposition: for the flagged oracle ablation only."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("empty question", field="question")
        rows = None
        if allowed is not None:
            rows = allowed if isinstance(allowed, np.ndarray) else self.index.rows_of(allowed)
        runner = HopRunner(Retriever(self.index, self.config.retrieval, rows), self.condenser, self.config.hops)
        ctx = Context(question.strip(), self.config)
        if sub_questions:
            ctx.oracle_sub_questions = list(sub_questions)
        t0 = time.perf_counter()
        lm = getattr(self.reader, "lm", None)
        before = lm.usage() if lm is not None else None
        answer = run(question.strip(), self.policy, ctx, runner)
        answer.timings["total_seconds"] = time.perf_counter() - t0
        if lm is not None:
            after = lm.usage()
            used = {k: after[k] - before[k] for k in ("calls", "prompt_tokens", "completion_tokens", "seconds",
                                                      "invalid_replies") if isinstance(after.get(k), (int, float))}
            answer.usage = {**answer.usage, "reader": {"model": lm.name, **{k: round(v, 3) for k, v in used.items()}}}
            answer.timings["reader_seconds"] = used.get("seconds", 0.0)
            if getattr(lm, "load_seconds", None) is not None and not getattr(self, "_load_reported", False):
                answer.timings["model_load_seconds"] = lm.load_seconds
                self._load_reported = True
        answer.config = {"policy": self.policy.name, "reader": getattr(self.reader, "name", "rules"),
                         "reader_model": getattr(lm, "name", None) if lm is not None else None,
                         "index": str(self.index.path), "model": self.index.model,
                         "retrieval": self.config.to_dict()["retrieval"], "hops": self.config.to_dict()["hops"]}
        return answer


def ask(question: str, index: str | HybridIndex, *, config: Config | None = None, policy: str = "local") -> Answer:
    """One-off convenience: open the index, answer one question."""
    return Asker(index, config, policy).ask(question)
