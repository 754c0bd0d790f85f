"""Progress of long work (a bar, or a spinner with the time spent) on stderr only when it is a
terminal; stdout stays clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from traceapi.cli.common import console_err

ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as work advances; total may grow while the work runs."""


@contextmanager
def progress_bar(description: str, *, total: int | None = None) -> Iterator[ProgressCallback]:
    """Yields a ``(done, total)`` callback that moves a rich bar on stderr.

    When stderr is not a terminal (pipes, CI, tests) nothing is drawn and the callback is a
    no-op, so machine-readable output and logs stay free of escape codes.
    """
    if not console_err.is_terminal:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    # rich would otherwise catch stdout while the bar is drawn and print it on stderr
    with Progress(
        *columns,
        console=console_err,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, new_total: int) -> None:
            bar.update(task, completed=done, total=max(new_total, done))

        yield update


@contextmanager
def working(description: str) -> Iterator[None]:
    """A spinner with the time spent on stderr, for work that cannot say how far it is (a
    terminal only, as ``progress_bar``)."""
    if not console_err.is_terminal:
        yield
        return
    columns = (SpinnerColumn(), TextColumn(description), TimeElapsedColumn())
    with Progress(
        *columns,
        console=console_err,
        transient=False,
        redirect_stdout=False,  # as in progress_bar
        redirect_stderr=False,
    ) as spinner:
        task = spinner.add_task(description, total=None)
        try:
            yield
        finally:
            spinner.update(task, total=1, completed=1)
