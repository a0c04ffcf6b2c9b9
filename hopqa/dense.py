"""The dense half of an index: which FAISS index to build, building it from (memory-mapped) vectors, saving, opening
memory-mapped, and the memory it needs.

`faiss_factory = "auto"` (the default) picks by corpus size: exact `Flat` (inner product) below `ann_threshold`
passages (100,000), else `IVF{nlist},SQ8` with nlist ~ 4 * sqrt(n), trained on a deterministic sample. SQ8 (one byte
per dimension) was chosen over PQ and HNSW in a development measurement on a 100k synthetic corpus with the hashing
encoder (not part of the committed benchmark; eval/RESULTS.md, Scale, has what is): it gave the same recall per nprobe as PQ48 with exact re-ranking of 100 candidates, and far more
than PQ48 without it; HNSW32 took 4x longer to build on one core, held 4x the bytes and had lower recall per
millisecond. After adding the vectors, nprobe is calibrated: the smallest power of two whose recall@10 against exact
search reaches `ann_recall` (0.95) on two seeded kinds of query, held-out corpus vectors and short text spans of
passages encoded by the index's encoder, each with its source passage excluded (see `calibrate`). The factory
string, nprobe and the recall measured (per kind) are recorded in the manifest and applied on open.

An approximate index's candidates are rescored exactly (`Rescored`): it returns `rerank` x k of them (4 by default,
`[index] ann_rerank`), whose inner products with the query are recomputed from embeddings.npy (memory-mapped, a few
dozen rows a query). SQ8's one-byte codes otherwise cap recall below 1 even when every list is scanned (measured on
static-embedding vectors: recall@10 0.94 at full nprobe); calibration measures the rescored search.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import InputError

AUTO = "auto"
ANN_THRESHOLD = 100_000  # passages: below, exact Flat search is fast enough (about 6 ms a query at 100k, 384-d)
ANN_RECALL = 0.95  # recall@10 against exact search that nprobe is calibrated for
CALIBRATION_QUERIES = 200  # of each kind (see calibrate)
SPAN_WORDS = 8  # words in a text-span calibration query: about a short question's length
RERANK = 4  # candidates per wanted result that an approximate index returns for exact rescoring (Rescored)
ADD_CHUNK = 65_536  # vectors added to FAISS per call: the index, not a second copy of the matrix, holds them
SEED = 1234


def faiss_reason(e: Exception) -> str:
    """FAISS errors read "Error in <C++ signature> at <file>:<line>: <reason>"; keep the reason."""
    msg = " ".join(str(e).split())
    return re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", msg)[:200]


def ann_factory(n: int) -> str:
    nlist = max(1, min(65_536, int(round(4 * math.sqrt(max(n, 1))))))
    return f"IVF{nlist},SQ8"


def choose_factory(requested: str, n: int, threshold: int = ANN_THRESHOLD) -> str:
    """The factory string to build: `requested` itself unless it is "auto"."""
    if requested.strip().lower() != AUTO:
        return requested
    return "Flat" if n < threshold else ann_factory(n)


def new_index(factory: str, dim: int):
    import faiss

    try:
        return faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise InputError(f"bad FAISS factory string '{factory}': {faiss_reason(e)}", field="faiss_factory") from None


def check_factory(factory: str, dim: int) -> None:
    """Fail now (one line) on a factory string FAISS cannot parse; "auto" is always fine."""
    if factory.strip().lower() != AUTO:
        new_index(factory, dim)


def _ivf(index):
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _is_flat(index) -> bool:
    import faiss

    return isinstance(faiss.downcast_index(index), faiss.IndexFlat)


def _hnsw(index):
    import faiss

    return faiss.downcast_index(index) if hasattr(faiss.downcast_index(index), "hnsw") else None


def bytes_per_vector(factory: str, dim: int) -> float | None:
    """RAM a FAISS index of this factory holds per vector (codes, ids, graph links), or None when unknown."""
    index = new_index(factory, dim)
    extra = 8.0 if _ivf(index) is not None else 0.0  # IVF lists store a 64-bit id beside each code
    h = _hnsw(index)
    if h is not None:
        m = h.hnsw.nb_neighbors(0) if hasattr(h.hnsw, "nb_neighbors") else 64
        return dim * 4 + m * 4 * 1.2  # flat storage + level-0 links (+ upper levels, about 20% more)
    try:
        return float(index.sa_code_size()) + extra
    except RuntimeError:
        return None


def memory_estimate(factory: str, n: int, dim: int) -> int | None:
    """Bytes of RAM for the dense index of n vectors (coarse centroids included), or None when unknown."""
    per = bytes_per_vector(factory, dim)
    if per is None:
        return None
    ivf = _ivf(new_index(factory, dim))
    return int(per * n + (ivf.nlist * dim * 4 if ivf is not None else 0))


def fitting_factory(n: int, dim: int, available: int) -> str | None:
    """The first of exact, IVF+SQ8 and IVF+PQ (2 and 1 byte(s) per 16 dimensions) that fits in `available` bytes."""
    ivf = ann_factory(n).split(",")[0]
    candidates = ["Flat", f"{ivf},SQ8"] + [f"{ivf},PQ{m}" for m in (dim // 8, dim // 16) if m >= 1 and dim % m == 0]
    for f in candidates:
        need = memory_estimate(f, n, dim)
        if need is not None and need < available:
            return f
    return None


def check_memory(factory: str, n: int, dim: int, available: int | None) -> None:
    """Refuse, in one line naming an index type that fits, a dense index larger than the memory available."""
    need = memory_estimate(factory, n, dim)
    if available is None or need is None or need < available:
        return
    fits = fitting_factory(n, dim, available)
    hint = f"--faiss \"{fits}\" fits (~{human(memory_estimate(fits, n, dim) or 0)})" if fits else "no index type fits"
    raise InputError(f"FAISS index '{factory}' for {n} passages of dim {dim} needs ~{human(need)} of memory, "
                     f"{human(available)} available: {hint}", field="faiss_factory")


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def sample_rows(n: int, size: int, seed: int = SEED) -> np.ndarray:
    """A deterministic, sorted sample of `size` of the rows 0..n-1 (all of them when size >= n)."""
    if size >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)).astype(np.int64)


def _train(index, factory: str, vectors: np.ndarray) -> None:
    if index.is_trained:
        return
    n = len(vectors)
    if n == 0:
        raise InputError(f"FAISS index '{factory}' needs training vectors, the corpus is empty", field="faiss_factory")
    ivf = _ivf(index)
    size = max(50_000, 64 * ivf.nlist) if ivf is not None else 100_000  # faiss itself uses at most 256 per centroid
    train = np.ascontiguousarray(vectors[sample_rows(n, size)], dtype=np.float32)
    try:
        index.train(train)
    except RuntimeError as e:
        raise InputError(f"FAISS index '{factory}' cannot be trained on {n} vectors: {faiss_reason(e)}",
                         field="faiss_factory") from None


def add_vectors(index, vectors: np.ndarray) -> None:
    for s in range(0, len(vectors), ADD_CHUNK):
        index.add(np.ascontiguousarray(vectors[s:s + ADD_CHUNK], dtype=np.float32))


def exact_topk(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Rows of the exact top-k inner products, scanning (memory-mapped) vectors in blocks."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_r = np.zeros((len(queries), 0), np.int64)
    for s in range(0, len(vectors), ADD_CHUNK):
        block = np.asarray(vectors[s:s + ADD_CHUNK], dtype=np.float32)
        sc = queries @ block.T
        kk = min(k, sc.shape[1])
        part = np.argpartition(-sc, kk - 1, axis=1)[:, :kk]
        best_s = np.concatenate([best_s, np.take_along_axis(sc, part, 1)], 1)
        best_r = np.concatenate([best_r, part + s], 1)
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_r = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_r, keep, 1)
    return best_r


def calibration_rows(n: int, count: int = CALIBRATION_QUERIES, seed: int = SEED) -> np.ndarray:
    """The corpus rows whose vectors are the held-out passage queries: a seeded sample."""
    return sample_rows(n, count, seed + 1)


def span_rows(n: int, count: int = CALIBRATION_QUERIES, seed: int = SEED) -> np.ndarray:
    """The corpus rows a text span is cut from for the span queries: another seeded sample."""
    return sample_rows(n, count, seed + 3)


def span_texts(texts: Sequence[str], words: int = SPAN_WORDS, seed: int = SEED) -> list[str]:
    """A run of `words` consecutive words from each text, at a seeded position (the whole text when shorter)."""
    rng = np.random.default_rng(seed + 4)
    out = []
    for t in texts:
        w = t.split()
        start = int(rng.integers(0, max(1, len(w) - words + 1)))
        out.append(" ".join(w[start:start + words]))
    return out


def _drop_self(found: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Each query's top-k with its own row taken out (the k+1 asked for leave k; -1 pads a short list)."""
    out = np.full((len(found), k), -1, np.int64)
    for i, (f, r) in enumerate(zip(found, rows)):
        kept = [x for x in f if x != r and x >= 0][:k]
        out[i, :len(kept)] = kept
    return out


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)])) if len(truth) else 1.0


