"""Hand-computed cases for every official MuSiQue scoring rule reproduced in hopqa.metrics.

Expected numbers are worked out by hand in the comments, never by calling the code under test.
"""
from __future__ import annotations

import pytest

from hopqa.metrics.answer import answer_em, answer_f1, normalize_answer
from hopqa.metrics.musique import evaluate_official, musique_full_group_metrics, support_f1, support_prf
from hopqa.metrics.retrieval import all_recall_at_k, recall_at_k
from hopqa.metrics.summary import aggregate, hop_type

approx = pytest.approx


# ----------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Paris", "paris"),  # case
        ("  New\tYork \n City ", "new york city"),  # whitespace squeezed and stripped
        ("The Beatles", "beatles"),  # leading article
        ("An apple a day", "apple day"),  # a / an removed as whole words
        ("theater and Anabel", "theater and anabel"),  # articles only as whole words
        ("U.S.A.", "usa"),  # punctuation deleted, not replaced by a space
        ("brown-fox", "brownfox"),
        ("The  Quick, Brown-Fox!", "quick brownfox"),
        ("a.m.", "am"),  # punctuation goes first, so "a.m." is not an article
        ("“Paris”", "“paris”"),  # official quirk: only ASCII punctuation is removed
        ("", ""),
        ("The", ""),
    ],
)
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


# ----------------------------------------------------------------------------- answers


def test_exact_match_after_normalisation():
    assert answer_em("the Eiffel Tower.", ["Eiffel tower"]) == 1.0
    assert answer_f1("the Eiffel Tower.", ["Eiffel tower"]) == 1.0


def test_em_vs_f1_partial_overlap():
    # pred tokens [barack, obama], gold [obama]: overlap 1, P = 1/2, R = 1, F1 = 2*(1/2)/(3/2) = 2/3
    assert answer_em("Barack Obama", ["Obama"]) == 0.0
    assert answer_f1("Barack Obama", ["Obama"]) == approx(2 / 3)


def test_f1_repeated_tokens_counted_with_multiplicity():
    # pred [new, new, york], gold [new, york]: overlap = min(2,1) + 1 = 2, P = 2/3, R = 1, F1 = 4/5
    assert answer_f1("New new York", ["New York"]) == approx(0.8)


def test_no_overlap_is_zero():
    assert answer_f1("London", ["Paris"]) == 0.0
    assert answer_em("London", ["Paris"]) == 0.0


def test_max_over_answer_and_aliases():
    assert answer_em("JFK", ["John F. Kennedy", "JFK"]) == 1.0
    assert answer_f1("JFK", ["John F. Kennedy", "JFK"]) == 1.0
    # "united states of america" vs "usa" -> 0; vs "united states": overlap 2, P = 2/4, R = 1 -> F1 = 2/3
    assert answer_f1("The United States of America", ["USA", "United States"]) == approx(2 / 3)
    assert answer_em("The United States of America", ["USA", "United States"]) == 0.0
    # a single gold string is accepted
    assert answer_em("usa", "U.S.A.") == 1.0


def test_empty_predicted_answer():
    assert answer_em("", ["Paris"]) == 0.0
    assert answer_f1("", ["Paris"]) == 0.0
    # pure punctuation normalises to nothing: same as empty
    assert answer_f1(".", ["Paris"]) == 0.0
    # official SQuAD-v2 rule: both sides empty after normalisation -> EM 1 and F1 1
    assert answer_em("", ["The"]) == 1.0
    assert answer_f1("", ["The"]) == 1.0


def test_empty_golds_rejected():
    with pytest.raises(ValueError):
        answer_f1("x", [])


# ----------------------------------------------------------------------------- support


def test_support_partial():
    # pred {1,2,3}, gold {2,3}: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 = 2*(2/3)/(5/3) = 0.8, EM 0
    prf = support_prf([1, 2, 3], [2, 3])
    assert prf["precision"] == approx(2 / 3)
    assert prf["recall"] == 1.0
    assert prf["f1"] == approx(0.8)
    assert prf["em"] == 0.0
    assert support_f1([1, 2, 3], [2, 3]) == approx(0.8)


def test_support_sets_ignore_duplicates_and_order():
    assert support_f1([5, 2, 2], [2, 5]) == 1.0
    assert support_prf([5, 2, 2], [2, 5])["em"] == 1.0


