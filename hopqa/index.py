"""The persistent hybrid index: dense vectors in FAISS plus a bm25s BM25 index over the same passages.

One folder per index; `indexes/README.md` documents every file. Builds are atomic (written to a temporary folder
beside the target and swapped in at the end) and resumable (encoded chunks are kept in that temporary folder, so a
rerun after an interruption only encodes what was not finished). Nothing is ever loaded with pickle.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

import numpy as np

from .config import IndexConfig, RetrievalConfig, index_root
from .corpus import Corpus, CorpusSource, read_corpus
from .encoders import Encoder, canonical_model_name, load_encoder, preload_encoder
from .errors import IndexError_, IndexFormatError, InputError, ModelError
from .text import STEMMER_LANGUAGE, stemmer
from .types import Hit, Passage

FORMAT = "hopqa-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
EMBEDDINGS = "embeddings.npy"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
QUESTION_MAP = "question_map.json"
BM25_STOPWORDS = "en"
BM25_STEMMER = STEMMER_LANGUAGE

Progress = Callable[[int, int], None]  # (passages encoded so far, total)
Mode = Literal["hybrid", "dense", "bm25"]


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> dict[str, str | None]:
    return {
        "hopqa": _version("hopqa"),
        "faiss": _version("faiss-cpu"),
        "bm25s": _version("bm25s"),
        "sentence_transformers": _version("sentence-transformers"),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def resolve_index_path(name_or_path: str | Path, root: str | Path | None = None) -> Path:
    """A bare name means a folder under the index root; anything that looks like a path is used as it is."""
    s = str(name_or_path)
    if not s.strip():
        raise InputError("empty index name")
    p = Path(s).expanduser()
    if p.is_absolute() or "/" in s or s.startswith(".") or (p.exists() and (p / MANIFEST).exists()):
        return p
    return index_root(root) / s


# --------------------------------------------------------------------------------------------------------------------
# BM25 helpers


def bm25_tokenize(texts: Sequence[str], return_ids: bool):
    import bm25s

    return bm25s.tokenize(list(texts), stopwords=BM25_STOPWORDS, stemmer=stemmer(), return_ids=return_ids, show_progress=False)


def _bm25_text(p: Passage) -> str:
    return f"{p.title}. {p.text}" if p.title else p.text


def _build_bm25(passages: Sequence[Passage]):
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25_tokenize([_bm25_text(p) for p in passages], return_ids=True), show_progress=False)
    return retriever


# --------------------------------------------------------------------------------------------------------------------
# Writing


@dataclass
class BuildSummary:
    name: str
    path: str
    passages: int
    added: int
    skipped_duplicates: int
    resumed_passages: int
    model: str
    dim: int
    seconds: float
    encode_seconds: float
    passages_per_second: float
    size_bytes: int

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("seconds", "encode_seconds", "passages_per_second"):
            d[k] = round(d[k], 3)
        return d


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _save_npy(path: Path, arr: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, arr, allow_pickle=False)
    os.replace(tmp, path)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _encode_resumable(encoder: Encoder, texts: Sequence[str], work: Path, config: IndexConfig,
                      progress: Progress | None, engine=None) -> tuple[np.ndarray, int, float]:
    """Encode in chunks saved under work/chunks; chunks already there (an interrupted build) are reused.

    Texts are encoded longest first, as one SentenceTransformer.encode call over all of them would: each batch then
    holds texts of similar length and little padding (encoding in corpus order, sorted only within each sub-batch,
    cost about 9% more CPU on MuSiQue). The sort is stable, so the order depends on the texts alone and a rerun finds
    the same chunks. Chunk files hold rows in that order; the returned matrix is back in text order.
    `engine` (e.g. hopqa.engines.RayEncoding): encodes each unfinished chunk instead of `encoder`, its rows in order."""
    chunks_dir = work / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    n, size = len(texts), max(1, config.chunk_size)
    order = np.argsort(np.fromiter((-len(t) for t in texts), dtype=np.int64, count=n), kind="stable")
    parts, resumed, encode_seconds, done = [], 0, 0.0, 0
    if progress:
        progress(0, n)
    for start in range(0, n, size):
        end = min(n, start + size)
        f = chunks_dir / f"{start:010d}-{end:010d}.npy"
        arr = None
        if f.exists():
            try:
                arr = np.load(f, allow_pickle=False)
                if arr.shape != (end - start, encoder.dim):
                    arr = None
                else:
                    resumed += end - start
            except (ValueError, OSError):
                arr = None
        if arr is None:
            t = time.perf_counter()
            if engine is not None:  # another engine (hopqa.engines) encodes the chunk; saving and resuming stay here
                sub = [engine.encode([texts[i] for i in order[start:end]], config.batch_size)]
            else:  # sub-batches, so the progress bar moves inside a chunk too
                sub = []
                step = max(config.batch_size * 4, 1)
                for s in range(start, end, step):
                    e = min(end, s + step)
                    sub.append(encoder.encode([texts[i] for i in order[s:e]], batch_size=config.batch_size))
                    if progress:
                        progress(done + (e - start), n)
            arr = np.concatenate(sub).astype(np.float32, copy=False)
            encode_seconds += time.perf_counter() - t
            _save_npy(f, arr)
        parts.append(arr)
        done = end
        if progress:
            progress(done, n)
    if not parts:
        return np.zeros((0, encoder.dim), dtype=np.float32), 0, 0.0
    vectors = np.empty((n, encoder.dim), dtype=np.float32)
    vectors[order] = np.concatenate(parts)
    return vectors, resumed, encode_seconds


def _faiss_reason(e: Exception) -> str:
    """FAISS errors read "Error in <C++ signature> at <file>:<line>: <reason>"; keep the reason."""
    msg = " ".join(str(e).split())
    return re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", msg)[:200]


def _new_faiss(factory: str, dim: int):
    import faiss

    try:
        return faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise InputError(f"bad FAISS factory string '{factory}': {_faiss_reason(e)}", field="faiss_factory") from None


def _make_faiss(factory: str, vectors: np.ndarray):
    index = _new_faiss(factory, vectors.shape[1])
    if not index.is_trained:
        if len(vectors) == 0:
            raise InputError(f"FAISS index '{factory}' needs training vectors, the corpus is empty", field="faiss_factory")
        try:
            index.train(vectors)
        except RuntimeError as e:
            raise InputError(f"FAISS index '{factory}' cannot be trained on {len(vectors)} vectors: "
                             f"{_faiss_reason(e)}", field="faiss_factory") from None
    if len(vectors):
        index.add(vectors)
    return index


def _write_index_files(folder: Path, passages: Sequence[Passage], vectors: np.ndarray, faiss_index, bm25,
                       question_map: dict[str, list[str]], manifest: dict) -> None:
    import faiss

    with (folder / PASSAGES).open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False) + "\n")
    np.save(folder / EMBEDDINGS, vectors, allow_pickle=False)
    faiss.write_index(faiss_index, str(folder / DENSE))
    bm25.save(str(folder / BM25_DIR), allow_pickle=False)
    if question_map:
        (folder / QUESTION_MAP).write_text(json.dumps(question_map), encoding="utf-8")
    files = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.name != MANIFEST and "chunks" not in f.parts:
            files[f.relative_to(folder).as_posix()] = {"bytes": f.stat().st_size}
    manifest["files"] = files
    _atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _swap_in(tmp: Path, final: Path) -> None:
    """Replace `final` by `tmp` with two renames; `open_index` restores `.NAME.previous` if a kill lands in between."""
    previous = final.with_name(f".{final.name}.previous")
    if previous.exists():
        shutil.rmtree(previous)
    if final.exists():
        os.replace(final, previous)
    os.replace(tmp, final)
    if previous.exists():
        shutil.rmtree(previous, ignore_errors=True)


def _recover(final: Path) -> None:
    previous = final.with_name(f".{final.name}.previous")
    if not final.exists() and previous.exists() and (previous / MANIFEST).exists():
        os.replace(previous, final)


def _manifest(*, passages: int, fingerprint: str, model: str, dim: int, factory: str, config: IndexConfig,
              sources: list[str], created: str | None, timings: dict) -> dict:
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": created or now,
        "updated": now,
        "versions": library_versions(),
        "encoder": {"name": model, "dim": dim, "normalize": True, "dtype": "float32"},
        "dense": {"faiss_factory": factory, "metric": "inner_product"},
        "bm25": {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75, "stemmer": f"PyStemmer:{BM25_STEMMER}",
                 "stopwords": BM25_STOPWORDS, "fields": "title + '. ' + text"},
        "passages": passages,
        "corpus_fingerprint": fingerprint,
        "sources": sources,
        "build": {"batch_size": config.batch_size, "chunk_size": config.chunk_size, "max_words": config.max_words,
                  "overlap_words": config.overlap_words, **{k: round(v, 3) for k, v in timings.items()}},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }


def _work_dir(final: Path, key: str) -> Path:
    return final.with_name(f".{final.name}.build-{key}")


def _cleanup_work_dirs(final: Path, keep: Path | None = None) -> None:
    for d in final.parent.glob(f".{final.name}.build-*"):
        if d != keep:
            shutil.rmtree(d, ignore_errors=True)


def build_index(sources: Sequence[CorpusSource] | Corpus, path: str | Path, *, config: IndexConfig = IndexConfig(),
                overwrite: bool = False, progress: Progress | None = None, encoder: Encoder | None = None,
                engine=None) -> BuildSummary:
    """Build a new index at `path` from corpus sources. Atomic; resumable after an interruption. `engine`: an
    encoding strategy with `.encode(texts, batch_size)` (hopqa.engines.RayEncoding); None encodes here."""
    t0 = time.perf_counter()
    final = Path(path)
    _recover(final)
    if final.exists() and not overwrite:
        raise IndexError_(f"index already exists: {final} (use --overwrite to replace it, or `hopqa index add` to append)")
    corpus = sources if isinstance(sources, Corpus) else read_corpus(sources, max_words=config.max_words,
                                                                      overlap_words=config.overlap_words)
    if not corpus.passages:
        # corpus.sources entries read "PATH:FORMAT"; name the files only (the format suffix looked like a line number)
        raise InputError("empty corpus: no passages found",
                         file=", ".join(s.rsplit(":", 1)[0] for s in corpus.sources) or None)
    enc = encoder or load_encoder(config.model)
    _new_faiss(config.faiss_factory, enc.dim)  # a bad factory string fails now, not after minutes of encoding
    model = canonical_model_name(enc.name)
    fingerprint = corpus.fingerprint()
    # "bylen": chunk rows are in longest-first order; work folders of other layouts are never reused
    key = hashlib.sha256(f"{fingerprint}|{model}|{config.chunk_size}|bylen".encode()).hexdigest()[:12]
    final.parent.mkdir(parents=True, exist_ok=True)
    work = _work_dir(final, key)
    _cleanup_work_dirs(final, keep=work)
    texts = [_bm25_text(p) for p in corpus.passages]
    vectors, resumed, enc_s = _encode_resumable(enc, texts, work, config, progress, engine)
    out = work / "index"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    faiss_index = _make_faiss(config.faiss_factory, vectors)
    bm25 = _build_bm25(corpus.passages)
    seconds = time.perf_counter() - t0
    manifest = _manifest(passages=len(corpus.passages), fingerprint=fingerprint, model=model, dim=enc.dim,
                         factory=config.faiss_factory, config=config, sources=corpus.sources, created=None,
                         timings={"seconds": seconds, "encode_seconds": enc_s})
    _write_index_files(out, corpus.passages, vectors, faiss_index, bm25, corpus.question_map, manifest)
    _swap_in(out, final)
    shutil.rmtree(work, ignore_errors=True)
    n = len(corpus.passages)
    seconds = time.perf_counter() - t0  # the summary's time includes writing the files (the manifest's cannot)
    return BuildSummary(final.name, str(final), n, n, corpus.skipped_duplicates, resumed, model, enc.dim, seconds, enc_s,
                        (n - resumed) / enc_s if enc_s > 0 else 0.0, _dir_size(final))


def add_to_index(path: str | Path, sources: Sequence[CorpusSource], *, progress: Progress | None = None,
                 config: IndexConfig | None = None) -> BuildSummary:
    """Append passages to an existing index: only the new passages are encoded; duplicates (by id or by
    (title, text)) are skipped. The BM25 index is rebuilt over all passages (cheap next to encoding)."""
    t0 = time.perf_counter()
    final = Path(path)
    idx = open_index(final)
    m = idx.manifest
    b = m.get("build", {})
    cfg = config or IndexConfig(model=m["encoder"]["name"], faiss_factory=m["dense"]["faiss_factory"],
                                batch_size=b.get("batch_size", 64), chunk_size=b.get("chunk_size", 2048),
                                max_words=b.get("max_words", 120), overlap_words=b.get("overlap_words", 20))
    new = read_corpus(sources, max_words=cfg.max_words, overlap_words=cfg.overlap_words,
                      skip_ids=[p.id for p in idx.passages], skip_keys=[(p.title, p.text) for p in idx.passages])
    enc = idx.encoder
    all_passages = list(idx.passages) + new.passages
    qmap = dict(idx.question_map)
    qmap.update(new.question_map)
    fingerprint = Corpus(all_passages).fingerprint()
    key = hashlib.sha256(f"add|{m['corpus_fingerprint']}|{fingerprint}|bylen".encode()).hexdigest()[:12]
    work = _work_dir(final, key)
    _cleanup_work_dirs(final, keep=work)
    vecs, resumed, enc_s = _encode_resumable(enc, [_bm25_text(p) for p in new.passages], work, cfg, progress)
    import faiss

    vectors = np.concatenate([np.asarray(idx.embeddings), vecs]).astype(np.float32, copy=False)
    faiss_index = faiss.read_index(str(final / DENSE))  # keeps a trained index's training; only new vectors added
    if len(vecs):
        faiss_index.add(vecs)
    out = work / "index"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    seconds = time.perf_counter() - t0
    manifest = _manifest(passages=len(all_passages), fingerprint=fingerprint, model=m["encoder"]["name"], dim=enc.dim,
                         factory=m["dense"]["faiss_factory"], config=cfg, sources=m.get("sources", []) + new.sources,
                         created=m.get("created"), timings={"seconds": seconds, "encode_seconds": enc_s})
    _write_index_files(out, all_passages, vectors, faiss_index, _build_bm25(all_passages), qmap, manifest)
    del idx
    _swap_in(out, final)
    shutil.rmtree(work, ignore_errors=True)
    added = len(new.passages)
    seconds = time.perf_counter() - t0  # including writing the files, as for build_index
    return BuildSummary(final.name, str(final), len(all_passages), added, new.skipped_duplicates, resumed,
                        m["encoder"]["name"], enc.dim, seconds, enc_s, (added - resumed) / enc_s if enc_s > 0 else 0.0,
                        _dir_size(final))


# --------------------------------------------------------------------------------------------------------------------
# Reading


def _rebuild_hint(path: Path, extra: str = "") -> str:
    return f"rebuild it with `hopqa index build CORPUS --name {path.name} --overwrite{extra}`"


def read_manifest(path: Path) -> dict:
    _recover(path)
    if not path.exists():
        raise IndexError_(f"no index at {path} (build one with `hopqa index build CORPUS --name {path.name}`)")
    mf = path / MANIFEST
    if not mf.exists():
        raise IndexFormatError(f"{path} is not a hopqa index: {MANIFEST} is missing; {_rebuild_hint(path)}")
    try:
        m = json.loads(mf.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexFormatError(f"{mf}: unreadable manifest ({e}); {_rebuild_hint(path)}") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise IndexFormatError(f"{mf}: not a hopqa index manifest; {_rebuild_hint(path)}")
    if m.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: index format version {m.get('format_version')} but this hopqa reads version "
                               f"{FORMAT_VERSION}; {_rebuild_hint(path)}")
    for name, info in (m.get("files") or {}).items():
        f = path / name
        if not f.exists():
            raise IndexFormatError(f"{path}: file {name} is missing; {_rebuild_hint(path)}")
        if f.stat().st_size != info.get("bytes"):
            raise IndexFormatError(f"{path}: file {name} has {f.stat().st_size} bytes, the manifest says "
                                   f"{info.get('bytes')} (truncated or modified); {_rebuild_hint(path)}")
    return m


class HybridIndex:
    """An opened index: passages, their vectors (FAISS + the raw float32 matrix), BM25, and search."""

    def __init__(self, path: Path, manifest: dict, passages: list[Passage], embeddings: np.ndarray, dense, bm25,
                 question_map: dict[str, list[str]], encoder: Encoder | None = None):
        self.path, self.manifest, self.passages = path, manifest, passages
        self.embeddings, self.dense, self.bm25, self.question_map = embeddings, dense, bm25, question_map
        self.row = {p.id: i for i, p in enumerate(passages)}
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
                                 f"{self.manifest['encoder']['dim']}-d vectors; {_rebuild_hint(self.path)}")
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


def open_index(name_or_path: str | Path, *, model: str | None = None, root: str | Path | None = None,
               encoder: Encoder | None = None, preload: bool = True) -> HybridIndex:
    """Open an index folder (or a named index under the index root), checking its manifest and files."""
    import bm25s
    import faiss

    path = resolve_index_path(name_or_path, root)
    m = read_manifest(path)
    if encoder is None and model in (None, m["encoder"]["name"]) and preload:
        preload_encoder(m["encoder"]["name"])  # overlaps the model load with reading the index files
    if model is not None and canonical_model_name(model) != m["encoder"]["name"]:
        raise ModelError(f"index {path} was built with model '{m['encoder']['name']}', not '{model}'; "
                         f"query it with its own model or {_rebuild_hint(path, f' --model {model}')}")
    if encoder is not None and canonical_model_name(encoder.name) != m["encoder"]["name"]:
        raise ModelError(f"index {path} was built with model '{m['encoder']['name']}', not '{encoder.name}'")
    try:
        passages = []
        with (path / PASSAGES).open(encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                passages.append(Passage(d["id"], d.get("title", ""), d["text"]))
        emb = np.load(path / EMBEDDINGS, mmap_mode="r", allow_pickle=False)
        dense = faiss.read_index(str(path / DENSE))
        bm25 = bm25s.BM25.load(str(path / BM25_DIR), mmap=False, allow_pickle=False, load_corpus=False)
        qmap = json.loads((path / QUESTION_MAP).read_text(encoding="utf-8")) if (path / QUESTION_MAP).exists() else {}
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise IndexFormatError(f"{path}: cannot read index files ({type(e).__name__}: {str(e)[:120]}); "
                               f"{_rebuild_hint(path)}") from None
    n, d = m["passages"], m["encoder"]["dim"]
    if len(passages) != n or emb.shape != (n, d) or dense.ntotal != n or bm25.scores["num_docs"] != n:
        raise IndexFormatError(f"{path}: sizes disagree (manifest {n} passages of dim {d}; passages {len(passages)}, "
                               f"embeddings {tuple(emb.shape)}, faiss {dense.ntotal}, bm25 {bm25.scores['num_docs']}); "
                               f"{_rebuild_hint(path)}")
    return HybridIndex(path, m, passages, emb, dense, bm25, qmap, encoder)


def index_info(name_or_path: str | Path, root: str | Path | None = None) -> dict:
    path = resolve_index_path(name_or_path, root)
    m = read_manifest(path)
    return {"name": path.name, "path": str(path), "size_bytes": _dir_size(path), **m}


def list_indexes(root: str | Path | None = None) -> list[dict]:
    base = index_root(root)
    out = []
    if not base.exists():
        return out
    for d in sorted(base.iterdir()):
        if d.is_dir() and not d.name.startswith(".") and (d / MANIFEST).exists():
            try:
                m = read_manifest(d)
                out.append({"name": d.name, "path": str(d), "passages": m["passages"], "model": m["encoder"]["name"],
                            "dim": m["encoder"]["dim"], "faiss_factory": m["dense"]["faiss_factory"],
                            "updated": m.get("updated"), "size_bytes": _dir_size(d), "ok": True})
            except IndexError_ as e:
                out.append({"name": d.name, "path": str(d), "ok": False, "error": str(e)})
    return out
