"""The official predictions file: round trip through an independent re-implementation of the
official evaluator's reading and format checks, and hopqa's validator rejecting bad records."""
from __future__ import annotations

import json
import os

import pytest

from hopqa.errors import InputError
from hopqa.predictions import read_predictions, validate_predictions, write_predictions

# MuSiQue-Full style: the answerable question and its contrast share an id, so ids repeat.
DATASET_IDS = ["2hop__1_2", "2hop__1_2", "3hop1__3_4_5", "3hop1__3_4_5", "4hop3__6_7_8_9", "4hop3__6_7_8_9"]


def _predictions():
    return [
        {"id": "2hop__1_2", "predicted_answer": "Paris", "predicted_support_idxs": [3, 7], "predicted_answerable": True},
        {"id": "2hop__1_2", "predicted_answer": "", "predicted_support_idxs": [], "predicted_answerable": False},
        {"id": "3hop1__3_4_5", "predicted_answer": "Zoë “Q” Ångström", "predicted_support_idxs": [0, 1, 19], "predicted_answerable": True},
        {"id": "3hop1__3_4_5", "predicted_answer": "x", "predicted_support_idxs": [2], "predicted_answerable": False},
        {"id": "4hop3__6_7_8_9", "predicted_answer": "line\nbreak", "predicted_support_idxs": [5], "predicted_answerable": True},
        {"id": "4hop3__6_7_8_9", "predicted_answer": "1887", "predicted_support_idxs": [], "predicted_answerable": False},
    ]


def official_style_check(pred_path, dataset_ids):
    """Independent of hopqa: what the official evaluate_v1.0.py needs from a predictions file.

    It reads JSONL (strip each line, skip blank ones), needs as many predictions as dataset
    instances, the same id at each position, and reads predicted_answer, predicted_support_idxs,
    predicted_answerable. On top we check the exact field set and the types the format promises.
    """
    with open(pred_path, "r") as file:
        instances = [json.loads(line.strip()) for line in file if line.strip()]
    assert len(instances) == len(dataset_ids), "number of lines differs from the dataset"
    for inst, qid in zip(instances, dataset_ids):
        assert inst["id"] == qid, "ids not in the dataset's order"
        assert set(inst) == {"id", "predicted_answer", "predicted_support_idxs", "predicted_answerable"}
        assert type(inst["id"]) is str
        assert type(inst["predicted_answer"]) is str
        assert type(inst["predicted_support_idxs"]) is list
        assert all(type(i) is int for i in inst["predicted_support_idxs"])
        assert type(inst["predicted_answerable"]) is bool
    return instances


def test_round_trip_through_independent_official_checks(tmp_path):
    path = tmp_path / "preds.jsonl"
    preds = _predictions()
    write_predictions(path, preds, DATASET_IDS)
    loaded = official_style_check(path, DATASET_IDS)
    assert loaded == preds
    assert read_predictions(path, DATASET_IDS) == preds
    # one object per line, fields in the official order
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(preds)
    assert list(json.loads(lines[0])) == ["id", "predicted_answer", "predicted_support_idxs", "predicted_answerable"]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text("old content\n")
    bad = _predictions()
    bad[2]["predicted_answerable"] = 1
    with pytest.raises(InputError):
        write_predictions(path, bad, DATASET_IDS)
    assert path.read_text() == "old content\n"  # untouched
    write_predictions(path, _predictions(), DATASET_IDS)
    assert os.listdir(tmp_path) == ["preds.jsonl"]


def _one_line_error(excinfo):
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


def test_rejects_missing_field():
    preds = _predictions()
    del preds[1]["predicted_support_idxs"]
    with pytest.raises(InputError) as e:
        validate_predictions(preds, DATASET_IDS)
    msg = _one_line_error(e)
    assert "predicted_support_idxs" in msg and "missing" in msg
    assert e.value.line == 2 and e.value.field == "predicted_support_idxs"


def test_rejects_misspelled_field():
    preds = _predictions()
    preds[0]["predicted_answers"] = preds[0].pop("predicted_answer")
    with pytest.raises(InputError) as e:
        validate_predictions(preds, DATASET_IDS)
    msg = _one_line_error(e)
    assert "predicted_answer" in msg and "predicted_answers" in msg


def test_rejects_extra_field():
    preds = _predictions()
    preds[0]["confidence"] = 0.9
    with pytest.raises(InputError) as e:
        validate_predictions(preds, DATASET_IDS)
    assert "confidence" in _one_line_error(e)


@pytest.mark.parametrize(
    "field, value",
    [
        ("predicted_answerable", 1),
        ("predicted_answerable", "true"),
        ("predicted_answer", None),
        ("predicted_support_idxs", "3,7"),
        ("predicted_support_idxs", [3, "7"]),
        ("predicted_support_idxs", [True]),
        ("id", 12),
    ],
)
def test_rejects_wrong_type(field, value):
    preds = _predictions()
    preds[2][field] = value
    with pytest.raises(InputError) as e:
        validate_predictions(preds, DATASET_IDS)
    msg = _one_line_error(e)
    assert field in msg
    assert e.value.line == 3 and e.value.field == field


def test_rejects_wrong_order():
    preds = _predictions()
    preds[1], preds[2] = preds[2], preds[1]
    with pytest.raises(InputError) as e:
        validate_predictions(preds, DATASET_IDS)
    msg = _one_line_error(e)
    assert "order" in msg and e.value.line == 2


def test_rejects_unknown_missing_and_extra_predictions():
    preds = _predictions()
    preds[0]["id"] = "2hop__999"
    with pytest.raises(InputError, match="not a dataset id"):
        validate_predictions(preds, DATASET_IDS)
    with pytest.raises(InputError, match="first missing id '4hop3__6_7_8_9'"):
        validate_predictions(_predictions()[:-1], DATASET_IDS)
    with pytest.raises(InputError, match="extra prediction"):
        validate_predictions(_predictions(), DATASET_IDS[:-1])


def test_read_reports_file_and_line(tmp_path):
    path = tmp_path / "preds.jsonl"
    good = json.dumps(_predictions()[0])
    path.write_text(good + "\n\n{not json\n")
    with pytest.raises(InputError) as e:
        read_predictions(path)
    msg = _one_line_error(e)
    assert msg.startswith(f"{path}:3: ")

    # validation errors point at the real file line (blank lines skipped, as the official reader does)
    bad = dict(_predictions()[1], predicted_answerable=0)
    path.write_text(good + "\n\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError) as e:
        read_predictions(path, DATASET_IDS[:2])
    assert str(e.value).startswith(f"{path}:3: field 'predicted_answerable': ")


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_predictions(tmp_path / "nope.jsonl")
