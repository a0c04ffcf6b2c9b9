"""`hopqa eval`: batch runs over MuSiQue, HotpotQA and 2WikiMultihopQA data, each scored like its official evaluator,
with single-shot baselines side by side, official predictions files, per-question traces, a report and plots;
resumable. Robustness runs (`perturb`) score every pipeline again on perturbed inputs beside the unperturbed run.

Pipelines: "bm25", "dense", "hybrid" (single-shot: the machine with max_hops=1 and that retriever) and "multihop"
(the full machine). "multihop+oracle-decomposition" exists only behind its flag and is reported under that name.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np

from .config import Config, IndexConfig, index_root
from .corpus import Corpus
from .errors import InputError
from .eval_datasets import EvalItem
from .index import HybridIndex, build_index, open_index, read_manifest
from .metrics import (HOTPOT_METRIC_KEYS, LEVELS, METRIC_KEYS, OFFICIAL_EVALUATOR, TYPE_ORDER, aggregate,
                      all_recall_at_k, answer_em, answer_f1, breakdown, evaluate_2wiki_official, evaluate_hotpot_official,
                      hotpot_answer_scores, joint_scores, metric_family, musique_full_group_metrics, recall_at_k,
                      sp_scores, support_f1)
from .predictions import write_hotpot_predictions, write_predictions
from .text import words
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
# Provenance


def git_commit() -> str:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        # Dirty means the code that produces results differs from the commit (not, say, the results files a
        # benchmark is writing).
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "hopqa", "cli",
                                "pyproject.toml"], cwd=here.parent, capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "ram_gib": mem,
            "python": platform.python_version()}


def _sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------------------------
# The index behind an evaluation


def dataset_corpus(items: Sequence[EvalItem]) -> Corpus:
    """All distinct paragraphs of the dataset, pooled (the open setting's corpus; the distractor setting's store)."""
    corpus = Corpus(sources=["dataset paragraphs"])
    seen: set[str] = set()
    for it in items:
        for p in it.paragraphs or []:
            if p.id in seen:
                corpus.skipped_duplicates += 1
                continue
            seen.add(p.id)
            corpus.passages.append(p)
        corpus.question_map[it.id] = it.paragraph_ids
    return corpus


def prepare_index(items: Sequence[EvalItem], *, index: str | HybridIndex | None = None, model: str | None = None,
                  root: str | Path | None = None, progress: Progress | None = None) -> HybridIndex:
    """Open `index`, or build (once; reused on reruns) an index of the dataset's pooled paragraphs."""
    if isinstance(index, HybridIndex):
        ix = index
    elif index is not None:
        ix = open_index(index, root=root)
    else:
        if any(it.paragraphs is None for it in items):
            raise InputError("this dataset has no paragraphs of its own: give --index")
        corpus = dataset_corpus(items)
        cfg = IndexConfig(model=model) if model else IndexConfig()
        key = hashlib.sha256(f"{corpus.fingerprint()}|{cfg.model}".encode()).hexdigest()[:10]
        path = index_root(root) / f"eval-{key}"
        try:
            m = read_manifest(path)
            ok = m["corpus_fingerprint"] == corpus.fingerprint()
        except Exception:  # missing or unreadable: build it
            ok = False
        if not ok:
            build_index(corpus, path, config=cfg, overwrite=True, progress=progress)
        ix = open_index(path)
    if model and ix.model != model and not (model.lower() in ("minilm", "default") and "MiniLM" in ix.model):
        from .errors import ModelError

        raise ModelError(f"index {ix.path} was built with model '{ix.model}', not '{model}'")
    _align_ids(items, ix)
    missing = sum(1 for it in items for pid in it.paragraph_ids if pid not in ix.row)
    if missing:
        raise InputError(f"index {ix.path} lacks {missing} of the dataset's paragraphs: index the dataset itself "
                         "(hopqa index build DATA --name NAME) or leave out --index")
    return ix


def _align_ids(items: Sequence[EvalItem], ix: HybridIndex) -> None:
    """Dataset paragraphs get content ids; an index built from another file (e.g. the demo corpus, with ids of its own)
    holds the same passages under other ids. Match them by (title, text) and use the index's ids."""
    if all(pid in ix.row for it in items for pid in it.paragraph_ids):
        return
    by_key = {(p.title, p.text): p.id for p in ix.passages}
    for it in items:
        if it.paragraphs is None:
            continue
        new = [dataclasses.replace(p, id=by_key.get((p.title, p.text), p.id)) for p in it.paragraphs]
        it.paragraphs = new
        it.gold.support_ids = [new[k].id for k in it.gold.support_idxs]


