"""`hopqa eval` end to end through the CLI, at the metrics level: 5 real MuSiQue-Ans dev questions in the open and
distractor settings, baselines, the output folder (official predictions, traces, metrics, report, plots, provenance),
resume, errors, the oracle ablation flag, the demo questions and MuSiQue-Full grouping.

Everything runs on the deterministic `hash:256` test encoder; the dataset index is built once into a shared folder
(the runner reuses it by corpus fingerprint).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hopqa.fsm import PolicyState
from hopqa_cli.main import app

MUSIQUE = Path(__file__).resolve().parents[1].parent / "shared/data/musique/musique_ans_dev_100.jsonl"
N = 5
METRIC_KEYS = ("answer_em", "answer_f1", "support_f1", "recall@2", "recall@5", "recall@10", "all_recall@5",
               "all_recall@10")
TOP_KEYS = {"n", *METRIC_KEYS, "questions_per_second", "by_hop_type"}
TIMING_KEYS = {"latency_p50", "latency_p95", "questions_per_second"}
PIPELINES = ["bm25", "dense", "hybrid", "multihop"]
ORACLE = "multihop+oracle-decomposition"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

needs_musique = pytest.mark.skipif(not MUSIQUE.is_file(), reason=f"MuSiQue dev sample not found at {MUSIQUE}")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("HOPQA_INDEX", "HOPQA_LLM_URL", "HOPQA_LLM_MODEL", "HOPQA_CONFIG", "HOPQA_MODEL", "HOPQA_DEBUG",
                "HOPQA_MAX_HOPS", "HOPQA_INDEX_DIR", "HOPQA_PROGRESS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("eval-indexes")


def run_eval(*args, index_dir: Path, code: int = 0, json_out: bool = True):
    argv = ["eval", *[str(a) for a in args], "--model", "hash:256", "--index-dir", str(index_dir)]
    if json_out:
        argv.append("--json")
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == code, r.output
    if code == 0 and json_out:
        return json.loads(r.output)
    return r


def musique(*args, index_dir: Path, **kw):
    return run_eval(MUSIQUE, "--limit", N, *args, index_dir=index_dir, **kw)


def first_records(n: int = N) -> list[dict]:
    with MUSIQUE.open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


def content_id(title: str, text: str) -> str:
    """The passage id the loader gives a dataset paragraph (re-derived here, not imported)."""
    return "p" + hashlib.sha1(f"{title}\n{text}".encode("utf-8")).hexdigest()[:15]


def check_metrics(m: dict, n: int) -> None:
    assert TOP_KEYS <= set(m), TOP_KEYS - set(m)
    assert m["n"] == n
    for k in METRIC_KEYS:
        assert m[k] is not None and 0.0 <= m[k] <= 1.0, (k, m[k])
    assert m["questions_per_second"] > 0
    assert m["by_hop_type"] and sum(t["n"] for t in m["by_hop_type"].values()) == n
    for t, hm in m["by_hop_type"].items():
        for k in METRIC_KEYS:
            assert hm[k] is None or 0.0 <= hm[k] <= 1.0, (t, k, hm[k])


def without_timing(m):
    if isinstance(m, dict):
        return {k: without_timing(v) for k, v in m.items() if k not in TIMING_KEYS and k != "provenance"}
    return m


def png_text(path: Path) -> dict[str, str]:
    """The tEXt chunks of a PNG, read by hand."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    out, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def check_provenance(prov: dict, setting: str, dataset: Path) -> None:
    assert prov["dataset"] == str(dataset) and prov["setting"] == setting
    assert prov["git_commit"] and prov["git_commit"] != "unknown"
    assert prov["machine"]["cores"] and prov["machine"]["python"] and "platform" in prov["machine"]


# --------------------------------------------------------------------------------------------------------------------
# Both settings, baselines


