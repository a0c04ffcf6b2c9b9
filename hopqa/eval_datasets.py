"""Evaluation datasets: MuSiQue (Ans and Full), HotpotQA (distractor), 2WikiMultihopQA, and a plain JSONL of
{id, question, answers, supporting passage ids} against an existing index.

This loader is the one place that reads gold fields (answers, supporting flags, decompositions). It keeps them in
`EvalItem.gold`, which only the scorer and the explicitly flagged oracle ablations look at: the answering path is
given the question text and, in the distractor setting, the ids of the question's own paragraphs.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .corpus import content_id
from .errors import InputError
from .metrics import hop_type
from .records import RecordReader
from .types import Passage

DatasetFormat = Literal["auto", "musique", "hotpot", "2wiki", "plain"]


@dataclass
class Gold:
    answers: list[str]
    answerable: bool
    support_idxs: list[int]
    support_ids: list[str]
    sub_questions: list[str] = field(default_factory=list)  # oracle ablation only


@dataclass
class EvalItem:
    id: str
    question: str
    paragraphs: list[Passage] | None  # in idx order; None for plain datasets (they use an existing index)
    gold: Gold
    position: int = 0  # order in the dataset file (official predictions keep it)

    @property
    def hop_type(self) -> str:
        return hop_type(self.id)

    @property
    def paragraph_ids(self) -> list[str]:
        return [p.id for p in self.paragraphs or []]


def _need(reader: RecordReader, i: int, rec: dict, name: str, typ: type | tuple) -> Any:
    v = rec.get(name)
    if v is None:
        raise reader.error(i, "missing", field=name)
    if not isinstance(v, typ):
        raise reader.error(i, f"wrong type {type(v).__name__}", field=name)
    return v


def _musique(reader: RecordReader, i: int, rec: dict) -> EvalItem:
    qid = _need(reader, i, rec, "id", str)
    question = _need(reader, i, rec, "question", str)
    paras = _need(reader, i, rec, "paragraphs", list)
    ordered: list[Passage | None] = [None] * len(paras)
    support: list[int] = []
    for j, p in enumerate(paras):
        if not isinstance(p, dict) or not isinstance(p.get("paragraph_text"), str):
            raise reader.error(i, "missing paragraph_text", field=f"paragraphs[{j}].paragraph_text")
        idx = p.get("idx", j)
        if not isinstance(idx, int) or not 0 <= idx < len(paras):
            raise reader.error(i, f"bad idx {idx!r}", field=f"paragraphs[{j}].idx")
        title = p.get("title") or ""
        ordered[idx] = Passage(content_id(title, p["paragraph_text"]), title, p["paragraph_text"])
        if p.get("is_supporting"):
            support.append(idx)
    if any(x is None for x in ordered):
        raise reader.error(i, "idx values are not 0..n-1", field="paragraphs")
    answerable = rec.get("answerable", True)
    if not isinstance(answerable, bool):
        raise reader.error(i, "must be true or false", field="answerable")
    answer = rec.get("answer", "")
    if not isinstance(answer, str) or (answerable and not answer):
        raise reader.error(i, "missing or not a string", field="answer")
    aliases = rec.get("answer_aliases") or []
    if not isinstance(aliases, list):
        raise reader.error(i, "must be a list", field="answer_aliases")
    decomp = rec.get("question_decomposition") or []
    subs = [d.get("question", "") for d in decomp if isinstance(d, dict)]
    passages = [p for p in ordered if p is not None]
    return EvalItem(qid, question, passages, Gold([answer, *aliases], answerable, sorted(support),
                                                  [passages[k].id for k in sorted(support)], subs), i)


def _hotpot(reader: RecordReader, i: int, rec: dict) -> EvalItem:
    qid = rec.get("_id", rec.get("id"))
    if not isinstance(qid, str):
        raise reader.error(i, "missing", field="_id")
    question = _need(reader, i, rec, "question", str)
    answer = _need(reader, i, rec, "answer", str)
    ctx = _need(reader, i, rec, "context", (list, dict))
    if isinstance(ctx, dict):
        ctx = list(zip(ctx["title"], ctx["sentences"]))
    passages = []
    for j, item in enumerate(ctx):
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            raise reader.error(i, "expected [title, sentences]", field=f"context[{j}]")
        title, sents = item
        text = " ".join(s.strip() for s in sents if isinstance(s, str) and s.strip())
        passages.append(Passage(content_id(str(title), text), str(title), text))
    sf = rec.get("supporting_facts") or []
    if isinstance(sf, dict):
        sf = list(zip(sf.get("title", []), sf.get("sent_id", [])))
    titles = {str(t) for t, *_ in sf}
    support = [k for k, p in enumerate(passages) if p.title in titles]
    return EvalItem(qid, question, passages, Gold([answer], True, support, [passages[k].id for k in support]), i)


def _plain(reader: RecordReader, i: int, rec: dict) -> EvalItem:
    qid = str(_need(reader, i, rec, "id", (str, int)))
    question = _need(reader, i, rec, "question", str)
    answers = rec.get("answers", rec.get("answer"))
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list):
        raise reader.error(i, "missing (a string or a list of strings)", field="answers")
    sup = rec.get("supporting_ids", rec.get("supporting_passage_ids", [])) or []
    if not isinstance(sup, list):
        raise reader.error(i, "must be a list of passage ids", field="supporting_ids")
    answerable = bool(rec.get("answerable", bool(answers)))
    return EvalItem(qid, question, None, Gold([str(a) for a in answers] or [""], answerable, [], [str(s) for s in sup]), i)


def detect_dataset_format(rec: dict) -> DatasetFormat:
    if "paragraphs" in rec:
        return "musique"
    if "context" in rec:
        return "2wiki" if "evidences" in rec or "type" in rec and "_id" in rec and "level" not in rec else "hotpot"
    return "plain"


def load_eval_dataset(path: str | Path, fmt: DatasetFormat = "auto", *, limit: int | None = None,
                      sample: int | None = None, seed: int = 0) -> list[EvalItem]:
    """Read an evaluation dataset (streamed with `datasets`); a malformed record is a one-line error."""
    reader = RecordReader(path)
    items: list[EvalItem] = []
    seen_ids: dict[str, int] = {}
    for i, rec in enumerate(reader):
        f = detect_dataset_format(rec) if fmt == "auto" else fmt
        item = {"musique": _musique, "hotpot": _hotpot, "2wiki": _hotpot, "plain": _plain}[f](reader, i, rec)
        # MuSiQue-Full keeps an answerable question and its contrast under the same id: allow exactly pairs.
        seen_ids[item.id] = seen_ids.get(item.id, 0) + 1
        if seen_ids[item.id] > 2:
            raise reader.error(i, f"id '{item.id}' occurs more than twice", field="id")
        items.append(item)
        if limit and not sample and len(items) >= limit:
            break
    if not items:
        raise InputError("no records", file=str(path))
    if sample:
        rng = random.Random(seed)
        keep = sorted(rng.sample(range(len(items)), min(sample, len(items))))
        items = [items[k] for k in keep]
        if limit:
            items = items[:limit]
    return items
