"""`hopqa eval`: batch runs over MuSiQue, HotpotQA and 2WikiMultihopQA data, each scored like its official evaluator,
with single-shot baselines side by side, official predictions files, per-question traces, a report and plots;
resumable. Robustness runs (`perturb`) score every pipeline again on perturbed inputs beside the unperturbed run.

Pipelines: "bm25", "dense", "hybrid" (single-shot: the machine with max_hops=1 and that retriever) and "multihop"
(the full machine). "multihop+oracle-decomposition" exists only behind its flag and is reported under that name.

This module runs the pipelines and writes the outputs; the index a run uses is prepared by `hopqa.eval_index`, each
question is scored and each pipeline summed up by `hopqa.eval_scoring`, and the run's provenance comes from
`hopqa.provenance`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

from .config import Config
from .errors import InputError
from .eval_datasets import EvalItem
from .eval_scoring import official_hotpot_predictions, score_record, summarize
from .index import HybridIndex
from .metrics.summary import metric_keys
from .predictions import write_hotpot_predictions, write_predictions
from .provenance import file_sha256, git_commit, machine
from .qa import Asker

Setting = Literal["open", "distractor"]
BASELINES = ("bm25", "dense", "hybrid")
MAIN = "multihop"
ORACLE = "multihop+oracle-decomposition"
RUN_FILE, TRACES, METRICS, REPORT = "run.json", "traces.jsonl", "metrics.json", "report.md"
Progress = Callable[[int, int], None]


@dataclass
class EvalOptions:
    setting: Setting = "open"
    compare: bool = False
    policy: str = "local"
    oracle_decomposition: bool = False
    workers: int = 1
    output_dir: str | None = None
    resume: bool = False
    perturb: tuple[str, ...] = ()  # robustness runs: each base pipeline again under each perturbation
    seed: int = 0  # of the perturbations
    engine: str = "local"  # "ray": questions answered on Ray actors (hopqa/engines.py)

    def base_pipelines(self) -> list[str]:
        names = [*BASELINES, MAIN] if self.compare else [MAIN]
        if self.oracle_decomposition:
            names.append(ORACLE)
        return names

    def pipelines(self) -> list[str]:
        base = self.base_pipelines()
        return base + [f"{b}+{p}" for p in self.perturb for b in base]


def split_pipeline(name: str) -> tuple[str, str | None]:
    """("multihop+shuffle") -> ("multihop", "shuffle"); the oracle's own "+" is part of its base name."""
    from .perturb import PERTURBATIONS

    base, _, tail = name.rpartition("+")
    if base and tail in PERTURBATIONS:
        return base, tail
    return name, None


@dataclass
class EvalResult:
    metrics: dict[str, Any]  # the main pipeline's metrics (+ "pipelines" with every pipeline's)
    records: dict[str, list[dict]] = field(default_factory=dict)
    output_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.metrics


# --------------------------------------------------------------------------------------------------------------------
# Running


def _pipeline_config(name: str, config: Config) -> Config:
    if name in BASELINES:
        return dataclasses.replace(config, hops=dataclasses.replace(config.hops, max_hops=1),
                                   retrieval=dataclasses.replace(config.retrieval, mode=name))
    return config


def _load_done(out: Path) -> dict[tuple[str, int], dict]:
    done: dict[tuple[str, int], dict] = {}
    f = out / TRACES
    if f.exists():
        _cut_partial_line(f)
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:  # a line cut by the interruption: redo that question
                continue
            done[(r["pipeline"], r["position"])] = r
    return done


