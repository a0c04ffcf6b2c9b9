"""Robustness perturbations for `hopqa eval --perturb NAME` (distractor setting: they change what each question is
given, never what it is scored against).

* ``shuffle``: the question's paragraphs are handed over in a seeded random order.
* ``reverse``: in reverse order, so the evidence order is reversed too (without looking at which paragraphs are
  evidence: the whole list is reversed).
* ``distractors``: ``DISTRACTORS_PER_QUESTION`` plausible distractor paragraphs are added to the question's own,
  taken from the corpus itself (the other questions' paragraphs): paragraphs about other entities of the same type
  as the question's paragraphs (the head noun of the first sentence's "X is a ... <noun>" description: *director*,
  *film*, *nobleman*), ranked by how many of the question's relation words (its content words that are not in a
  title of its paragraphs) they contain, the chosen ones drawn seeded from the best candidates. No LLM, no gold
  field: only questions, titles and texts are read, so a perturbation is the same for every pipeline and run.

Scoring is unchanged: added paragraphs come after the question's own (their idxs follow), so a predicted distractor
is a false positive in support F1 and in HotpotQA's supporting facts.
"""
from __future__ import annotations

import dataclasses
import hashlib
import random
import re
from dataclasses import dataclass
from typing import Sequence

from .errors import InputError
from .eval_datasets import EvalItem
from .text import content_words, split_sentences, words
from .types import Passage

PERTURBATIONS = ("shuffle", "reverse", "distractors")
DISTRACTORS_PER_QUESTION = 4
_POOL_FACTOR = 3  # distractors are drawn from the best 3 x DISTRACTORS_PER_QUESTION candidates

_COPULA = re.compile(r"\b(?:is|was|are|were)\s+(?:an?|the)\s+(.*)", re.IGNORECASE)
# Words that end the descriptive noun phrase after "is a ...".
_NP_END = frozenset("""who which that whose where when from in of by at on for with and or but as to written directed
produced located based known born founded released published created developed situated made set starring
featuring""".split())


def entity_type(passage: Passage) -> str | None:
    """The head noun of the passage's first "X is/was a(n)/the ..." description, lower-cased ("Ed Wood was an
    American filmmaker, actor..." -> "filmmaker"), or None."""
    sents = split_sentences(passage.text)
    if not sents:
        return None
    m = _COPULA.search(sents[0])
    if not m:
        return None
    head = None
    for tok in re.findall(r"[\w'-]+|[,;:()]", m.group(1))[:10]:
        if not re.match(r"\w", tok) or tok.lower() in _NP_END:
            break
        head = tok.lower()
    return head if head and not head.isdigit() else None


def _seed(seed: int, name: str, qid: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}|{name}|{qid}".encode()).digest()[:8], "big")


@dataclass
class Perturbed:
    """A perturbed question: the item to score (own paragraphs, then any added ones) and the paragraph ids in the
    order the question is given them."""

    item: EvalItem
    order: list[str]


class Perturber:
    """Builds the perturbed version of each question of a dataset (the corpus of distractors: its paragraphs)."""

    def __init__(self, items: Sequence[EvalItem], seed: int = 0):
        self.seed = seed
        self.pool: list[tuple[Passage, list[str] | None]] = []
        seen: set[str] = set()
        for it in items:
            for k, p in enumerate(it.paragraphs or []):
                if p.id not in seen:
                    seen.add(p.id)
                    self.pool.append((p, it.sentences[k] if it.sentences else None))
        self._types = [entity_type(p) for p, _ in self.pool]
        self._words = [set(content_words(p.text)) for p, _ in self.pool]

    def apply(self, name: str, item: EvalItem) -> Perturbed:
        if name not in PERTURBATIONS:
            raise InputError(f"unknown perturbation '{name}' (one of {', '.join(PERTURBATIONS)})")
        if item.paragraphs is None:
            raise InputError("perturbations need each question's own paragraphs (distractor setting)")
        ids = item.paragraph_ids
        if name == "shuffle":
            order = list(ids)
            random.Random(_seed(self.seed, name, item.id)).shuffle(order)
            return Perturbed(item, order)
        if name == "reverse":
            return Perturbed(item, list(reversed(ids)))
        return self._distractors(item)

    def distractors_for(self, item: EvalItem, k: int = DISTRACTORS_PER_QUESTION) -> list[int]:
        """Pool positions of the distractor paragraphs chosen for a question (seeded, reproducible)."""
        own = set(item.paragraph_ids)
        titles = {p.title for p in item.paragraphs or []}
        types = {entity_type(p) for p in item.paragraphs or []} - {None}
        title_words = {w for t in titles for w in words(t)}
        relation = set(content_words(item.question)) - title_words
        scored = []
        for j, (p, _) in enumerate(self.pool):
            if p.id in own or p.title in titles:
                continue
            same_type = self._types[j] in types
            overlap = len(relation & self._words[j])
            if same_type or overlap:
                scored.append((-(2 * same_type + overlap), p.id, j))  # same type first, then relation words
        scored.sort()
        best = [j for _, _, j in scored[: _POOL_FACTOR * k]]
        rng = random.Random(_seed(self.seed, "distractors", item.id))
        return sorted(rng.sample(best, min(k, len(best))), key=best.index)

    def _distractors(self, item: EvalItem) -> Perturbed:
        chosen = self.distractors_for(item)
        extra = [self.pool[j][0] for j in chosen]
        sentences = None
        if item.sentences is not None:
            sentences = list(item.sentences) + [self.pool[j][1] or split_sentences(self.pool[j][0].text) for j in chosen]
        new = dataclasses.replace(item, paragraphs=list(item.paragraphs or []) + extra, sentences=sentences)
        return Perturbed(new, new.paragraph_ids)


def describe(names: Sequence[str]) -> str:
    parts = {"shuffle": "`shuffle`: each question's paragraphs in a seeded random order",
             "reverse": "`reverse`: in reverse order (evidence order reversed)",
             "distractors": f"`distractors`: {DISTRACTORS_PER_QUESTION} distractor paragraphs added per question, "
                            "from the other questions' paragraphs about entities of the same type that share the "
                            "question's relation words (seeded)"}
    return ("Distractor setting. " + "; ".join(parts[n] for n in names)
            + ". Drop = unperturbed minus perturbed, in points (positive: the perturbation hurts). Perturbed runs reuse "
              "the unperturbed run's cached query encodings, so their latencies are not comparable.")
