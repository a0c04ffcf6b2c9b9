"""The offline extractive reader: answer types, span choice on small hand-written facts, exclusion, abstention."""
from __future__ import annotations


import pytest

from hopqa.config import ReaderConfig
from hopqa.lexical.questions import answer_type
from hopqa.reader import Candidate, ReaderResult, read
from hopqa.types import Fact


def fact(text: str, pid: str, title: str, score: float = 0.5) -> Fact:
    return Fact(text=text, passage_id=pid, title=title, score=score)


FACTS = [
    fact("The Lantern of Arvel is a novel by the Velmoran writer Ilsa Marrow, published in March 1887.", "p1",
         "The Lantern of Arvel"),
    fact("Ilsa Marrow was born in Kestrel Bay, a port town in the north of Velmora.", "p2", "Ilsa Marrow"),
    fact("She studied at the University of Velmora and later taught there for twelve years.", "p2", "Ilsa Marrow"),
    fact("The University of Velmora has 14,200 students and was founded in 1642.", "p3", "University of Velmora"),
    fact("Ilsa Marrow married the painter Tomas Greave in 1890.", "p2", "Ilsa Marrow"),
    fact("Tomas Greave (12 June 1851 – 4 May 1921) died in Port Hallow, where he had kept a studio.", "p4",
         "Tomas Greave"),
]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Who painted the Allegory of Isabella d'Este's Coronation?", "person"),
        ("Whom did Ilsa Marrow marry?", "person"),
        ("The father of Chiang Hsiao-wen is whom?", "person"),
        ("Which actor played Marty?", "person"),
        ("When was the bridge built?", "date"),
        ("What year did the war end?", "date"),
        ("In which year was he born?", "date"),
        ("Where was Ada Lovelace born?", "place"),
        ("Where did Paul Kane live when he died?", "place"),  # the first wh-word decides
        ("In which city did he die?", "place"),
        ("What country is Velmora in?", "place"),
        ("Orlam clans crossed which river to migrate to Namibia?", "place"),
        ("What is the name of the state where Redan High School is located?", "place"),
        ("How many people live in Oslo?", "number"),
        ("How much did it cost?", "number"),
        ("What percentage of voters chose him?", "number"),
        ("What was the population density of San Diego in 2009?", "number"),
        ("Which company made the rifle?", "entity"),
        ("What nationality was Betty Friedan?", "entity"),
        ("Why did Roncalli leave Venice?", "other"),
        ("What did Audrey Hepburn win a Tony for?", "other"),
        ("monarch at the end of world war 2", "person"),
        # "subject >> relation" steps: the relation decides
        ("Lorenzo Costa >> place of death", "place"),
        ("Lorenzo Costa >> date of birth", "date"),
        ("Here Comes the Boom >> screenwriter", "person"),
        ("Anna Benson >> spouse", "person"),
        ("Notus >> located in the administrative territorial entity", "place"),
        ("Craig Westcarr >> member of sports team", "entity"),
    ],
)
def test_answer_type_table(question: str, expected: str) -> None:
    assert answer_type(question) == expected


@pytest.mark.parametrize(
    "question, answer, pid",
    [
        ("Who wrote The Lantern of Arvel?", "Ilsa Marrow", "p1"),
        ("When was The Lantern of Arvel published?", "March 1887", "p1"),
        ("Where was Ilsa Marrow born?", "Kestrel Bay", "p2"),
        ("How many students does the University of Velmora have?", "14,200", "p3"),
        ("Which university did Ilsa Marrow attend?", "University of Velmora", "p2"),
        ("When was the University of Velmora founded?", "1642", "p3"),
        ("Who did Ilsa Marrow marry?", "Tomas Greave", "p2"),
        ("Ilsa Marrow >> spouse", "Tomas Greave", "p2"),
        ("Tomas Greave >> place of death", "Port Hallow", "p4"),
        ("Tomas Greave >> date of death", "4 May 1921", "p4"),
        ("Tomas Greave >> date of birth", "12 June 1851", "p4"),
    ],
)
def test_reads_the_span_and_its_passage(question: str, answer: str, pid: str) -> None:
    res = read(question, FACTS)
    assert isinstance(res, ReaderResult)
    assert res.text == answer
    assert res.answerable and res.confidence >= 0.5
    assert res.passage_ids and res.passage_ids[0] == pid
    assert res.candidates[0].text == answer and res.candidates[0].passage_id == pid
    assert FACTS[res.candidates[0].fact_index].passage_id == pid