def recall_without_source(index, vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray, k: int,
                          truth: np.ndarray | None = None):
    """Recall@k of `index` against exact search over `vectors`, query i's source row rows[i] excluded from both
    top-k lists. Returns (recall, exact truth) so a caller trying several settings computes the truth once."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    if truth is None:
        truth = _drop_self(exact_topk(vectors, q, k + 1), rows, k)
    return recall_at(_drop_self(index.search(q, k + 1)[1], rows, k), truth), truth


SpanEncoder = Callable[[np.ndarray], np.ndarray]  # corpus rows -> vectors of a text span of each (span_texts)


def calibration_queries(vectors: np.ndarray, spans: SpanEncoder | None = None) -> dict[str, tuple]:
    """The calibration queries by kind, each (source rows, query vectors): held-out corpus vectors, and (given an
    encoder of spans) short text spans of other passages encoded by the index's own encoder."""
    rows = calibration_rows(len(vectors))
    out = {"held_out_passages": (rows, np.asarray(vectors[rows], dtype=np.float32))}
    if spans is not None:
        srows = span_rows(len(vectors))
        out["text_spans"] = (srows, np.asarray(spans(srows), dtype=np.float32))
    return out


class Rescored:
    """An approximate FAISS index whose candidates are rescored with the exact vectors: search(q, k) asks the index
    for `factor` x k candidates, recomputes their inner products from `vectors` (embeddings.npy, memory-mapped: only
    the candidates' rows are read) and returns the best k, as faiss.Index.search does (scores, rows; -1 pads)."""

    def __init__(self, index, vectors: np.ndarray, factor: int = RERANK):
        self.index, self.vectors, self.factor = index, vectors, max(1, int(factor))

    @property
    def ntotal(self) -> int:
        return self.index.ntotal

    def search(self, queries: np.ndarray, k: int):
        q = np.ascontiguousarray(queries, dtype=np.float32)
        _, cand = self.index.search(q, min(self.index.ntotal, k * self.factor))
        scores = np.full((len(q), k), -np.inf, np.float32)
        rows = np.full((len(q), k), -1, np.int64)
        for i, c in enumerate(cand):
            c = np.unique(c[c >= 0])  # sorted: reads the memory-mapped rows in file order
            if len(c) == 0:
                continue
            s = np.asarray(self.vectors[c], dtype=np.float32) @ q[i]
            best = np.argsort(-s, kind="stable")[:k]
            scores[i, :len(best)], rows[i, :len(best)] = s[best], c[best]
        return scores, rows


