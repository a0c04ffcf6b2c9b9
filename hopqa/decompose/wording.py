"""The wording of sub-questions: each complex noun phrase becomes one natural single-hop question ("the creator of
the Mona Lisa" -> "Who is the creator of the Mona Lisa?", "the city where X died" -> "Where did X die?"), its text
rendered with the noun phrases already reduced replaced by their `#k`."""
from __future__ import annotations

from ..lexical.lexicon import (
    FINITE_AUXILIARIES, OF_RELATIONS, ROLE_RELATIONS, STATIVE_PARTICIPLES, WHEN_HEADS, WHERE_HEADS, WHO_HEADS,
    WHO_NOUNS,
)
from ..lexical.morphology import lemma, third_person
from ..lexical.relations import RELATION_TEMPLATES
from .phrases import Node
from .tokens import Tokens

__all__ = ["Wording"]


class Wording:
    """Renders token spans of `t` with the replacements in `repl` (first token -> (end token, text)), and words the
    sub-question of a noun phrase."""

    def __init__(self, t: Tokens, repl: dict[int, tuple[int, str]]) -> None:
        self.t = t
        self.repl = repl

    def render(self, s: int, e: int) -> str:
        pieces: list[str] = []
        prev_end: int | None = None
        i = s
        while i < e:
            r = self.repl.get(i)
            if r is not None and r[0] <= e:
                text, a, b, i = r[1], self.t.T[i].start, self.t.T[r[0] - 1].end, r[0]
            else:
                text, a, b, i = self.t.T[i].text, self.t.T[i].start, self.t.T[i].end, i + 1
            if prev_end is not None:
                gap = self.t.q[prev_end:a]
                pieces.append(gap if not gap.strip() else " ")
            pieces.append(text)
            prev_end = b
        return "".join(pieces)

    def _head_text(self, node: Node) -> str:
        hs, he = node.head if node.head else (node.start, node.start)
        return self.render(hs, he)

    def _who_which(self, node: Node) -> str:
        if node.key in WHO_HEADS:
            return "Who"
        head = self._head_text(node)
        return f"Which {head}" if head else "What"

    def _invert(self, node: Node) -> str | None:
        """ "X played for" -> "did X play for"; "X is located" -> "is X located"."""
        assert node.subj is not None and node.verb is not None and node.body is not None
        subj = self.render(*node.subj)
        v = node.verb
        rest = self.render(v + 1, node.body[1])
        vw = self.t.T[v].lo
        if vw in FINITE_AUXILIARIES:
            return f"{vw} {subj} {rest}".strip()
        base, tense = lemma(vw)
        aux = {"past": "did", "3sg": "does"}.get(tense, "do")
        return f"{aux} {subj} {base} {rest}".strip()

    def question(self, node: Node) -> str | None:
        k = node.kind
        if k == "rel":
            x = self.render(node.arg.start, node.arg.end) if node.arg else ""
            head = self._head_text(node)
            key = node.key
            who = "Who" if key in WHO_NOUNS else "What"
            if key in ROLE_RELATIONS and node.form in ("poss", "of"):
                pp = f" {self.render(*node.pp)}" if node.pp else ""
                return f"Who plays {x}{pp}?"
            known = key in OF_RELATIONS or key in RELATION_TEMPLATES
            if node.form == "poss" and (not known or head.lower() != key):
                return f"{who} is {x}'s {head}?" if not x.endswith("'") else f"{who} is {x} {head}?"
            if key in RELATION_TEMPLATES and head.lower() == key:
                return RELATION_TEMPLATES[key].format(x=x)
            if node.form == "prep":
                return f"{who} is the {head} {node.prep} {x}?"
            det = self.t.lo(node.start) if node.form == "of" and self.t.lo(node.start) in ("a", "an") else "the"
            pp = f" {self.render(*node.pp)}" if node.pp else ""
            return f"{who} is {det} {head} of {x}{pp}?"
        if k == "sup":
            who = "Who" if node.key in WHO_NOUNS else "What"
            return f"{who} is {self.render(node.start, node.end)}?"
        if k == "with":
            return f"{self._who_which(node)} has {self.render(node.arg.start, node.arg.end)}?"
        if k == "by":
            return f"{self._who_which(node)} is by {self.render(node.arg.start, node.arg.end)}?"
        if k == "part":
            assert node.body is not None and node.verb is not None
            v = node.verb
            adv = self.render(node.body[0], v) + " " if v > node.body[0] else ""
            rest = self.render(v + 1, node.body[1])
            if node.form == "ing":
                verb = third_person(lemma(self.t.T[v].lo)[0])
                return f"{self._who_which(node)} {adv}{verb} {rest}?"
            be = "is" if self.t.T[v].lo in STATIVE_PARTICIPLES or adv else "was"
            return f"{self._who_which(node)} {be} {adv}{self.t.T[v].text} {rest}?"
        if k in ("clause", "headless"):
            return self._clause_question(node)
        return None

    def _clause_question(self, node: Node) -> str | None:
        assert node.body is not None
        head = self._head_text(node)
        key = node.key
        pron, prep = node.pron, node.prep
        if pron in ("where",):
            wh = "Where" if node.kind == "headless" or key in WHERE_HEADS or not head else f"In which {head}"
        elif pron == "when":
            wh = "When" if key in WHEN_HEADS or not head else f"During which {head}"
        elif prep:
            obj = "whom" if pron == "whom" or key in WHO_HEADS else f"which {head}"
            wh = f"{prep.capitalize()} {obj}"
        else:
            wh = self._who_which(node)
        if node.form == "whose":
            return f"Which {head}'s {self.render(*node.body)}?"
        if node.form == "subject":
            return f"{wh} {self.render(*node.body)}?"
        if node.form == "ellipsis":
            subj = self.render(*node.body)
            if pron == "where" and wh.startswith("In which"):
                return f"{wh} is {subj}?"
            if pron == "where":
                return f"Where is {subj}?"
            return None
        inv = self._invert(node)
        return f"{wh} {inv}?" if inv else None

