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
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .config import IndexConfig, index_root
from .corpus import Corpus, CorpusSource, read_corpus
from .dense import (build_dense, calibrate, check_factory, check_memory, choose_factory, memory_estimate, read_dense,
                    searcher, span_texts, write_dense)
from .encoders import Encoder, canonical_model_name, load_encoder, preload_encoder
from .errors import IndexError_, IndexFormatError, InputError, ModelError
from .lm.model import mem_available
from .hybrid import (BM25_STEMMER, BM25_STOPWORDS, HybridIndex, Mode, bm25_text, bm25_tokenize, build_bm25, fuse,
                     rebuild_hint)
from .passages import PassageStore
from .types import Passage

FORMAT = "hopqa-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
EMBEDDINGS = "embeddings.npy"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
QUESTION_MAP = "question_map.json"
# re-exported: other modules and tests take these from hopqa.index
REEXPORTED = (HybridIndex, Mode, bm25_tokenize, fuse)

Progress = Callable[[int, int], None]  # (passages encoded so far, total)


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
                      progress: Progress | None, engine=None, dest: Path | None = None,
                      offset: int = 0) -> tuple[np.ndarray, int, float]:
    """Encode in chunks saved under work/chunks; chunks already there (an interrupted build) are reused.

    Texts are encoded longest first, as one SentenceTransformer.encode call over all of them would: each batch then
    holds texts of similar length and little padding (encoding in corpus order, sorted only within each sub-batch,
    cost about 9% more CPU on MuSiQue). The sort is stable, so the order depends on the texts alone and a rerun finds
    the same chunks. Chunk files hold rows in that order; the returned matrix is back in text order.
    `dest`: an open memory-mapped .npy (rows `offset` on) that each chunk is written into as it is finished, so no
    list of chunks is held in memory; without it, a new in-memory matrix.
    `engine` (e.g. hopqa.engines.RayEncoding): encodes each unfinished chunk instead of `encoder`, its rows in order."""
    chunks_dir = work / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    n, size = len(texts), max(1, config.chunk_size)
    order = np.argsort(np.fromiter((-len(t) for t in texts), dtype=np.int64, count=n), kind="stable")
    resumed, encode_seconds, done = 0, 0.0, 0
    vectors = dest if dest is not None else np.empty((n, encoder.dim), dtype=np.float32)
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
        vectors[order[start:end] + offset] = arr
        done = end
        if progress:
            progress(done, n)
    return vectors, resumed, encode_seconds


def _new_embeddings(folder: Path, n: int, dim: int) -> np.ndarray:
    """embeddings.npy created at its final size and memory-mapped: chunks are written into it as they are encoded."""
    return np.lib.format.open_memmap(folder / EMBEDDINGS, mode="w+", dtype=np.float32, shape=(n, dim))


def _write_index_files(folder: Path, passages: Sequence[Passage], vectors: np.ndarray, faiss_index, bm25,
                       question_map: dict[str, list[str]], manifest: dict) -> None:
    with (folder / PASSAGES).open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False) + "\n")
    if isinstance(vectors, np.memmap):  # already embeddings.npy (see _new_embeddings)
        vectors.flush()
    else:
        np.save(folder / EMBEDDINGS, vectors, allow_pickle=False)
    write_dense(faiss_index, folder / DENSE)
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


def _manifest(*, passages: int, fingerprint: str, model: str, dim: int, dense: dict, config: IndexConfig,
              sources: list[str], created: str | None, timings: dict) -> dict:
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": created or now,
        "updated": now,
        "versions": library_versions(),
        "encoder": {"name": model, "dim": dim, "normalize": True, "dtype": "float32"},
        "dense": {"metric": "inner_product", **dense},
        "bm25": {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75, "stemmer": f"PyStemmer:{BM25_STEMMER}",
                 "stopwords": BM25_STOPWORDS, "fields": "title + '. ' + text"},
        "passages": passages,
        "corpus_fingerprint": fingerprint,
        "sources": sources,
        "build": {"batch_size": config.batch_size, "chunk_size": config.chunk_size, "max_words": config.max_words,
                  "overlap_words": config.overlap_words, **{k: round(v, 3) for k, v in timings.items()}},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }


