"""Shared bits of the CLI: consoles, the error boundary, the progress bar."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from hopqa import HopQAError

out = Console(soft_wrap=True)
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def boundary() -> Iterator[None]:
    """Library errors become one line on stderr and an exit code; no traceback unless HOPQA_DEBUG=1."""
    try:
        yield
    except HopQAError as e:
        if os.environ.get("HOPQA_DEBUG") == "1":
            raise
        fail(str(e).replace("[", r"\["), e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: finished work is kept (rerun `hopqa index build` as it was, or `hopqa eval` with --resume)")
        raise typer.Exit(130)
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as e:  # a bug: still one line, the traceback on demand
        if os.environ.get("HOPQA_DEBUG") == "1":
            raise
        fail(f"internal error: {type(e).__name__}: {str(e)[:200]} (rerun with HOPQA_DEBUG=1 for the traceback)", 70)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(label: str, unit: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields a callback(done, total)."""
    if not enabled or not err.is_terminal and os.environ.get("HOPQA_PROGRESS") != "1":
        yield lambda done, total: None
        return
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                  TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=err, transient=False) as prog:
        task = prog.add_task(label, total=None, rate="")

        def update(done: int, total: int) -> None:
            t = prog.tasks[0]
            elapsed = t.elapsed or 0.0
            rate = f"{done / elapsed:,.0f} {unit}/s" if elapsed > 0 and done else ""
            prog.update(task, completed=done, total=total, rate=rate)

        yield update
