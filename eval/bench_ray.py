"""Wall clock of `--engine ray` against `--engine local`: index build and eval on the demo corpus and questions.

    PYTHONPATH=. python eval/bench_ray.py [--model hash:64] [--workers 2]

Each figure is one run in this process; the Ray instance is started before the timings (its start is reported on its
own). Prints one JSON line last.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from hopqa import (EvalOptions, IndexConfig, build_index, demo_corpus, demo_questions, encoding_engine, load_config,
                   load_eval_dataset, open_index, run_eval, start_ray)
from hopqa.corpus import CorpusSource


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="hash:64")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    cfg = IndexConfig(model=args.model)
    src = [CorpusSource(str(demo_corpus()))]
    items = load_eval_dataset(str(demo_questions()))
    qcfg = load_config(None, {"reader": {"kind": "rules"}})
    res: dict = {"model": args.model, "passages": None, "questions": len(items), "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s, res["build_local_s"] = _timed(lambda: build_index(src, root / "local", config=cfg))
        res["passages"] = s.passages
        _, res["ray_start_s"] = _timed(lambda: start_ray())
        engine = encoding_engine("ray", cfg.model)
        _, res["build_ray_s"] = _timed(lambda: build_index(src, root / "ray", config=cfg, engine=engine))
        same = (root / "local/passages.jsonl").read_bytes() == (root / "ray/passages.jsonl").read_bytes()
        res["passages_identical"] = same
        diff = np.abs(np.load(root / "local/embeddings.npy") - np.load(root / "ray/embeddings.npy")).max()
        res["embeddings_max_abs_diff"] = float(diff)
        ix = open_index(root / "local")
        for engine_name in ("local", "ray"):
            opts = EvalOptions(compare=True, workers=args.workers if engine_name == "ray" else 1, engine=engine_name)
            r, res[f"eval_{engine_name}_s"] = _timed(lambda: run_eval(items, ix, qcfg, opts))
            res[f"eval_{engine_name}_f1"] = r.metrics.get("answer_f1")
    for k, v in res.items():
        if isinstance(v, float):
            res[k] = round(v, 2)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