def test_support_both_empty_is_one():
    prf = support_prf([], [])
    assert prf["f1"] == 1.0 and prf["em"] == 1.0
    # the official code leaves precision and recall at 0 in that case
    assert prf["precision"] == 0.0 and prf["recall"] == 0.0


def test_support_one_side_empty_is_zero():
    assert support_f1([], [1, 2]) == 0.0
    assert support_f1([1], []) == 0.0
    assert support_prf([1], [])["em"] == 0.0


def test_support_disjoint():
    assert support_f1([0, 1], [2, 3]) == 0.0


# ----------------------------------------------------------------------------- retrieval


def test_recall_at_k():
    ranked = ["a", "b", "c", "d", "e"]
    gold = ["b", "e"]
    assert recall_at_k(ranked, gold, 1) == 0.0
    assert recall_at_k(ranked, gold, 2) == 0.5
    assert recall_at_k(ranked, gold, 5) == 1.0
    assert recall_at_k(ranked, gold, 10) == 1.0  # k beyond the ranking
    assert all_recall_at_k(ranked, gold, 2) == 0.0
    assert all_recall_at_k(ranked, gold, 5) == 1.0
    # three gold, two in the top 3: 2/3
    assert recall_at_k(ranked, {"a", "c", "z"}, 3) == approx(2 / 3)
    assert all_recall_at_k(ranked, {"a", "c", "z"}, 5) == 0.0


def test_recall_gold_empty_is_not_applicable():
    assert recall_at_k(["a"], [], 5) is None
    assert all_recall_at_k(["a"], [], 5) is None


def test_recall_bad_k():
    with pytest.raises(ValueError):
        recall_at_k(["a"], ["a"], 0)


# ----------------------------------------------------------------------------- hop types


