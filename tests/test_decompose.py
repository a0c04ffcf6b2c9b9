"""Rule-based question decomposition: exact sub-questions for MuSiQue-shaped questions, refusals, references."""
from __future__ import annotations


import pytest

from hopqa.decompose import Decomposition, decompose, references, substitute

# (question, expected sub-questions or None)
CASES: list[tuple[str, list[str] | None]] = [
    # --- "the Y of the X" chains ---
    ("Where did the creator of The Blue Lantern die?",
     ["Who is the creator of The Blue Lantern?", "Where did #1 die?"]),
    ("Who is the mother of the founder of Orvane Systems?",
     ["Who founded Orvane Systems?", "Who is the mother of #1?"]),
    ("What is the population of the capital of Estavia?",
     ["What is the capital of Estavia?", "What is the population of #1?"]),
    ("When was the author of The Glass Orchard born?",
     ["Who is the author of The Glass Orchard?", "When was #1 born?"]),
    ("Who is the mother of the father of the director of Paper Lanterns?",
     ["Who is the director of Paper Lanterns?", "Who is the father of #1?", "Who is the mother of #2?"]),
    ("What is the capital of the country of citizenship of the founder of Orvane Systems?",
     ["Who founded Orvane Systems?", "Of which country is #1 a citizen?", "What is the capital of #2?"]),
    ("What award did the author of The Salt Road receive?",
     ["Who is the author of The Salt Road?", "What award did #1 receive?"]),
    ("The singer of Red Harbor was born in which city?",
     ["Who is the singer of Red Harbor?", "#1 was born in which city?"]),
    ("Along with Tom Vey and the performer of Night Tide, what artist toured Europe?",
     ["Who is the performer of Night Tide?", "Along with Tom Vey and #1, what artist toured Europe?"]),
    ('What did the singer of "Gold Rain" in the film Harbor Nights win an award for?',
     ['Who is the singer of "Gold Rain" in the film Harbor Nights?', "What did #1 win an award for?"]),
    ("where did the performer of silver meadow die?",
     ["Who is the performer of silver meadow?", "Where did #1 die?"]),
    # --- possessives, "the TITLE performer", chains of them ---
    ("Who is the father of Anna Lind's husband?",
     ["Who is the husband of Anna Lind?", "Who is the father of #1?"]),
    ("What team does Lena Strand's husband play for?",
     ["Who is the husband of Lena Strand?", "What team does #1 play for?"]),
    ("Who is the spouse of the Silver Meadow performer's father?",
     ["Who is the performer of Silver Meadow?", "Who is the father of #1?", "Who is the spouse of #2?"]),
    ("Who is the spouse of Mara Quill's mother's brother?",
     ["Who is the mother of Mara Quill?", "Who is the brother of #1?", "Who is the spouse of #2?"]),
    ("What is the official language of Tomas Ridel's country of citizenship?",
     ["Of which country is Tomas Ridel a citizen?", "What is the official language of #1?"]),
    ("Where did the author of The Salt Road's father die?",
     ["Who is the author of The Salt Road?", "Who is the father of #1?", "Where did #2 die?"]),
    ("Who owns the record label of the Harbor Lights performer?",
     ["Who is the performer of Harbor Lights?", "What is the record label of #1?", "Who owns #2?"]),
    ("Who is the father of Lisette's actress in Harbor Nights?",
     ["Who plays Lisette in Harbor Nights?", "Who is the father of #1?"]),
    # --- relative clauses: who / that / which / whom / zero / whose ---
    ("Who is the father of the person who discovered Velmarite?",
     ["Who discovered Velmarite?", "Who is the father of #1?"]),
    ("Which company acquired the studio that produced Moonfall Drift?",
     ["Which studio produced Moonfall Drift?", "Which company acquired #1?"]),
    ("When did the band that Rick Solano joined release its first album?",
     ["Which band did Rick Solano join?", "When did #1 release its first album?"]),
    ("When was the bank that bought Halden Trust founded?",
     ["Which bank bought Halden Trust?", "When was #1 founded?"]),
    ("Where is the origin of the river that the Sarn clans crossed to reach Velbourg?",
     ["Which river did the Sarn clans cross to reach Velbourg?", "Where is the origin of #1?"]),
    ("What did the actress whom Lind and Vey wrote the song Gold Rain for win a prize for?",
     ["Who did Lind and Vey write the song Gold Rain for?", "What did #1 win a prize for?"]),
    ("Who is the mother of the person Velbourg is named after?",
     ["Who is Velbourg named after?", "Who is the mother of #1?"]),
    ("What is the currency of the country whose capital is Velbourg?",
     ["Which country's capital is Velbourg?", "What is the currency of #1?"]),
    ("The actor who plays Lord Brisk in Quiet Harbor is married to whom?",
     ["Who plays Lord Brisk in Quiet Harbor?", "#1 is married to whom?"]),
    # --- nested where / when / in which ---
    ("What is the capital of the country where Tomas Ridel was born?",
     ["In which country was Tomas Ridel born?", "What is the capital of #1?"]),
    ("When did the city where Ilsa Brandt was born become the capital?",
     ["In which city was Ilsa Brandt born?", "When did #1 become the capital?"]),
    ("How many people live in the city where Oskar Brenn was born?",
     ["In which city was Oskar Brenn born?", "How many people live in #1?"]),
    ("What language is spoken in the country where the Velt River is located?",
     ["In which country is the Velt River located?", "What language is spoken in #1?"]),
    ("What type of government did Norland have during the war when the Sarn troops crossed the Velt River?",
     ["During which war did the Sarn troops cross the Velt River?",
      "What type of government did Norland have during #1?"]),
    ("Who founded the city in which the composer of Iron Psalm died?",
     ["Who is the composer of Iron Psalm?", "In which city did #1 die?", "Who founded #2?"]),
    ("Where do the buses leave from in the city where the founder of Korr Industries lived when he died?",
     ["Who founded Korr Industries?", "In which city did #1 live when he died?", "Where do the buses leave from in #2?"]),
    # --- passives, participles, "the N by/with X" ---
    ("In what year was the university attended by Marek Olsson founded?",
     ["Which university was attended by Marek Olsson?", "In what year was #1 founded?"]),
    ("What is the record label of the album released by Delia Vance?",
     ["Which album was released by Delia Vance?", "What is the record label of #1?"]),
    ("When was the company founded by Lars Egede dissolved?",
     ["Which company was founded by Lars Egede?", "When was #1 dissolved?"]),
    ("Who is the child of the composer of the song performed by Delia Vance?",
     ["Which song was performed by Delia Vance?", "Who is the composer of #1?", "Who is the child of #2?"]),
    ("Where is the province containing Korvath located?",
     ["Which province contains Korvath?", "Where is #1 located?"]),
    ("The territory containing Sarn Island is located on which sea?",
     ["Which territory contains Sarn Island?", "#1 is located on which sea?"]),
    ("Who produced the album by the Cold Harbor performer?",
     ["Who is the performer of Cold Harbor?", "Which album is by #1?", "Who produced #2?"]),
    ("Which religion is practiced in the region with the largest lake in Estavia?",
     ["What is the largest lake in Estavia?", "Which region has #1?", "Which religion is practiced in #2?"]),
    # --- superlatives ---
    ("What is the most populous city in the state where Lake Tenvik is located?",
     ["In which state is Lake Tenvik located?", "What is the most populous city in #1?"]),
    ("Who is the spouse of the longest reigning Norlandic monarch?",
     ["Who is the longest reigning Norlandic monarch?", "Who is the spouse of #1?"]),
    # --- 3 and 4 step chains ---
    ("What is the capital of the county that shares a border with the county where Peter Halvorsen was born?",
     ["In which county was Peter Halvorsen born?", "Which county shares a border with #1?", "What is the capital of #2?"]),
    ("When did the president of the country where the Velt River is located take office?",
     ["In which country is the Velt River located?", "Who is the president of #1?", "When did #2 take office?"]),
    ("What is the capital of the state where the university attended by the author of The Salt Road is located?",
     ["Who is the author of The Salt Road?", "Which university was attended by #1?", "In which state is #2 located?",
      "What is the capital of #3?"]),
    ("In what county is the city that shares a border with the capital of the state where Ilsa Brandt was born?",
     ["In which state was Ilsa Brandt born?", "What is the capital of #1?", "Which city shares a border with #2?",
      "In what county is #3?"]),
    ("What is the capital of the county that shares a border with the county whose capital is the birthplace of "
     "Erik Dahl?",
     ["Where was Erik Dahl born?", "Which county's capital is #1?", "Which county shares a border with #2?",
      "What is the capital of #3?"]),
    ("Which county shares a border with the county where the most populous city in the state where Lake Tenvik "
     "is located?",
     ["In which state is Lake Tenvik located?", "What is the most populous city in #1?", "In which county is #2?",
      "Which county shares a border with #3?"]),
    # --- must NOT be decomposed: single-hop questions ---
    ("Who wrote Hamlet?", None),
    ("Who is the composer of Night Tide?", None),
    ("Who is the performer of Green?", None),
    ("Where was Barack Obama born?", None),
    ("What is the capital of France?", None),
    ("Who is the father of Chiang Hsiao-wen?", None),
    ("Who was the first president of the United States?", None),
    ("When was the Eiffel Tower built?", None),
    ("Who is Lena Strand's husband?", None),
    ("What is the largest city in Norland?", None),
    ("Who is the actor who plays Marta in The Long Winter?", None),
    ("What is the name of the river that flows through Dunmore?", None),
    ("Who plays Ada's brother in Quiet Harbor?", None),
    ("Which team won the 1959 FA Cup final?", None),
    ("Who was born first, Anna Lind or Oskar Brenn?", None),
    ("Who became the top exporter of tin in 1994?", None),
    ("The father of Chiang Hsiao-wen is whom?", None),
]