# --------------------------------------------------------------------------------------------------------------------
# Running


def _pipeline_config(name: str, config: Config) -> Config:
    if name in BASELINES:
        return dataclasses.replace(config, hops=dataclasses.replace(config.hops, max_hops=1),
                                   retrieval=dataclasses.replace(config.retrieval, mode=name))
    return config


def _sentence_spans(sentences: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of a paragraph's original sentences in its passage text (the loader joins the stripped
    non-empty sentences with one space); an empty sentence gets an empty span."""
    spans, pos = [], 0
    for sent in sentences:
        t = sent.strip()
        spans.append((pos, pos + len(t)))
        if t:
            pos += len(t) + 1
    return spans


def fact_sentence_ids(passage_text: str, sentences: Sequence[str], fact_text: str) -> list[int]:
    """The original sentence ids a kept fact covers. A fact (a pysbd sentence of the passage text) may be part of one
    original sentence or span several: an original sentence counts when the two overlap by at least half of the
    shorter one. A fact not found verbatim falls back to word overlap (the sentence sharing most of its words, if it
    shares at least half)."""
    spans = _sentence_spans(sentences)
    f = fact_text.strip()
    start = passage_text.find(f) if f else -1
    if start >= 0:
        end = start + len(f)
        out = []
        for k, (x, y) in enumerate(spans):
            overlap = min(end, y) - max(start, x)
            if y > x and overlap > 0 and overlap >= 0.5 * min(y - x, end - start):
                out.append(k)
        return out
    fw = set(words(f))
    best, best_k = 0.0, None
    for k, sent in enumerate(sentences):
        sw = set(words(sent))
        if fw and sw:
            share = len(fw & sw) / min(len(fw), len(sw))
            if share > best:
                best, best_k = share, k
    return [best_k] if best_k is not None and best >= 0.5 else []


SUPPORT_PASSAGES = 2  # HotpotQA is built on two gold paragraphs per question (2Wiki mostly two, too)


def predicted_supporting_facts(item: EvalItem, answer) -> list[list[Any]]:
    """HotpotQA / 2Wiki supporting sentences, as [title, sent_id], from what the hops kept.

    Passages: the evidence chain, filled up from the final ranking to `SUPPORT_PASSAGES`. Sentences of each: the
    original sentences covered by the best-scored fact the hops kept from it (see `fact_sentence_ids`), plus its
    first sentence (the Wikipedia lead that names the passage's entity). Chosen on the 2WikiMultihopQA sample (sp F1
    at the time: 39.8 with the kept facts of the evidence chain only, 47.6 with every kept fact of the top 2
    passages, 52.3 with the best one, 54.6 with the lead sentence added) and then measured on HotpotQA. Nothing gold is read: only the question's paragraphs and their sentences, which
    the system is given."""
    if not item.sentences or not item.paragraphs:
        return []
    pos = {pid: k for k, pid in enumerate(item.paragraph_ids)}
    chain = [h.id for h in answer.evidence if h.id in pos]
    for h in answer.ranking:
        if len(set(chain)) >= SUPPORT_PASSAGES:
            break
        if h.id in pos:
            chain.append(h.id)
    best: dict[str, tuple[float, str]] = {}
    for hop in answer.hops:
        for f in hop.facts:
            if f.passage_id not in best or f.score > best[f.passage_id][0]:
                best[f.passage_id] = (f.score, f.text)
    out: list[list[Any]] = []
    for pid in dict.fromkeys(chain):
        k = pos[pid]
        para, sents = item.paragraphs[k], item.sentences[k]
        sids = set(fact_sentence_ids(para.text, sents, best[pid][1])) if pid in best else set()
        if sents and sents[0].strip():
            sids.add(0)
        out += [[para.title, sid] for sid in sorted(sids)]
    return out


def score_record(item: EvalItem, answer, latency: float, pipeline: str) -> dict[str, Any]:
    """One question's prediction (official fields), its trace summary and its metrics (the dataset's official family:
    MuSiQue's answer / support-paragraph metrics, or HotpotQA's / 2Wiki's answer, supporting-sentence and joint)."""
    g = item.gold
    family = metric_family(item.dataset)
    idx_of = {pid: k for k, pid in enumerate(item.paragraph_ids)}
    # Predicted support: the evidence chain; when the answer is "unanswerable", the passages the hops read (the
    # official evaluator scores support on every gold-answerable question, whatever answerability was predicted).
    read = answer.evidence or [hop.hits[0] for hop in answer.hops if hop.hits]
    support = sorted({idx_of[h.id] for h in read if h.id in idx_of})
    ranking = [h.id for h in answer.ranking]
    rec: dict[str, Any] = {
        "pipeline": pipeline, "id": item.id, "position": item.position, "hop_type": item.hop_type,
        "type": item.question_type, "level": item.level,
        "question": item.question,
        # Unanswerable: the best guess (scored for answer EM/F1 like any official prediction); answerability apart.
        "predicted_answer": answer.answer if answer.answerable else (answer.guess or ""),
        "predicted_support_idxs": support,
        "predicted_answerable": bool(answer.answerable),
        "confidence": round(float(answer.confidence), 4),
        "ranking": ranking,
        "evidence": [h.id for h in answer.evidence],
        "sub_questions": answer.sub_questions,
        "transitions": [t.to_dict() for t in answer.transitions],
        "usage": answer.usage,
        "latency": round(latency, 5),
        "gold_answerable": g.answerable,
    }
    if family != "musique":
        sp = predicted_supporting_facts(item, answer)
        rec["predicted_sp"] = sp
        a = hotpot_answer_scores(rec["predicted_answer"], g.answers[:1] if family == "hotpot" else g.answers)
        s = sp_scores(sp, g.supporting_facts, lowercase_titles=family == "2wiki")
        j = joint_scores(a, s)
        for prefix, part in (("answer_", a), ("sp_", s), ("joint_", j)):
            for k in ("em", "f1", "precision", "recall"):
                rec[prefix + k] = part[k]
    elif g.answerable:  # official: answer and support metrics on gold-answerable instances only
        rec["answer_em"] = answer_em(rec["predicted_answer"], g.answers)
        rec["answer_f1"] = answer_f1(rec["predicted_answer"], g.answers)
        rec["support_f1"] = support_f1(support, g.support_idxs) if item.paragraphs is not None else None
    for k in (2, 5, 10):
        rec[f"recall@{k}"] = recall_at_k(ranking, g.support_ids, k)
    for k in (5, 10):
        rec[f"all_recall@{k}"] = all_recall_at_k(ranking, g.support_ids, k)
    rec["recall_curve"] = [recall_at_k(ranking, g.support_ids, k) for k in range(1, 11)]
    return rec


