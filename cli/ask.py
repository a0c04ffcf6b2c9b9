"""`hopqa ask`: answer a question that needs several documents, showing the evidence chain hop by hop."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.panel import Panel
from rich.table import Table

from hopqa import Asker, InputError, describe_fsm, load_config, open_index, read_questions, resolve_index_path

from ._choices import PolicyName, ReaderKind
from ._ui import boundary, err, out, print_json


def render(answer, verbose: bool) -> None:
    style = "green" if answer.answerable else "yellow"
    out.print(Panel(f"[bold]{answer.answer}[/]   (confidence {answer.confidence:.2f})", title=answer.question,
                    border_style=style, expand=False))
    if not answer.answerable and answer.guess:
        out.print(f"[yellow]best guess, not supported by the evidence:[/] {answer.guess}", highlight=False)
    if answer.sub_questions:
        out.print("[bold]decomposition:[/] " + "  →  ".join(answer.sub_questions))
    for hop in answer.hops:
        out.print(f"\n[bold cyan]hop {hop.hop}[/] [dim]{hop.state}[/]"
                  + (f"  sub-question: [italic]{hop.sub_question}[/]" if hop.sub_question else "")
                  + (f"  → [bold]{hop.sub_answer}[/]" if hop.sub_answer else ""))
        out.print(f"  query: {hop.query}", highlight=False)
        t = Table(show_header=True, box=None, padding=(0, 1))
        t.add_column("#", justify="right")
        t.add_column("score", justify="right")
        t.add_column("title")
        t.add_column("id", style="dim")
        for i, h in enumerate(hop.hits[: (10 if verbose else 3)], 1):
            t.add_row(str(i), f"{h.score:.3f}", h.title, h.id)
        out.print(t)
        for f in hop.facts:
            out.print(f"  [green]fact[/] [dim]({f.title})[/] {f.text}", highlight=False)
    if answer.evidence:
        out.print("\n[bold]evidence chain:[/] " + "  →  ".join(f"{h.title} [dim]({h.id})[/]" for h in answer.evidence))
    out.print("[dim]" + " → ".join([answer.transitions[0].source] + [t.target for t in answer.transitions]) + "[/]"
              if answer.transitions else "")
    tm = answer.timings
    extra = f", LLM calls {answer.usage.get('calls')}" if answer.usage.get("calls") else ""
    rd = answer.usage.get("reader") or {}
    if rd.get("calls"):
        extra += f", reader {rd.get('model')}: {rd['calls']} calls, {1000 * tm.get('reader_seconds', 0):.0f} ms"
    if tm.get("model_load_seconds"):
        extra += f", model load {tm['model_load_seconds']:.1f} s"
    out.print(f"[dim]{1000 * tm.get('total_seconds', 0):.0f} ms total, {1000 * tm.get('retrieval_seconds', 0):.0f} ms "
              f"retrieval, {len(answer.hops)} hops{extra}[/]")


def ask(
    question: Optional[str] = typer.Argument(None, help="The question, or '-' to read questions from stdin (one per line)."),
    index: Optional[str] = typer.Option(None, "--index", "-i", envvar="HOPQA_INDEX", help="Index name or path."),
    questions: Optional[Path] = typer.Option(None, "--questions", "-q", help="File of questions (one per line, or JSONL with 'question'); one JSON line out per question."),
    max_hops: Optional[int] = typer.Option(None, "--max-hops", help="Hop budget (default 4); 1 = single-shot retrieval."),
    k: Optional[int] = typer.Option(None, "--k", help="Passages retrieved per hop."),
    policy: PolicyName = typer.Option(PolicyName.local, "--policy", help="local (offline rules, no LLM) or llm (any OpenAI-compatible endpoint)."),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", envvar="HOPQA_LLM_URL", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", envvar="HOPQA_LLM_MODEL", help="Model name at that endpoint."),
    reader: Optional[ReaderKind] = typer.Option(None, "--reader", envvar="HOPQA_READER", help="auto (default: the embedded language model if installed), lm, or rules (fast, no model)."),
    lm_model: Optional[str] = typer.Option(None, "--lm-model", envvar="HOPQA_LM_MODEL", help="Reader model: 'embedded' (default: 'large', Qwen2.5-Coder-1.5B), 'small' (0.5B, faster), a .gguf path, or 'endpoint' (the --llm-url/--llm-model endpoint)."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON (the schema in the README)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show 10 passages per hop instead of 3."),
    show_fsm: bool = typer.Option(False, "--show-fsm", help="Print the state machine's transition table and exit."),
    index_dir: Optional[Path] = typer.Option(None, "--index-dir", envvar="HOPQA_INDEX_DIR"),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (TOML)."),
) -> None:
    """Answer a multi-hop question from an index.

    Examples:\n
      hopqa ask --index demo "Where was the composer of Tidewater Suite born?"\n
      hopqa ask --index demo --json "..." | jq .answer\n
      hopqa ask --index wiki --questions questions.txt > answers.jsonl\n
      hopqa ask --index wiki --policy llm --llm-url http://localhost:11434/v1 --llm-model qwen2.5 "..."\n
      hopqa ask --show-fsm
    """
    with boundary():
        if show_fsm:
            out.print(describe_fsm(), highlight=False)
            return
        if questions is not None:
            qs, many = read_questions(questions), True
        elif question == "-":
            qs, many = read_questions("-"), True
        elif question is not None:
            qs, many = [question], False
        else:
            raise InputError("give a question (or '-' for stdin, or --questions FILE)")
        if not any(q.strip() for q in qs):
            raise InputError("empty question")
        if not index:
            raise InputError("no index: give --index NAME (or set HOPQA_INDEX); build one with `hopqa index build`")
        cfg = load_config(config, {"hops": {"max_hops": max_hops, "k": k}, "llm": {"url": llm_url, "model": llm_model},
                                   "reader": {"kind": reader and reader.value, "model": lm_model}})
        if policy is PolicyName.llm and not cfg.llm.url:
            raise InputError("--policy llm needs --llm-url (or HOPQA_LLM_URL, or [llm] url in the config file)")
        asker = Asker(open_index(resolve_index_path(index, index_dir)), cfg, policy.value)
        if asker.notice:
            err.print(asker.notice, highlight=False)
        for q in qs:
            answer = asker.ask(q)
            if as_json or many:
                print_json(answer.to_dict())
            else:
                render(answer, verbose)
