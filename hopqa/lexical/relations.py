"""Relations: the Wikidata-style relations of "subject >> relation" steps with their answer type and the words that
state them in running text, the relation nouns of natural questions, and the word expansions shared by the reader and
the hop. `relation_info` reads a relation's (answer type, words).
"""
from __future__ import annotations

import re

from .lexicon import PERSON_NOUNS

#: Relations asking for the administrative unit that directly contains the subject (a county, more than a country).
ADMIN_RELATIONS = frozenset(["located in the administrative territorial entity", "capital of"])
#: Relations of "subject >> relation" steps (Wikidata property labels): expected type and the words that state them.
RELATIONS: dict[str, tuple[str, str]] = {
    "place of birth": ("place", "born birth birthplace native"),
    "place of death": ("place", "died death dies killed"),
    "place of burial": ("place", "buried burial interred grave"),
    "date of birth": ("date", "born birth"),
    "date of death": ("date", "died death"),
    "work location": ("place", "worked work active lived career based"),
    "residence": ("place", "lived lives resided resides home"),
    "located in the administrative territorial entity": ("place", "located situated county province state district"),
    "country": ("place", "country located nation"),
    "country of citizenship": ("entity", "citizen nationality national"),
    "country of origin": ("place", "country origin from"),
    "capital": ("place", "capital seat"),
    "capital of": ("place", "capital seat county"),
    "shares border with": ("place", "border borders bordered bounded adjacent neighboring neighbouring"),
    "located on terrain feature": ("place", "island located mountain"),
    "located in or next to body of water": ("place", "lake river sea shore bank"),
    "crosses": ("place", "crosses across spans river over"),
    "mouth of the watercourse": ("place", "flows mouth tributary empties"),
    "headquarters location": ("place", "headquartered headquarters based"),
    "home venue": ("place", "plays home matches stadium ground venue"),
    "licensed to broadcast to": ("place", "licensed serving serves serve broadcast community"),
    "continent": ("place", "continent"),
    "location": ("place", "located location"),
    "spouse": ("person", "married marry wife husband spouse widow widower"),
    "father": ("person", "father son+of daughter+of"),
    "mother": ("person", "mother son+of daughter+of"),
    "child": ("person", "son daughter child children father+of mother+of"),
    "sibling": ("person", "brother sister sibling"),
    "creator": ("person", "created creator painted painting painter made"),
    "performer": ("person", "performed performer sung singer recorded recording artist band"),
    "composer": ("person", "composed composer music"),
    "author": ("person", "written wrote author novel book"),
    "screenwriter": ("person", "written screenplay writer wrote script"),
    "director": ("person", "directed director film"),
    "producer": ("person", "produced producer"),
    "cast member": ("person", "starring stars starred cast actor actress"),
    "founded by": ("person", "founded founder established"),
    "named after": ("person", "named honor honour"),
    "notable work": ("entity", "known work works wrote"),
    "member of sports team": ("entity", "played plays signed club team joined"),
    "member of": ("entity", "member band vocalist singer group joined"),
    "record label": ("entity", "label records released signed"),
    "followed by": ("entity", "succeeded followed merged became successor"),
    "follows": ("entity", "preceded follows predecessor"),
    "owned by": ("entity", "owned owner subsidiary acquired"),
    "parent organization": ("entity", "owned subsidiary parent division"),
    "employer": ("entity", "worked employed works joined"),
    "educated at": ("entity", "educated studied graduated attended university college school"),
    "manufacturer": ("entity", "manufactured made produced built"),
    "developer": ("entity", "developed developer"),
    "publisher": ("entity", "published publisher"),
    "original broadcaster": ("entity", "aired broadcast network premiered"),
    "distributed by": ("entity", "distributed distributor released"),
    "religion": ("entity", "religion religious faith"),
    "instance of": ("other", ""),
    "inception": ("date", "founded established formed created opened"),
    "publication date": ("date", "published released"),
    "population": ("number", "population inhabitants residents"),
}
#: Irregular or derived forms that state the same thing in questions and in running text (the reader's keyword
#: expansion; the hop's goal and relation terms).
SYNONYMS: dict[str, str] = {
    "born": "birth birthplace native",
    "birth": "born",
    "birthplace": "born",
    "die": "died death",
    "died": "death",
    "death": "died",
    "wrote": "written author writer",
    "write": "written wrote author writer",
    "written": "wrote author",
    "author": "wrote written",
    "writer": "wrote written",
    "married": "wife husband spouse",
    "marry": "married wife husband spouse",
    "spouse": "married wife husband",
    "wife": "married",
    "husband": "married",
    "sing": "sang sung singer performed duet",
    "sings": "sang sung singer performed duet",
    "sang": "sung singer performed duet",
    "singer": "sang sung performed",
    "performer": "performed sang",
    "play": "played plays starring portrayed role",
    "plays": "played starring portrayed role",
    "played": "plays starring portrayed role",
    "voice": "voiced voices role",
    "voices": "voiced role",
    "made": "developed built manufactured produced",
    "make": "developed built manufactured produced",
    "built": "constructed",
    "founded": "established formed",
    "established": "founded formed",
    "buy": "bought acquired acquisition",
    "bought": "acquired acquisition purchased",
    "creator": "created painted",
    "director": "directed",
    "composer": "composed",
    "location": "located situated",
    "nationality": "citizen",
    "headquarters": "headquartered based",
    "largest": "biggest",
    "biggest": "largest",
}
#: Relation nouns of natural questions ("the father of X", "X's spouse") carry the words of their relation
#: (a key of `RELATIONS`).
RELATION_NOUNS = {
    "father": "father", "mother": "mother", "spouse": "spouse", "wife": "spouse", "husband": "spouse",
    "child": "child", "children": "child", "son": "child", "daughter": "child", "sibling": "sibling",
    "brother": "sibling", "sister": "sibling", "creator": "creator", "performer": "performer", "composer": "composer",
    "author": "author", "screenwriter": "screenwriter", "director": "director", "producer": "producer",
    "founder": "founded by", "birthplace": "place of birth", "publisher": "publisher", "developer": "developer",
    "manufacturer": "manufacturer", "owner": "owned by", "employer": "employer",
}
#: The decomposer's phrasing of a relation's single-hop question ("the founder of X" -> "Who founded X?").
RELATION_TEMPLATES = {
    "founder": "Who founded {x}?",
    "co-founder": "Who co-founded {x}?",
    "discoverer": "Who discovered {x}?",
    "inventor": "Who invented {x}?",
    "birthplace": "Where was {x} born?",
    "birth place": "Where was {x} born?",
    "place of birth": "Where was {x} born?",
    "city of birth": "Where was {x} born?",
    "town of birth": "Where was {x} born?",
    "birth city": "Where was {x} born?",
    "country of birth": "In which country was {x} born?",
    "place of death": "Where did {x} die?",
    "death place": "Where did {x} die?",
    "date of birth": "When was {x} born?",
    "date of death": "When did {x} die?",
    "place of burial": "Where was {x} buried?",
    "country of citizenship": "Of which country is {x} a citizen?",
    "citizenship": "Of which country is {x} a citizen?",
    "headquarters": "Where is the headquarters of {x}?",
}


def relation_info(relation: str) -> tuple[str, str]:
    """(expected answer type, words that state it) of a relation: from `RELATIONS`, else guessed from its words
    ("birth place" -> place; "conductor" -> person), with no words."""
    rel = " ".join(relation.strip().lower().split())
    if rel in RELATIONS:
        return RELATIONS[rel]
    ws = re.findall(r"[a-z]+", rel)
    for w in ws:
        if w in ("place", "location", "located", "country", "city", "state", "capital", "border", "territory"):
            return "place", ""
        if w in ("date", "year", "inception", "time"):
            return "date", ""
        if w in ("number", "population", "count", "height", "length", "area"):
            return "number", ""
    for w in ws:
        if w in PERSON_NOUNS or (w.endswith("er") and w not in ("member", "number", "owner")):
            return "person", ""
    return "entity", ""