@pytest.mark.parametrize("question,expected", CASES, ids=[q[:60] for q, _ in CASES])
def test_decompose_table(question: str, expected: list[str] | None) -> None:
    got = decompose(question)
    if expected is None:
        assert got is None, got
    else:
        assert got is not None, question
        assert got.sub_questions == expected


def test_table_covers_every_shape_and_length() -> None:
    assert len(CASES) >= 30
    lengths = {len(e) for _, e in CASES if e}
    assert {2, 3, 4} <= lengths
    assert sum(e is None for _, e in CASES) >= 10


@pytest.mark.parametrize("question,expected", [c for c in CASES if c[1]], ids=[q[:60] for q, e in CASES if e])
def test_reference_structure(question: str, expected: list[str]) -> None:
    """The first sub-question stands alone; each later one refers only to earlier answers."""
    d = decompose(question)
    assert d is not None
    assert references(d.sub_questions[0]) == []
    for k, sq in enumerate(d.sub_questions[1:], start=2):
        refs = references(sq)
        assert refs and all(1 <= r < k for r in refs), (k, sq)
        assert sq.endswith("?") and sq[0] == sq[0].upper()


@pytest.mark.parametrize("question,rule", [
    ("Where did the creator of The Blue Lantern die?", "of_chain"),
    ("Who is the father of Anna Lind's husband?", "possessive"),
    ("Which company acquired the studio that produced Moonfall Drift?", "relative_clause"),
    ("What is the capital of the country where Tomas Ridel was born?", "nested_wh"),
    ("In what year was the university attended by Marek Olsson founded?", "passive"),
    ("Where is the province containing Korvath located?", "participle"),
    ("Who is the spouse of the longest reigning Norlandic monarch?", "superlative"),
    ("Who founded the city in which the composer of Iron Psalm died?", "of_chain+nested_wh"),
])
def test_rule_names(question: str, rule: str) -> None:
    d = decompose(question)
    assert d is not None and d.rule == rule


