"""eval/bench_scale.py at a tiny size: the synthetic corpus is deterministic, and one run through the real
`hopqa index build`, serving and recall workers gives the JSON line and results file the issue asks for."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "eval" / "bench_scale.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_corpus_generation_is_deterministic(bench, tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    ia, ib = bench.write_corpus(400, 7, a), bench.write_corpus(400, 7, b)
    assert a.read_bytes() == b.read_bytes() and ia == ib
    bench.write_corpus(400, 8, c)
    assert c.read_bytes() != a.read_bytes()
    rows = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 400 and len({r["id"] for r in rows}) == 400
    assert all(set(r) == {"id", "title", "text"} and r["title"] and len(r["text"].split()) >= 10 for r in rows)
    assert len({r["title"] for r in rows}) >= 100  # about three passages per title
    # queries come from held-out passages: deterministic, and no query copies an indexed passage
    q1, q2 = tmp_path / "q1.json", tmp_path / "q2.json"
    bench.write_queries(400, 7, 30, 3, q1)
    bench.write_queries(400, 7, 30, 3, q2)
    assert q1.read_bytes() == q2.read_bytes()
    qs = json.loads(q1.read_text(encoding="utf-8"))
    assert len(qs["queries"]) == 30 and len(qs["warmup"]) == 3
    texts = {r["text"] for r in rows}
    titles = {r["title"] for r in rows}
    assert all(q["query"] not in texts and not q["from"].startswith("syn") for q in qs["queries"])
    assert sum(any(t in q["query"] for t in titles) for q in qs["queries"]) == 30  # each names a corpus entity


def test_sizes_parse(bench):
    assert bench.parse_sizes("300, 10k,1M") == [300, 10_000, 1_000_000]


def run(args: list[str]) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOPQA_")}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr


def test_tiny_run_reports_every_figure_and_reuses_its_build(tmp_path):
    out = tmp_path / "scale.json"
    # An IVF index (not the exact Flat that "auto" gives below 100k), so the recall measured is that of an ANN index.
    args = ["--sizes", "300", "--encoder", "hashing", "--faiss", "IVF4,SQ8", "--queries", "30", "--warmup", "3", "--work", str(tmp_path / "w"),
            "--out", str(out)]
    line, _ = run(args)
    assert line["benchmark"] == "scale" and line["sizes"] == [300] and line["model"] == "hash:384"
    assert line["targets_met"] is None  # the targets apply at 1M passages
    r = line["results"]["300"]
    for key in ("build_passages_per_second", "build_peak_rss_bytes", "index_bytes", "serving_rss_bytes",
                "dense_p50", "dense_p95", "bm25_p50", "bm25_p95", "hybrid_p50", "hybrid_p95"):
        assert r[key] > 0, key
    assert 0.0 <= r["ann_recall_at_10"] <= 1.0 and 0.0 <= r["ann_recall_at_10_ties"] <= 1.0
    assert r["ann_recall_at_10"] <= r["ann_recall_at_10_ties"]
    assert r["faiss_factory"] == "IVF4,SQ8" and r["build_reused"] is False
    assert set(r["index_components_bytes"]) >= {"passages.jsonl", "embeddings.npy", "dense.faiss", "bm25"}
    assert sum(r["index_components_bytes"].values()) == r["index_bytes"]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["command"] and report["commit"] and report["machine"]["cores"] and report["machine"]["cores_usable"]
    res = report["results"][0]
    assert res["serving"]["latency"]["hybrid"]["count"] == 30 and res["recall"]["queries"] == 30
    assert {c["name"] for c in res["targets"]} == {"hybrid_p50_ms", "hybrid_p95_ms", "serving_rss_bytes",
                                                   "ann_recall_at_10", "build_passages_per_second"}
    assert not any(c["applies"] for c in res["targets"])
    # A rerun reuses the corpus and the index (and the build's recorded figures); serving is measured again.
    again, err = run(args)
    assert again["results"]["300"]["build_reused"] is True and "reusing" in err
    assert again["results"]["300"]["build_passages_per_second"] == r["build_passages_per_second"]