def test_name_with_particles_and_epithet() -> None:
    facts = [fact("The Allegory is a painting by the Italian Renaissance painter Lorenzo Costa the Elder, dating to "
                  "about 1505.", "a", "The Allegory")]
    res = read("Who painted The Allegory?", facts)
    assert res.text == "Lorenzo Costa the Elder"  # not the adjective "Italian Renaissance"
    assert res.answer_type == "person"


def test_pronoun_sentence_answers_with_the_passage_title() -> None:
    facts = [fact("She won two Academy Awards, for her performances as Scarlett O'Hara in Gone with the Wind and "
                  "Blanche DuBois in A Streetcar Named Desire.", "vl", "Vivien Leigh")]
    res = read("who played scarlett in gone with the wind", facts)
    assert res.text == "Vivien Leigh"
    assert res.passage_ids == ["vl"]


def test_administrative_unit_prefers_the_county_to_the_state() -> None:
    facts = [fact("Notus is a city in Canyon County, Idaho, United States.", "n", "Notus, Idaho")]
    res = read("Notus >> located in the administrative territorial entity", facts)
    assert res.text == "Canyon County"


def test_exclude_drops_question_entities_and_earlier_answers() -> None:
    res = read("Ilsa Marrow >> spouse", FACTS)
    assert res.text == "Tomas Greave"
    again = read("Ilsa Marrow >> spouse", FACTS, exclude=["Tomas Greave"])
    assert again.text != "Tomas Greave"
    assert all(c.text != "Tomas Greave" for c in again.candidates)
    assert again.confidence < res.confidence
    # words of the question itself are never the answer
    assert all(c.text != "Ilsa Marrow" for c in res.candidates)
    # an excluded span also removes its parts ("Marrow" alone)
    who = read("Who wrote The Lantern of Arvel?", FACTS, exclude=["Ilsa Marrow"])
    assert all(c.text not in ("Ilsa Marrow", "Marrow", "Ilsa") for c in who.candidates)


def test_unanswerable_without_facts() -> None:
    res = read("Who wrote The Lantern of Arvel?", [])
    assert res.text == "unanswerable" and not res.answerable
    assert res.confidence == 0.0 and res.candidates == [] and res.passage_ids == []
    assert res.to_dict()["answer_type"] == "person"
    blank = read("Who wrote it?", [fact("   ", "x", "X")])
    assert blank.text == "unanswerable"


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Norway?", "Who invented the telephone?", "When did the Ottoman Empire collapse?",
     "How many moons does Jupiter have?"],
)
def test_unanswerable_with_irrelevant_facts(question: str) -> None:
    res = read(question, FACTS)
    assert res.text == "unanswerable"
    assert not res.answerable and res.passage_ids == []
    assert res.confidence < ReaderConfig().threshold
    # the guesses are still listed, for a caller that wants them
    assert all(c.score < ReaderConfig().threshold for c in res.candidates)


def test_threshold_is_the_callers() -> None:
    strict = read("Who wrote The Lantern of Arvel?", FACTS, config=ReaderConfig(threshold=0.99))
    assert strict.text == "unanswerable" and strict.candidates[0].text == "Ilsa Marrow"
    lax = read("What is the capital of Norway?", FACTS, config=ReaderConfig(threshold=0.0))
    assert lax.answerable and lax.text != "unanswerable"


