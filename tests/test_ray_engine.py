"""`--engine ray` against the single-process path, on one local Ray instance for the whole session.

The hashing encoder (`hash:64`) and the rules reader over the demo corpus and questions: the Ray build must give a
byte-identical passages.jsonl, the same vectors and search results; the Ray eval the same predictions and metrics; a
build whose Ray encoding died mid-way resumes from the chunks it had saved.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hopqa import (EngineError, EvalOptions, IndexConfig, build_index, demo_corpus, demo_questions, load_config,
                   load_eval_dataset, open_index, run_eval)
from hopqa.corpus import CorpusSource

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'hopqa[ray]'")
engines = pytest.importorskip("hopqa.engines")

CFG = IndexConfig(model="hash:64", chunk_size=40, batch_size=16)  # 127 demo passages: 4 chunks


@pytest.fixture(scope="session")
def ray_session():
    engines.start_ray(num_cpus=2)
    yield
    ray.shutdown()


def _sources():
    return [CorpusSource(str(demo_corpus()))]


@pytest.fixture(scope="session")
def built(tmp_path_factory, ray_session):
    root = tmp_path_factory.mktemp("ray_idx")
    local = build_index(_sources(), root / "local", config=CFG)
    remote = build_index(_sources(), root / "ray", config=CFG, engine=engines.encoding_engine("ray", CFG.model))
    return root / "local", root / "ray", local, remote


def test_ray_build_writes_the_same_index(built):
    local, remote, s_local, s_remote = built
    assert (local / "passages.jsonl").read_bytes() == (remote / "passages.jsonl").read_bytes()
    assert s_remote.passages == s_local.passages == 127
    a, b = open_index(local), open_index(remote)
    assert np.allclose(np.asarray(a.embeddings), np.asarray(b.embeddings), atol=1e-6)
    for q in ("Who wrote the novel?", "capital city river", "When was the bridge built"):
        assert [h.id for h in a.search(q, k=10)] == [h.id for h in b.search(q, k=10)]
        assert [h.id for h in a.search(q, k=5, mode="dense")] == [h.id for h in b.search(q, k=5, mode="dense")]


class _DiesAfter:
    """An encoding engine whose Ray job 'dies' after `n` chunks (as a killed worker would end the build)."""

    def __init__(self, inner, n: int):
        self.inner, self.left = inner, n

    def encode(self, texts, batch_size):
        if self.left == 0:
            raise RuntimeError("Ray worker killed")
        self.left -= 1
        return self.inner.encode(texts, batch_size)


def test_ray_build_resumes_from_finished_chunks(built, tmp_path):
    local = built[0]
    ray_enc = engines.encoding_engine("ray", CFG.model)
    with pytest.raises(RuntimeError, match="killed"):
        build_index(_sources(), tmp_path / "ix", config=CFG, engine=_DiesAfter(ray_enc, 2))
    assert not (tmp_path / "ix").exists()  # never a half-written index
    s = build_index(_sources(), tmp_path / "ix", config=CFG, engine=ray_enc)
    assert s.resumed_passages == 80  # the two chunks finished before the kill
    assert (tmp_path / "ix" / "passages.jsonl").read_bytes() == (local / "passages.jsonl").read_bytes()
    assert np.allclose(np.load(tmp_path / "ix" / "embeddings.npy"), np.load(local / "embeddings.npy"), atol=1e-6)


def _eval(index_path: Path, out: Path, engine: str, workers: int = 1):
    items = load_eval_dataset(str(demo_questions()))
    cfg = load_config(None, {"reader": {"kind": "rules"}})
    opts = EvalOptions(compare=True, workers=workers, output_dir=str(out), engine=engine)
    return run_eval(items, open_index(index_path), cfg, opts, dataset=str(demo_questions()))


def _comparable(metrics: dict) -> dict:
    """The metrics without wall-clock figures and provenance (argv, machine): those differ run to run."""
    drop = ("latency", "seconds", "per_second", "provenance", "throughput")
    if isinstance(metrics, dict):
        return {k: _comparable(v) for k, v in metrics.items() if not any(d in k for d in drop)}
    return metrics


def test_ray_eval_gives_the_same_predictions_and_metrics(built, tmp_path):
    local = built[0]
    a = _eval(local, tmp_path / "local", "local")
    b = _eval(local, tmp_path / "ray", "ray", workers=2)
    for f in sorted(p.name for p in (tmp_path / "local").glob("predictions*")):
        assert (tmp_path / "local" / f).read_bytes() == (tmp_path / "ray" / f).read_bytes(), f
    assert _comparable(a.metrics) == _comparable(b.metrics)
    for name in a.records:
        assert [r["predicted_answer"] for r in a.records[name]] == [r["predicted_answer"] for r in b.records[name]]


def test_ray_eval_resumes_from_written_traces(built, tmp_path):
    local = built[0]
    full = _eval(local, tmp_path / "full", "local")
    out = tmp_path / "part"
    _eval(local, out, "ray")
    lines = (out / "traces.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(len(r) for r in full.records.values())  # every finished question was written
    (out / "traces.jsonl").write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")  # as if killed after five
    items = load_eval_dataset(str(demo_questions()))
    opts = EvalOptions(compare=True, output_dir=str(out), resume=True, engine="ray")
    resumed = run_eval(items, open_index(local), load_config(None, {"reader": {"kind": "rules"}}), opts,
                       dataset=str(demo_questions()))
    assert _comparable(resumed.metrics) == _comparable(full.metrics)
    assert len((out / "traces.jsonl").read_text(encoding="utf-8").splitlines()) == len(lines)


def test_missing_ray_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(EngineError, match=r"pip install 'hopqa\[ray\]'"):
        engines.start_ray()


def test_unknown_engine_is_refused():
    with pytest.raises(EngineError, match="must be one of local, ray"):
        engines.encoding_engine("spark", "hash:64")
    assert json.dumps(list(engines.ENGINES)) == '["local", "ray"]'