def searcher(index, vectors: np.ndarray, rerank: int):
    """What dense search calls: the FAISS index itself when it is exact or rerank is 0, else Rescored."""
    return Rescored(index, vectors, rerank) if rerank and not _is_flat(index) else index


def calibrate(index, vectors: np.ndarray, target: float = ANN_RECALL, k: int = 10,
              spans: SpanEncoder | None = None, rerank: int = 0) -> dict:
    """Search parameters for recall@k >= target against exact search: the smallest power-of-two nprobe (IVF) or
    efSearch (HNSW) at which every kind of calibration query reaches it, with the recall measured. {} for exact
    indexes.

    No query may have a planted nearest neighbour: each kind's source row is excluded from the exact and the
    approximate top-k. Held-out passages (corpus vectors as queries) are the easy kind; text spans of SPAN_WORDS
    words, encoded like a query, are short like real queries and, measured, were as hard as them or harder (README
    in indexes/). Noisy copies of corpus vectors, used before, were too easy: on a 100k synthetic corpus they chose
    nprobe 512 where real short queries reached recall@10 0.92 only."""
    ivf, h = _ivf(index), _hnsw(index)
    if (ivf is None and h is None) or len(vectors) <= k + 1:
        return {}
    kinds = calibration_queries(vectors, spans)
    search = searcher(index, vectors, rerank)
    name, limit = ("nprobe", ivf.nlist) if ivf is not None else ("efSearch", 4096)
    value, truths = 1 if ivf is not None else k, {}
    while True:
        set_search_params(index, {name: value})
        recalls = {}
        for kind, (rows, q) in kinds.items():
            recalls[kind], truths[kind] = recall_without_source(search, vectors, q, rows, k, truths.get(kind))
        if min(recalls.values()) >= target or value >= limit:
            break
        value = min(limit, value * 2)
    by_kind = {kind: {"queries": int(len(kinds[kind][0])), f"recall_at_{k}": round(r, 4)}
               for kind, r in recalls.items()}
    if "text_spans" in by_kind:
        by_kind["text_spans"]["words"] = SPAN_WORDS
    return {name: int(value), **({"rerank": int(rerank)} if search is not index else {}), "calibration": {
        f"recall_at_{k}": round(min(recalls.values()), 4), "target": target, "k": k,
        "queries": sum(v["queries"] for v in by_kind.values()), "by_kind": by_kind,
        "method": f"smallest power of two at which every kind reaches the target; each query's source row excluded "
                  f"from the exact and approximate top-{k}"}}


