"""`hopqa eval`: batch evaluation on MuSiQue, HotpotQA and 2Wiki data, each scored like its official evaluator."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from hopqa import (EvalOptions, InputError, demo_questions, start_ray, hop_table, level_table, load_config, load_eval_dataset,
                   perturbation_table, pipeline_table, prepare_index, run_eval)

from ._choices import DatasetFormat, Engine, Perturbation, PolicyName, ReaderKind, Setting
from ._ui import boundary, err, out, print_json, progress_bar


def eval_(
    data: Optional[Path] = typer.Argument(None, help="Dataset: MuSiQue JSONL (Ans or Full), HotpotQA, 2Wiki, or plain JSONL {id, question, answers, supporting_ids}."),
    demo: bool = typer.Option(False, "--demo", help="Evaluate the bundled demo questions."),
    fmt: DatasetFormat = typer.Option(DatasetFormat.auto, "--format", "-f", help="Dataset format (auto: recognised from the records)."),
    setting: Setting = typer.Option(Setting.open, "--setting", help="open (all paragraphs pooled) or distractor (each question's own paragraphs)."),
    index: Optional[str] = typer.Option(None, "--index", "-i", envvar="HOPQA_INDEX", help="Use this index (default: build one of the dataset's paragraphs, reused on reruns)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Encoder for the dataset index (default all-MiniLM-L6-v2)."),
    compare: bool = typer.Option(False, "--compare", help="Also run BM25-only, dense-only and hybrid single-shot baselines."),
    limit: Optional[int] = typer.Option(None, "--limit", help="First N questions."),
    sample: Optional[int] = typer.Option(None, "--sample", help="A random sample of N questions (with --seed)."),
    seed: int = typer.Option(0, "--seed"),
    max_hops: Optional[int] = typer.Option(None, "--max-hops"),
    policy: PolicyName = typer.Option(PolicyName.local, "--policy", help="local or llm."),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", envvar="HOPQA_LLM_URL"),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", envvar="HOPQA_LLM_MODEL"),
    oracle_decomposition: bool = typer.Option(False, "--oracle-decomposition", help="ABLATION: also run with the gold sub-questions (reported under its own name)."),
    workers: int = typer.Option(1, "--workers", help="Questions answered concurrently."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o", help="Write predictions (official format), traces, metrics, report and plots here."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --output-dir."),
    reader: Optional[ReaderKind] = typer.Option(None, "--reader", envvar="HOPQA_READER", help="auto (default: the embedded language model if installed), lm, or rules."),
    lm_model: Optional[str] = typer.Option(None, "--lm-model", envvar="HOPQA_LM_MODEL", help="Reader model: 'embedded' (= 'large', 1.5B), 'small' (0.5B), a .gguf path, or 'endpoint'."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object on stdout."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Leave out records that cannot be scored (e.g. 2Wiki records without context), counted in the report, instead of stopping at the first."),
    perturb: Optional[List[Perturbation]] = typer.Option(None, "--perturb", help="Robustness run (repeatable; distractor setting): shuffle, reverse or distractors, each pipeline scored again beside the unperturbed run (seeded by --seed)."),
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR"),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (TOML)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local (this process) or ray (Ray actors, each with the index and reader loaded once; a local Ray instance unless RAY_ADDRESS is set)."),
) -> None:
    """Evaluate on a dataset.

    Examples:\n
      hopqa eval --demo --compare\n
      hopqa eval musique_ans_dev.jsonl --setting distractor --compare -o runs/dev\n
      hopqa eval musique_ans_dev.jsonl -o runs/dev --resume\n
      hopqa eval questions.jsonl --format plain --index wiki --json
    """
    with boundary():
        if workers < 1:
            raise InputError("--workers must be at least 1")
        path = demo_questions() if demo else data
        if path is None:
            raise InputError("give a dataset file (or --demo)")
        cfg = load_config(config, {"hops": {"max_hops": max_hops}, "llm": {"url": llm_url, "model": llm_model},
                                   "reader": {"kind": reader and reader.value, "model": lm_model}})
        if policy is PolicyName.llm and not cfg.llm.url:
            raise InputError("--policy llm needs --llm-url (or HOPQA_LLM_URL)")
        items = load_eval_dataset(path, fmt.value, limit=limit, sample=sample, seed=seed,  # type: ignore[arg-type]
                                  skip_invalid=skip_invalid)
        for msg in items.skipped[:3]:
            err.print(f"skipped: {msg}", highlight=False)
        if items.skipped:
            err.print(f"skipped {len(items.skipped)} invalid record(s) (--skip-invalid)", highlight=False)
        with progress_bar("indexing", "passages") as progress:
            ix = prepare_index(items, index=index, model=model, root=index_dir, progress=progress)
        opts = EvalOptions(setting.value, compare, policy.value, oracle_decomposition, workers,  # type: ignore[arg-type]
                           str(output_dir) if output_dir else None, resume)
        opts.perturb, opts.seed, opts.engine = tuple(p.value for p in perturb or ()), seed, engine.value
        if engine is Engine.ray:
            start_ray()  # Ray missing or unreachable: one line now, before any question is answered
        with progress_bar("answering", "questions") as progress:
            result = run_eval(items, ix, cfg, opts, dataset=str(path), progress=progress, argv=sys.argv)
        m = result.metrics
        if as_json:
            print_json({k: v for k, v in m.items() if k != "provenance"} | {"provenance": m["provenance"]})
            return
        out.print(f"[bold]{len(items)} questions[/] from {path} · setting {setting.value} · policy {policy.value} · index {ix.path}")
        out.print(f"metrics: {m.get('official_evaluator')}"
                  + (f" · {m['skipped_invalid']} invalid records skipped" if m.get("skipped_invalid") else ""),
                  highlight=False)
        out.print(pipeline_table(m), highlight=False)
        if "best_single_shot" in m:
            out.print(f"multi-hop gain in R@5 over the best single-shot baseline ({m['best_single_shot']}): "
                      f"[bold]{100 * m['gain_recall@5_over_best_single_shot']:+.1f}[/] points")
        pt = perturbation_table(m)
        if pt:
            out.print(pt, highlight=False)
        out.print(hop_table(m), highlight=False)
        lt = level_table(m)
        if lt:
            out.print(lt, highlight=False)
        if result.output_dir:
            err.print(f"wrote predictions, traces, metrics, report and plots to {result.output_dir}")
