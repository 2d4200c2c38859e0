"""Progress bars for long work at a terminal; nothing at all when output goes to a file or a log (plain logs then)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, TextIO

_CURRENT: ContextVar[Any] = ContextVar("eea_progress", default=None)


def wanted(stream: TextIO | None = None) -> bool:
    """A bar only at an interactive terminal, and never when EEA_NO_PROGRESS is set."""
    stream = stream or sys.stderr
    return stream.isatty() and not os.environ.get("EEA_NO_PROGRESS")


@contextlib.contextmanager
def progress(total: int, description: str, stream: TextIO | None = None, force: bool = False) -> Iterator[None]:
    """Show one bar of `total` steps while the block runs; `step()` inside it advances the bar."""
    if not (force or wanted(stream)):
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream or sys.stderr, force_terminal=force or None)
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[step]}"), console=console, transient=False,
    )  # fmt: skip
    with bar:
        task = bar.add_task(description, total=total, step="")
        token = _CURRENT.set((bar, task))
        try:
            yield
        finally:
            _CURRENT.reset(token)


def step(label: str) -> None:
    """One step of the work under way is done (no-op without a bar)."""
    current = _CURRENT.get()
    if current is not None:
        bar, task = current
        bar.update(task, advance=1, step=label)