@needs_musique
@pytest.mark.parametrize("setting", ["open", "distractor"])
def test_metrics_json_in_both_settings(setting, index_dir):
    m = musique("--setting", setting, index_dir=index_dir)
    check_metrics(m, N)
    check_provenance(m["provenance"], setting, MUSIQUE)
    assert list(m["pipelines"]) == ["multihop"] and ORACLE not in m["pipelines"]  # the ablation is off by default
    assert m["provenance"]["index"]["model"] == "hash:256" and m["provenance"]["n"] == N


@needs_musique
def test_compare_output_dir_and_oracle(index_dir, tmp_path):
    out = tmp_path / "run"
    m = musique("--compare", "--oracle-decomposition", "--output-dir", out, index_dir=index_dir)
    assert list(m["pipelines"]) == [*PIPELINES, ORACLE]
    for name, pm in m["pipelines"].items():
        check_metrics(pm, N)
    assert m["best_single_shot"] in ("bm25", "dense", "hybrid")
    assert m["answer_f1"] == m["pipelines"]["multihop"]["answer_f1"]  # the top level is the main pipeline
    # Single-shot pipelines take one hop; the oracle runs the gold sub-questions (2hop: 2 of them).
    traces = [json.loads(line) for line in (out / "traces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((t["pipeline"], t["position"]) for t in traces) == sorted(
        (p, i) for p in [*PIPELINES, ORACLE] for i in range(N))
    gold = first_records()
    for t in traces:
        if t["pipeline"] in ("bm25", "dense", "hybrid"):
            assert t["sub_questions"] == [] and sum(x["reason"] == "retrieved" for x in t["transitions"]) <= 1
        if t["pipeline"] == ORACLE:
            assert t["sub_questions"] == [d["question"] for d in gold[t["position"]]["question_decomposition"]]

    # --- the official predictions file, checked independently: ids in dataset order, exactly 4 typed fields
    for name in ("predictions.jsonl", "predictions_bm25.jsonl", "predictions_dense.jsonl", "predictions_hybrid.jsonl",
                 "predictions_multihop_oracle-decomposition.jsonl"):
        lines = (out / name).read_text(encoding="utf-8").splitlines()
        preds = [json.loads(line) for line in lines]
        assert [p["id"] for p in preds] == [g["id"] for g in gold], name
        for p, g in zip(preds, gold):
            assert list(p) == ["id", "predicted_answer", "predicted_support_idxs", "predicted_answerable"]
            assert isinstance(p["predicted_answer"], str) and type(p["predicted_answerable"]) is bool
            assert isinstance(p["predicted_support_idxs"], list)
            assert all(type(i) is int and 0 <= i < len(g["paragraphs"]) for i in p["predicted_support_idxs"])
    by_pos = {t["position"]: t for t in traces if t["pipeline"] == "multihop"}
    for i, p in enumerate(json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()):
        assert p["predicted_answer"] == by_pos[i]["predicted_answer"]
    check_trace_diagnostics(traces)
    assert guess_ablation().table(out, 2)["guessed"] == sum(t["guessed"] for t in by_pos.values())

    # --- metrics.json, report.md, plots, run.json: every one records dataset, setting, git commit and machine
    on_disk = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert without_timing(on_disk) == without_timing(m)
    check_provenance(on_disk["provenance"], "open", MUSIQUE)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert str(MUSIQUE) in report and "setting: **open**" in report
    assert on_disk["provenance"]["git_commit"] in report and on_disk["provenance"]["machine"]["cpu"] in report
    for name in PIPELINES + [ORACLE]:
        assert f"| {name} | {N} |" in report
    for png in ("recall_at_k.png", "by_hop_type.png"):
        text = png_text(out / png)
        prov = json.loads(text["Description"])
        check_provenance(prov, "open", MUSIQUE)
        assert prov["git_commit"] == on_disk["provenance"]["git_commit"]
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))  # beside traces.jsonl and the predictions
    assert run["identity"]["dataset"] == str(MUSIQUE) and run["identity"]["setting"] == "open"
    assert run["git_commit"] and run["machine"]["cores"]
    assert run["identity"]["pipelines"] == [*PIPELINES, ORACLE]


