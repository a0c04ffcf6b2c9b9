"""Rule-based decomposition of compositional questions into single-hop sub-questions (no model, no LLM).

The DECOMPOSE state of the hop machine calls `decompose(question)`. It returns MuSiQue-style sub-questions whose later
members refer to earlier answers with `#1`, `#2`, ...::

    >>> decompose("Where did the creator of the Mona Lisa die?").sub_questions
    ['Who is the creator of the Mona Lisa?', 'Where did #1 die?']

or None when no rule applies confidently (the caller then falls back to decomposition-free condensed hops).

How it works (pure Python + `re`, well under a millisecond per question):

1. Tokenise, and merge runs of capitalised words (with "of", "the", "'s", ":" ... between them) into single entity
   tokens, so that titles such as "Allegory of Isabella d'Este's Coronation" are never split.
2. Read the frame of the question: the wh-phrase, its auxiliary, and, for "did/does/can NP VERB ..." and
   "was NP PARTICIPLE" questions, where the subject noun phrase must end.
3. Parse the noun phrases left to right with a small recursive grammar: "the REL of NP", "NP's REL",
   "the TITLE performer", "the N who/that/which/whom ...", "the N where/when/in which ...", "the N whose ...",
   participles ("the university attended by X", "the county sharing a border with X"), "the N with X",
   superlatives ("the most populous city in X").
4. Reduce complex noun phrases innermost first: each becomes one natural single-hop question and is replaced by `#k`
   in the text around it. What remains of the question is the last sub-question. When the question only asks for the
   identity of its noun phrase ("Who is the spouse of NP?") that noun phrase is kept as the last hop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..lexical.lexicon import KINSHIP_NOUNS, PREPOSITIONS, ROLE_RELATIONS
from ..lexical.morphology import lemma
from .frame import Frame, read_frame
from .phrases import Grammar, Node
from .wording import Wording


@dataclass(frozen=True)
class Decomposition:
    """Sub-questions in answering order; `#k` in a sub-question stands for the answer of sub-question k (1-based)."""

    sub_questions: list[str]
    rule: str  # the rules that fired, joined by "+" in firing order ("of_chain", "possessive", "relative_clause", ...)

    def to_dict(self) -> dict[str, Any]:
        return {"sub_questions": list(self.sub_questions), "rule": self.rule, "steps": len(self.sub_questions)}


_REF = re.compile(r"#(\d+)")


def references(sub_question: str) -> list[int]:
    """The `#k` a sub-question depends on, in order of first appearance, without repeats."""
    seen: list[int] = []
    for m in _REF.finditer(sub_question):
        k = int(m.group(1))
        if k not in seen:
            seen.append(k)
    return seen


def substitute(sub_question: str, answers: dict[int, str]) -> str:
    """Replace each `#k` by the k-th sub-answer (1-based). References without an answer stay as they are."""

    def repl(m: re.Match[str]) -> str:
        k = int(m.group(1))
        value = answers.get(k)
        if value is None:
            value = answers.get(str(k))  # type: ignore[call-overload]
        return m.group(0) if value is None or not str(value).strip() else str(value).strip()

    return _REF.sub(repl, sub_question)


# ----------------------------------------------------------------------------------------------------------------------
# Reduction and validation
# ----------------------------------------------------------------------------------------------------------------------

class _Reducer(Grammar):
    """Reduces the complex noun phrases of a question, innermost first, to sub-questions, and checks the result."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.steps: list[str] = []
        self.rules: list[str] = []
        self.repl: dict[int, tuple[int, str]] = {}
        self.wording = Wording(self, self.repl)

    _RULE_NAMES = {
        ("rel", "of"): "of_chain", ("rel", "prep"): "of_chain", ("rel", "poss"): "possessive",
        ("rel", "compound"): "possessive", ("sup", ""): "superlative", ("with", ""): "relative_clause",
        ("by", ""): "by_phrase", ("part", "ed"): "passive", ("part", "ing"): "participle",
    }

    def _rule_of(self, node: Node) -> str:
        if node.kind in ("clause", "headless"):
            if node.kind == "clause" and node.form in ("subject", "object") and not node.prep:
                return "relative_clause"
            return "nested_wh"
        return self._RULE_NAMES.get((node.kind, node.form), self._RULE_NAMES.get((node.kind, ""), node.kind))

    def _realize(self, node: Node, keep: bool = False) -> None:
        for child in node.children:
            # "the actor of Grace's boyfriend": a character's relative is part of the character, not a hop
            character = (node.kind == "rel" and node.key in ROLE_RELATIONS and child.kind == "rel"
                         and child.key in KINSHIP_NOUNS)
            self._realize(child, keep=character)
        if node.kind == "generic" or keep:
            return
        question = self.wording.question(node)
        if question is None:
            return
        self.steps.append(_tidy(question))
        self.rules.append(self._rule_of(node))
        ref = f"#{len(self.steps)}"
        self.repl[node.start] = (node.end, f"in {ref}" if node.kind == "headless" else ref)

    def _keep_top(self, node: Node, fr: Frame) -> bool:
        """Keep the noun phrase the question asks about as the last hop ("Who is the spouse of NP?")."""
        if node.start != fr.subj_start:
            return False
        e = node.end
        to_end = e >= fr.end or (fr.kind == "be" and self.lo(e) in PREPOSITIONS and e + 1 < fr.end)
        if fr.ident:
            return to_end
        # "Where is the origin of NP?": a relation of the subject is still the asked-for thing
        return fr.kind == "be" and fr.boundary is None and to_end and node.kind in ("rel", "sup", "generic")

    def run(self, max_steps: int) -> Decomposition | None:
        if self.n < 3:
            return None
        fr = read_frame(self)
        i = 0
        while i < fr.end:
            if fr.wh and fr.wh[0] <= i < fr.wh[1]:
                i = fr.wh[1]
                continue
            if fr.prefix_end is not None and i < fr.prefix_end:
                limit = fr.prefix_end
            elif fr.subj_start is not None and fr.boundary is not None and fr.subj_start <= i < fr.boundary:
                limit = fr.boundary
            else:
                limit = fr.end
            node = self.parse_np(i, limit, bare=(i == fr.subj_start))
            if node is None:
                i += 1
                continue
            if (node.kind == "rel" and node.form == "of" and node.pp is None and i == fr.subj_start
                    and fr.boundary is not None and node.end < fr.boundary and self.lo(node.end) in PREPOSITIONS):
                # "did the singer of X in the movie Y win ...": the whole subject up to the main verb is the phrase
                node.pp = (node.end, fr.boundary)
                node.end = fr.boundary
            if node.complex:
                # after "become"/"remain" a noun phrase is a predicate ("became the top maker in 1994"), not a hop
                predicate = self.lo(i - 1) in ("become", "became", "becomes", "becoming", "remain", "remained")
                # "who played the wife of X in Y": a role in a work is looked up together with the casting
                role = (node.kind == "rel" and node.key in KINSHIP_NOUNS and node.form in ("of", "poss")
                        and lemma(self.lo(i - 1))[0] in ("play", "portray", "voice"))
                self._realize(node, keep=predicate or role or self._keep_top(node, fr))
            i = max(node.end, i + 1)
        if not self.steps:
            return None
        final = _tidy(self.wording.render(0, self.n))
        steps = list(self.steps)
        if not _TRIVIAL.match(final) and final.lower() != steps[-1].lower():
            steps.append(final)
            self.rules.append("")
        if len(steps) < 2 or len(steps) > max_steps:
            return None
        if references(steps[0]):
            return None
        for k, sq in enumerate(steps[1:], start=2):
            refs = references(sq)
            if not refs or any(r >= k for r in refs):
                return None
        rules: list[str] = []
        for r in self.rules:
            if r and r not in rules:
                rules.append(r)
        return Decomposition(sub_questions=steps, rule="+".join(rules))


