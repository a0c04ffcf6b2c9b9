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
from .metrics.summary import TYPE_ORDER, hop_type
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
    supporting_facts: list[tuple[str, int]] = field(default_factory=list)  # HotpotQA / 2Wiki: (title, sent_id)
    evidences: list[list[Any]] = field(default_factory=list)  # 2Wiki: [subject, relation, object] triples


@dataclass
class EvalItem:
    id: str
    question: str
    paragraphs: list[Passage] | None  # in idx order; None for plain datasets (they use an existing index)
    gold: Gold
    position: int = 0  # order in the dataset file (official predictions keep it)
    dataset: str = "musique"  # the loader that read it: musique | hotpot | 2wiki | plain
    type: str | None = None  # HotpotQA / 2Wiki question type (the record's `type`); MuSiQue's is the id's hop type
    level: str | None = None  # HotpotQA `level` (easy / medium / hard)
    # HotpotQA / 2Wiki: each paragraph's original sentences (aligned with `paragraphs`; sentence k is sent_id k,
    # a non-string sentence kept as ""), so predicted facts map back to (title, sent_id).
    sentences: list[list[str]] | None = None

    @property
    def hop_type(self) -> str:
        return hop_type(self.id)

    @property
    def question_type(self) -> str:
        """The dataset's own question type: MuSiQue's hop type, HotpotQA's bridge/comparison, 2Wiki's four types."""
        if self.dataset == "musique" or self.dataset == "plain":
            return self.hop_type
        return self.type or "other"

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


def _hotpot(reader: RecordReader, i: int, rec: dict, fmt: str = "hotpot") -> EvalItem:
    qid = rec.get("_id", rec.get("id"))
    if not isinstance(qid, str):
        raise reader.error(i, "missing", field="_id")
    where = f" (record {qid})"

    def need(name: str, typ: type | tuple) -> Any:
        v = rec.get(name)
        if v is None:
            raise reader.error(i, "missing" + where, field=name)
        if not isinstance(v, typ):
            raise reader.error(i, f"wrong type {type(v).__name__}{where}", field=name)
        return v

    question = need("question", str)
    answer = need("answer", str)
    ctx = need("context", (list, dict))
    if isinstance(ctx, dict):
        if not isinstance(ctx.get("title"), list) or not isinstance(ctx.get("sentences"), list):
            raise reader.error(i, "expected {title: [...], sentences: [[...], ...]}" + where, field="context")
        ctx = list(zip(ctx["title"], ctx["sentences"]))
    if not ctx:
        raise reader.error(i, "no paragraphs" + where, field="context")
    passages, sentences = [], []
    for j, item in enumerate(ctx):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[1], (list, tuple))):
            raise reader.error(i, "expected [title, [sentence, ...]]" + where, field=f"context[{j}]")
        title, sents = item
        text = " ".join(s.strip() for s in sents if isinstance(s, str) and s.strip())
        passages.append(Passage(content_id(str(title), text), str(title), text))
        sentences.append([s if isinstance(s, str) else "" for s in sents])
    sf = rec.get("supporting_facts") or []
    if isinstance(sf, dict):
        sf = list(zip(sf.get("title", []), sf.get("sent_id", [])))
    if not isinstance(sf, list) or not all(isinstance(x, (list, tuple)) and len(x) == 2 for x in sf):
        raise reader.error(i, "expected [[title, sent_id], ...]" + where, field="supporting_facts")
    titles = {str(t) for t, *_ in sf}
    support = [k for k, p in enumerate(passages) if p.title in titles]
    ev = rec.get("evidences") or []
    gold = Gold([answer], True, support, [passages[k].id for k in support],
                supporting_facts=[(str(t), n) for t, n in sf], evidences=list(ev) if isinstance(ev, list) else [])
    qtype = rec.get("type")
    level = rec.get("level")
    return EvalItem(qid, question, passages, gold, i, fmt, qtype if isinstance(qtype, str) else None,
                    level if isinstance(level, str) else None, sentences)