@pytest.mark.parametrize(
    "qid, expected",
    [
        ("2hop__482757_12019", "2hop"),
        ("3hop1__9285_5188_23307", "3hop1"),
        ("3hop2__1_2_3", "3hop2"),
        ("4hop1__1_2_3_4", "4hop1"),
        ("4hop2__1_2_3_4", "4hop2"),
        ("4hop3__1_2_3_4", "4hop3"),
        ("5hop__1", "other"),
        ("3hop__1_2_3", "other"),
        ("hotpot_5a8b57f25542995d1e6f1371", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_hop_type(qid, expected):
    assert hop_type(qid) == expected


# ----------------------------------------------------------------------------- aggregate


def _rec(qid, **vals):
    base = dict.fromkeys(
        ["answer_em", "answer_f1", "support_f1", "recall@2", "recall@5", "recall@10", "all_recall@5", "all_recall@10"]
    )
    base.update({k.replace("_at_", "@"): v for k, v in vals.items()})
    base["id"] = qid
    return base


def test_aggregate_by_hop_type_skips_none():
    records = [
        _rec("2hop__1_2", answer_em=1.0, answer_f1=1.0, support_f1=1.0, recall_at_2=1.0, all_recall_at_5=1.0),
        _rec("2hop__3_4", answer_em=0.0, answer_f1=0.5, support_f1=None, recall_at_2=0.5, all_recall_at_5=0.0),
        _rec("3hop1__5_6_7", answer_em=0.0, answer_f1=0.25, support_f1=0.5, recall_at_2=None, all_recall_at_5=None),
        _rec("weird", answer_em=1.0, answer_f1=1.0),
    ]
    out = aggregate(records)
    assert out["n"] == 4
    assert out["answer_em"] == approx(2 / 4)  # (1 + 0 + 0 + 1) / 4
    assert out["answer_f1"] == approx(2.75 / 4)  # (1 + .5 + .25 + 1) / 4
    assert out["support_f1"] == approx(0.75)  # (1 + .5) / 2, the None and the missing skipped
    assert out["recall@2"] == approx(0.75)  # (1 + .5) / 2
    assert out["all_recall@5"] == approx(0.5)  # (1 + 0) / 2
    assert out["recall@10"] is None  # no record has it

    by = out["by_hop_type"]
    assert list(by) == ["2hop", "3hop1", "other"]
    assert by["2hop"]["n"] == 2
    assert by["2hop"]["answer_em"] == approx(0.5)
    assert by["2hop"]["answer_f1"] == approx(0.75)
    assert by["2hop"]["support_f1"] == approx(1.0)
    assert by["2hop"]["recall@2"] == approx(0.75)
    assert by["3hop1"] == {
        "answer_em": 0.0, "answer_f1": 0.25, "support_f1": 0.5, "recall@2": None, "recall@5": None,
        "recall@10": None, "all_recall@5": None, "all_recall@10": None, "n": 1,
    }
    assert by["other"]["n"] == 1 and by["other"]["answer_em"] == 1.0


def test_aggregate_empty():
    out = aggregate([])
    assert out["n"] == 0 and out["answer_f1"] is None and out["by_hop_type"] == {}


# ----------------------------------------------------------------------------- MuSiQue-Full groups


def _gold(qid, answerable, supporting=(), answer="Paris", aliases=("City of Light",)):
    paragraphs = [{"idx": i, "title": f"t{i}", "paragraph_text": "...", "is_supporting": i in supporting} for i in range(4)]
    return {"id": qid, "answer": answer, "answer_aliases": list(aliases), "answerable": answerable, "paragraphs": paragraphs}


def _pred(qid, answer, idxs, answerable):
    return {"id": qid, "predicted_answer": answer, "predicted_support_idxs": list(idxs), "predicted_answerable": answerable}


def _pair(qid, ans_pred, contrast_pred, contrast_first=False):
    """An answerable instance (gold support {1,3}) and its unanswerable contrast, sharing the id."""
    a = (_gold(qid, True, supporting=(1, 3)), ans_pred)
    u = (_gold(qid, False), contrast_pred)
    return [u, a] if contrast_first else [a, u]


def test_group_pair_both_right():
    pairs = _pair("2hop__A", _pred("2hop__A", "Paris", [1, 3], True), _pred("2hop__A", "Lyon", [0], False))
    out = musique_full_group_metrics(pairs)
    assert out["group_answer_sufficiency_f1"] == 1.0
    assert out["group_answer_sufficiency_em"] == 1.0
    assert out["group_support_sufficiency_f1"] == 1.0
    assert out["group_sufficiency"] == 1.0
    assert out["n_groups"] == 1 and out["n_instances"] == 2


def test_group_answerable_right_contrast_wrong_scores_zero():
    pairs = _pair("2hop__A", _pred("2hop__A", "Paris", [1, 3], True), _pred("2hop__A", "Paris", [1, 3], True))
    out = musique_full_group_metrics(pairs)
    assert out["group_answer_sufficiency_f1"] == 0.0
    assert out["group_support_sufficiency_f1"] == 0.0
    assert out["group_sufficiency"] == 0.0
    # the plain official metrics still score the answerable instance
    assert out["answer_f1"] == 1.0 and out["support_f1"] == 1.0


def test_group_answer_taken_from_answerable_instance_only():
    # a perfect answer on the unanswerable contrast does not help; the answerable one is "Lyon" -> 0
    pairs = _pair("2hop__A", _pred("2hop__A", "Lyon", [1, 3], True), _pred("2hop__A", "Paris", [], False))
    out = musique_full_group_metrics(pairs)
    assert out["group_sufficiency"] == 1.0
    assert out["group_answer_sufficiency_f1"] == 0.0
    assert out["group_support_sufficiency_f1"] == 1.0


def test_group_metrics_four_pairs_hand_worked():
    pairs = []
    # G1: both answerability right, answer and support right -> ans 1 / em 1 / sp 1 / suff 1
    pairs += _pair("2hop__G1", _pred("2hop__G1", "Paris", [1, 3], True), _pred("2hop__G1", "", [], False))
    # G2: contrast predicted answerable -> suff 0 -> everything 0 (plain: ans 1, sp 1)
    pairs += _pair("2hop__G2", _pred("2hop__G2", "Paris", [1, 3], True), _pred("2hop__G2", "Paris", [1, 3], True))
    # G3: both right; "Paris France" vs "paris": P 1/2, R 1 -> F1 2/3, EM 0;
    #     support {1,2} vs {1,3}: P 1/2, R 1/2 -> F1 1/2. Contrast listed first in the file.
    pairs += _pair("3hop1__G3", _pred("3hop1__G3", "Paris France", [1, 2], True), _pred("3hop1__G3", "", [], False), contrast_first=True)
    # G4: answerable predicted unanswerable -> suff 0 (plain: ans "City of Light" alias -> 1, support [] -> 0)
    pairs += _pair("4hop1__G4", _pred("4hop1__G4", "city of light", [], False), _pred("4hop1__G4", "", [], False))

    out = musique_full_group_metrics(pairs)
    assert out["n_groups"] == 4 and out["n_instances"] == 8
    assert out["group_answer_sufficiency_f1"] == approx((1 + 0 + 2 / 3 + 0) / 4)  # 5/12
    assert out["group_answer_sufficiency_em"] == approx(1 / 4)
    assert out["group_support_sufficiency_f1"] == approx((1 + 0 + 0.5 + 0) / 4)  # 0.375
    assert out["group_support_sufficiency_em"] == approx(1 / 4)
    assert out["group_sufficiency"] == approx(2 / 4)
    # plain official metrics, over the 4 gold-answerable instances, regardless of predicted_answerable
    assert out["answer_f1"] == approx((1 + 1 + 2 / 3 + 1) / 4)  # 11/12
    assert out["answer_em"] == approx(3 / 4)
    assert out["support_f1"] == approx((1 + 1 + 0.5 + 0) / 4)  # 0.625

    golds = [g for g, _ in pairs]
    preds = [p for _, p in pairs]
    official = evaluate_official(golds, preds, round_digits=3)
    assert official["group_answer_sufficiency_f1"] == 0.417  # round(5/12, 3)
    assert official["group_support_sufficiency_f1"] == 0.375
    assert official["answer_f1"] == 0.917  # round(11/12, 3)
    assert official["answer_em"] == 0.75
    assert official["support_f1"] == 0.625


def test_groups_need_exactly_two_instances_and_an_answerable_one():
    one = [(_gold("2hop__X", True, (1,)), _pred("2hop__X", "Paris", [1], True)),
           (_gold("2hop__Y", False), _pred("2hop__Y", "", [], False))]
    with pytest.raises(ValueError, match="exactly 2"):
        musique_full_group_metrics(one)
    no_answerable = [(_gold("2hop__Z", False), _pred("2hop__Z", "", [], False))] * 2
    with pytest.raises(ValueError, match="gold-answerable"):
        musique_full_group_metrics(no_answerable)


def test_groups_are_by_exact_id_not_a_stem():
    # "2hop__1_2" and "2hop__1_2_x" are different groups (official groups by str(id)); each has 1 -> error
    pairs = [(_gold("2hop__1_2", True, (1,)), _pred("2hop__1_2", "Paris", [1], True)),
             (_gold("2hop__1_2_x", False), _pred("2hop__1_2_x", "", [], False))]
    with pytest.raises(ValueError, match="exactly 2"):
        musique_full_group_metrics(pairs)


def test_evaluate_official_answerable_only_has_no_group_metrics():
    golds = [_gold("2hop__A", True, (1, 3)), _gold("2hop__B", True, (0, 2), answer="Rome", aliases=())]
    preds = [_pred("2hop__A", "Paris", [1, 3], True), _pred("2hop__B", "Milan", [0], True)]
    out = evaluate_official(golds, preds)
    # answers: 1 and 0; support: 1 and ({0} vs {0,2}: P 1, R 1/2 -> 2/3)
    assert out == {"answer_f1": approx(0.5), "answer_em": approx(0.5), "support_f1": approx((1 + 2 / 3) / 2)}


def test_evaluate_official_rejects_order_and_length_mismatch():
    golds = [_gold("2hop__A", True, (1,)), _gold("2hop__B", True, (1,))]
    preds = [_pred("2hop__B", "Paris", [1], True), _pred("2hop__A", "Paris", [1], True)]
    with pytest.raises(ValueError, match="same order"):
        evaluate_official(golds, preds)
    with pytest.raises(ValueError, match="same number"):
        evaluate_official(golds, preds[:1])


def test_supporting_idxs_field_accepted():
    gold = {"id": "2hop__S", "answer": "x", "answer_aliases": [], "answerable": True, "supporting_idxs": [4, 7]}
    pred = _pred("2hop__S", "x", [7], True)
    out = evaluate_official([gold], [pred])
    assert out["support_f1"] == approx(2 / 3)  # P 1, R 1/2