_TRIVIAL = re.compile(
    r"^(?:(?:who|what|which(?: [\w-]+){0,2})\s+(?:is|was|are|were)\s+(?:the name of\s+)?#\d+"
    r"|#\d+\s+(?:is|was|are|were)\s+(?:who|whom|what))\s*\?$", re.I)


def _tidy(text: str) -> str:
    s = re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"\s+([?,;:.!)])", r"\1", s)
    s = re.sub(r"([(])\s+", r"\1", s)
    s = re.sub(r"\s+(['’]s)\b", r"\1", s)
    s = s.rstrip(" .!?,;:")
    if not s:
        return s
    return s[0].upper() + s[1:] + "?"


def decompose(question: str, max_steps: int = 4) -> Decomposition | None:
    """Split a compositional question into single-hop sub-questions with `#k` references, or None when no rule applies
    confidently. The first sub-question names an entity of the question and is answerable on its own; each later one
    refers to earlier answers. Pure rules: no model, no data files."""
    if not question or not question.strip() or max_steps < 2:
        return None
    q = re.sub(r"\s+", " ", question.strip())
    if len(q) > 400 or _REF.search(q):  # already a sub-question with references: nothing to split
        return None
    try:
        return _Reducer(q).run(max_steps)
    except (IndexError, AssertionError, RecursionError):  # malformed input: decline rather than fail the pipeline
        return None
