#!/usr/bin/env python
"""The hopqa benchmark: one command that anyone reruns to regenerate eval/RESULTS.md.

    python eval/benchmark.py                   # or: make bench   (about 15-25 minutes on 2 CPU cores)
    python eval/benchmark.py --llm-url http://localhost:11434/v1 --llm-model qwen2.5:7b   # adds the LLM policy
    python eval/benchmark.py --datasets hotpotqa,2wikimultihopqa --settings distractor --perturb shuffle,distractors

What it runs, each as a `hopqa` subprocess (so speed and peak RSS are those of the real command):
1. index throughput: eval/bench_index.py (raw SentenceTransformer.encode vs `hopqa index build`, same texts);
2. `hopqa eval --compare` on each shared dev file (--datasets: ../shared/data/{musique,hotpotqa,2wikimultihopqa}/), in
   each setting (--settings: open, all distinct paragraphs pooled; distractor, each question's own paragraphs), each
   scored with its dataset's official metrics; in the distractor setting also under each --perturb perturbation
   (shuffle, reverse, distractors), every pipeline beside its unperturbed run;
3. `hopqa eval --compare` on the bundled demo questions (open setting);
4. cold `hopqa ask` wall time (process start, imports, model load, answer), median of 3;
5. with --llm-url: the open-setting MuSiQue run again with --policy llm;
6. with --llm-policy: the LLM policy on a fixed sample (--llm-sample, 30; seed 0) of each shared dev file, beside the
   local policy on the same questions: answer EM/F1, support F1, R@5, calls, prompt/completion tokens and seconds per
   question. It starts llama.cpp's server on the embedded model itself (`hopqa.lm.serve.LocalServer`, the same as
   `hopqa llm serve`; --llm-threads, --llm-ctx), or uses --llm-url/--llm-model. `--llm-only` runs just this section
   and writes eval/results/llm_policy.{md,json} (RESULTS.md untouched):
       python eval/benchmark.py --llm-policy --llm-only                     # the embedded model, 3 x 30 questions
       python eval/benchmark.py --llm-policy --llm-only --llm-sample 5 --datasets musique   # a smoke run
Every run's outputs (official predictions, traces, metrics, report, plots) go to eval/runs/ (not committed); the
tables, figures, machine, commit and command go to eval/RESULTS.md, and the metrics to eval/results/*.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hopqa.provenance import git_commit, machine  # noqa: E402
from hopqa.report import hop_table, level_table, perturbation_table, pipeline_table  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "musique" / "musique_ans_dev_100.jsonl"
SHARED = ROOT.parent / "shared" / "data"
DATASETS = {  # name: (file, title, paragraphs per question)
    "musique": (DATA, "MuSiQue-Ans sample", "20"),
    "hotpotqa": (SHARED / "hotpotqa" / "hotpotqa_dev_100.jsonl", "HotpotQA sample", "10"),
    "2wikimultihopqa": (SHARED / "2wikimultihopqa" / "2wikimultihopqa_dev_83.jsonl", "2WikiMultihopQA sample", "10"),
}
SETTINGS = ("open", "distractor")
PERTURBATIONS = ("shuffle", "reverse", "distractors")
HOPQA = [sys.executable, "-m", "hopqa_cli.main"]  # the installed CLI package (cli/ in the source tree)

PUBLISHED = """| system | data | R@2 | R@5 | answer F1 | support F1 | what differs from hopqa's run |
|---|---|---|---|---|---|---|
| BM25 (HippoRAG paper, Gutiérrez et al. 2024) | MuSiQue, 1,000 dev questions, 11,656 passages | - | 41.2 | - | - | 7x larger pooled corpus, 10x more questions |
| Contriever (same) | same | - | 46.6 | - | - | same |
| ColBERTv2 (same) | same | - | 49.2 | - | - | same |
| HippoRAG (ColBERTv2) (same) | same | - | 51.9 | - | - | same; multi-step graph retrieval |
| Select+Answer (MuSiQue paper, Trivedi et al. 2022) | MuSiQue-Ans dev, distractor setting | - | - | 47.3 | 72.3 | trained supervised reader and selector, full dev set |"""


def run(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command (with `env` added to the environment); return (wall seconds, peak RSS of that child in KiB,
    stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                       env=os.environ | {"HOPQA_PROGRESS": "0"} | (env or {}))
    wall = time.perf_counter() - t0
    log.write_text(f"$ {shlex.join(cmd)}\n\n{p.stdout}\n--- stderr ---\n{p.stderr}", encoding="utf-8")
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(after, before), p.stdout


def eval_run(name: str, args: list[str], runs: Path, results: Path, compare: bool = True,
             env: dict[str, str] | None = None) -> dict:
    out = runs / name
    cmd = HOPQA + ["eval", *args, *(["--compare"] if compare else []), "--json", "--output-dir", str(out),
                   "--index-dir", str(runs / "indexes")]
    if out.exists():
        cmd.append("--resume")
    wall, rss, stdout = run(cmd, runs / f"{name}.log", env=env)
    metrics = json.loads(stdout)
    metrics["benchmark"] = {"wall_seconds": wall, "peak_rss_mib_max_so_far": rss / 1024, "command": shlex.join(cmd)}
    (results / f"{name}.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--runs", type=Path, default=ROOT / "eval" / "runs")
    ap.add_argument("--results", type=Path, default=ROOT / "eval" / "results")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "RESULTS.md")
    ap.add_argument("--skip-index-bench", action="store_true", help="Reuse eval/results/index_bench.json.")
    ap.add_argument("--fresh", action="store_true", help="Delete earlier runs first (otherwise finished questions are resumed).")
    ap.add_argument("--llm-url")
    ap.add_argument("--llm-model")
    ap.add_argument("--datasets", default=",".join(DATASETS), help=f"Comma-separated, of {', '.join(DATASETS)}.")
    ap.add_argument("--settings", default=",".join(SETTINGS), help="Comma-separated, of open, distractor.")
    ap.add_argument("--perturb", default=",".join(PERTURBATIONS),
                    help="Comma-separated perturbations run in the distractor setting ('' for none).")
    ap.add_argument("--no-compare", action="store_true", help="Multi-hop only (no single-shot baselines).")
    ap.add_argument("--skip-demo", action="store_true", help="Skip the demo-question runs and the cold-ask timing.")
    ap.add_argument("--llm-policy", action="store_true",
                    help="LLM-policy section: --llm-sample questions of each dataset, LLM vs local policy.")
    ap.add_argument("--llm-sample", type=int, default=30)
    ap.add_argument("--llm-setting", default="open", choices=SETTINGS)
    ap.add_argument("--llm-threads", type=int, default=None, help="Threads of the embedded server (default: all cores).")
    ap.add_argument("--llm-ctx", type=int, default=4096, help="Context of the embedded server, in tokens.")
    ap.add_argument("--llm-serve-model", default="small",
                    help="Model of the embedded server: small (0.5B, the `hopqa llm serve` default), large, or a .gguf.")
    ap.add_argument("--llm-only", action="store_true", help="Run only the LLM-policy section (RESULTS.md untouched).")
    ap.add_argument("--llm-flows", default="grounded",
                    help="Comma-separated LLM-policy flows to run ([llm] flow): grounded (default), sgfsm.")
    args = ap.parse_args()
    datasets = [d for d in args.datasets.split(",") if d]
    settings = [x for x in args.settings.split(",") if x]
    perturb = [x for x in args.perturb.split(",") if x]
    for name, allowed in ((datasets, DATASETS), (settings, SETTINGS), (perturb, PERTURBATIONS)):
        bad = [x for x in name if x not in allowed]
        if bad:
            raise SystemExit(f"unknown {bad[0]!r}: choose from {', '.join(allowed)}")
    DATASETS["musique"] = (args.data, *DATASETS["musique"][1:])
    for d in datasets:
        if not DATASETS[d][0].exists():
            raise SystemExit(f"{DATASETS[d][0]}: not found (the shared samples live in ../shared/data/)")
    runs, results = args.runs, args.results
    if args.fresh and runs.exists():
        import shutil

        shutil.rmtree(runs)
    runs.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    command = shlex.join([Path(sys.executable).name, "eval/benchmark.py", *sys.argv[1:]])
    t_start = time.time()

    if args.llm_only:
        if not args.llm_policy:
            raise SystemExit("--llm-only needs --llm-policy")
        section, data = llm_policy_section(args, datasets, runs, results)
        (results / "llm_policy.md").write_text(f"Produced by `{command}` at `{git_commit()}`.\n\n" + section,
                                               encoding="utf-8")
        (results / "llm_policy.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(section)
        return

    if not args.skip_index_bench:
        run([sys.executable, str(ROOT / "eval" / "bench_index.py"), "--data", str(args.data), "--out",
             str(results / "index_bench.json")], runs / "index_bench.log")
    index_bench = json.loads((results / "index_bench.json").read_text()) if (results / "index_bench.json").exists() else None

    compare = not args.no_compare
    runs_m: dict[tuple[str, str], dict] = {}
    for d in datasets:
        for setting in settings:
            extra = [] if d == "musique" else ["--skip-invalid"]
            if setting == "distractor":
                for p in perturb:
                    extra += ["--perturb", p]
            runs_m[(d, setting)] = eval_run(f"{d}_{setting}", [str(DATASETS[d][0]), "--setting", setting, *extra],
                                            runs, results, compare=compare)
    open_m = runs_m.get(("musique", "open"))
    demo_m = full_m = nover_m = None
    colds: list[float] = []
    if not args.skip_demo:
        demo_m = eval_run("demo_open", ["--demo", "--setting", "open"], runs, results, compare=compare)
        # Answerability, MuSiQue-Full style: the demo questions plus their unanswerable contrasts (same ids).
        from hopqa.demo import demo_questions

        full = runs / "demo_full.jsonl"
        full.write_text(demo_questions().read_text(encoding="utf-8") + demo_questions(unanswerable=True).read_text(encoding="utf-8"),
                        encoding="utf-8")
        full_m = eval_run("demo_full", [str(full), "--setting", "open"], runs, results, compare=False)
        # Cold `hopqa ask`: a fresh process each time, the demo index built by the demo run above.
        demo_index = runs / "demo_open" / "run.json"
        index_path = json.loads(demo_index.read_text())["identity"]["index"]["path"]
        question = "Where was the composer of Tidewater Suite born?"
        for i in range(3):
            wall, _, _ = run(HOPQA + ["ask", "--index", index_path, "--json", question], runs / f"cold_ask_{i}.log")
            colds.append(wall)
    if open_m is not None:
        # Ablation: REVISE_SEARCH without answer verification (more answers, more of them guesses).
        noverify = runs / "noverify.toml"
        noverify.write_text("[reader]\nverify = false\n", encoding="utf-8")
        nover_m = eval_run("musique_open_noverify", [str(args.data), "--setting", "open", "--config", str(noverify)],
                           runs, results, compare=False)

    llm_m = None
    if args.llm_url and open_m is not None:
        extra = ["--policy", "llm", "--llm-url", args.llm_url] + (["--llm-model", args.llm_model] if args.llm_model else [])
        llm_m = eval_run("musique_open_llm", [str(args.data), "--setting", "open", *extra], runs, results)

    mach = machine()
    lines = [
        "# hopqa benchmark results", "",
        f"Produced by `{command}` (rerun it to regenerate this file; `make bench` does the same) in "
        f"{(time.time() - t_start) / 60:.1f} minutes.", "",
        f"- git commit: `{git_commit()}`",
        f"- machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gib']} GiB RAM, no GPU; {mach['platform']}; "
        f"Python {mach['python']}",
        "- data: " + "; ".join(
            f"`{DATASETS[d][0].relative_to(ROOT.parent) if DATASETS[d][0].is_relative_to(ROOT.parent) else DATASETS[d][0]}` "
            f"({DATASETS[d][2]} paragraphs a question; see its SOURCE.md)" for d in datasets)
        + ("" if args.skip_demo else "; the bundled demo questions (26, invented world, `hopqa/data/demo/`)"),
        "- settings: defaults of this commit (all-MiniLM-L6-v2 embeddings, hybrid = FAISS inner product + bm25s fused by "
        "a min-max score mix with dense weight 2; multi-hop: local policy, no LLM, max 4 hops); `hopqa eval --compare` "
        "runs BM25-only, dense-only and hybrid single-shot (the machine with `--max-hops 1`) beside the multi-hop pipeline.",
        "", "Scores in %, each dataset with its official evaluator's metrics (named in each section): MuSiQue "
        "EM/F1/Sup F1 (supporting paragraphs); HotpotQA and 2Wiki EM/F1, Sup EM/F1 over (title, sentence id) "
        "supporting facts and Joint EM/F1. R@k = share of gold supporting paragraphs in the top k of the final "
        "evidence ranking; All@k = all of them in the top k.", "",
    ]
    sections = []
    for d in datasets:
        for setting in settings:
            where = ("open setting (all distinct paragraphs pooled)" if setting == "open"
                     else f"distractor setting (each question's own {DATASETS[d][2]} paragraphs)")
            sections.append((f"{DATASETS[d][1]}, {where}", runs_m[(d, setting)]))
    if demo_m is not None:
        sections.append(("Bundled demo questions, open setting (their pooled paragraphs)", demo_m))
    for title, m in sections:
        pipes = m["pipelines"]
        lines += [f"## {title}", "", f"{m['n']} questions, index of {m['provenance']['index']['passages']} passages; "
                  f"metrics of {m.get('official_evaluator')}"
                  + (f"; {m['skipped_invalid']} invalid records skipped" if m.get("skipped_invalid") else "") + ".", "",
                  pipeline_table(m), ""]
        pt = perturbation_table(m)
        if pt:
            lines += ["Robustness: " + m["perturbations"]["description"], "", pt, ""]
        if "best_single_shot" in m:
            best = m["best_single_shot"]
            lines += [f"Multi-hop vs the best single-shot baseline ({best}): R@5 {pct(pipes['multihop']['recall@5'])} vs "
                      f"{pct(pipes[best]['recall@5'])} (**{100 * m['gain_recall@5_over_best_single_shot']:+.1f} points**), "
                      f"All@5 {pct(pipes['multihop']['all_recall@5'])} vs {pct(pipes[best]['all_recall@5'])}; "
                      f"hybrid single-shot R@5 {pct(pipes['hybrid']['recall@5'])}.", ""]
        lt = level_table(m)
        lines += ["<details><summary>By question type" + (" and level" if lt else "") + "</summary>", "", hop_table(m), "",
                  *([lt, ""] if lt else []), "</details>", ""]

    nv = nover_m
    if open_m is not None and nv is not None:
        lines += ["## Answer verification and answerability", "",
                  "REVISE_SEARCH accepts a sub-answer only when a kept fact states the asked relation of the asked subject "
                  "(`[reader] verify = true`, the default); a chain with an unsupported link answers `unanswerable`. "
                  "Without it, any fact that contains the span supports it:", "",
                  "| MuSiQue sample, open, multi-hop | EM | F1 | answered | EM among answered | R@5 | All@5 |", "|---|---|---|---|---|---|---|"]
        for label, m in (("verify on (default)", open_m["pipelines"]["multihop"]), ("verify off", nv)):
            answered = round(m["n"] * (m.get("answerability_accuracy") or 0))  # every gold question is answerable here
            em_ans = (m["answer_em"] * m["n"] / answered) if answered else None
            lines.append(f"| {label} | {pct(m['answer_em'])} | {pct(m['answer_f1'])} | {answered} of {m['n']} | {pct(em_ans)} | "
                         f"{pct(m['recall@5'])} | {pct(m['all_recall@5'])} |")
    if full_m is not None:
        fm = full_m.get("musique_full") or {}
        lines += ["", f"Demo questions with their unanswerable contrasts ({full_m['n']} questions, "
                  f"{fm.get('n_groups', 0)} contrast pairs, MuSiQue-Full scoring): answerability accuracy "
                  f"{pct(full_m.get('answerability_accuracy'))}; group answer sufficiency F1 "
                  f"{pct(fm.get('group_answer_sufficiency_f1'))}, group support sufficiency F1 "
                  f"{pct(fm.get('group_support_sufficiency_f1'))}, sufficiency {pct(fm.get('group_sufficiency'))}.", ""]
    lines += ["## Speed", ""]
    if index_bench:
        b = index_bench
        lines += [
            f"- index build on the {b['data']['passages']} pooled MuSiQue passages (`{b['command'].split('/')[-1]}`, "
            f"commit `{b['git']['commit'][:10]}`, {b['settings']['rounds']} rounds ABBA): raw "
            f"`SentenceTransformer.encode` {b['raw_passages_per_second']:.1f} passages/s, `build_index` end to end "
            f"{b['end_to_end_passages_per_second']:.1f} passages/s: ratio **{b['ratio_end_to_end_over_raw']:.2f}** "
            f"(target >= {b['target_ratio']}; CPU-time ratio {b['ratio_cpu_time_raw_over_end_to_end']:.2f}). "
            f"`hopqa index build` as a process (imports and model load included): {b['cli']['seconds']:.0f} s, "
            f"{b['cli']['passages_per_second']:.1f} passages/s, peak RSS {b['cli']['peak_rss_bytes'] / 2**20:.0f} MiB; "
            f"index size on disk {b['index_size_bytes'] / 2**20:.1f} MiB. Details: `eval/results/index_bench.json`.",
        ]
    if open_m is not None:
        mp = open_m["pipelines"]["multihop"]
        dense = open_m["pipelines"].get("dense")
        lines += [
            f"- `hopqa ask`, warm model, MuSiQue open index: multi-hop p50 {1000 * mp['latency_p50']:.0f} ms, "
            f"p95 {1000 * mp['latency_p95']:.0f} ms per question (up to 4 hops)"
            + (f"; single-shot: dense p50 {1000 * dense['latency_p50']:.0f} ms (one query encoding), hybrid and BM25 a "
               "few ms (hybrid runs after dense and reuses its cached query vectors, so its figure is search time only)."
               if dense else "."),
            f"- `hopqa eval` throughput (multi-hop, open setting): {mp['questions_per_second']:.1f} questions/s.",
        ]
    if colds:
        lines.append(f"- cold `hopqa ask` (new process: imports, model load, answer) on the demo index: median "
                     f"{statistics.median(colds):.2f} s of {', '.join(f'{c:.2f}' for c in colds)} s (target 6 s; most of "
                     "it is importing torch and sentence-transformers and loading the model, see `python -X importtime`).")
    all_runs = [m for m in (*runs_m.values(), demo_m) if m is not None]
    if all_runs:
        lines.append(f"- peak RSS of the benchmark's child processes: "
                     f"{max(m['benchmark']['peak_rss_mib_max_so_far'] for m in all_runs):.0f} MiB.")
    lines.append("")
    lines += ["## LLM policy", ""]
    if llm_m:
        lp = llm_m["pipelines"]["multihop"]
        lines += [f"With `--llm-url {args.llm_url}`: answer F1 {pct(lp['answer_f1'])}, R@5 {pct(lp['recall@5'])}; "
                  f"usage {json.dumps(lp.get('usage'))}", ""]
    else:
        lines += ["No LLM endpoint is reachable from the machine that produced this file, so the LLM policy "
                  "(`--policy llm`) is not benchmarked here; its behaviour is covered by tests against a scripted local "
                  "chat-completions server. Anyone with an endpoint reruns: "
                  "`python eval/benchmark.py --llm-url http://localhost:11434/v1 --llm-model MODEL`.", ""]
    if args.llm_policy:
        section, data = llm_policy_section(args, datasets, runs, results)
        (results / "llm_policy.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        lines += [section, ""]
    lines += ["## Published numbers, for context", "", PUBLISHED, "",
              "These are not like-for-like: hopqa's open setting pools ~1,700 paragraphs of 101 questions (an easier, "
              "smaller haystack than HippoRAG's 11,656 of 1,000 questions), and its offline reader is a rule-based "
              "extractor, not a trained model. The defaults (fusion weights, hops read per hop) were chosen on this same "
              "101-question sample; the demo questions are a second, independent check.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out.read_text())


def _per_question(m: dict, key: str) -> float | None:
    u = m.get("usage") or {}
    return u[key] / m["n"] if m.get("n") and key in u else None


def llm_policy_section(args, datasets: list[str], runs: Path, results: Path) -> tuple[str, dict]:
    """The LLM policy beside the local policy on the same --llm-sample questions of each dataset (seed 0)."""
    server = None
    url, model = args.llm_url, args.llm_model
    if not url:
        from hopqa.lm.serve import LocalServer

        server = LocalServer(args.llm_serve_model, port=0, n_ctx=args.llm_ctx, threads=args.llm_threads).start()
        url, model = server.url, server.model
    threads = f"{server.threads} thread{'s' if server.threads != 1 else ''}" if server else ""
    who = (f"the embedded {model} on llama.cpp's server (xllamacpp, {threads}, context {server.n_ctx})"
           if server else f"`{model or '(server default)'}` at {url}")
    flows = [f for f in args.llm_flows.split(",") if f]
    if not flows or any(f not in ("grounded", "sgfsm") for f in flows):
        raise SystemExit(f"--llm-flows: grounded and/or sgfsm, not {args.llm_flows!r}")
    rows, data = [], {"model": model, "endpoint": "embedded" if server else url, "sample": args.llm_sample,
                      "setting": args.llm_setting, "flows": flows, "datasets": {}}
    try:
        for d in datasets:
            base = [str(DATASETS[d][0]), "--setting", args.llm_setting, "--sample", str(args.llm_sample), "--seed", "0"]
            if d != "musique":
                base.append("--skip-invalid")
            tag = f"{d}_{args.llm_setting}_s{args.llm_sample}"
            local = eval_run(f"{tag}_local", base, runs, results, compare=False)
            data["datasets"][d] = {"local": local["pipelines"]["multihop"]}
            done = [("local policy", local)]
            for flow in flows:
                llm = eval_run(f"{tag}_llm_{flow}", base + ["--policy", "llm", "--llm-url", url,
                                                           *(["--llm-model", model] if model else [])],
                               runs, results, compare=False, env={"HOPQA_LLM_FLOW": flow})
                data["datasets"][d][flow] = {**llm["pipelines"]["multihop"], "usage": llm.get("usage")}
                done.append((f"LLM policy, {flow} ({model})", llm))
            for label, m in done:
                mp = m["pipelines"]["multihop"]
                sup = mp.get("support_f1", mp.get("sp_f1"))
                calls, ptok, ctok = (_per_question(m, k) for k in ("calls", "prompt_tokens", "completion_tokens"))
                rows.append(f"| {DATASETS[d][1]} | {label} | {m['n']} | {pct(mp['answer_em'])} / {pct(mp['answer_f1'])} | "
                            f"{pct(sup)} | {pct(mp['recall@5'])} | "
                            + ("- | - | - | " if calls is None else f"{calls:.1f} | {ptok:,.0f} | {ctok:,.0f} | ")
                            + f"{mp['latency_p50']:.1f} / {mp['latency_p95']:.1f} |")
    finally:
        if server is not None:
            server.close()
    head = [f"## LLM policy vs local policy ({args.llm_sample} questions of each dataset, {args.llm_setting} setting)",
            "", f"LLM rows: {who}; `hopqa eval --policy llm` with JSON-schema replies, by flow (`[llm] flow`): "
            "grounded = the LLM decomposes, sub-answers and answers are read from each hop's condensed facts with the "
            "grounded reader prompt on the same endpoint; sgfsm = a prompt per state. Local rows: the "
            "default local policy on the same questions (seed 0). Calls and tokens are per question (prompt tokens "
            "include the system prompt that llama.cpp serves from its prompt cache); seconds are p50 / p95 per question.",
            "", "| data | policy | n | answer EM / F1 | support F1 | R@5 | calls | prompt tokens | completion tokens | s p50 / p95 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    return "\n".join(head + rows) + "\n", data


if __name__ == "__main__":
    main()
