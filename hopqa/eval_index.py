"""The index behind an evaluation: an index of the dataset's own paragraphs (built once, reused on reruns) or a given
one, with the dataset's paragraph ids matched to the index's."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Callable, Sequence

from .config import IndexConfig, index_root
from .corpus import Corpus
from .errors import InputError, ModelError
from .eval_datasets import EvalItem
from .index import HybridIndex, build_index, open_index, read_manifest

__all__ = ["dataset_corpus", "prepare_index"]

Progress = Callable[[int, int], None]


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

