"""The noun-phrase grammar of the decomposer, parsed left to right with a small recursive grammar: "the REL of NP",
"NP's REL", "the TITLE performer", "the N who/that/which/whom ...", "the N where/when/in which ...", "the N whose ...",
participles ("the university attended by X", "the county sharing a border with X"), "the N with X", superlatives
("the most populous city in X"). Each complex noun phrase is a `Node`; `atom` nodes need no hop of their own."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..lexical.lexicon import (
    CONJUNCTIONS, DEMONYMS, DETERMINERS, FINITE_AUXILIARIES, KINSHIP_NOUNS, NON_HEADS, OF_RELATION_PHRASES,
    OF_RELATIONS, PERSON_RELATIONS, PLACE_TYPES, PREPOSITIONS, RELATIVE_PRONOUNS, ROLE_RELATIONS, SUBORDINATORS,
    THING_RELATION_PHRASES, TYPE_NOUNS, WH_WORDS, WHO_NOUNS, WORK_NOUNS, WORK_RELATIONS,
)
from ..lexical.morphology import BASE_VERBS, ING_NOUNS
from ..lexical.relations import RELATION_TEMPLATES
from .tokens import Tokens

__all__ = ["Node", "Grammar"]


@dataclass
class Node:
    """A noun phrase over tokens [start, end): its kind, head, relation key and the parts it is built from."""

    kind: str  # atom | rel | sup | clause | part | with | by | generic | headless
    start: int
    end: int
    children: list[Node] = field(default_factory=list)
    head: tuple[int, int] | None = None
    key: str = ""
    arg: Node | None = None
    form: str = ""  # rel: of | poss | compound | prep ; clause: subject | object | adverbial | whose | ellipsis
    prep: str = ""
    pron: str = ""
    body: tuple[int, int] | None = None
    subj: tuple[int, int] | None = None
    verb: int | None = None
    pp: tuple[int, int] | None = None
    sup: bool = False

    @property
    def complex(self) -> bool:
        return self.kind != "atom"


class Grammar(Tokens):
    """Noun phrases of a question's tokens."""

    def _key(self, hs: int, he: int) -> str:
        if he - hs >= 3 and self.T[he - 2].lo == "of":
            three = " ".join(self.T[k].lo for k in range(he - 3, he))
            if three in OF_RELATION_PHRASES:
                return three
        if he - hs >= 2:
            two = f"{self.T[he - 2].lo} {self.T[he - 1].lo}"
            if two in OF_RELATIONS or two in WHO_NOUNS or two in THING_RELATION_PHRASES or two in ROLE_RELATIONS:
                return two
        return self.T[he - 1].lo if he > hs else ""

    def _plural(self, key: str) -> bool:
        w = key.split()[-1] if key else ""
        return w.endswith("s") and not w.endswith(("ss", "us", "is", "ics")) and w not in PERSON_RELATIONS

    def _classify_head(self, start: int, hs: int, he: int) -> Node:
        T = self.T
        toks = range(hs, he)
        if all(T[k].kind in ("ent", "num") for k in toks):
            return Node("atom", start, he, head=(hs, he))
        # "the Green performer", "the Another Page record label"
        if T[hs].kind == "ent" and T[hs].lo not in DEMONYMS:
            k = hs
            while k < he and T[k].kind in ("ent", "num"):
                k += 1
            if k < he and self._key(k, he) in WORK_RELATIONS and self._key(k, he) == " ".join(
                    T[x].lo for x in range(k, he)):
                arg = Node("atom", hs, k)
                return Node("rel", start, he, head=(k, he), key=self._key(k, he), arg=arg, form="compound")
        key = self._key(hs, he)
        sup = any(self.is_sup_word(k) for k in toks) and not self._plural(key)
        node = Node("atom", start, he, head=(hs, he), key=key, sup=sup)
        if sup and any(T[k].kind == "ent" for k in toks):
            node.kind = "sup"
        return node

    def _comp_ok_for_sup(self, comp: Node) -> bool:
        if comp.complex:
            return True
        return any(self.T[k].kind in ("ent", "ref", "num") for k in range(comp.start, comp.end))

    def parse_np(self, i: int, limit: int, bare: bool = False) -> Node | None:
        T = self.T
        if i >= limit or i >= self.n:
            return None
        t = T[i]
        start = i
        det_headed = False
        if t.kind in ("ent", "ref", "num"):
            j = i + 1
            if t.kind == "ent":  # absorb trailing lowercase words of a name: "Greyhound buses", "Al gran sole"
                while (j < limit and self.is_word(j) and self.is_head_word(j, i, limit)
                       and (self.lo(j) not in BASE_VERBS or j + 1 == limit < self.n - 1)
                       and not self.lo(j).endswith("ing")):
                    j += 1
            node = Node("atom", i, j)
        elif t.lo in DETERMINERS or (bare and t.kind == "word" and self.is_head_word(i, i, limit) and not self.is_finite(i)):
            hs = i + 1 if t.lo in DETERMINERS else i
            j = hs
            while j < limit and j - hs < 8 and self.is_head_word(j, hs, limit):
                j += 1
            if j == hs:
                return None
            if (j + 1 < limit and self.lo(j) == "of" and j > hs
                    and f"{self.lo(j - 1)} of {self.lo(j + 1)}" in OF_RELATION_PHRASES):
                j += 2
            node = self._classify_head(start, hs, j)
            det_headed = True
            if hs == i and self.lo(j) not in RELATIVE_PRONOUNS:  # a bare noun only heads a relative clause ("team that ...")
                return node
        else:
            return None

        node, j, det_headed = self._possessives(node, start, j, limit, det_headed)
        if not det_headed or j >= limit:
            return node
        return self._post_modifiers(node, start, j, limit)

    def _possessives(self, node: Node, start: int, j: int, limit: int, det_headed: bool) -> tuple[Node, int, bool]:
        """A possessive chain after the head: X's Y's Z. Returns the noun phrase, where it ends, and whether
        post-modifiers may still follow (not after a relation through 's)."""
        T = self.T
        while j < limit and T[j].kind == "poss":
            hs2 = k = j + 1
            while k < limit and k - hs2 < 5 and self.is_head_word(k, hs2, limit):
                k += 1
            if k == hs2:
                break
            if k + 1 < limit and T[k].lo == "of" and f"{T[k - 1].lo} of {self.lo(k + 1)}" in OF_RELATION_PHRASES:
                k += 2
            key = self._key(hs2, k) if T[k - 2].lo != "of" else " ".join(T[x].lo for x in range(k - 3, k))
            if not (key in OF_RELATIONS or key in RELATION_TEMPLATES or key in PLACE_TYPES or key in WHO_NOUNS
                    or any(self.is_sup_word(x) for x in range(hs2, k))):
                # "the Old West's inadequate local police", "the king's speech": a description, not a relation
                node = Node("atom", start, k, head=(hs2, k), key=key)
                j = k
                break
            node = Node("rel", start, k, children=[node] if node.complex else [], head=(hs2, k), key=key, arg=node,
                         form="poss")
            j = k
            self._role_pp(node, limit)
            j = node.end
            det_headed = False
        return node, j, det_headed

    def _post_modifiers(self, node: Node, start: int, j: int, limit: int) -> Node:
        """Post-modifiers of a determiner-headed noun phrase ("of NP", a preposition, a relative clause, a
        participle, a zero relative)."""
        T = self.T
        w = T[j].lo
        hs, he = node.head if node.head else (start, j)
        key = node.key
        if node.form == "compound":
            return node
        if w == "of":
            comp = self.parse_np(j + 1, limit, bare=True)
            if comp is None:
                return node
            kids = [comp] if comp.complex else []
            if (key in WORK_RELATIONS and comp.kind == "rel" and comp.form == "poss" and comp.key in KINSHIP_NOUNS
                    and comp.arg is not None and not comp.arg.complex):
                # "the author of X's father" = the father of (the author of X): works have no fathers
                inner = Node("rel", start, comp.arg.end, [], head=(hs, he), key=key, arg=comp.arg, form="of")
                return Node("rel", start, comp.end, [inner], head=comp.head, key=comp.key, arg=inner, form="poss")
            if key in OF_RELATIONS and node.kind != "sup":
                rel = Node("rel", start, comp.end, kids, head=(hs, he), key=key, arg=comp, form="of")
                self._role_pp(rel, limit)
                return rel
            if node.sup and not self._plural(key) and self._comp_ok_for_sup(comp):
                return Node("sup", start, comp.end, kids, head=(hs, he), key=key, arg=comp)
            if comp.complex:
                return Node("generic", start, comp.end, kids, head=(hs, he), key=key)
            return Node("atom", start, comp.end, head=(hs, he), key=key)
        if w in PREPOSITIONS and self.lo(j + 1) not in ("which", "whom"):
            comp = self.parse_np(j + 1, limit, bare=(w != "with"))
            if comp is None:
                return node
            kids = [comp] if comp.complex else []
            if w == "with" and key in TYPE_NOUNS:
                return Node("with", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if w == "by" and key in WORK_NOUNS:
                return Node("by", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if w in ("in", "on", "from") and (key in ROLE_RELATIONS or key in ("cast member", "star", "character")):
                return Node("rel", start, comp.end, kids, head=(hs, he), key=key, arg=comp, form="prep", prep=w)
            if node.sup and w in ("in", "of", "from", "on", "among", "at") and not self._plural(key) \
                    and self._comp_ok_for_sup(comp):
                return Node("sup", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if comp.complex:
                return Node("generic", start, comp.end, kids, head=(hs, he), key=key)
            if node.kind == "sup":
                return node
            return Node("atom", start, comp.end, head=(hs, he), key=key)
        if w in RELATIVE_PRONOUNS or (w in PREPOSITIONS and self.lo(j + 1) in ("which", "whom")):
            if w == "that" and (self.lo(j + 1) in PREPOSITIONS or self.lo(j + 1) in WH_WORDS):  # "found that what ..."
                return node
            clause = self._parse_clause(start, hs, he, j, limit)
            return clause or node
        if self.participle_postmod(j):
            return self._parse_participle(start, hs, he, j, limit)
        if (T[j].kind in ("ent", "ref") or w in ("he", "she", "they", "it")) and self.is_finite(j + 1):
            return self._parse_clause(start, hs, he, j, limit, zero=True) or node
        return node

    def _role_pp(self, node: Node, limit: int) -> None:
        """ "X's actor on Family Ties": the show a role belongs to stays with the role."""
        j = node.end
        if node.key in ROLE_RELATIONS and node.form in ("poss", "of") and self.lo(j) in ("in", "on", "from"):
            comp = self.parse_np(j + 1, limit, bare=True)
            if comp is not None and not comp.complex:
                node.pp = (j, comp.end)
                node.end = comp.end

    def _scan_region(self, s: int, e: int) -> list[Node]:
        """Complex noun phrases in tokens [s, e)."""
        out: list[Node] = []
        k = s
        while k < e:
            node = self.parse_np(k, e, bare=(k == s))
            if node is None:
                k += 1
                continue
            if node.complex:
                out.append(node)
            k = max(node.end, k + 1)
        return out

    def _scan_objects(self, k: int, limit: int) -> tuple[int, list[Node]]:
        """Walk the rest of a clause from k; stop before a comma or the next finite verb that is not its own."""
        kids: list[Node] = []
        allow = 0
        while k < limit:
            t = self.T[k]
            if t.text in (",", ";", "?", ":"):
                break
            lo = t.lo
            if t.kind == "word" and lo == "where" and (self.is_participle(k - 1) or self.is_finite(k - 1)
                                                       or self.is_adverb(k - 1)):
                node = self._parse_clause(k, k, k, k, limit, headless=True)
                if node is not None:
                    kids.append(node)
                    k = node.end
                    continue
            if t.kind == "word" and (lo in SUBORDINATORS or lo in CONJUNCTIONS or lo in ("where", "who", "which")):
                allow += 1
                k += 1
                continue
            if self.is_finite(k):
                if allow:
                    allow -= 1
                    k += 1
                    continue
                if self.is_adverb(k - 1) and self.lo(k - 1) not in ("first", "last", "only"):
                    k -= 1
                break
            node = self.parse_np(k, limit)
            if node is not None:
                if node.complex:
                    kids.append(node)
                k = max(node.end, k + 1)
            else:
                k += 1
        return k, kids

    def _verb_group_end(self, v: int) -> int:
        k = v + 1
        if self.lo(v) in FINITE_AUXILIARIES:
            while k < self.n and (self.lo(k) in ("be", "been", "being", "not", "have")
                                  or (self.is_adverb(k) and self.lo(k) not in ("first", "last", "only"))
                                  or self.is_participle(k)
                                  or (self.is_word(k) and self.lo(k).endswith("ing")
                                      and self.lo(k) not in ING_NOUNS)):
                k += 1
        return k

    def _starts_verb(self, b: int) -> int | None:
        """Index of the verb if a subject relative clause starts at b ("who voices ...", "that also plays ...")."""
        k = b
        if self.is_adverb(k) and self.lo(k) not in ("first", "last", "only"):
            k += 1
        if self.is_finite(k):
            return k
        if self.is_word(k) and not self.T[k].cap and self.lo(k) not in NON_HEADS:
            w = self.lo(k)
            nxt = k + 1
            objectish = self.kind(nxt) in ("ent", "ref", "num") or self.lo(nxt) in DETERMINERS or self.lo(nxt) in PREPOSITIONS
            if objectish and ((w.endswith("s") and not w.endswith("ss")) or w.endswith("ed")):
                return k
        return None

    def _parse_clause(self, start: int, hs: int, he: int, j: int, limit: int,
                      headless: bool = False, zero: bool = False) -> Node | None:
        w = self.lo(j)
        prep = ""
        if zero:  # "the person [that] Velbourg is named after"
            pron, b = "that", j
        elif w in PREPOSITIONS:
            prep, pron, b = w, self.lo(j + 1), j + 2
        else:
            pron, b = w, j + 1
        while b < limit and self.lo(b) == pron:  # "who who"
            b += 1
        if b >= limit:
            return None
        kids: list[Node] = []
        node = Node("headless" if headless else "clause", start, limit, head=(hs, he), pron=pron, prep=prep,
                     key=self._key(hs, he) if he > hs else "")
        v = self._starts_verb(b) if pron in ("who", "that", "which") and not prep else None
        if pron == "whose":
            e, kids = self._scan_objects_whose(b, limit)
            node.form = "whose"
            node.body = (b, e)
            node.end = e
        elif v is not None:
            vg = self._verb_group_end(v)
            e, kids = self._scan_objects(vg, limit)
            node.form, node.body, node.verb, node.end = "subject", (b, e), v, e
        else:
            sn = self.parse_np(b, limit, bare=True)
            if sn is not None and sn.kind == "part" and sn.form == "ed" and sn.verb is not None \
                    and self.is_finite(sn.verb) and not self.is_adverb(sn.body[0] if sn.body else b) \
                    and self.lo(sn.verb + 1) != "by" and not (sn.end < limit and self.is_finite(sn.end)):
                # "the river that the clans crossed to reach X": the clause's own verb, not a participle
                sn = self.parse_np(b, sn.verb, bare=True)
            if sn is not None and (sn.end >= limit or self.is_finite(sn.end)):
                subj_end = sn.end
                if sn.complex:
                    kids.append(sn)
            else:
                subj_end = next((k for k in range(b, limit) if self.is_finite(k)), limit)
                kids.extend(self._scan_region(b, subj_end))
            if subj_end >= limit or subj_end == b:
                node.form, node.body, node.subj, node.end = "ellipsis", (b, limit), (b, limit), limit
            else:
                vg = self._verb_group_end(subj_end)
                e, more = self._scan_objects(vg, limit)
                kids.extend(more)
                node.form = "object" if pron in ("who", "whom", "that", "which") and not prep else "adverbial"
                node.body, node.subj, node.verb, node.end = (b, e), (b, subj_end), subj_end, e
        node.children = kids
        if node.body and node.body[1] <= node.body[0]:
            return None
        return node

    def _scan_objects_whose(self, b: int, limit: int) -> tuple[int, list[Node]]:
        # "whose capital is the birthplace of X": possessed noun, verb group, then objects
        k = b
        while k < limit and self.is_head_word(k, b, limit) and not self.is_finite(k):
            k += 1
        if k >= limit or not self.is_finite(k):
            return b, []
        return self._scan_objects(self._verb_group_end(k), limit)

    def _parse_participle(self, start: int, hs: int, he: int, j: int, limit: int) -> Node | None:
        v = j + 1 if self.is_adverb(j) else j
        e, kids = self._scan_objects(v + 1, limit)
        form = "ing" if self.lo(v).endswith("ing") and not self.is_participle(v) else "ed"
        return Node("part", start, e, kids, head=(hs, he), key=self._key(hs, he), body=(j, e), verb=v, form=form)

