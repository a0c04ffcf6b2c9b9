"""Scoring an evaluation: each question's prediction in the official fields (for HotpotQA and 2Wiki with the
supporting sentences picked from what the hops kept), its metrics in its dataset's official family, and a pipeline's
summary over its questions (means by type and level, latency, usage, MuSiQue-Full groups, the whole-file official
evaluation)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .eval_datasets import EvalItem
from .metrics.answer import answer_em, answer_f1
from .metrics.hotpot import evaluate_hotpot_official, hotpot_answer_scores, joint_scores, sp_scores
from .metrics.musique import musique_full_group_metrics, support_f1
from .metrics.retrieval import all_recall_at_k, recall_at_k
from .metrics.summary import LEVELS, OFFICIAL_EVALUATOR, TYPE_ORDER, aggregate, breakdown, metric_family, metric_keys
from .metrics.twowiki import evaluate_2wiki_official
from .text import words

__all__ = ["fact_sentence_ids", "predicted_supporting_facts", "score_record", "official_hotpot_predictions", "summarize"]


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
        # a guess: answered although judged unanswerable (`hopqa.fsm.best_guess`; its source in the diagnostics)
        "guessed": bool(not answer.answerable and answer.guess),
        "confidence": round(float(answer.confidence), 4),
        "ranking": ranking,
        "evidence": [h.id for h in answer.evidence],
        "sub_questions": answer.sub_questions,
        "transitions": [t.to_dict() for t in answer.transitions],
        "usage": answer.usage,
        # why the policy went where it went (`hopqa.fsm.PolicyState.diagnostics`): the readers' candidates with their
        # scores, the verifier's verdicts, the judge's confidence, the guess's source; no gold field
        "diagnostics": dict(answer.diagnostics),
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
    keys = metric_keys(family)
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