def test_candidates_are_ordered_and_distinct() -> None:
    res = read("Who did Ilsa Marrow marry?", FACTS)
    scores = [c.score for c in res.candidates]
    assert scores == sorted(scores, reverse=True)
    assert 1 < len(res.candidates) <= 5
    assert res.confidence == pytest.approx(res.candidates[0].score, abs=1e-6)
    texts = [c.text.lower() for c in res.candidates]
    assert len(set(texts)) == len(texts)
    for i, a in enumerate(texts):  # no alternative is a piece of a better one
        assert not any(f" {a} " in f" {b} " for b in texts[:i])
    assert all(isinstance(c, Candidate) and 0.0 <= c.score <= 1.0 for c in res.candidates)


def test_supporting_passages_of_a_span_stated_twice() -> None:
    facts = [
        fact("Halvik is a harbour town on the coast of Ostrane.", "h1", "Halvik"),
        fact("The painter Oskar Wendel was born in Halvik in 1871.", "w1", "Oskar Wendel"),
        fact("Wendel, a native of Halvik, trained in Brenholt.", "w2", "Oskar Wendel (biography)"),
    ]
    res = read("Where was Oskar Wendel born?", facts)
    assert res.text == "Halvik"
    assert res.passage_ids[0] == "w1" and set(res.passage_ids) <= {"w1", "w2", "h1"}


def test_number_with_unit_and_max_words() -> None:
    facts = [fact("In 2009 the city had a population density of 3,771.9 people per square mile.", "sd", "San Diego")]
    res = read("What was the population density of San Diego in 2009?", facts)
    assert res.text.startswith("3,771.9")
    short = read("What was the population density of San Diego in 2009?", facts,
                 config=ReaderConfig(max_answer_words=1))
    assert short.text == "3,771.9"


def test_fact_score_breaks_ties() -> None:
    facts = [
        fact("Ada Venn was born in Lorsk.", "a", "Ada Venn", score=0.2),
        fact("Ada Venn was born in Marrowby.", "b", "Ada Venn (painter)", score=0.9),
    ]
    assert read("Where was Ada Venn born?", facts).text == "Marrowby"


def test_to_dict_round_trip() -> None:
    d = read("Who wrote The Lantern of Arvel?", FACTS).to_dict()
    assert set(d) == {"text", "answerable", "confidence", "passage_ids", "candidates", "answer_type"}
    assert d["text"] == "Ilsa Marrow" and d["answerable"] is True
    assert set(d["candidates"][0]) == {"text", "score", "passage_id", "fact_index", "cue"}


def test_repeatable() -> None:
    """Warm caches change nothing: the same read gives the same answer (speed is measured by the benchmark)."""
    questions = ["Who wrote The Lantern of Arvel?", "Where was Ilsa Marrow born?", "Ilsa Marrow >> spouse",
                 "How many students does the University of Velmora have?"]
    first = [read(q, FACTS).to_dict() for q in questions]
    for _ in range(3):
        assert [read(q, FACTS).to_dict() for q in questions] == first


def test_structural_cue_for_verification() -> None:
    # An agent named after its role ("by saxophone player X") states authorship without the question's relation word:
    # the candidate carries a structural cue. Scoring does not use it; `Condenser.verify` does.
    facts = [fact("Salt Road is the third album by saxophone player Ada Venn.", "s1", "Salt Road")]
    res = read("Who is the performer of Salt Road?", facts)
    assert res.candidates[0].text == "Ada Venn" and res.candidates[0].cue >= 0.5
    # A date inside a life span is no cue, even for "marry" (an acting-style verb of the reader's table).
    facts = [fact("Bram Tulliver (1890–1961) was a Pellish novelist.", "b1", "Bram Tulliver")]
    assert all(c.cue == 0.0 for c in read("When did Bram Tulliver marry?", facts).candidates)