def _span_encoder(enc: Encoder, passages: Sequence[Passage]):
    """Rows -> vectors of a short text span of each row's passage, for nprobe calibration (hopqa.dense.calibrate)."""
    return lambda rows: enc.encode(span_texts([bm25_text(passages[int(r)]) for r in rows]))


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
    n = len(corpus.passages)
    check_factory(config.faiss_factory, enc.dim)  # a bad factory string fails now, not after minutes of encoding
    factory = choose_factory(config.faiss_factory, n, config.ann_threshold)
    check_memory(factory, n, enc.dim, mem_available())
    model = canonical_model_name(enc.name)
    fingerprint = corpus.fingerprint()
    # "bylen": chunk rows are in longest-first order; work folders of other layouts are never reused
    key = hashlib.sha256(f"{fingerprint}|{model}|{config.chunk_size}|bylen".encode()).hexdigest()[:12]
    final.parent.mkdir(parents=True, exist_ok=True)
    work = _work_dir(final, key)
    _cleanup_work_dirs(final, keep=work)
    out = work / "index"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    texts = [bm25_text(p) for p in corpus.passages]
    vectors, resumed, enc_s = _encode_resumable(enc, texts, work, config, progress, engine,
                                                dest=_new_embeddings(out, n, enc.dim))
    del texts
    faiss_index, params = build_dense(factory, vectors, target=config.ann_recall,
                                      spans=_span_encoder(enc, corpus.passages), rerank=config.ann_rerank)
    bm25 = build_bm25(corpus.passages)
    seconds = time.perf_counter() - t0
    manifest = _manifest(passages=n, fingerprint=fingerprint, model=model, dim=enc.dim,
                         dense={"faiss_factory": factory, "requested": config.faiss_factory, **params}, config=config,
                         sources=corpus.sources, created=None, timings={"seconds": seconds, "encode_seconds": enc_s})
    _write_index_files(out, corpus.passages, vectors, faiss_index, bm25, corpus.question_map, manifest)
    del vectors, faiss_index
    _swap_in(out, final)
    shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t0  # the summary's time includes writing the files (the manifest's cannot)
    return BuildSummary(final.name, str(final), n, n, corpus.skipped_duplicates, resumed, model, enc.dim, seconds, enc_s,
                        (n - resumed) / enc_s if enc_s > 0 else 0.0, _dir_size(final))


def add_to_index(path: str | Path, sources: Sequence[CorpusSource], *, progress: Progress | None = None,
                 config: IndexConfig | None = None) -> BuildSummary:
    """Append passages to an existing index: only the new passages are encoded; duplicates (by id or by
    (title, text)) are skipped. The BM25 index is rebuilt over all passages (cheap next to encoding)."""
    t0 = time.perf_counter()
    final = Path(path)
    name = read_manifest(final)["encoder"]["name"]
    idx = open_index(final, encoder=load_encoder(name), preload=False)
    m = idx.manifest
    if idx.encoder.dim != m["encoder"]["dim"]:
        raise ModelError(f"model '{name}' gives {idx.encoder.dim}-d vectors but index {final} holds "
                         f"{m['encoder']['dim']}-d vectors; {rebuild_hint(final)}")
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
    out = work / "index"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    n_old = len(idx.passages)
    vectors = _new_embeddings(out, len(all_passages), enc.dim)
    for s in range(0, n_old, 65536):  # the old rows, copied block by block from the memory-mapped file
        vectors[s:min(n_old, s + 65536)] = idx.embeddings[s:s + 65536]
    _, resumed, enc_s = _encode_resumable(enc, [bm25_text(p) for p in new.passages], work, cfg, progress,
                                          dest=vectors, offset=n_old)
    dense = {k: v for k, v in m["dense"].items() if k != "metric"}
    faiss_index = read_dense(final / DENSE, dense, mmap=False)  # keeps a trained index's training; new vectors added
    if len(new.passages):
        faiss_index.add(np.ascontiguousarray(vectors[n_old:]))
        dense.update(calibrate(faiss_index, vectors, cfg.ann_recall, spans=_span_encoder(enc, all_passages),
                               rerank=int(dense.get("rerank", 0))))
    seconds = time.perf_counter() - t0
    manifest = _manifest(passages=len(all_passages), fingerprint=fingerprint, model=m["encoder"]["name"], dim=enc.dim,
                         dense=dense, config=cfg, sources=m.get("sources", []) + new.sources,
                         created=m.get("created"), timings={"seconds": seconds, "encode_seconds": enc_s})
    _write_index_files(out, all_passages, vectors, faiss_index, build_bm25(all_passages), qmap, manifest)
    del idx, vectors, faiss_index
    _swap_in(out, final)
    shutil.rmtree(work, ignore_errors=True)
    added = len(new.passages)
    seconds = time.perf_counter() - t0  # including writing the files, as for build_index
    return BuildSummary(final.name, str(final), len(all_passages), added, new.skipped_duplicates, resumed,
                        m["encoder"]["name"], enc.dim, seconds, enc_s, (added - resumed) / enc_s if enc_s > 0 else 0.0,
                        _dir_size(final))


# --------------------------------------------------------------------------------------------------------------------
# Reading