def _2wiki(reader: RecordReader, i: int, rec: dict) -> EvalItem:
    return _hotpot(reader, i, rec, "2wiki")


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
    return EvalItem(qid, question, None, Gold([str(a) for a in answers] or [""], answerable, [], [str(s) for s in sup]), i,
                    "plain")


_2WIKI_ONLY_TYPES = frozenset(TYPE_ORDER["2wiki"]) - frozenset(TYPE_ORDER["hotpot"])


def detect_dataset_format(rec: dict) -> DatasetFormat:
    """MuSiQue has `paragraphs`; HotpotQA and 2Wiki have `context` (or, in records that lost it, `_id` /
    `supporting_facts`); 2Wiki is told from HotpotQA by `evidences`, or by a 2Wiki-only type when there is no
    HotpotQA `level`. Anything else is a plain dataset."""
    if "paragraphs" in rec:
        return "musique"
    if "context" in rec or "supporting_facts" in rec or "_id" in rec:
        if "evidences" in rec:
            return "2wiki"
        if "level" not in rec and rec.get("type") in _2WIKI_ONLY_TYPES:
            return "2wiki"
        return "hotpot"
    return "plain"


class EvalDataset(list):
    """The loaded items (a list of EvalItem) plus what loading found: the file's format and the records skipped."""

    format: str = "musique"
    skipped: list[str]

    def __init__(self, items=(), fmt: str = "musique", skipped: list[str] | None = None):
        super().__init__(items)
        self.format = fmt
        self.skipped = list(skipped or [])


_LOADERS = {"musique": _musique, "hotpot": _hotpot, "2wiki": _2wiki, "plain": _plain}


def load_eval_dataset(path: str | Path, fmt: DatasetFormat = "auto", *, limit: int | None = None,
                      sample: int | None = None, seed: int = 0, skip_invalid: bool = False) -> EvalDataset:
    """Read an evaluation dataset (streamed with `datasets`); a malformed record is a one-line error naming file,
    line, field and record, unless `skip_invalid`: then it is left out and its message kept in `.skipped`.

    With `fmt="auto"` the format is detected on the first record and holds for the whole file (so a 2Wiki record
    that lost its `context` is a 2Wiki record with a missing field, not a plain question)."""
    reader = RecordReader(path)
    items: list[EvalItem] = []
    skipped: list[str] = []
    seen_ids: dict[str, int] = {}
    file_fmt: str | None = None if fmt == "auto" else fmt
    for i, rec in enumerate(reader):
        if file_fmt is None:
            file_fmt = detect_dataset_format(rec)
        try:
            item = _LOADERS[file_fmt](reader, i, rec)
            # MuSiQue-Full keeps an answerable question and its contrast under the same id: allow exactly pairs.
            # HotpotQA / 2Wiki predictions are maps keyed by id: ids must be unique.
            most = 1 if file_fmt in ("hotpot", "2wiki") else 2
            if seen_ids.get(item.id, 0) + 1 > most:
                raise reader.error(i, f"id '{item.id}' occurs more than {'once' if most == 1 else 'twice'}",
                                   field="_id" if most == 1 else "id")
        except InputError as e:
            if not skip_invalid:
                raise
            skipped.append(str(e))
            continue
        seen_ids[item.id] = seen_ids.get(item.id, 0) + 1
        items.append(item)
        if limit and not sample and len(items) >= limit:
            break
    if not items:
        raise InputError("no records" + (f" ({len(skipped)} invalid, skipped)" if skipped else ""), file=str(path))
    if sample:
        rng = random.Random(seed)
        keep = sorted(rng.sample(range(len(items)), min(sample, len(items))))
        items = [items[k] for k in keep]
        if limit:
            items = items[:limit]
    return EvalDataset(items, file_fmt or "musique", skipped)
