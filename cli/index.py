"""`hopqa index`: build, extend and inspect named hybrid indexes."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from hopqa import (CorpusSource, InputError, add_to_index, build_index, demo_corpus, encoding_engine, index_info,
                   list_indexes, load_config, resolve_index_path)

from ._choices import CorpusFormat, Engine
from ._ui import boundary, err, out, print_json, progress_bar

app = typer.Typer(help="Build, extend and inspect hybrid (FAISS + BM25) indexes.", no_args_is_help=True)

def _sources(paths: list[Path], fmt: CorpusFormat, id_field: str, title_field: str, text_field: str) -> list[CorpusSource]:
    return [CorpusSource(str(p), fmt.value, id_field, title_field, text_field) for p in paths]  # type: ignore[arg-type]


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.1f} TiB"


def _summary(s, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(s.to_dict())
        return
    err.print(f"[green]{verb}[/] index [bold]{s.name}[/] at {s.path}: {s.passages} passages "
              f"({s.added} new, {s.skipped_duplicates} duplicates skipped, {s.resumed_passages} resumed), "
              f"model {s.model} ({s.dim}-d), {s.seconds:.1f}s, {s.passages_per_second:,.0f} passages/s encoded, "
              f"{_human(s.size_bytes)} on disk")


@app.command("build")
def build(
    corpus: List[Path] = typer.Argument(None, help="Corpus files or folders (JSONL/JSON, MuSiQue, HotpotQA/2Wiki, .txt/.md folder)."),
    name: str = typer.Option(..., "--name", "-n", help="Index name (a folder under the index root) or a path."),
    demo: bool = typer.Option(False, "--demo", help="Index the bundled demo corpus."),
    fmt: CorpusFormat = typer.Option(CorpusFormat.auto, "--format", "-f", help="Input format."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="sentence-transformers model name or local path (default all-MiniLM-L6-v2, bundled); 'hash:256' for the offline test encoder."),
    faiss_factory: Optional[str] = typer.Option(None, "--faiss", help="FAISS index: auto (default: exact Flat below 100k passages, else IVF{4*sqrt(n)},SQ8 with nprobe calibrated for recall@10 >= 0.95) or a FAISS factory string (Flat, HNSW32, IVF1024,PQ48, ...)."),
    id_field: str = typer.Option("id", help="JSON field holding the passage id."),
    title_field: str = typer.Option("title", help="JSON field holding the title."),
    text_field: str = typer.Option("text", help="JSON field holding the text."),
    batch_size: Optional[int] = typer.Option(None, help="Encoder batch size."),
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR", help="Where named indexes live."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing index (atomically)."),
    as_json: bool = typer.Option(False, "--json", help="Print the build summary as JSON on stdout."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (TOML)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local (this process) or ray (Ray Data actors; a local Ray instance unless RAY_ADDRESS is set)."),
) -> None:
    """Build an index.

    Examples:\n
      hopqa index build --demo --name demo\n
      hopqa index build data/musique_ans_dev.jsonl --name musique\n
      hopqa index build notes/ --name notes --model /models/bge-small-en\n
      hopqa index build docs.jsonl --name docs --text-field body --faiss HNSW32
    """
    with boundary():
        paths = list(corpus or []) + ([demo_corpus()] if demo else [])
        if not paths:
            raise InputError("give at least one corpus file or folder (or --demo)")
        cfg = load_config(config, {"index": {"model": model, "faiss_factory": faiss_factory, "batch_size": batch_size}})
        strategy = encoding_engine(engine.value, cfg.index.model)
        with progress_bar("encoding", "passages") as progress:
            s = build_index(_sources(paths, fmt, id_field, title_field, text_field), resolve_index_path(name, index_dir),
                            config=cfg.index, overwrite=overwrite, progress=progress, engine=strategy)
        _summary(s, as_json, "built")


@app.command("add")
def add(
    corpus: List[Path] = typer.Argument(..., help="Corpus files or folders to append."),
    name: str = typer.Option(..., "--name", "-n", help="Index name or path."),
    fmt: CorpusFormat = typer.Option(CorpusFormat.auto, "--format", "-f", help="Input format."),
    id_field: str = typer.Option("id"), title_field: str = typer.Option("title"), text_field: str = typer.Option("text"),
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Append passages to an index: only new passages are encoded; duplicates are skipped.

    Example: hopqa index add more.jsonl --name docs
    """
    with boundary():
        with progress_bar("encoding", "passages") as progress:
            s = add_to_index(resolve_index_path(name, index_dir), _sources(corpus, fmt, id_field, title_field, text_field),
                             progress=progress)
        _summary(s, as_json, "extended")


@app.command("info")
def info(
    name: str = typer.Argument(..., help="Index name or path."),
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR"),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest (plus path and size) as JSON."),
) -> None:
    """Show an index's manifest. Example: hopqa index info demo --json"""
    with boundary():
        d = index_info(name, index_dir)
        if as_json:
            print_json(d)
            return
        t = Table(show_header=False, box=None)
        for k in ("name", "path", "passages", "corpus_fingerprint", "created", "updated"):
            t.add_row(k, str(d.get(k)))
        t.add_row("encoder", f"{d['encoder']['name']} ({d['encoder']['dim']}-d, normalised)")
        dn, mem = d["dense"], d["memory"]
        search = ", ".join(f"{k}={dn[k]}" for k in ("nprobe", "efSearch", "rerank") if k in dn)
        cal = dn.get("calibration")
        t.add_row("dense", f"FAISS {dn['faiss_factory']} (inner product"
                  + (f", {search}" if search else "")
                  + (f", recall@10 {cal['recall_at_10']} vs exact on {cal.get('queries')} calibration queries" if cal else "")
                  + (", chosen by auto" if dn.get("requested") == "auto" else "") + ")")
        t.add_row("memory", f"~{_human(mem['resident_bytes'])} resident (dense index "
                  f"{_human(mem['dense_index_bytes'] or 0)}, passages {_human(mem['passages_bytes'])}), "
                  f"{_human(mem['mapped_bytes'])} memory-mapped (embeddings, BM25)")
        t.add_row("bm25", f"bm25s {d['bm25']['method']} k1={d['bm25']['k1']} b={d['bm25']['b']}")
        t.add_row("disk", _human(d["size_bytes"]))
        t.add_row("versions", ", ".join(f"{k} {v}" for k, v in d["versions"].items()))
        out.print(t)


@app.command("list")
def list_(
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR"),
    as_json: bool = typer.Option(False, "--json", help="A JSON array on stdout."),
) -> None:
    """List the indexes under the index root. Example: hopqa index list --json"""
    with boundary():
        rows = list_indexes(index_dir)
        if as_json:
            print_json(rows)
            return
        if not rows:
            err.print("no indexes yet: hopqa index build --demo --name demo")
            return
        t = Table("name", "passages", "model", "faiss", "size", "updated")
        for r in rows:
            if r["ok"]:
                t.add_row(r["name"], str(r["passages"]), r["model"], r["faiss_factory"], _human(r["size_bytes"]), r["updated"] or "")
            else:
                t.add_row(r["name"], "-", "[red]unreadable[/]", "", "", r["error"][:60])
        out.print(t)