def check_trace_diagnostics(traces: list[dict]) -> None:
    """Every trace record says whether its prediction is a best guess and carries the policy's diagnostics (the
    readers' candidates, the verifier's verdicts, the guess's source), which hold no gold field."""
    for t in traces:
        assert type(t["guessed"]) is bool and isinstance(t["diagnostics"], dict)
        assert t["guessed"] == (not t["predicted_answerable"] and t["predicted_answer"] != "")
        assert ("guess_source" in t["diagnostics"]) == t["guessed"]
        if t["guessed"]:
            assert t["diagnostics"]["guess_source"] in ("policy", "last_sub_answer", "reader")
        for steps in t["diagnostics"].get("step_candidates", {}).values():
            assert all(set(c) == {"text", "score", "passage_id", "fact_index", "cue"} for c in steps)
        # the policy's own state only (the honesty rule: gold fields stay in the scorer, tests/test_ask.py)
        assert set(t["diagnostics"]) <= {f.name for f in dataclasses.fields(PolicyState)}


def guess_ablation():
    """eval/guess_ablation.py, imported from its path (eval/ is not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "eval" / "guess_ablation.py"
    spec = importlib.util.spec_from_file_location("guess_ablation", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_guess_ablation_reads_the_guessed_field_and_older_traces(tmp_path):
    """A record's `guessed` decides; a record from before the field is a guess when judged unanswerable with a
    non-empty prediction."""
    rec = {"pipeline": "multihop", "answer_em": 1.0, "answer_f1": 1.0}
    rows = [{**rec, "position": 0, "predicted_answerable": False, "predicted_answer": "Ondria", "guessed": True},
            {**rec, "position": 1, "predicted_answerable": True, "predicted_answer": "Pellish", "guessed": False},
            {**rec, "position": 2, "predicted_answerable": False, "predicted_answer": "Corvelle"},  # older trace
            {**rec, "position": 3, "predicted_answerable": False, "predicted_answer": "", "answer_em": 0.0,
             "answer_f1": 0.0}]
    (tmp_path / "traces.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    t = guess_ablation().table(tmp_path, 2)
    assert t["guessed"] == 2
    assert t["all"]["with_guess"]["em"] == 0.75 and t["all"]["without_guess"]["em"] == 0.25


@needs_musique
def test_distractor_retrieves_only_the_questions_own_paragraphs(index_dir, tmp_path):
    out = tmp_path / "d"
    musique("--setting", "distractor", "--compare", "-o", out, index_dir=index_dir)
    gold = first_records()
    own = [{content_id(p["title"], p["paragraph_text"]) for p in g["paragraphs"]} for g in gold]
    traces = [json.loads(line) for line in (out / "traces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(traces) == 4 * N
    for t in traces:
        assert t["ranking"], t["pipeline"]
        assert set(t["ranking"]) <= own[t["position"]], (t["pipeline"], t["id"])
        assert set(t["evidence"]) <= own[t["position"]]
    # the open setting pools every question's paragraphs: some ranking reaches another question's paragraphs
    out2 = tmp_path / "o"
    musique("--setting", "open", "-o", out2, index_dir=index_dir)
    opened = [json.loads(line) for line in (out2 / "traces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(not set(t["ranking"]) <= own[t["position"]] for t in opened)


# --------------------------------------------------------------------------------------------------------------------
# Resume


@needs_musique
def test_resume_after_an_interruption(index_dir, tmp_path, monkeypatch):
    full = tmp_path / "full"
    m_full = musique("-o", full, index_dir=index_dir)
    part = tmp_path / "part"
    musique("-o", part, index_dir=index_dir)
    traces = (part / "traces.jsonl").read_text(encoding="utf-8").splitlines()
    kept = traces[:3]
    # An interruption: 3 questions done, the 4th's line cut halfway.
    (part / "traces.jsonl").write_text("\n".join(kept) + "\n" + traces[3][: len(traces[3]) // 2], encoding="utf-8")
    for f in ("metrics.json", "predictions.jsonl", "report.md"):
        (part / f).unlink()

    # Without --resume an existing run is not overwritten.
    r = musique("-o", part, index_dir=index_dir, code=2, json_out=False)
    assert "already holds a run: use --resume" in r.output

    from hopqa.qa import Asker

    asked: list[str] = []
    real_ask = Asker.ask

    def counting(self, question, **kw):
        asked.append(question)
        return real_ask(self, question, **kw)

    monkeypatch.setattr(Asker, "ask", counting)
    m = musique("-o", part, "--resume", index_dir=index_dir)
    gold = first_records()
    assert asked == [g["question"] for g in gold[3:]]  # only the missing questions are answered again
    assert without_timing(m) == without_timing(m_full)
    done = (part / "traces.jsonl").read_text(encoding="utf-8").splitlines()
    assert done[:3] == kept  # finished work is kept as it was
    # the cut line is dropped, not glued to the next record: every line is one whole record
    assert sorted(json.loads(line)["position"] for line in done) == list(range(N))
    assert (part / "predictions.jsonl").read_text() == (full / "predictions.jsonl").read_text()
    assert without_timing(json.loads((part / "metrics.json").read_text())) == without_timing(m_full)

    # A finished run resumed again answers nothing.
    asked.clear()
    assert without_timing(musique("-o", part, "--resume", index_dir=index_dir)) == without_timing(m_full)
    assert asked == []


@needs_musique
def test_resume_with_another_setting_is_refused(index_dir, tmp_path):
    out = tmp_path / "run"
    musique("-o", out, index_dir=index_dir)
    before = (out / "traces.jsonl").read_text(encoding="utf-8")
    r = musique("-o", out, "--resume", "--setting", "distractor", index_dir=index_dir, code=2, json_out=False)
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.output
    assert "holds a run with other data or settings" in lines[0] and str(out) in lines[0]
    assert (out / "traces.jsonl").read_text(encoding="utf-8") == before  # untouched
    r = musique("--limit", 3, "-o", out, "--resume", index_dir=index_dir, code=2, json_out=False)
    assert "other data or settings" in r.output


# --------------------------------------------------------------------------------------------------------------------
# Bad input


@needs_musique
@pytest.mark.parametrize("damage, field", [
    (lambda r: r.pop("question"), "question"),
    (lambda r: r["paragraphs"][4].pop("paragraph_text"), "paragraphs[4].paragraph_text"),
    (lambda r: r.update(answerable="yes"), "answerable"),
])
def test_malformed_record_is_a_one_line_error(index_dir, tmp_path, damage, field):
    recs = first_records(4)
    damage(recs[2])
    data = tmp_path / "bad.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    r = run_eval(data, index_dir=index_dir, code=2, json_out=False)
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    assert lines[0].startswith(f"error: {data}:3: field '{field}': "), lines[0]


def test_missing_dataset_file(index_dir, tmp_path):
    r = run_eval(tmp_path / "none.jsonl", index_dir=index_dir, code=2, json_out=False)
    assert r.output.strip() == f"error: {tmp_path / 'none.jsonl'}: file not found"


# --------------------------------------------------------------------------------------------------------------------
# The demo questions; MuSiQue-Full


def test_demo_questions_evaluate(index_dir):
    from hopqa.demo import demo_questions

    m = run_eval("--demo", index_dir=index_dir)
    check_metrics(m, 26)
    assert set(m["by_hop_type"]) == {"2hop", "3hop1", "3hop2", "4hop1", "4hop2", "4hop3"}
    assert m["provenance"]["dataset"] == str(demo_questions())
    assert "musique_full" not in m


def _para(idx: int, title: str, text: str, supporting: bool) -> dict:
    return {"idx": idx, "title": title, "paragraph_text": text, "is_supporting": supporting}


def test_musique_full_pairs_are_grouped(index_dir, tmp_path):
    paras = [
        _para(0, "The Glass Orchard", "The Glass Orchard is a novel by the writer Bram Tulliver, published in 1932.", True),
        _para(1, "Bram Tulliver", "Bram Tulliver (1890–1961) was a Pellish novelist. Born in Ondria, he worked as a "
                                  "harbour clerk before turning to writing.", True),
        _para(2, "Ondria", "Ondria is a port town in Pellmark at the mouth of the Vessa River.", False),
        _para(3, "Mira Holt", "Mira Holt (born 1950) is a Pellish painter. Born in Corvelle, she studied art.", False),
    ]
    contrast = [dict(p) for p in paras]
    contrast[1] = _para(1, "Bram Tulliver", "Bram Tulliver (1890–1961) was a Pellish novelist who worked as a "
                                            "harbour clerk before turning to writing.", False)
    base = {"question": "Where was the author of The Glass Orchard born?", "question_decomposition": []}
    recs = [
        {"id": "2hop__toy_1", **base, "paragraphs": paras, "answer": "Ondria", "answer_aliases": [], "answerable": True},
        {"id": "2hop__toy_1", **base, "paragraphs": contrast, "answer": "", "answer_aliases": [], "answerable": False},
        {"id": "2hop__toy_2", "question": "Where was Mira Holt born?", "question_decomposition": [],
         "paragraphs": paras, "answer": "Corvelle", "answer_aliases": [], "answerable": True},
    ]
    data = tmp_path / "full.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    out = tmp_path / "out"
    m = run_eval(data, "--setting", "distractor", "-o", out, index_dir=index_dir)
    full = m["musique_full"]
    assert full["n_groups"] == 1 and full["n_instances"] == 2
    for k in ("group_answer_sufficiency_f1", "group_support_sufficiency_f1", "group_sufficiency"):
        assert 0.0 <= full[k] <= 1.0
    assert m["n"] == 3 and m["answerability_accuracy"] is not None
    # answer metrics only over gold-answerable instances (official rule)
    traces = [json.loads(line) for line in (out / "traces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert ["answer_f1" in t for t in traces] == [True, False, True]
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["2hop__toy_1", "2hop__toy_1", "2hop__toy_2"]
    assert "MuSiQue-Full group metrics" in (out / "report.md").read_text(encoding="utf-8")
    # three instances of one id is not MuSiQue-Full
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs + recs[:1]), encoding="utf-8")
    r = run_eval(data, index_dir=index_dir, code=2, json_out=False)
    assert f"{data}:4: field 'id'" in r.output and "more than twice" in r.output


def test_plain_dataset_against_an_existing_index(tmp_path):
    """A plain JSONL of {id, question, answers, supporting_ids} evaluates against an index; distractor is refused."""
    from hopqa.config import IndexConfig
    from hopqa.corpus import CorpusSource
    from hopqa.demo import demo_corpus
    from hopqa.index import build_index

    build_index([CorpusSource(str(demo_corpus()))], tmp_path / "ix" / "demo", config=IndexConfig(model="hash:256"))
    data = tmp_path / "plain.jsonl"
    data.write_text(json.dumps({"id": "q1", "question": "Who composed Tidewater Suite?", "answers": ["Edvin Marrow"],
                                "supporting_ids": ["demo-056"]}) + "\n", encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["eval", str(data), "--index", "demo", "--index-dir", str(tmp_path / "ix"), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert m["n"] == 1 and m["recall@10"] is not None and m["support_f1"] is None
    r = runner.invoke(app, ["eval", str(data), "--index", "demo", "--index-dir", str(tmp_path / "ix"),
                            "--setting", "distractor"])
    assert r.exit_code == 2 and "needs each question's own paragraphs" in r.output and "Traceback" not in r.output