def read_manifest(path: Path) -> dict:
    _recover(path)
    if not path.exists():
        raise IndexError_(f"no index at {path} (build one with `hopqa index build CORPUS --name {path.name}`)")
    mf = path / MANIFEST
    if not mf.exists():
        raise IndexFormatError(f"{path} is not a hopqa index: {MANIFEST} is missing; {rebuild_hint(path)}")
    try:
        m = json.loads(mf.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexFormatError(f"{mf}: unreadable manifest ({e}); {rebuild_hint(path)}") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise IndexFormatError(f"{mf}: not a hopqa index manifest; {rebuild_hint(path)}")
    if m.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: index format version {m.get('format_version')} but this hopqa reads version "
                               f"{FORMAT_VERSION}; {rebuild_hint(path)}")
    for name, info in (m.get("files") or {}).items():
        f = path / name
        if not f.exists():
            raise IndexFormatError(f"{path}: file {name} is missing; {rebuild_hint(path)}")
        if f.stat().st_size != info.get("bytes"):
            raise IndexFormatError(f"{path}: file {name} has {f.stat().st_size} bytes, the manifest says "
                                   f"{info.get('bytes')} (truncated or modified); {rebuild_hint(path)}")
    return m


def open_index(name_or_path: str | Path, *, model: str | None = None, root: str | Path | None = None,
               encoder: Encoder | None = None, preload: bool = True, mmap: bool = True) -> HybridIndex:
    """Open an index folder (or a named index under the index root), checking its manifest and files. `mmap`: map
    embeddings.npy, the BM25 arrays and (where FAISS can) dense.faiss from disk instead of reading them in."""
    import bm25s

    path = resolve_index_path(name_or_path, root)
    m = read_manifest(path)
    if encoder is None and model in (None, m["encoder"]["name"]) and preload:
        preload_encoder(m["encoder"]["name"])  # overlaps the model load with reading the index files
    if model is not None and canonical_model_name(model) != m["encoder"]["name"]:
        raise ModelError(f"index {path} was built with model '{m['encoder']['name']}', not '{model}'; "
                         f"query it with its own model or {rebuild_hint(path, f' --model {model}')}")
    if encoder is not None and canonical_model_name(encoder.name) != m["encoder"]["name"]:
        raise ModelError(f"index {path} was built with model '{m['encoder']['name']}', not '{encoder.name}'")
    try:
        if mmap:  # offsets and ids only; a passage is read from the file when a hit needs it
            passages: Sequence[Passage] = PassageStore(path / PASSAGES)
        else:
            with (path / PASSAGES).open(encoding="utf-8") as fh:
                passages = [Passage(d["id"], d.get("title", ""), d["text"]) for d in map(json.loads, fh)]
        emb = np.load(path / EMBEDDINGS, mmap_mode="r" if mmap else None, allow_pickle=False)
        dense = read_dense(path / DENSE, m["dense"], mmap=mmap)  # memory-mapped where FAISS can; nprobe as calibrated
        dense = searcher(dense, emb, int(m["dense"].get("rerank", 0)))  # approximate candidates rescored exactly
        bm25 = bm25s.BM25.load(str(path / BM25_DIR), mmap=mmap, allow_pickle=False, load_corpus=False)
        qmap = json.loads((path / QUESTION_MAP).read_text(encoding="utf-8")) if (path / QUESTION_MAP).exists() else {}
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise IndexFormatError(f"{path}: cannot read index files ({type(e).__name__}: {str(e)[:120]}); "
                               f"{rebuild_hint(path)}") from None
    n, d = m["passages"], m["encoder"]["dim"]
    if len(passages) != n or emb.shape != (n, d) or dense.ntotal != n or bm25.scores["num_docs"] != n:
        raise IndexFormatError(f"{path}: sizes disagree (manifest {n} passages of dim {d}; passages {len(passages)}, "
                               f"embeddings {tuple(emb.shape)}, faiss {dense.ntotal}, bm25 {bm25.scores['num_docs']}); "
                               f"{rebuild_hint(path)}")
    return HybridIndex(path, m, passages, emb, dense, bm25, qmap, encoder)


def index_info(name_or_path: str | Path, root: str | Path | None = None) -> dict:
    path = resolve_index_path(name_or_path, root)
    m = read_manifest(path)
    return {"name": path.name, "path": str(path), "size_bytes": _dir_size(path), **m, "memory": memory_info(path, m)}


def memory_info(path: Path, m: dict) -> dict:
    """What serving the index holds in RAM (estimates) and what it maps from disk, paged in as touched."""
    n, dim = m["passages"], m["encoder"]["dim"]
    mapped = sum(f.stat().st_size for f in [path / EMBEDDINGS, *(path / BM25_DIR).glob("*.npy")] if f.exists())
    dense = memory_estimate(m["dense"]["faiss_factory"], n, dim)
    passages = 250 * n  # PassageStore: byte offsets, the ids and the id -> row map (texts are read on demand)
    return {"dense_index_bytes": dense, "passages_bytes": passages, "mapped_bytes": mapped,
            "resident_bytes": (dense or 0) + passages,
            "note": "the dense index is memory-mapped from dense.faiss where FAISS supports it; embeddings.npy and the "
                    "BM25 arrays are memory-mapped: resident only as far as searches touch them; passage texts are "
                    "read from passages.jsonl when a hit needs them"}


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