def official_hotpot_predictions(records: Sequence[dict]) -> dict[str, Any]:
    """The official HotpotQA / 2Wiki predictions object of a pipeline's records: {"answer": {id: str},
    "sp": {id: [[title, sent_id], ...]}} (hopqa predicts no 2Wiki evidence triples)."""
    return {"answer": {r["id"]: r["predicted_answer"] for r in records},
            "sp": {r["id"]: r.get("predicted_sp", []) for r in records}}


def summarize(records: Sequence[dict], items: Sequence[EvalItem], seconds: float) -> dict[str, Any]:
    family = metric_family(items[0].dataset if items else None)
    keys = METRIC_KEYS if family == "musique" else HOTPOT_METRIC_KEYS
    m = aggregate(records, keys)
    m["metric_family"] = family
    m["official_evaluator"] = OFFICIAL_EVALUATOR[family]
    if family != "musique":
        del m["by_hop_type"]  # MuSiQue's id-based hop types: every HotpotQA / 2Wiki question would be "other"
    m["by_type"] = breakdown(records, "type", keys, TYPE_ORDER[family])
    if any(r.get("level") for r in records):
        m["by_level"] = breakdown(records, "level", keys, LEVELS)
    lat = [r["latency"] for r in records]
    m["latency_p50"] = float(np.percentile(lat, 50)) if lat else None
    m["latency_p95"] = float(np.percentile(lat, 95)) if lat else None
    m["questions_per_second"] = len(records) / seconds if seconds > 0 else None
    m["answerability_accuracy"] = float(np.mean([r["predicted_answerable"] == r["gold_answerable"] for r in records])) if records else None
    curves = [r["recall_curve"] for r in records if r["recall_curve"][0] is not None]
    m["recall_curve"] = [float(np.mean([c[k] for c in curves])) for k in range(10)] if curves else []
    usage: dict[str, float] = {}
    for r in records:
        for k, v in (r.get("usage") or {}).items():
            if isinstance(v, (int, float)):
                usage[k] = usage.get(k, 0) + v
    m["usage"] = usage
    # MuSiQue-Full: group sufficiency over contrast pairs (same id, one answerable, one not).
    by_id: dict[str, list[tuple[EvalItem, dict]]] = {}
    item_by_pos = {it.position: it for it in items}
    for r in records:
        by_id.setdefault(r["id"], []).append((item_by_pos[r["position"]], r))
    pairs = []
    for group in by_id.values():
        if len(group) == 2 and {it.gold.answerable for it, _ in group} == {True, False}:
            for it, r in group:
                gold = {"id": it.id, "answer": it.gold.answers[0], "answer_aliases": it.gold.answers[1:],
                        "answerable": it.gold.answerable, "supporting_idxs": it.gold.support_idxs}
                pairs.append((gold, r))
    if pairs:
        m["musique_full"] = musique_full_group_metrics(pairs)
    if family != "musique" and records:
        # The whole-file official evaluation of the same predictions (its own key names; equals the means above).
        golds = [{"_id": it.id, "answer": it.gold.answers[0], "supporting_facts": [list(f) for f in it.gold.supporting_facts],
                  "evidences": it.gold.evidences} for it in (item_by_pos[r["position"]] for r in records)]
        preds = official_hotpot_predictions(records)
        m["official"] = evaluate_hotpot_official(golds, preds) if family == "hotpot" else evaluate_2wiki_official(golds, preds)
    return m


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
        "dataset": dataset, "dataset_sha256": _sha256(dataset) if dataset and Path(dataset).is_file() else None,
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
    done: dict[tuple[str, int], dict] = {}
    if out:
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
    lock = threading.Lock()
    trace_fh = (out / TRACES).open("a", encoding="utf-8") if out else None
    pipelines = options.pipelines()
    total = len(items) * len(pipelines)
    finished = sum(1 for p in pipelines for it in items if (p, it.position) in done)
    if progress:
        progress(finished, total)
    records: dict[str, list[dict]] = {}
    seconds: dict[str, float] = {}
    from .readers import make_reader

    shared_reader = make_reader(config)  # one reader (one loaded language model) for every pipeline
    try:
        for name in pipelines:
            asker = pipeline_asker(index, name, config, options, shared_reader)
            todo = [it for it in items if (name, it.position) not in done]

            def record(rec: dict) -> dict:  # a finished question: its trace line is the resume checkpoint
                nonlocal finished
                with lock:
                    if trace_fh:
                        trace_fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        trace_fh.flush()
                    finished += 1
                    if progress:
                        progress(finished, total)
                return rec

            def one(item: EvalItem, asker=asker, name=name) -> dict:
                return record(answer_item(item, asker, index, name, options, perturber))

            t0 = time.perf_counter()
            if options.engine == "ray":
                from .engines import ray_answer

                new = ray_answer(items, todo, name, index, config, options, record,
                                 actors=options.workers if options.workers > 1 else None)
            elif options.workers > 1:
                with ThreadPoolExecutor(options.workers) as pool:
                    new = list(pool.map(one, todo))
            else:
                new = [one(it) for it in todo]
            elapsed = time.perf_counter() - t0
            prior = [done[(name, it.position)] for it in items if (name, it.position) in done]
            # Throughput from this session's questions; a resumed run keeps the earlier ones' latencies.
            seconds[name] = elapsed if new else sum(r["latency"] for r in prior)
            if new and prior:
                seconds[name] = elapsed * len(items) / len(new)
            recs = sorted(prior + new, key=lambda r: r["position"])
            records[name] = recs
    finally:
        if trace_fh:
            trace_fh.close()
    pipe_metrics = {name: summarize(records[name], items, seconds[name]) for name in pipelines}
    main = dict(pipe_metrics[MAIN])
    main["pipelines"] = pipe_metrics
    if options.perturb:
        from .perturb import describe

        keys = METRIC_KEYS if main["metric_family"] == "musique" else HOTPOT_METRIC_KEYS
        drop = {b: {p: {k: (None if pipe_metrics[b].get(k) is None or pipe_metrics[f"{b}+{p}"].get(k) is None
                            else pipe_metrics[b][k] - pipe_metrics[f"{b}+{p}"][k]) for k in keys}
                    for p in options.perturb} for b in options.base_pipelines()}
        main["perturbations"] = {"names": list(options.perturb), "base_pipelines": options.base_pipelines(),
                                 "seed": options.seed, "description": describe(options.perturb), "drop": drop}
    best = max((p for p in pipelines if p in BASELINES), key=lambda p: pipe_metrics[p]["recall@5"] or 0, default=None)
    if best:
        main["best_single_shot"] = best
        main["gain_recall@5_over_best_single_shot"] = (main["recall@5"] or 0) - (pipe_metrics[best]["recall@5"] or 0)
    skipped = list(getattr(items, "skipped", []) or [])
    main["skipped_invalid"] = len(skipped)
    if skipped:
        main["skipped_records"] = skipped[:20]
    main["provenance"] = {"git_commit": git_commit(), "machine": machine(), **identity,
                          "index_versions": index.manifest.get("versions"), "argv": list(argv or sys.argv)}
    result = EvalResult(main, records, str(out) if out else None)
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