def _cut_partial_line(path: Path) -> None:
    """An interrupted write can leave a last line without its newline. Cut it off, so that the resumed run's records
    start on lines of their own instead of being glued to the fragment (its question is answered again)."""
    with path.open("rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


def _run_identity(dataset: str | None, items: Sequence[EvalItem], index: HybridIndex, config: Config,
                  options: EvalOptions) -> dict[str, Any]:
    return {
        "dataset": dataset, "dataset_sha256": file_sha256(dataset) if dataset and Path(dataset).is_file() else None,
        "question_ids": hashlib.sha256("\n".join(f"{it.position}:{it.id}" for it in items).encode()).hexdigest(),
        "n": len(items), "setting": options.setting, "policy": options.policy, "pipelines": options.pipelines(),
        "index": {"path": str(index.path), "model": index.model, "passages": len(index),
                  "corpus_fingerprint": index.manifest["corpus_fingerprint"]},
        "config": config.to_dict() | {"llm": {k: v for k, v in config.to_dict()["llm"].items() if k != "api_key_env"}},
    }


def perturber_for(items: Sequence[EvalItem], options: EvalOptions):
    """The Perturber of a robustness run (None without --perturb), after checking the options."""
    if not options.perturb:
        return None
    from .perturb import PERTURBATIONS, Perturber

    bad = [p for p in options.perturb if p not in PERTURBATIONS]
    if bad:
        raise InputError(f"--perturb must be one of {', '.join(PERTURBATIONS)}, not '{bad[0]}'")
    if len(set(options.perturb)) != len(options.perturb):
        raise InputError("--perturb: each perturbation once")
    if options.setting != "distractor":
        raise InputError("--perturb needs --setting distractor (it changes the paragraphs each question is given; "
                         "the open setting gives every question the whole corpus)")
    return Perturber(items, options.seed)


def pipeline_asker(index: HybridIndex, name: str, config: Config, options: EvalOptions, reader: Any) -> Asker:
    base, _ = split_pipeline(name)
    return Asker(index, _pipeline_config(base, config), options.policy if base != ORACLE else "local", reader=reader)


def answer_item(item: EvalItem, asker: Asker, index: HybridIndex, name: str, options: EvalOptions,
                perturber: Any) -> dict:
    """Answer one question of one pipeline and score it (the same on every engine)."""
    base, pert = split_pipeline(name)
    order = item.paragraph_ids
    if pert and perturber:
        perturbed = perturber.apply(pert, item)
        item, order = perturbed.item, perturbed.order
    allowed = index.rows_of(order) if options.setting == "distractor" else None
    t0 = time.perf_counter()
    oracle = item.gold.sub_questions if base == ORACLE else None  # flagged ablation only
    answer = asker.ask(item.question, allowed=allowed, sub_questions=oracle)
    return score_record(item, answer, time.perf_counter() - t0, name)




def _open_run_dir(out: Path, identity: dict[str, Any], options: EvalOptions,
                  argv: Sequence[str] | None) -> dict[tuple[str, int], dict]:
    """Make `out` hold this run: a new run writes its run.json; a resumed one must be the same run, and its finished
    questions (from the traces) are returned."""
    done: dict[tuple[str, int], dict] = {}
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / RUN_FILE
    if run_file.exists():
        previous = json.loads(run_file.read_text(encoding="utf-8")).get("identity")
        if not options.resume:
            raise InputError(f"{out} already holds a run: use --resume to continue it, or another --output-dir")
        if previous != identity:
            raise InputError(f"{out} holds a run with other data or settings; --resume needs the same command")
        done = _load_done(out)
    elif options.resume and (out / TRACES).exists():
        raise InputError(f"{out}: {RUN_FILE} is missing, cannot check what the earlier run was")
    run_file.write_text(json.dumps({"identity": identity, "git_commit": git_commit(), "machine": machine(),
                                    "argv": list(argv or sys.argv)}, indent=2), encoding="utf-8")
    return done


class _Checkpoint:
    """Finished questions: each one's trace line is the resume checkpoint; counts them for the progress bar."""

    def __init__(self, out: Path | None, finished: int, total: int, progress: Progress | None) -> None:
        self.lock = threading.Lock()
        self.trace_fh = (out / TRACES).open("a", encoding="utf-8") if out else None
        self.finished, self.total, self.progress = finished, total, progress
        if progress:
            progress(finished, total)

    def record(self, rec: dict) -> dict:
        with self.lock:
            if self.trace_fh:
                self.trace_fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                self.trace_fh.flush()
            self.finished += 1
            if self.progress:
                self.progress(self.finished, self.total)
        return rec

    def close(self) -> None:
        if self.trace_fh:
            self.trace_fh.close()


def _run_pipeline(name: str, items: Sequence[EvalItem], index: HybridIndex, config: Config, options: EvalOptions,
                  done: dict[tuple[str, int], dict], checkpoint: _Checkpoint, perturber: Any,
                  reader: Any) -> tuple[list[dict], float]:
    """One pipeline over every item not yet done: its records (earlier and new, in dataset order) and the seconds
    its throughput is measured over."""
    asker = pipeline_asker(index, name, config, options, reader)
    todo = [it for it in items if (name, it.position) not in done]

    def one(item: EvalItem) -> dict:
        return checkpoint.record(answer_item(item, asker, index, name, options, perturber))

    t0 = time.perf_counter()
    if options.engine == "ray":
        from .engines import ray_answer

        new = ray_answer(items, todo, name, index, config, options, checkpoint.record,
                         actors=options.workers if options.workers > 1 else None)
    elif options.workers > 1:
        with ThreadPoolExecutor(options.workers) as pool:
            new = list(pool.map(one, todo))
    else:
        new = [one(it) for it in todo]
    elapsed = time.perf_counter() - t0
    prior = [done[(name, it.position)] for it in items if (name, it.position) in done]
    # Throughput from this session's questions; a resumed run keeps the earlier ones' latencies.
    seconds = elapsed if new else sum(r["latency"] for r in prior)
    if new and prior:
        seconds = elapsed * len(items) / len(new)
    return sorted(prior + new, key=lambda r: r["position"]), seconds


def _combine(pipe_metrics: dict[str, dict[str, Any]], items: Sequence[EvalItem], index: HybridIndex,
             options: EvalOptions, identity: dict[str, Any], argv: Sequence[str] | None) -> dict[str, Any]:
    """The main pipeline's metrics with every pipeline's beside them, the perturbation drops, the gain over the best
    single-shot baseline, the skipped records and the provenance."""
    main = dict(pipe_metrics[MAIN])
    main["pipelines"] = pipe_metrics
    if options.perturb:
        from .perturb import describe

        keys = metric_keys(main["metric_family"])
        drop = {b: {p: {k: (None if pipe_metrics[b].get(k) is None or pipe_metrics[f"{b}+{p}"].get(k) is None
                            else pipe_metrics[b][k] - pipe_metrics[f"{b}+{p}"][k]) for k in keys}
                    for p in options.perturb} for b in options.base_pipelines()}
        main["perturbations"] = {"names": list(options.perturb), "base_pipelines": options.base_pipelines(),
                                 "seed": options.seed, "description": describe(options.perturb), "drop": drop}
    best = max((p for p in pipe_metrics if p in BASELINES), key=lambda p: pipe_metrics[p]["recall@5"] or 0,
               default=None)
    if best:
        main["best_single_shot"] = best
        main["gain_recall@5_over_best_single_shot"] = (main["recall@5"] or 0) - (pipe_metrics[best]["recall@5"] or 0)
    skipped = list(getattr(items, "skipped", []) or [])
    main["skipped_invalid"] = len(skipped)
    if skipped:
        main["skipped_records"] = skipped[:20]
    main["provenance"] = {"git_commit": git_commit(), "machine": machine(), **identity,
                          "index_versions": index.manifest.get("versions"), "argv": list(argv or sys.argv)}
    return main


def run_eval(items: Sequence[EvalItem], index: HybridIndex, config: Config, options: EvalOptions, *,
             dataset: str | None = None, progress: Progress | None = None, argv: Sequence[str] | None = None) -> EvalResult:
    """Run every pipeline over every item; write outputs when `options.output_dir` is set (resumable)."""
    if options.setting == "distractor" and any(it.paragraphs is None for it in items):
        raise InputError("--setting distractor needs each question's own paragraphs (MuSiQue, HotpotQA, 2Wiki); "
                         "a plain dataset runs in the open setting against --index")
    if options.engine != "local":
        from .engines import check_engine

        check_engine(options.engine)
    perturber = perturber_for(items, options)
    out = Path(options.output_dir) if options.output_dir else None
    identity = _run_identity(dataset, items, index, config, options)
    done = _open_run_dir(out, identity, options, argv) if out else {}
    pipelines = options.pipelines()
    finished = sum(1 for p in pipelines for it in items if (p, it.position) in done)
    checkpoint = _Checkpoint(out, finished, len(items) * len(pipelines), progress)
    records: dict[str, list[dict]] = {}
    seconds: dict[str, float] = {}
    from .readers import make_reader

    shared_reader = make_reader(config)  # one reader (one loaded language model) for every pipeline
    try:
        for name in pipelines:
            records[name], seconds[name] = _run_pipeline(name, items, index, config, options, done, checkpoint,
                                                         perturber, shared_reader)
    finally:
        checkpoint.close()
    pipe_metrics = {name: summarize(records[name], items, seconds[name]) for name in pipelines}
    result = EvalResult(_combine(pipe_metrics, items, index, options, identity, argv), records,
                        str(out) if out else None)
    if out:
        write_outputs(result, items, out)
    return result


def write_outputs(result: EvalResult, items: Sequence[EvalItem], out: Path) -> None:
    from .report import write_plots, write_report

    ids = [it.id for it in items]
    for name, recs in result.records.items():
        preds = [{"id": r["id"], "predicted_answer": r["predicted_answer"],
                  "predicted_support_idxs": r["predicted_support_idxs"],
                  "predicted_answerable": r["predicted_answerable"]} for r in recs]
        fname = "predictions.jsonl" if name == MAIN else f"predictions_{name.replace('+', '_')}.jsonl"
        write_predictions(out / fname, preds, dataset_ids=ids)
        family = result.metrics.get("metric_family", "musique")
        if family != "musique":  # the dataset's own official format, beside the MuSiQue-format file
            fname = f"predictions_{family}.json" if name == MAIN else f"predictions_{family}_{name.replace('+', '_')}.json"
            pred = official_hotpot_predictions(recs)
            if family == "2wiki":  # no triples predicted; the key keeps the file readable by the official script
                pred["evidence"] = {r["id"]: [] for r in recs}
            write_hotpot_predictions(out / fname, pred, dataset_ids=ids)
    tmp = out / (METRICS + ".tmp")
    tmp.write_text(json.dumps(result.metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / METRICS)
    write_plots(result.metrics, out)
    write_report(result.metrics, out / REPORT)
