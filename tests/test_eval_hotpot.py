"""`hopqa eval` on HotpotQA and 2WikiMultihopQA (their official metric family, prediction files, question types and
levels), records that cannot be scored (`--skip-invalid`), predicted supporting sentences, and `--perturb`.

Runs on the `hash:256` test encoder and the rules reader, a few questions of the shared dev files.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hopqa_cli.main import app
from hopqa.errors import InputError
from hopqa.eval_datasets import load_eval_dataset
from hopqa.eval_scoring import fact_sentence_ids
from hopqa.metrics.hotpot import evaluate_hotpot_official
from hopqa.metrics.twowiki import evaluate_2wiki_official
from hopqa.perturb import Perturber, entity_type
from hopqa.predictions import read_hotpot_predictions, read_predictions, validate_hotpot_predictions
from hopqa.types import Passage

SHARED = Path(__file__).resolve().parents[1].parent / "shared/data"
HOTPOT = SHARED / "hotpotqa/hotpotqa_dev_100.jsonl"
WIKI = SHARED / "2wikimultihopqa/2wikimultihopqa_dev_83.jsonl"
MUSIQUE = SHARED / "musique/musique_ans_dev_100.jsonl"
needs_data = pytest.mark.skipif(not (HOTPOT.is_file() and WIKI.is_file() and MUSIQUE.is_file()),
                                reason="shared dev files not found")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("HOPQA_INDEX", "HOPQA_LLM_URL", "HOPQA_LLM_MODEL", "HOPQA_CONFIG", "HOPQA_MODEL", "HOPQA_DEBUG",
                "HOPQA_MAX_HOPS", "HOPQA_INDEX_DIR", "HOPQA_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOPQA_READER", "rules")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hotpot-indexes")


def run_eval(*args, index_dir: Path, code: int = 0, json_out: bool = True):
    argv = ["eval", *[str(a) for a in args], "--model", "hash:256", "--index-dir", str(index_dir)]
    if json_out:
        argv.append("--json")
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == code, r.output
    return json.loads(r.stdout) if code == 0 and json_out else r


def records(path: Path, n: int) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


# --------------------------------------------------------------------------------------------------------------------
# HotpotQA and 2Wiki end to end


@needs_data
def test_hotpot_distractor_official_family_files_types_levels(index_dir, tmp_path):
    out = tmp_path / "run"
    m = run_eval(HOTPOT, "--limit", 6, "--setting", "distractor", "--compare", "-o", out, index_dir=index_dir)
    assert m["metric_family"] == "hotpot" and "hotpot_evaluate_v1.py" in m["official_evaluator"]
    for k in ("answer_em", "answer_f1", "sp_em", "sp_f1", "joint_em", "joint_f1", "recall@5"):
        assert 0.0 <= m[k] <= 1.0, k
    assert "support_f1" not in m and "by_hop_type" not in m
    # the dataset's own types and levels, summing to n
    gold = records(HOTPOT, 6)
    assert set(m["by_type"]) == {r["type"] for r in gold} and sum(t["n"] for t in m["by_type"].values()) == 6
    assert set(m["by_level"]) == {r["level"] for r in gold}
    # the per-question means are the official whole-file scores of the written file
    assert m["official"]["sp_f1"] == pytest.approx(m["sp_f1"]) and m["official"]["f1"] == pytest.approx(m["answer_f1"])
    ids = [r["_id"] for r in gold]
    pred = read_hotpot_predictions(out / "predictions_hotpot.json", ids)
    assert list(pred["answer"]) == ids
    official = evaluate_hotpot_official(gold, pred)
    for ours, theirs in (("answer_em", "em"), ("answer_f1", "f1"), ("sp_em", "sp_em"), ("sp_f1", "sp_f1"),
                         ("joint_em", "joint_em"), ("joint_f1", "joint_f1")):
        assert m[ours] == pytest.approx(official[theirs]), ours
    # predicted sentences exist in the question's own paragraphs
    titles = {r["_id"]: {t: len(s) for t, s in r["context"]} for r in gold}
    for qid, sps in pred["sp"].items():
        for title, sid in sps:
            assert title in titles[qid] and 0 <= sid < titles[qid][title]
    # the MuSiQue-format file beside it, and one official file per pipeline
    assert [p["id"] for p in read_predictions(out / "predictions.jsonl", ids)] == ids
    assert (out / "predictions_hotpot_bm25.json").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "hotpot_evaluate_v1.py" in report and "Joint F1" in report and "## By level" in report
    assert "bridge" in report


@needs_data
def test_2wiki_family_and_types(index_dir, tmp_path):
    m = run_eval(WIKI, "--limit", 5, "--setting", "distractor", "-o", tmp_path / "run", index_dir=index_dir)
    assert m["metric_family"] == "2wiki" and "2wikimultihop" in m["official_evaluator"]
    assert set(m["by_type"]) <= {"compositional", "comparison", "inference", "bridge_comparison"}
    assert m["official"]["evi_f1"] is None  # hopqa predicts no evidence triples
    assert m["official"]["joint_f1"] == pytest.approx(m["joint_f1"])
    assert "by_level" not in m
    # the official file has every id in all three maps (no triples: empty lists), as the official script needs
    gold = records(WIKI, 5)
    pred = read_hotpot_predictions(tmp_path / "run" / "predictions_2wiki.json", [r["_id"] for r in gold], evidence=True)
    assert set(pred["evidence"].values().__iter__().__next__()) == set()
    official = evaluate_2wiki_official(gold, pred)
    assert official["sp_f1"] == pytest.approx(m["sp_f1"]) and official["joint_f1"] == 0.0  # the official joint


@needs_data
def test_musique_gets_its_types_in_by_type(index_dir):
    m = run_eval(MUSIQUE, "--limit", 3, "--setting", "distractor", index_dir=index_dir)
    assert m["metric_family"] == "musique" and m["by_type"] == m["by_hop_type"]


# --------------------------------------------------------------------------------------------------------------------
# Records that cannot be scored


@needs_data
def test_record_without_context_is_one_line_error_or_skipped(index_dir, tmp_path):
    recs = records(WIKI, 4)
    del recs[1]["context"]
    bad = tmp_path / "wiki_bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = run_eval(bad, "--setting", "distractor", index_dir=index_dir, code=2, json_out=False)
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in r.output
    assert f"{bad}:2" in line and "context" in line and recs[1]["_id"] in line
    out = tmp_path / "run"
    m = run_eval(bad, "--setting", "distractor", "--skip-invalid", "-o", out, index_dir=index_dir)
    assert m["n"] == 3 and m["skipped_invalid"] == 1 and recs[1]["_id"] in m["skipped_records"][0]
    assert "1 invalid records" in (out / "report.md").read_text(encoding="utf-8")
    ds = load_eval_dataset(bad, skip_invalid=True)
    assert ds.format == "2wiki" and len(ds) == 3 and len(ds.skipped) == 1


def test_format_is_detected_on_the_first_record(tmp_path):
    f = tmp_path / "h.jsonl"
    ok = {"_id": "a", "type": "bridge", "level": "easy", "question": "Q?", "answer": "x",
          "supporting_facts": [["T", 0]], "context": [["T", ["One.", " Two."]]]}
    lost = {k: v for k, v in ok.items() if k != "context"} | {"_id": "b"}
    f.write_text(json.dumps(ok) + "\n" + json.dumps(lost) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"h.jsonl:2: field 'context': missing \(record b\)"):
        load_eval_dataset(f)
    dup = tmp_path / "dup.jsonl"
    dup.write_text(json.dumps(ok) + "\n" + json.dumps(ok) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="occurs more than once"):
        load_eval_dataset(dup)
    it = load_eval_dataset(f, skip_invalid=True)[0]
    assert it.sentences == [["One.", " Two."]] and it.paragraphs[0].text == "One. Two."
    assert it.question_type == "bridge" and it.level == "easy"


# --------------------------------------------------------------------------------------------------------------------
# Facts back to (title, sentence id)


def test_fact_sentence_ids_by_overlap():
    sents = ["Ann Lee (born 1950) is a painter.", " She lives in St. Ives.", "", " Her father was Bo Lee."]
    text = "Ann Lee (born 1950) is a painter. She lives in St. Ives. Her father was Bo Lee."
    assert fact_sentence_ids(text, sents, "She lives in St. Ives.") == [1]
    assert fact_sentence_ids(text, sents, "She lives in St.") == [1]  # part of a sentence
    assert fact_sentence_ids(text, sents, "Ann Lee (born 1950) is a painter. She lives in St. Ives.") == [0, 1]
    assert fact_sentence_ids(text, sents, "is a painter. She lives in St. Ives.") == [1]  # a third of sentence 0
    assert fact_sentence_ids(text, sents, "Her father was Bo Lee.") == [3]  # empty sentence 2 keeps the ids
    assert fact_sentence_ids(text, sents, "her father, Bo Lee") == [3]  # not verbatim: word overlap
    assert fact_sentence_ids(text, sents, "Something else entirely") == []


# --------------------------------------------------------------------------------------------------------------------
# Predictions file checks


def test_hotpot_predictions_validation():
    ok = {"answer": {"a": "x"}, "sp": {"a": [["T", 0]]}}
    validate_hotpot_predictions(ok, ["a"])
    for bad, msg in (({"answer": {"a": "x"}}, "field 'sp': missing"),
                     ({"answer": {"a": 1}, "sp": {"a": []}}, "id 'a': must be a str"),
                     ({"answer": {"a": "x"}, "sp": {"a": [["T", True]]}}, "sent_id"),
                     ({"answer": {"a": "x", "b": "y"}, "sp": {"a": [], "b": []}}, "'b' is not a dataset id"),
                     ({"answer": {}, "sp": {}}, "first missing id 'a'")):
        with pytest.raises(InputError, match=msg):
            validate_hotpot_predictions(bad, ["a"])


# --------------------------------------------------------------------------------------------------------------------
# Perturbations


def test_entity_type():
    assert entity_type(Passage("1", "Ed Wood", "Ed Wood was an American filmmaker, actor and writer.")) == "filmmaker"
    assert entity_type(Passage("2", "X", "Xyz is a 2004 book written by Ann.")) == "book"
    assert entity_type(Passage("3", "Y", "No description here.")) is None


@needs_data
def test_perturbations_are_seeded_and_gold_free(tmp_path):
    items = load_eval_dataset(HOTPOT, limit=12)
    a, b = Perturber(items, seed=3), Perturber(items, seed=3)
    it = items[0]
    assert a.apply("shuffle", it).order == b.apply("shuffle", it).order
    assert sorted(a.apply("shuffle", it).order) == sorted(it.paragraph_ids)
    assert a.apply("reverse", it).order == it.paragraph_ids[::-1]
    d1, d2 = a.apply("distractors", it), b.apply("distractors", it)
    assert d1.order == d2.order and len(d1.order) == len(it.paragraph_ids) + 4
    assert d1.order[: len(it.paragraph_ids)] == it.paragraph_ids  # own paragraphs keep their idxs
    own = set(it.paragraph_ids)
    assert not own & set(d1.order[len(own):]) and len(d1.item.sentences) == len(d1.order)
    assert d1.item.gold is it.gold


@needs_data
def test_perturb_runs_beside_the_unperturbed_run(index_dir, tmp_path):
    out = tmp_path / "run"
    m = run_eval(HOTPOT, "--limit", 4, "--setting", "distractor", "--perturb", "shuffle", "--perturb", "distractors",
                 "-o", out, index_dir=index_dir)
    assert {"multihop", "multihop+shuffle", "multihop+distractors"} <= set(m["pipelines"])
    drop = m["perturbations"]["drop"]["multihop"]
    assert drop["distractors"]["sp_f1"] == pytest.approx(m["sp_f1"] - m["pipelines"]["multihop+distractors"]["sp_f1"])
    assert "## Robustness" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "predictions_hotpot_multihop_distractors.json").is_file()
    r = run_eval(HOTPOT, "--limit", 2, "--perturb", "shuffle", index_dir=index_dir, code=2, json_out=False)
    assert "--perturb needs --setting distractor" in r.output
    r = run_eval(HOTPOT, "--limit", 2, "--setting", "distractor", "--perturb", "nope", index_dir=index_dir, code=2,
                 json_out=False)
    assert "'nope' is not one of 'shuffle', 'reverse', 'distractors'." in " ".join(r.output.replace("│", " ").split())