def set_search_params(index, params: dict) -> None:
    import faiss

    if "nprobe" in params and _ivf(index) is not None:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "efSearch" in params and _hnsw(index) is not None:
        _hnsw(index).hnsw.efSearch = int(params["efSearch"])


def build_dense(factory: str, vectors: np.ndarray, *, target: float = ANN_RECALL, spans: SpanEncoder | None = None,
                rerank: int = RERANK):
    """Make, train (on a deterministic sample), fill (in chunks) and calibrate a FAISS index over `vectors` (a
    memory-mapped .npy is fine). Returns (index, search parameters for the manifest)."""
    index = new_index(factory, vectors.shape[1])
    _train(index, factory, vectors)
    add_vectors(index, vectors)
    return index, calibrate(index, vectors, target, spans=spans, rerank=rerank)


def write_dense(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def read_dense(path: Path, params: dict | None = None, mmap: bool = True):
    """Open dense.faiss memory-mapped where FAISS can (flat codes and IVF lists); otherwise read it into memory."""
    import faiss

    index = None
    if mmap:
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        except (RuntimeError, AttributeError):  # an index type without mmap support, or an older FAISS
            index = None
    if index is None:
        index = faiss.read_index(str(path))
    set_search_params(index, params or {})
    return index


__all__ = ["ADD_CHUNK", "ANN_RECALL", "ANN_THRESHOLD", "AUTO", "RERANK", "Rescored", "SPAN_WORDS", "SpanEncoder",
           "add_vectors", "searcher",
           "ann_factory", "build_dense", "bytes_per_vector", "calibrate", "calibration_queries", "calibration_rows",
           "check_factory", "check_memory", "choose_factory", "exact_topk", "faiss_reason", "fitting_factory", "human",
           "memory_estimate", "new_index", "read_dense", "recall_at", "recall_without_source", "sample_rows",
           "set_search_params", "span_rows", "span_texts", "write_dense"]
