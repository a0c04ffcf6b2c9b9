"""Scale (issue 12 part 1): the FAISS index chosen by corpus size, nprobe calibration, memory-mapped opening, the
memory check and `hopqa index info`, on tiny corpora with the `hash:256` encoder and a small `ann_threshold`."""
from __future__ import annotations

import json
import random
from pathlib import Path

import faiss
import numpy as np
import pytest
from typer.testing import CliRunner

import hopqa.index as I
from hopqa.config import IndexConfig
from hopqa.corpus import CorpusSource
from hopqa.dense import (SPAN_WORDS, Rescored, build_dense, calibrate, calibration_rows, exact_topk, read_dense,
                         recall_without_source, span_rows, span_texts)
from hopqa.encoders import HashingEncoder
from hopqa.errors import InputError
from hopqa.index import build_index, open_index
from hopqa_cli.main import app

N = 400  # passages in the synthetic corpus: above the threshold below, so "auto" builds IVF{4*sqrt(400)=80},SQ8
THRESHOLD = 100
QUERIES = ["river mill harbour granite", "copper lighthouse herring", "cathedral architect vaulting stone",
           "heather hills paper clock", "smoked fish port kingdom"]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def synthetic_docs(n: int, seed: int = 7) -> list[dict]:
    """Deterministic passages on a few topics: each draws most words from its topic's vocabulary, some from all."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(600)] + " ".join(QUERIES).split()
    topics = [rng.sample(vocab, 40) for _ in range(12)]
    docs = []
    for i in range(n):
        t = topics[i % len(topics)]
        words = [rng.choice(t) if rng.random() < 0.7 else rng.choice(vocab) for _ in range(rng.randint(12, 30))]
        docs.append({"id": f"p{i:05d}", "title": f"Doc {i}", "text": " ".join(words)})
    return docs


@pytest.fixture
def corpus(write_corpus) -> Path:
    return write_corpus("synth.jsonl", synthetic_docs(N))


def small_config(tmp_path: Path, **index) -> Path:
    body = "[index]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in {"model": "hash:256", **index}.items())
    p = tmp_path / "hopqa-test.toml"
    p.write_text(body, encoding="utf-8")
    return p


def build_cli(corpus: Path, name: str, config: Path, *extra):
    r = cli("index", "build", corpus, "--name", name, "--config", config, "--json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads((Path(json.loads(r.stdout)["path"]) / "manifest.json").read_text(encoding="utf-8"))


# ==================================================================================================== auto choice


def test_auto_is_flat_below_the_threshold_and_ivf_above(tmp_home, corpus):
    cfg = small_config(tmp_home, ann_threshold=THRESHOLD)
    above = build_cli(corpus, "above", cfg)["dense"]
    assert above["requested"] == "auto" and above["faiss_factory"] == "IVF80,SQ8"
    assert 1 <= above["nprobe"] <= 80
    cal = above["calibration"]
    assert cal["target"] == 0.95 and cal["k"] == 10 and cal["queries"] == 400 and cal["recall_at_10"] >= 0.95
    assert set(cal["by_kind"]) == {"held_out_passages", "text_spans"} and "source row excluded" in cal["method"]
    assert cal["by_kind"]["text_spans"]["words"] == SPAN_WORDS
    assert cal["recall_at_10"] == min(v["recall_at_10"] for v in cal["by_kind"].values()) >= 0.95
    below = build_cli(corpus, "below", small_config(tmp_home, ann_threshold=N + 1))["dense"]
    assert below == {"faiss_factory": "Flat", "metric": "inner_product", "requested": "auto"}
    assert above["rerank"] == 4 and "rerank" not in below  # approximate candidates rescored exactly; Flat is exact
    ix = open_index("above")
    assert isinstance(ix.dense, Rescored) and ix.dense.factor == 4
    assert faiss.extract_index_ivf(ix.dense.index).nprobe == above["nprobe"]  # applied on open
    assert not isinstance(open_index("below").dense, Rescored)


@pytest.mark.parametrize("flag, kind, param", [("Flat", "Flat", None), ("HNSW16", "HNSW16", "efSearch"),
                                               ("IVF16,Flat", "IVF16,Flat", "nprobe")])
def test_explicit_faiss_flag_is_respected(tmp_home, corpus, flag, kind, param):
    d = build_cli(corpus, f"x{kind.replace(',', '')}", small_config(tmp_home, ann_threshold=THRESHOLD),
                  "--faiss", flag)["dense"]
    assert d["faiss_factory"] == kind and d["requested"] == flag
    if param is None:
        assert "calibration" not in d and "nprobe" not in d
    else:
        assert d[param] >= 1 and d["calibration"]["recall_at_10"] >= 0.95


def test_ann_recall_setting_changes_the_target(tmp_home, corpus):
    low = build_cli(corpus, "low", small_config(tmp_home, ann_threshold=THRESHOLD, ann_recall=0.5))["dense"]
    high = build_cli(corpus, "high", small_config(tmp_home, ann_threshold=THRESHOLD, ann_recall=0.99))["dense"]
    assert low["calibration"]["target"] == 0.5 and high["calibration"]["target"] == 0.99
    assert low["nprobe"] <= high["nprobe"]
    assert low["calibration"]["recall_at_10"] >= 0.5 and high["calibration"]["recall_at_10"] >= 0.99


# ==================================================================================================== calibration


def loo_recall(index, vectors, rows, k=10) -> float:
    """Recall@k with each query's own row dropped, computed here independently of hopqa.dense's helpers."""
    q = vectors[rows]
    S = q @ vectors.T
    S[np.arange(len(rows)), rows] = -np.inf
    truth = np.argsort(-S, axis=1, kind="stable")[:, :k]
    found = index.search(np.ascontiguousarray(q), k + 1)[1]
    hits = 0
    for f, t, r in zip(found, truth, rows):
        hits += len(set([x for x in f if x != r][:k]) & set(t))
    return hits / (k * len(rows))


def test_calibration_reaches_the_requested_recall_on_both_kinds_of_query():
    texts = [f"{d['title']}. {d['text']}" for d in synthetic_docs(2600, seed=3)]  # 39 per centroid, as FAISS asks
    enc = HashingEncoder(256)
    vectors = enc.encode(texts)
    spans = lambda rows: enc.encode(span_texts([texts[int(r)] for r in rows]))  # noqa: E731
    index, params = build_dense("IVF64,SQ8", vectors, spans=spans, rerank=0)  # the raw index (rescoring: below)
    cal = params["calibration"]
    assert cal["recall_at_10"] >= 0.95 and all(v["recall_at_10"] >= 0.95 for v in cal["by_kind"].values())
    rows = calibration_rows(len(vectors))
    assert len(rows) == 200 and len(set(rows)) == 200 and len(set(span_rows(len(vectors)))) == 200
    # the held-out recall reported is what an independent computation finds at the chosen nprobe (up to score ties)
    held = cal["by_kind"]["held_out_passages"]["recall_at_10"]
    assert loo_recall(index, vectors, rows) == pytest.approx(held, abs=0.01)
    # ...and the nprobe is the smallest power of two at which both kinds reach the target
    srows = span_rows(len(vectors))
    if params["nprobe"] > 1:
        faiss.extract_index_ivf(index).nprobe = params["nprobe"] // 2
        worst = min(recall_without_source(index, vectors, vectors[rows], rows, 10)[0],
                    recall_without_source(index, vectors, spans(srows), srows, 10)[0])
        assert worst < 0.95
    # a query's own row would always count: it is the exact top-1 of its own vector
    assert all(r in t for r, t in zip(rows, exact_topk(vectors, vectors[rows], 1)))


def test_rescored_search_returns_exact_scores_and_lifts_recall_above_the_codes():
    texts = [f"{d['title']}. {d['text']}" for d in synthetic_docs(2600, seed=3)]
    vectors = HashingEncoder(256).encode(texts)
    index, _ = build_dense("IVF64,SQ8", vectors, rerank=0)
    faiss.extract_index_ivf(index).nprobe = 64  # every list: what is left of the error is SQ8's
    rows = calibration_rows(len(vectors))
    q = vectors[rows]
    raw = recall_without_source(index, vectors, q, rows, 10)[0]
    rescored = Rescored(index, vectors, 4)
    scores, found = rescored.search(q, 10)
    assert found.shape == (200, 10) and (found >= 0).all()
    np.testing.assert_allclose(scores, np.einsum("qkd,qd->qk", vectors[found], q), rtol=1e-5, atol=1e-6)
    assert (np.diff(scores, axis=1) <= 1e-7).all()  # best first, as faiss.Index.search
    fixed = recall_without_source(rescored, vectors, q, rows, 10)[0]
    assert fixed >= raw and fixed >= 0.99  # at full nprobe, rescored = exact up to score ties
    # calibration measures the rescored search, so it needs no larger nprobe than the raw one
    assert build_dense("IVF64,SQ8", vectors, rerank=4)[1]["nprobe"] <= build_dense("IVF64,SQ8", vectors, rerank=0)[1]["nprobe"]


def test_ann_rerank_zero_keeps_the_approximate_scores(tmp_home, corpus):
    d = build_cli(corpus, "norerank", small_config(tmp_home, ann_threshold=THRESHOLD, ann_rerank=0))["dense"]
    assert d["faiss_factory"] == "IVF80,SQ8" and "rerank" not in d
    assert not isinstance(open_index("norerank").dense, Rescored)


def test_span_texts_are_short_seeded_runs_of_words():
    texts = ["a b c d e f g h i j k l m n o p", "short text", ""]
    a = span_texts(texts)
    assert a == span_texts(texts) and a[1] == "short text" and a[2] == ""
    words = a[0].split()
    assert len(words) == SPAN_WORDS and " ".join(words) in texts[0]


def test_calibration_is_deterministic_and_empty_for_exact_indexes():
    vectors = HashingEncoder(256).encode([d["text"] for d in synthetic_docs(600)])
    a = build_dense("IVF32,SQ8", vectors)[1]
    assert a == build_dense("IVF32,SQ8", vectors)[1]
    flat, params = build_dense("Flat", vectors)
    assert params == {} and calibrate(flat, vectors) == {}


# ==================================================================================================== mmap open


def test_memory_mapped_open_searches_like_a_loaded_index(tmp_home, corpus):
    build_cli(corpus, "ivf", small_config(tmp_home, ann_threshold=THRESHOLD))
    build_cli(corpus, "flat", small_config(tmp_home, ann_threshold=N + 1))
    for name in ("ivf", "flat"):
        mapped, loaded = open_index(name), open_index(name, mmap=False)
        assert isinstance(mapped.embeddings, np.memmap) and not isinstance(loaded.embeddings, np.memmap)
        for mode in ("dense", "bm25", "hybrid"):
            for q in QUERIES:
                a = [(h.id, round(h.score, 6)) for h in mapped.search(q, 10, mode=mode)]
                assert a and a == [(h.id, round(h.score, 6)) for h in loaded.search(q, 10, mode=mode)]
        m = json.loads((mapped.path / "manifest.json").read_text(encoding="utf-8"))["dense"]
        d1, d2 = read_dense(mapped.path / "dense.faiss", m), read_dense(mapped.path / "dense.faiss", m, mmap=False)
        qv = HashingEncoder(256).encode(QUERIES)
        np.testing.assert_array_equal(d1.search(qv, 10)[1], d2.search(qv, 10)[1])


# ==================================================================================================== info, memory


def test_cli_info_shows_type_memory_and_disk(tmp_home, corpus):
    build_cli(corpus, "ivf", small_config(tmp_home, ann_threshold=THRESHOLD))
    r = cli("index", "info", "ivf")
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "FAISS IVF80,SQ8" in text and "nprobe=" in text and "chosen by auto" in text
    assert "rerank=4" in text
    assert "vs exact on 400 calibration queries" in text
    assert "resident" in text and "memory-mapped" in text
    assert any(line.split()[:1] == ["disk"] for line in r.stdout.splitlines())
    r = cli("index", "info", "ivf", "--json")
    info = json.loads(r.stdout)
    mem = info["memory"]
    assert mem["dense_index_bytes"] > 0 and mem["mapped_bytes"] >= N * 256 * 4 and info["size_bytes"] > 0
    assert mem["resident_bytes"] >= mem["dense_index_bytes"]


def test_too_little_memory_is_one_line_naming_a_fitting_index(tmp_home, corpus, monkeypatch):
    flat_bytes = N * 256 * 4
    monkeypatch.setattr(I, "mem_available", lambda: flat_bytes // 2)  # the exact index does not fit, SQ8 does
    cfg = small_config(tmp_home, ann_threshold=N + 1)  # auto -> Flat
    r = cli("index", "build", corpus, "--name", "big", "--config", cfg)
    assert r.exit_code != 0
    msg = r.stderr.strip()
    assert msg.count("\n") == 0 and "Traceback" not in r.output, msg
    assert "'Flat'" in msg and '--faiss "IVF80,SQ8" fits' in msg
    assert not (tmp_home / "indexes" / "big").exists()
    assert not list((tmp_home / "indexes").glob(".big*"))  # no work folder either: the check runs before encoding
    # the named index does fit: building with it succeeds under the same limit
    assert build_cli(corpus, "big", cfg, "--faiss", "IVF80,SQ8")["dense"]["faiss_factory"] == "IVF80,SQ8"


def test_no_index_type_fits(tmp_home, corpus, monkeypatch):
    monkeypatch.setattr(I, "mem_available", lambda: 1000)
    with pytest.raises(InputError, match="no index type fits"):
        build_index([CorpusSource(str(corpus))], tmp_home / "indexes" / "tiny", config=IndexConfig(model="hash:256"))
    assert not (tmp_home / "indexes" / "tiny").exists()


def test_add_to_an_ivf_index_recalibrates(tmp_home, write_corpus):
    docs = synthetic_docs(N + 100)
    first, more = write_corpus("first.jsonl", docs[:N]), write_corpus("more.jsonl", docs[N:])
    before = build_cli(first, "grow", small_config(tmp_home, ann_threshold=THRESHOLD))["dense"]
    r = cli("index", "add", more, "--name", "grow", "--json")
    assert r.exit_code == 0, r.output
    ix = open_index("grow")
    after = ix.manifest["dense"]
    assert after["faiss_factory"] == before["faiss_factory"] == "IVF80,SQ8"  # the trained index is kept
    assert ix.dense.ntotal == len(ix.passages) == N + 100 and after["calibration"]["recall_at_10"] >= 0.95
    assert faiss.extract_index_ivf(ix.dense.index).nprobe == after["nprobe"] and after["rerank"] == 4
