"""Searching an opened index: BM25 and dense rankings over the same passages, and their fusion.

`hopqa.index.open_index` makes a `HybridIndex`; this module holds what a search needs and nothing of building.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np

from .config import RetrievalConfig
from .encoders import Encoder, load_encoder
from .errors import InputError, ModelError
from .text import STEMMER_LANGUAGE, stemmer
from .types import Hit, Passage

BM25_STOPWORDS = "en"
BM25_STEMMER = STEMMER_LANGUAGE
Mode = Literal["hybrid", "dense", "bm25"]


def rebuild_hint(path: Path, extra: str = "") -> str:
    return f"rebuild it with `hopqa index build CORPUS --name {path.name} --overwrite{extra}`"



# --------------------------------------------------------------------------------------------------------------------
# BM25 helpers


def bm25_tokenize(texts: Sequence[str], return_ids: bool):
    import bm25s

    return bm25s.tokenize(list(texts), stopwords=BM25_STOPWORDS, stemmer=stemmer(), return_ids=return_ids, show_progress=False)


def bm25_text(p: Passage) -> str:
    return f"{p.title}. {p.text}" if p.title else p.text


def build_bm25(passages: Sequence[Passage]):
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25_tokenize([bm25_text(p) for p in passages], return_ids=True), show_progress=False)
    return retriever



class HybridIndex:
    """An opened index: passages, their vectors (FAISS + the raw float32 matrix), BM25, and search."""

    def __init__(self, path: Path, manifest: dict, passages: Sequence[Passage], embeddings: np.ndarray, dense, bm25,
                 question_map: dict[str, list[str]], encoder: Encoder | None = None):
        self.path, self.manifest, self.passages = path, manifest, passages
        self.embeddings, self.dense, self.bm25, self.question_map = embeddings, dense, bm25, question_map
        ids = passages.ids if hasattr(passages, "ids") else [p.id for p in passages]  # PassageStore keeps them
        self.row = {pid: i for i, pid in enumerate(ids)}
        self._encoder = encoder
        self._qcache: dict[str, np.ndarray] = {}

    # -- basics -------------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.passages)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model(self) -> str:
        return self.manifest["encoder"]["name"]

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            enc = load_encoder(self.model)
            if enc.dim != self.manifest["encoder"]["dim"]:
                raise ModelError(f"model '{self.model}' gives {enc.dim}-d vectors but index {self.path} holds "
                                 f"{self.manifest['encoder']['dim']}-d vectors; {rebuild_hint(self.path)}")
            self._encoder = enc
        return self._encoder

    def hit(self, row: int, score: float, hop: int = 0, **ranks) -> Hit:
        p = self.passages[row]
        return Hit(p.id, p.title, p.text, float(score), int(row), hop, ranks.get("dense_rank"), ranks.get("bm25_rank"))

    # -- query encoding ------------------------------------------------------------------------------------------------
    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Encode queries, cached per process: hop queries and baselines repeat them."""
        missing = [q for q in dict.fromkeys(queries) if q not in self._qcache]
        if missing:
            for q, v in zip(missing, self.encoder.encode(missing, batch_size=64)):
                if len(self._qcache) > 50000:
                    self._qcache.clear()
                self._qcache[q] = v
        return np.stack([self._qcache[q] for q in queries]) if queries else np.zeros((0, self.encoder.dim), np.float32)

    # -- single retrievers ---------------------------------------------------------------------------------------------
    def dense_ranking(self, query: str | np.ndarray, n: int, allowed: np.ndarray | None = None,
                      exclude: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Rows and inner-product scores of the n best passages (among `allowed` rows when given)."""
        q = self.encode_queries([query])[0] if isinstance(query, str) else np.asarray(query, dtype=np.float32)
        excl = set(exclude)
        if allowed is not None:
            rows = np.asarray([r for r in allowed if r not in excl], dtype=np.int64)
            if len(rows) == 0:
                return rows, np.zeros(0, np.float32)
            scores = np.asarray(self.embeddings[rows]) @ q
            order = np.argsort(-scores, kind="stable")[:n]
            return rows[order], scores[order]
        want = min(len(self), n + len(excl))
        if want <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, rows = self.dense.search(q.reshape(1, -1), want)
        keep = [(r, s) for r, s in zip(rows[0], scores[0]) if r >= 0 and r not in excl][:n]
        return np.asarray([r for r, _ in keep], np.int64), np.asarray([s for _, s in keep], np.float32)

    def bm25_scores(self, query: str) -> np.ndarray:
        toks = [t for t in bm25_tokenize([query], return_ids=False)[0] if t in self.bm25.vocab_dict]
        if not toks:
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)

    def bm25_ranking(self, query: str, n: int, allowed: np.ndarray | None = None,
                     exclude: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Rows and BM25 scores of the n best passages with a positive score."""
        scores = self.bm25_scores(query)
        rows = np.arange(len(self), dtype=np.int64) if allowed is None else np.asarray(allowed, dtype=np.int64)
        s = scores[rows].copy()
        excl = list(set(exclude))
        if excl:
            s[np.isin(rows, excl)] = 0.0
        pos = np.flatnonzero(s > 0)
        if len(pos) > n:
            pos = pos[np.argpartition(-s[pos], n - 1)[:n]]
        pos = pos[np.argsort(-s[pos], kind="stable")]
        return rows[pos], s[pos]

    # -- hybrid --------------------------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, retrieval: RetrievalConfig = RetrievalConfig(), mode: Mode = "hybrid",
               allowed: np.ndarray | None = None, exclude: Iterable[int] = (), hop: int = 0) -> list[Hit]:
        """Top-k passages for a query. `mode` picks BM25, dense, or their fusion (RRF or a min-max score mix)."""
        if not query.strip():
            raise InputError("empty query")
        exclude = set(exclude)
        n = max(k, retrieval.candidates)
        if mode == "dense":
            rows, scores = self.dense_ranking(query, k, allowed, exclude)
            return [self.hit(r, s, hop, dense_rank=i + 1) for i, (r, s) in enumerate(zip(rows, scores))]
        if mode == "bm25":
            rows, scores = self.bm25_ranking(query, k, allowed, exclude)
            return [self.hit(r, s, hop, bm25_rank=i + 1) for i, (r, s) in enumerate(zip(rows, scores))]
        d_rows, d_scores = self.dense_ranking(query, n, allowed, exclude)
        b_rows, b_scores = self.bm25_ranking(query, n, allowed, exclude)
        fused = fuse(d_rows, d_scores, b_rows, b_scores, retrieval)
        d_rank = {int(r): i + 1 for i, r in enumerate(d_rows)}
        b_rank = {int(r): i + 1 for i, r in enumerate(b_rows)}
        return [self.hit(r, s, hop, dense_rank=d_rank.get(r), bm25_rank=b_rank.get(r)) for r, s in fused[:k]]

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        return np.asarray([self.row[i] for i in ids if i in self.row], dtype=np.int64)


