"""Typed records passed between the parts of hopqa. Every result type has `to_dict()`; the CLI's --json is exactly that."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """One retrievable unit: a paragraph with a title."""

    id: str
    title: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Hit:
    """A passage returned by a search, with its fused score and where it came from."""

    id: str
    title: str
    text: str
    score: float
    row: int
    hop: int = 0
    dense_rank: int | None = None
    bm25_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("row")
        return d


@dataclass
class Fact:
    """A sentence kept by the condenser: the unit of evidence passed from hop to hop."""

    text: str
    passage_id: str
    title: str
    score: float
    hop: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Transition:
    """One step of the finite-state machine, as recorded in the trace."""

    source: str
    target: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "reason": self.reason}


@dataclass
class HopTrace:
    """What one retrieval hop did: the state that ran it, its query, what it found and what it kept."""

    hop: int
    state: str
    sub_question: str | None
    query: str
    hits: list[Hit] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    sub_answer: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "hop": self.hop,
            "state": self.state,
            "sub_question": self.sub_question,
            "query": self.query,
            "hits": [h.to_dict() for h in self.hits],
            "facts": [f.to_dict() for f in self.facts],
            "sub_answer": self.sub_answer,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class Answer:
    """The result of `ask`: the answer, whether the evidence supports one, and how it was found."""

    question: str
    answer: str
    answerable: bool
    confidence: float
    hops: list[HopTrace] = field(default_factory=list)
    evidence: list[Hit] = field(default_factory=list)
    ranking: list[Hit] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    sub_questions: list[str] = field(default_factory=list)
    question_type: str = "composition"
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    # Unanswerable questions only: what the readers would answer if they had to (not supported by the evidence).
    guess: str | None = None
    # Why the machine went where it went (hopqa.fsm.PolicyState.diagnostics): decomposition problems, verdicts, ...
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "guess": self.guess,
            "confidence": round(float(self.confidence), 4),
            "question_type": self.question_type,
            "sub_questions": list(self.sub_questions),
            "hops": [h.to_dict() for h in self.hops],
            "evidence": [{"id": h.id, "title": h.title, "text": h.text} for h in self.evidence],
            "ranking": [{"id": h.id, "title": h.title, "score": round(float(h.score), 6), "hop": h.hop} for h in self.ranking],
            "transitions": [t.to_dict() for t in self.transitions],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "usage": dict(self.usage),
            "config": dict(self.config),
            "diagnostics": dict(self.diagnostics),
        }
