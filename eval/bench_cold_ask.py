#!/usr/bin/env python
"""Cold `hopqa ask`: a new process per question (start-up, imports, encoder and reader load, answer), by encoder and
reader, on the bundled demo corpus.

    python eval/bench_cold_ask.py                                   # torch and onnx-int8 MiniLM x lm and rules readers
    python eval/bench_cold_ask.py --encoders onnx-int8:minilm --readers rules --repeats 5

For each encoder it builds the demo index once (into --work), then runs `hopqa ask --index ... --reader R --json`
--repeats times per reader and reports the median wall time, each run's figures, and the answer's own timing split
(reader seconds, model load seconds) from its --json output. Writes --out (eval/results/cold_ask.json) and prints a
markdown table, then a JSON line last. Pin it with taskset to measure a given number of cores; the machine's usable
cores are recorded.
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOPQA = [sys.executable, "-m", "hopqa_cli.main"]
QUESTION = "Where was the composer of Tidewater Suite born?"


def run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default="all-MiniLM-L6-v2,onnx-int8:minilm")
    ap.add_argument("--readers", default="lm,rules")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--work", type=Path, default=ROOT / "eval" / "runs" / "cold_ask")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "cold_ask.json")
    args = ap.parse_args(argv)
    from hopqa.provenance import git_commit, machine

    rows = []
    for enc in [e for e in args.encoders.split(",") if e]:
        index = args.work / enc.replace(":", "_").replace("/", "_")
        if not (index / "manifest.json").is_file():
            _, proc = run(HOPQA + ["index", "build", "--demo", "--name", str(index), "--model", enc])
            if proc.returncode != 0:
                print(f"error: building the demo index with {enc} failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
                return 1
        for reader in [r for r in args.readers.split(",") if r]:
            walls, timings, answers = [], [], []
            for _ in range(args.repeats):
                wall, proc = run(HOPQA + ["ask", "--index", str(index), "--reader", reader, "--json", args.question])
                if proc.returncode != 0:
                    print(f"error: hopqa ask ({enc}, {reader}) exited {proc.returncode}: {proc.stderr.strip()[-300:]}",
                          file=sys.stderr)
                    return 1
                out = json.loads(proc.stdout)
                walls.append(round(wall, 3))
                timings.append(out.get("timings", {}))
                answers.append(out.get("answer"))
            rows.append({"encoder": enc, "reader": reader, "median_s": round(statistics.median(walls), 3),
                         "walls_s": walls, "timings": timings, "answers": answers})
    report = {"bench": "cold_ask", "date": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": git_commit(),
              "command": shlex.join([Path(sys.executable).name, "eval/bench_cold_ask.py", *(argv or sys.argv[1:])]),
              "machine": machine(), "question": args.question, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("| encoder | reader | median s | runs s | reader s (model load s) | answer |")
    print("|---|---|---:|---|---|---|")
    for r in rows:
        t = r["timings"][0]
        print(f"| {r['encoder']} | {r['reader']} | {r['median_s']:.2f} | {', '.join(f'{w:.2f}' for w in r['walls_s'])} | "
              f"{t.get('reader_seconds', 0):.2f} ({t.get('model_load_seconds', 0):.2f}) | {r['answers'][0]} |")
    print(json.dumps({"bench": "cold_ask", "out": str(args.out),
                      "median_s": {f"{r['encoder']}+{r['reader']}": r["median_s"] for r in rows}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