def fuse(d_rows: np.ndarray, d_scores: np.ndarray, b_rows: np.ndarray, b_scores: np.ndarray,
         cfg: RetrievalConfig) -> list[tuple[int, float]]:
    """Fuse two rankings. "rrf": sum of w / (rrf_k + rank). "mix": weighted sum of min-max normalised scores."""
    total: dict[int, float] = {}
    if cfg.fusion == "rrf":
        for w, rows in ((cfg.dense_weight, d_rows), (cfg.bm25_weight, b_rows)):
            for i, r in enumerate(rows):
                total[int(r)] = total.get(int(r), 0.0) + w / (cfg.rrf_k + i + 1)
    else:
        for w, rows, scores in ((cfg.dense_weight, d_rows, d_scores), (cfg.bm25_weight, b_rows, b_scores)):
            if len(rows) == 0:
                continue
            lo, hi = float(np.min(scores)), float(np.max(scores))
            span = hi - lo if hi > lo else 1.0
            for r, s in zip(rows, scores):
                total[int(r)] = total.get(int(r), 0.0) + w * (float(s) - lo) / span
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


__all__ = ["BM25_STEMMER", "BM25_STOPWORDS", "HybridIndex", "Mode", "bm25_text", "bm25_tokenize", "build_bm25", "fuse",
           "rebuild_hint"]
