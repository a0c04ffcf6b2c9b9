#!/usr/bin/env python
"""Scale benchmark (issue 12 part 4): synthetic corpora of 10k, 100k and 1M passages through the real `hopqa index build`.

    python eval/bench_scale.py                   # --sizes 10000,100000,1000000 --encoder static:minilm (eval/RESULTS.md)
    python eval/bench_scale.py --encoder hashing # model-free (hash:384): for machines without the [static] extra
    python eval/bench_scale.py --sizes 10000,100000              # the smaller sizes only
    python eval/bench_scale.py --sizes 300 --work /tmp/s --out /tmp/s/scale.json   # a smoke run (seconds)

For each size N it
1. generates a deterministic synthetic corpus (--seed): Wikipedia-like passages, 2-6 sentences of words drawn with
   Zipfian frequencies from a fixed vocabulary (English function words first, then generated pseudo-words), half of
   each passage's content words from its title entity's topic (--topics, 500; each topic a Zipfian sub-vocabulary of
   300 words, as an encyclopaedia's articles cluster by subject; --topics 0 draws every word from the whole
   vocabulary, a stress case with no cluster structure at all), titled by
   entity-like names (people, places, organisations, works; about three passages per title) that the sentences of
   other passages mention, plus years. Written block by block as JSONL (never the whole corpus in memory), in a
   worker subprocess; the same seed and size give the same bytes;
2. builds the index with `hopqa index build CORPUS --model MODEL --faiss auto --json` (static:minilm, or hash:DIM
   with --encoder hashing) as a subprocess (this checkout's CLI), recording wall time, throughput, the child's peak
   RSS (os.wait4 rusage of that one child, plus its VmHWM polled from /proc as a cross-check) and the size on disk
   of every index file;
3. serves it: a worker subprocess opens the index with `hopqa.open_index` (as `hopqa ask` does) and runs the same
   queries through `HybridIndex.search` in dense, BM25 and hybrid mode (the retrieval config `hopqa ask` uses),
   after a few separate warm-up queries; each search is timed with its query encoding (the per-process query cache
   is emptied before each one). Serving RSS is that process's VmHWM (mapped index pages included);
4. measures recall@10 of the index's dense search (FAISS as built, nprobe as calibrated) against exact inner-product
   search (faiss IndexFlatIP, block by block over the stored embeddings.npy) for the same query vectors, in another
   worker subprocess (so exact search does not inflate serving RSS). Ties in the exact scores are reported apart.

Queries (--queries, 200) are made from held-out generated passages (never indexed): a title entity of the corpus and
a few content words of that passage, phrased as questions. Targets (issue 12) apply at 1M passages: hybrid p50 <= 50
ms, p95 <= 150 ms, serving RSS <= 2 GB, ANN recall@10 >= 0.95 (and >= 5,000 passages/s to build with the static
encoder; with the hashing encoder that figure is for information only). Smaller sizes are compared for reference.

Cheap to rerun: corpora, queries and indexes are kept under --work (default eval/runs/scale/) and reused while their
parameters match (the build's recorded measurement is reused with them); --fresh regenerates and rebuilds. Serving
and recall are measured on every run. Prints a table, writes --out (default eval/results/scale.json) with machine,
commit and command, and prints a JSON line last.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORK = ROOT / "eval" / "runs" / "scale"
DEFAULT_OUT = ROOT / "eval" / "results" / "scale.json"
GEN_VERSION = 2  # bump when the generator's output changes: cached corpora of another version are regenerated
RECORD_VERSION = 2  # bump when a build record's fields change: indexes with older records are rebuilt
TARGET_SIZE = 1_000_000
TARGETS = {"hybrid_p50_ms": 50.0, "hybrid_p95_ms": 150.0, "serving_rss_bytes": 2 * 10**9,
           "ann_recall_at_10": 0.95, "build_passages_per_second": 5000.0}
MODES = ("dense", "bm25", "hybrid")
# This checkout's CLI (cli/ is installed as `hopqa_cli`; load it from here, as tests/checkout.py does).
LAUNCH = ("import importlib.util, sys; from pathlib import Path; d = Path(sys.argv.pop(1)); "
          "s = importlib.util.spec_from_file_location('hopqa_cli', d / '__init__.py', submodule_search_locations=[str(d)]); "
          "m = importlib.util.module_from_spec(s); sys.modules['hopqa_cli'] = m; s.loader.exec_module(m); "
          "sys.argv[0] = 'hopqa'; from hopqa_cli.main import main; main()")


# ==================================================================================================== the generator
# Runs in the worker process (`--worker gen`); numpy is imported there, not in the orchestrating process.

FUNCTION_WORDS = ("the of and in a to was is for on by with as at from that his her it an which were are be this its "
                  "after their had first also has into one two who new other not or but during between under".split())
ONSETS = "b c d f g h k l m n p r s t v w z br ch cr dr gr pl st th tr sh".split()
VOWELS = "a e i o u a e o ai ea ou io".split()
CODAS = ["", "", "", "", "", "n", "r", "s", "l", "m", "t", "nd", "rk"]
PLACE_WORDS = ("River", "Lake", "Mount", "Island", "County", "Valley", "Bay")
ORG_WORDS = ("Records", "University", "Company", "FC", "Party", "Institute", "Press")
VOCAB_SIZE = 30_000  # generated content words, after the function words
NAMES = 4_000  # capitalised name parts
PASSAGES_PER_TITLE = 3
TOPIC_WORDS = 300  # content words per topic
TOPIC_SHARE = 0.5  # share of a passage's words drawn from its topic (the rest from the whole vocabulary)
BLOCK = 5_000  # passages per generated block (each block its own seeded stream: the same bytes however it is read)
QUESTION_FORMS = ("What {0} {1} did {T} {2}?", "Which {0} of {T} {1} {2}?", "Who {0} the {1} {2} in {T}?",
                  "When was {T} {0} {1}?", "Where is the {0} {1} of {T}?")


class Generator:
    """A synthetic corpus of n passages: the vocabulary, the names and the entities depend on (seed, n) only."""

    def __init__(self, n: int, seed: int, topics: int = 500):
        import numpy as np

        self.np, self.n, self.seed = np, n, seed
        rng = np.random.default_rng([seed, 0])
        content = _pseudo_words(rng, VOCAB_SIZE, set(FUNCTION_WORDS))
        self.vocab = np.array(list(FUNCTION_WORDS) + content, dtype=object)
        self.content_from = len(FUNCTION_WORDS)
        w = 1.0 / (np.arange(len(self.vocab)) + 2.7) ** 1.0  # Zipf-Mandelbrot
        self.cdf = np.cumsum(w / w.sum())
        self.names = np.array([x.capitalize() for x in _pseudo_words(rng, NAMES, set(content))], dtype=object)
        self.entities = max(1, -(-n // PASSAGES_PER_TITLE))
        erng = np.random.default_rng([seed, 1])
        self.kind = erng.integers(0, 4, self.entities)  # person, place, organisation, work
        self.part_a = erng.integers(0, NAMES, self.entities)
        self.part_b = erng.integers(0, NAMES, self.entities)
        self.part_w = erng.integers(0, len(PLACE_WORDS), self.entities)
        self.part_c = erng.integers(self.content_from, self.content_from + 3000, self.entities)
        self.topics = topics
        if topics:
            trng = np.random.default_rng([seed, 2])
            self.topic = trng.integers(0, topics, self.entities)
            self.topic_vocab = trng.integers(self.content_from, len(self.vocab), (topics, TOPIC_WORDS))
            tw = 1.0 / (np.arange(TOPIC_WORDS) + 2.7)
            self.topic_cdf = np.cumsum(tw / tw.sum())

    def entity(self, e: int) -> str:
        a, b, k = self.names[self.part_a[e]], self.names[self.part_b[e]], self.kind[e]
        if k == 0:
            return f"{a} {b}"
        if k == 1:
            w = PLACE_WORDS[self.part_w[e]]
            return f"{w} {a}" if w in ("Lake", "Mount") else f"{a} {w}"
        if k == 2:
            return f"{a} {ORG_WORDS[self.part_w[e]]}"
        return f"The {str(self.vocab[self.part_c[e]]).capitalize()} of {b}"

    def _mention(self, rng) -> int:
        return int(min(self.entities - 1, self.entities * rng.random() ** 3))  # popular entities are mentioned more

    def block(self, stream: int, b: int) -> list[dict]:
        """Passages of block b (rows b*BLOCK ..) of a stream: 0 the corpus (titles in order), 1+ held-out passages."""
        np = self.np
        rng = np.random.default_rng([self.seed, 100 + stream, b])
        start = b * BLOCK
        count = min(BLOCK, self.n - start) if stream == 0 else BLOCK
        sents = rng.integers(2, 7, count)
        lens = rng.integers(6, 19, int(sents.sum()))
        ranks = np.minimum(np.searchsorted(self.cdf, rng.random(int(lens.sum()))), len(self.vocab) - 1)
        if stream == 0:
            ents = (start + np.arange(count)) // PASSAGES_PER_TITLE
        else:
            ents = rng.integers(0, self.entities, count)
        if self.topics:
            # Each word's passage, then its topic: TOPIC_SHARE of the words come from that topic's sub-vocabulary.
            passage_of = np.repeat(np.repeat(np.arange(count), sents), lens)
            topic_of = self.topic[ents[passage_of]]
            pick = np.minimum(np.searchsorted(self.topic_cdf, rng.random(len(ranks))), TOPIC_WORDS - 1)
            from_topic = rng.random(len(ranks)) < TOPIC_SHARE
            ranks = np.where(from_topic, self.topic_vocab[topic_of, pick], ranks)
        words = self.vocab[ranks]
        out, w, s = [], 0, 0
        for i in range(count):
            row = start + i
            e = int(ents[i])
            title = self.entity(e)
            parts = []
            for j in range(int(sents[i])):
                toks = list(words[w:w + lens[s]])
                w += int(lens[s])
                s += 1
                if rng.random() < 0.45:
                    toks.insert(int(rng.integers(len(toks) + 1)), self.entity(self._mention(rng)))
                if rng.random() < 0.2:
                    toks += ["in", str(int(rng.integers(1700, 2025)))]
                if j == 0 and (i + row) % PASSAGES_PER_TITLE == 0:
                    toks = [title, "is", "a"] + toks
                sentence = " ".join(toks)
                parts.append(sentence[0].upper() + sentence[1:] + ".")
            pid = f"syn{row:07d}" if stream == 0 else f"held{stream}-{row:07d}"
            out.append({"id": pid, "title": title, "text": " ".join(parts), "_entity": e})
        return out

    def corpus_blocks(self):
        for b in range(-(-self.n // BLOCK)):
            yield [{"id": p["id"], "title": p["title"], "text": p["text"]} for p in self.block(0, b)]

    def queries(self, count: int, stream: int) -> list[dict]:
        """Questions from held-out passages of `stream`: their title entity (one of the corpus's) and content words."""
        rng = self.np.random.default_rng([self.seed, 200 + stream])
        held = [p for b in range(-(-count // BLOCK)) for p in self.block(stream, b)][:count]
        names = {t.lower() for p in held for t in p["title"].split()}
        out = []
        for i, p in enumerate(held):
            stop = set(FUNCTION_WORDS) | names
            pool = [t for t in p["text"].lower().replace(".", " ").split() if t.isalpha() and t not in stop]
            pool = list(dict.fromkeys(pool)) or ["history"]
            picked = [pool[int(k)] for k in rng.choice(len(pool), size=3, replace=len(pool) < 3)]
            form = QUESTION_FORMS[int(rng.integers(len(QUESTION_FORMS)))]
            out.append({"id": f"q{stream}-{i:04d}", "query": form.format(*picked, T=p["title"]), "from": p["id"]})
        return out


def _pseudo_words(rng, count: int, avoid: set[str]) -> list[str]:
    """`count` distinct pronounceable words (1-3 consonant-vowel-coda syllables), shortest first."""
    out: list[str] = []
    seen = set(avoid)
    while len(out) < count:
        m = 2 * (count - len(out)) + 100
        sylls = rng.choice([1, 1, 2, 2, 2, 3], m)
        parts = [rng.integers(0, len(x), (m, 3)) for x in (ONSETS, VOWELS, CODAS)]
        for i in range(m):
            w = "".join(ONSETS[parts[0][i, j]] + VOWELS[parts[1][i, j]] + CODAS[parts[2][i, j]] for j in range(sylls[i]))
            if len(w) >= 3 and w not in seen and len(out) < count:
                seen.add(w)
                out.append(w)
    return sorted(out, key=len)  # stable: frequent (low-rank) words are the short ones, as in natural language


def write_corpus(n: int, seed: int, path: Path, topics: int = 500) -> dict:
    """Write the n-passage corpus of `seed` as JSONL (atomically), block by block. Returns its bytes and sha256."""
    gen = Generator(n, seed, topics)
    tmp = path.with_name(path.name + ".tmp")
    h, size = hashlib.sha256(), 0
    with tmp.open("wb") as fh:
        for block in gen.corpus_blocks():
            data = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in block).encode("utf-8")
            h.update(data)
            size += len(data)
            fh.write(data)
    os.replace(tmp, path)
    return {"bytes": size, "sha256": h.hexdigest(), "passages": n, "entities": gen.entities}


def write_queries(n: int, seed: int, count: int, warmup: int, path: Path, topics: int = 500) -> None:
    gen = Generator(n, seed, topics)
    data = {"queries": gen.queries(count, 1), "warmup": gen.queries(warmup, 2)}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# ==================================================================================================== worker processes


def _proc_status() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(val.split()[0]) * 1024
    return out


def _percentiles(xs: list[float]) -> dict:
    import numpy as np

    a = np.asarray(xs) * 1000.0
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "mean_ms": round(float(a.mean()), 3), "max_ms": round(float(a.max()), 3), "count": len(xs)}


def serve_worker(index: Path, queries: Path, out: Path, k: int) -> None:
    """Open the index as `hopqa ask` does and time dense, BM25 and hybrid searches over the queries."""
    t0 = time.perf_counter()
    from hopqa.config import load_config
    from hopqa.index import open_index

    import_s = time.perf_counter() - t0
    retrieval = load_config().retrieval
    t = time.perf_counter()
    idx = open_index(index)
    open_s = time.perf_counter() - t
    after_open = _proc_status()
    qs = json.loads(queries.read_text(encoding="utf-8"))

    def timed(q: str, mode: str) -> tuple[float, float, int]:
        # Each search pays its own query encoding, as a new question does: the index caches encoded queries.
        getattr(idx, "_qcache", {}).clear()
        c, t = time.process_time(), time.perf_counter()
        hits = idx.search(q, k, retrieval=retrieval, mode=mode)  # type: ignore[arg-type]
        return time.perf_counter() - t, time.process_time() - c, len(hits)

    t = time.perf_counter()
    first = {m: timed(qs["warmup"][0]["query"], m)[0] for m in MODES} if qs["warmup"] else {}
    for w in qs["warmup"][1:]:
        for m in MODES:
            timed(w["query"], m)
    warm_s = time.perf_counter() - t
    lat: dict[str, list[float]] = {m: [] for m in MODES}
    cpu: dict[str, list[float]] = {m: [] for m in MODES}
    empty = {m: 0 for m in MODES}
    load0 = os.getloadavg()
    for i, q in enumerate(qs["queries"]):
        for j in range(len(MODES)):  # rotate the order, so no mode always runs on a cache another just warmed
            m = MODES[(i + j) % len(MODES)]
            s, c, got = timed(q["query"], m)
            lat[m].append(s)
            cpu[m].append(c)
            empty[m] += got == 0
    import faiss

    result = {"import_seconds": round(import_s, 3), "open_seconds": round(open_s, 3),
              "warmup_seconds": round(warm_s, 3), "warmup_queries": len(qs["warmup"]),
              "first_query_ms": {m: round(v * 1000, 3) for m, v in first.items()},
              "latency": {m: {**_percentiles(v), "no_hits": empty[m]} for m, v in lat.items()},
              # CPU time of the process per search (all its threads): what the search costs, whatever else the
              # machine runs; wall-clock p95 on a shared core is mostly time spent waiting for it
              "cpu_time": {m: _percentiles(v) for m, v in cpu.items()},
              "loadavg": {"before": [round(x, 2) for x in load0], "after": [round(x, 2) for x in os.getloadavg()]},
              "rss_after_open": after_open, "rss_end": _proc_status(), "k": k,
              "retrieval": {"fusion": retrieval.fusion, "candidates": retrieval.candidates,
                            "dense_weight": retrieval.dense_weight, "bm25_weight": retrieval.bm25_weight},
              "faiss_threads": faiss.omp_get_max_threads(), "dense": idx.manifest["dense"]}
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def recall_worker(index: Path, queries: Path, out: Path, k: int) -> None:
    """recall@k of the index's dense search against exact search (IndexFlatIP, block by block) on the same vectors."""
    import faiss
    import numpy as np

    from hopqa.index import open_index

    idx = open_index(index, preload=False)
    qs = [q["query"] for q in json.loads(queries.read_text(encoding="utf-8"))["queries"]]
    vecs = idx.encode_queries(qs)
    t = time.perf_counter()
    ann = [idx.dense_ranking(v, k)[0] for v in vecs]
    ann_s = time.perf_counter() - t
    emb = idx.embeddings
    heap = faiss.ResultHeap(len(vecs), k, keep_max=True)
    t = time.perf_counter()
    step = 65_536
    for s in range(0, len(emb), step):
        flat = faiss.IndexFlatIP(emb.shape[1])
        flat.add(np.ascontiguousarray(emb[s:s + step], dtype=np.float32))
        d, i = flat.search(vecs, min(k, flat.ntotal))
        heap.add_result(d, np.where(i >= 0, i + s, -1))
    heap.finalize()
    exact_s = time.perf_counter() - t
    strict, tied = [], []
    for q, found, truth, tscore in zip(vecs, ann, heap.I, heap.D):
        kk = int((truth >= 0).sum())
        if kk == 0:
            continue
        strict.append(len(set(found[:kk].tolist()) & set(truth[:kk].tolist())) / kk)
        # Tie-aware: a row found counts when its exact score reaches the k-th exact score (rows with equal scores
        # are interchangeable, and the hashing encoder gives many equal scores).
        floor = float(tscore[kk - 1]) - 1e-5
        rows = np.sort(np.asarray(found[:kk], dtype=np.int64))
        exact_found = np.asarray(emb[rows], dtype=np.float32) @ q if len(rows) else np.zeros(0, np.float32)
        tied.append(min(kk, int((exact_found >= floor).sum())) / kk)
    result = {"k": k, "queries": len(strict), "recall_at_k": round(float(np.mean(strict)), 4) if strict else None,
              "recall_at_k_ties": round(float(np.mean(tied)), 4) if tied else None,
              "ann_seconds": round(ann_s, 3), "exact_seconds": round(exact_s, 3), "dense": idx.manifest["dense"]}
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def gen_worker(n: int, seed: int, corpus: Path, queries: Path, count: int, warmup: int, topics: int) -> None:
    t = time.perf_counter()
    info = write_corpus(n, seed, corpus, topics)
    info["seconds"] = round(time.perf_counter() - t, 3)
    write_queries(n, seed, count, warmup, queries, topics)
    info["rss"] = _proc_status()
    sys.stdout.write(json.dumps(info) + "\n")


# ==================================================================================================== the orchestrator
# Stays small (standard library only until every child has run): a child's ru_maxrss starts from the high-water mark
# of the process it was spawned from, so a big parent would inflate the peak RSS measured for `hopqa index build`.


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOPQA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["HOPQA_PROGRESS"] = "0"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _vmhwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_child(cmd: list[str], logbase: Path, cwd: Path) -> dict:
    """Run one child; its own rusage (os.wait4 on its pid, not RUSAGE_CHILDREN's maximum over every child so far),
    wall time, and its VmHWM polled from /proc while it runs. Exits with the child's stderr tail on failure."""
    out, err = logbase.with_name(logbase.name + ".out"), logbase.with_name(logbase.name + ".err")
    parent_hwm = _vmhwm(os.getpid())
    with out.open("w") as fo, err.open("w") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=child_env(), cwd=cwd)
        polled = 0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            polled = max(polled, _vmhwm(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err.read_text(errors="replace").strip()[-1500:]
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{tail}")
    return {"seconds": wall, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_rss_bytes": ru.ru_maxrss * 1024,
            "peak_rss_polled_vmhwm_bytes": polled, "parent_vmhwm_at_spawn_bytes": parent_hwm,
            "stdout": out.read_text(encoding="utf-8", errors="replace")}


def worker_cmd(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *args]


def file_sizes(index: Path) -> dict:
    files = {f.relative_to(index).as_posix(): f.stat().st_size for f in sorted(index.rglob("*")) if f.is_file()}
    parts = {"passages.jsonl": 0, "embeddings.npy": 0, "dense.faiss": 0, "bm25": 0, "other": 0}
    for name, size in files.items():
        key = name.split("/")[0] if name.split("/")[0] in parts else "other"
        parts[key] += size
    return {"total_bytes": sum(files.values()), "components": parts, "files": files}


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def slug(s: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in s).strip("-").lower()


def prepare_corpus(n: int, args, work: Path) -> tuple[Path, Path, dict]:
    corpus = work / f"corpus-{n}-s{args.seed}-t{args.topics}.jsonl"
    queries = work / f"queries-{n}-s{args.seed}-t{args.topics}-q{args.queries}-w{args.warmup}.json"
    meta_path = corpus.with_name(corpus.name + ".meta.json")
    params = {"generator_version": GEN_VERSION, "passages": n, "seed": args.seed, "topics": args.topics}
    meta = read_json(meta_path)
    fresh_ok = (not args.fresh and meta is not None and meta.get("params") == params and corpus.exists()
                and corpus.stat().st_size == meta["corpus"]["bytes"] and queries.exists())
    if fresh_ok:
        log(f"[{n}] corpus: reusing {corpus.name} ({meta['corpus']['bytes'] / 2**20:.1f} MiB)")
        return corpus, queries, meta
    log(f"[{n}] corpus: generating {n:,} passages (seed {args.seed})")
    r = run_child(worker_cmd("gen", "--n", str(n), "--seed", str(args.seed), "--corpus", str(corpus), "--query-file",
                             str(queries), "--queries", str(args.queries), "--warmup", str(args.warmup),
                             "--topics", str(args.topics)),
                  work / f"gen-{n}", work)
    info = json.loads(r["stdout"].strip().splitlines()[-1])
    meta = {"params": params, "corpus": info, "generation": {k: v for k, v in r.items() if k != "stdout"}}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log(f"[{n}] corpus: {info['bytes'] / 2**20:.1f} MiB in {r['seconds']:.1f} s, "
        f"peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MiB")
    return corpus, queries, meta


def build(n: int, args, work: Path, corpus: Path, meta: dict, commit: str) -> tuple[Path, dict]:
    index = work / f"index-{n}-s{args.seed}-t{args.topics}-{slug(args.model)}-{slug(args.faiss)}"
    record_path = index.with_name(index.name + ".build.json")
    rec = read_json(record_path)
    manifest = read_json(index / "manifest.json")
    if (not args.fresh and rec is not None and manifest is not None and rec.get("record_version") == RECORD_VERSION
            and rec.get("corpus_sha256") == meta["corpus"]["sha256"]
            and rec.get("model") == args.model and rec.get("faiss") == args.faiss and manifest.get("passages") == n):
        log(f"[{n}] build: reusing {index.name} (built at commit {str(rec.get('commit'))[:10]})")
        return index, {**rec, "reused": True}
    cli = ["index", "build", str(corpus), "--format", "jsonl", "--name", str(index), "--model", args.model,
           "--faiss", args.faiss, "--overwrite", "--json"] + (["--batch-size", str(args.batch_size)] if args.batch_size else [])
    cmd = [sys.executable, "-c", LAUNCH, str(ROOT / "cli"), *cli]
    log(f"[{n}] build: hopqa index build ({args.model}, --faiss {args.faiss})")
    r = run_child(cmd, work / f"build-{n}", work)
    summary = json.loads(r.pop("stdout").strip().splitlines()[-1])
    rec = {"record_version": RECORD_VERSION, **r, "passages_per_second": n / r["seconds"],
           "passages_per_cpu_second": n / max(r["cpu_seconds"], 1e-9),
           "summary": summary, "command": shlex.join(["hopqa", *cli]),
           "launched_as": f"{sys.executable} -c <load {ROOT / 'cli'} as hopqa_cli; hopqa_cli.main.main()>",
           "corpus_sha256": meta["corpus"]["sha256"], "model": args.model, "faiss": args.faiss, "commit": commit,
           "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    record_path.write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    log(f"[{n}] build: {r['seconds']:.1f} s ({n / r['seconds']:,.0f} passages/s end to end), "
        f"peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MiB")
    return index, {**rec, "reused": False}


def measure_size(n: int, args, work: Path, commit: str) -> dict:
    corpus, queries, meta = prepare_corpus(n, args, work)
    index, rec = build(n, args, work, corpus, meta, commit)
    log(f"[{n}] serving: {args.queries} queries x {len(MODES)} modes")
    res = work / f"serve-{n}.json"
    sr = run_child(worker_cmd("serve", "--index", str(index), "--query-file", str(queries), "--result", str(res),
                              "--k", str(args.k)), work / f"serve-{n}", work)
    serve = json.loads(res.read_text(encoding="utf-8"))
    log(f"[{n}] recall: ANN vs exact (IndexFlatIP)")
    res = work / f"recall-{n}.json"
    run_child(worker_cmd("recall", "--index", str(index), "--query-file", str(queries), "--result", str(res),
                         "--k", str(args.k)), work / f"recall-{n}", work)
    recall = json.loads(res.read_text(encoding="utf-8"))
    summary = rec["summary"]
    return {
        "passages": n,
        "corpus": {"path": str(corpus), **meta["corpus"], "generation_seconds": meta["generation"]["seconds"],
                   "generation_peak_rss_bytes": meta["generation"]["peak_rss_bytes"]},
        "build": {"reused": rec["reused"], "commit": rec["commit"], "date": rec["date"], "command": rec["command"],
                  "seconds": round(rec["seconds"], 3), "cpu_seconds": round(rec["cpu_seconds"], 3),
                  "passages_per_second": round(rec["passages_per_second"], 1),
                  "passages_per_cpu_second": round(rec["passages_per_cpu_second"], 1),
                  "encode_passages_per_second": summary.get("passages_per_second"),
                  "encode_seconds": summary.get("encode_seconds"), "library_seconds": summary.get("seconds"),
                  "peak_rss_bytes": rec["peak_rss_bytes"], "peak_rss_polled_vmhwm_bytes": rec["peak_rss_polled_vmhwm_bytes"],
                  "parent_vmhwm_at_spawn_bytes": rec["parent_vmhwm_at_spawn_bytes"]},
        "index": {"path": str(index), **file_sizes(index), "dense": serve["dense"]},
        "serving": {"rss_bytes": serve["rss_end"].get("VmHWM"), "rss_end": serve["rss_end"],
                    "rss_after_open": serve["rss_after_open"], "process_peak_rss_bytes": sr["peak_rss_bytes"],
                    **{k: serve[k] for k in ("import_seconds", "open_seconds", "warmup_queries", "warmup_seconds",
                                             "first_query_ms", "latency", "cpu_time", "loadavg", "k", "retrieval",
                                             "faiss_threads")}},
        "recall": recall,
    }


def target_checks(r: dict, args) -> list[dict]:
    n, lat = r["passages"], r["serving"]["latency"]
    static = args.model.lower().startswith(("static", "model2vec"))
    rows = [("hybrid_p50_ms", lat["hybrid"]["p50_ms"], "<=", True),
            ("hybrid_p95_ms", lat["hybrid"]["p95_ms"], "<=", True),
            ("serving_rss_bytes", r["serving"]["rss_bytes"], "<=", True),
            ("ann_recall_at_10", r["recall"]["recall_at_k"], ">=", True),
            ("build_passages_per_second", r["build"]["passages_per_second"], ">=", static)]
    out = []
    for name, value, op, encoder_applies in rows:
        t = TARGETS[name]
        met = None if value is None else (value <= t if op == "<=" else value >= t)
        out.append({"name": name, "value": value, "op": op, "target": t, "met": met,
                    "applies": n >= TARGET_SIZE and encoder_applies})
    return out


def table(results: list[dict]) -> str:
    mib = 2**20
    head = ("| passages | build p/s (per CPU s) | build peak RSS | index on disk | serving RSS | dense p50/p95 ms | "
            "BM25 p50/p95 ms | hybrid p50/p95 ms | hybrid CPU p50/p95 ms | ANN recall@10 (ties) [calibration] | FAISS |")
    lines = [head, "|" + "---:|" * 10 + "---|"]
    for r in results:
        lat, d = r["serving"]["latency"], r["index"]["dense"]
        lines.append(
            f"| {r['passages']:,} | {r['build']['passages_per_second']:,.0f} ({r['build']['passages_per_cpu_second']:,.0f}) "
            f"| {r['build']['peak_rss_bytes'] / mib:,.0f} MiB "
            f"| {r['index']['total_bytes'] / mib:,.1f} MiB | {r['serving']['rss_bytes'] / mib:,.0f} MiB | "
            + " | ".join(f"{lat[m]['p50_ms']:.1f} / {lat[m]['p95_ms']:.1f}" for m in MODES)
            + f" | {r['serving']['cpu_time']['hybrid']['p50_ms']:.1f} / {r['serving']['cpu_time']['hybrid']['p95_ms']:.1f}"
            + f" | {r['recall']['recall_at_k']:.3f} ({r['recall']['recall_at_k_ties']:.3f})"
            + (f" [{d['calibration']['recall_at_10']:.3f}]" if d.get("calibration") else "") + " "
            f"| {d['faiss_factory']}{', nprobe ' + str(d['nprobe']) if 'nprobe' in d else ''} |")
    lines.append("")
    lines.append(f"Targets (at {TARGET_SIZE:,} passages): hybrid p50 <= {TARGETS['hybrid_p50_ms']:.0f} ms, p95 <= "
                 f"{TARGETS['hybrid_p95_ms']:.0f} ms, serving RSS <= {TARGETS['serving_rss_bytes'] / 1e9:.0f} GB, "
                 f"ANN recall@10 >= {TARGETS['ann_recall_at_10']}, static-encoder build >= "
                 f"{TARGETS['build_passages_per_second']:,.0f} passages/s")
    lines.append("Latency is wall clock per search, query encoding included; CPU is the serving process's CPU time "
                 "per search (the two differ when other processes share the cores).")
    for r in results:
        marks = ", ".join(f"{c['name']} {'met' if c['met'] else 'NOT met'}" + ("" if c["applies"] else " (reference)")
                          for c in r["targets"] if c["met"] is not None)
        lines.append(f"- {r['passages']:,}: {marks}")
    return "\n".join(lines)


def parse_sizes(s: str) -> list[int]:
    out = []
    for part in s.split(","):
        p = part.strip().lower().replace("_", "")
        mult = 1_000_000 if p.endswith("m") else 1000 if p.endswith("k") else 1
        try:
            v = int(float(p.rstrip("mk")) * mult)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad size '{part}': give passages, e.g. 10000,100k,1M") from None
        if v < 10:
            raise argparse.ArgumentTypeError(f"bad size '{part}': at least 10 passages")
        out.append(v)
    return out


def worker_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench_scale.py --worker")
    ap.add_argument("--worker", choices=["gen", "serve", "recall"], required=True)
    ap.add_argument("--n", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--query-file", type=Path)
    ap.add_argument("--queries", type=int)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--topics", type=int, default=500)
    ap.add_argument("--index", type=Path)
    ap.add_argument("--result", type=Path)
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args(argv)
    if a.worker == "gen":
        gen_worker(a.n, a.seed, a.corpus, a.query_file, a.queries, a.warmup, a.topics)
    elif a.worker == "serve":
        serve_worker(a.index, a.query_file, a.result, a.k)
    else:
        recall_worker(a.index, a.query_file, a.result, a.k)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--worker" in argv:
        return worker_main(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10000,100000,1000000"),
                    help="Corpus sizes in passages, comma-separated (10k, 1M accepted; default %(default)s).")
    ap.add_argument("--encoder", default="static:minilm",
                    help="'hashing' (hash:DIM, model-free) or any `hopqa index build --model` value (default %(default)s).")
    ap.add_argument("--dim", type=int, default=384, help="Dimension of the hashing encoder (default %(default)s, MiniLM's).")
    ap.add_argument("--faiss", default="auto", help="`hopqa index build --faiss` (default %(default)s).")
    ap.add_argument("--batch-size", type=int, default=None, help="`hopqa index build --batch-size` (default: hopqa's).")
    ap.add_argument("--seed", type=int, default=0, help="Generator seed (default %(default)s).")
    ap.add_argument("--topics", type=int, default=500,
                    help="Topics of the generated corpus (default %(default)s; 0: no topic structure, a stress case).")
    ap.add_argument("--queries", type=int, default=200, help="Timed queries (default %(default)s).")
    ap.add_argument("--warmup", type=int, default=20, help="Separate warm-up queries before timing (default %(default)s).")
    ap.add_argument("--k", type=int, default=10, help="Passages per search and the recall@k cut-off (default %(default)s).")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="Corpora, queries, indexes, logs (default %(default)s).")
    ap.add_argument("--fresh", action="store_true", help="Regenerate corpora and rebuild indexes even when cached.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file (default %(default)s).")
    args = ap.parse_args(argv)
    args.model = f"hash:{args.dim}" if args.encoder == "hashing" else args.encoder
    command = shlex.join([sys.executable, sys.argv[0] if sys.argv and sys.argv[0] else __file__, *argv])
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    commit = git(["rev-parse", "HEAD"]) or "unknown"
    dirty = bool(git(["status", "--porcelain", "--untracked-files=no", "--", "hopqa", "cli", "pyproject.toml"]))
    load0 = loadavg()
    results = []
    for n in args.sizes:
        r = measure_size(n, args, work, commit + ("-dirty" if dirty else ""))
        r["targets"] = target_checks(r, args)
        results.append(r)
    sys.path.insert(0, str(ROOT))
    from hopqa.provenance import machine

    at_target = [c for r in results for c in r["targets"] if c["applies"]]
    report = {
        "benchmark": "scale", "issue": 12,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command, "commit": commit, "dirty": dirty,
        "machine": {**machine(), "loadavg_before": load0,
                    "loadavg_after": loadavg()},
        "settings": {"encoder": args.encoder, "model": args.model, "faiss": args.faiss, "seed": args.seed,
                     "topics": args.topics,
                     "queries": args.queries, "warmup": args.warmup, "k": args.k, "generator_version": GEN_VERSION,
                     "work": str(work)},
        "targets": {"at_passages": TARGET_SIZE, **TARGETS},
        "targets_met": all(c["met"] for c in at_target) if at_target else None,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    m = report["machine"]
    print(f"### Scale benchmark ({report['date'][:10]}, commit {commit[:10]}{' + local changes' if dirty else ''}), "
          f"encoder {args.model}, FAISS {args.faiss}, {args.queries} queries, k={args.k}")
    print(f"machine: {m.get('cpu')}, {m.get('cores')} cores ({m['cores_usable']} usable), {m.get('ram_gib')} GiB RAM\n")
    print(table(results))
    print(f"\nresults written to {args.out}", file=sys.stderr)
    print(json.dumps(summary_line(report, args.out)))
    return 0


def summary_line(report: dict, out: Path) -> dict:
    def brief(r: dict) -> dict:
        lat = r["serving"]["latency"]
        return {"build_passages_per_second": r["build"]["passages_per_second"],
                "build_passages_per_cpu_second": r["build"]["passages_per_cpu_second"],
                "build_peak_rss_bytes": r["build"]["peak_rss_bytes"], "index_bytes": r["index"]["total_bytes"],
                "index_components_bytes": r["index"]["components"], "serving_rss_bytes": r["serving"]["rss_bytes"],
                **{f"{m}_{p}": lat[m][f"{p}_ms"] for m in MODES for p in ("p50", "p95")},
                **{f"{m}_cpu_{p}": r["serving"]["cpu_time"][m][f"{p}_ms"] for m in MODES for p in ("p50", "p95")},
                "ann_recall_at_10": r["recall"]["recall_at_k"], "ann_recall_at_10_ties": r["recall"]["recall_at_k_ties"],
                "ann_recall_at_10_calibration": (r["index"]["dense"].get("calibration") or {}).get("recall_at_10"),
                "faiss_factory": r["index"]["dense"]["faiss_factory"], "nprobe": r["index"]["dense"].get("nprobe"),
                "build_reused": r["build"]["reused"]}

    return {"benchmark": "scale", "out": str(out), "commit": report["commit"], "model": report["settings"]["model"],
            "sizes": [r["passages"] for r in report["results"]], "targets_met": report["targets_met"],
            "results": {str(r["passages"]): brief(r) for r in report["results"]}}


def git(args: list[str]) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