def test_to_dict() -> None:
    d = decompose("Who is the mother of the founder of Orvane Systems?")
    assert isinstance(d, Decomposition)
    assert d.to_dict() == {
        "sub_questions": ["Who founded Orvane Systems?", "Who is the mother of #1?"],
        "rule": "of_chain",
        "steps": 2,
    }


def test_max_steps() -> None:
    q = "What is the capital of the state where the university attended by the author of The Salt Road is located?"
    assert decompose(q) is not None and len(decompose(q).sub_questions) == 4
    assert decompose(q, max_steps=3) is None
    assert decompose("Who is the mother of the founder of Orvane Systems?", max_steps=1) is None


@pytest.mark.parametrize("question", ["", "   ", "?", "Hamlet", "Where did #1 die?", "the the the of of 's ?",
                                      "Who is the spouse of the?", "'s 's", "((( Who", "x" * 500])
def test_degenerate_input_declines(question: str) -> None:
    assert decompose(question) is None


def test_deterministic() -> None:
    """Same question, same decomposition (speed is the benchmark's business, not a unit test's)."""
    questions = [q for q, _ in CASES]
    first = [decompose(q) for q in questions]
    for _ in range(3):
        assert [decompose(q) for q in questions] == first


def test_references() -> None:
    assert references("Who founded Orvane Systems?") == []
    assert references("Where did #1 die?") == [1]
    assert references("Is #3 older than #1, and #3 taller than #12?") == [3, 1, 12]


def test_substitute() -> None:
    assert substitute("Where did #1 die?", {1: "Lorenzo Costa"}) == "Where did Lorenzo Costa die?"
    assert substitute("Who is the spouse of #2?", {1: "A"}) == "Who is the spouse of #2?"
    assert (substitute("In which county is #3, near #1?", {1: "Oslo", 3: "Bergen"})
            == "In which county is Bergen, near Oslo?")
    # #1 must not eat the prefix of #12
    assert substitute("#12 and #1", {1: "x", 12: "y"}) == "y and x"
    # blank answers leave the reference unresolved
    assert substitute("Where did #1 die?", {1: "  "}) == "Where did #1 die?"


def test_substitute_chains_through_a_decomposition() -> None:
    d = decompose("Who owns the record label of the Harbor Lights performer?")
    assert d is not None
    answers = {1: "Mira Holt", 2: "Northern Sky Records"}
    resolved = [substitute(q, answers) for q in d.sub_questions]
    assert resolved == ["Who is the performer of Harbor Lights?", "What is the record label of Mira Holt?",
                        "Who owns Northern Sky Records?"]
