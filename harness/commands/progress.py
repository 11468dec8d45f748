"""Progress of the suite while it runs: a bar on a terminal, plain lines in a log (CI), nothing with `-q`."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LINE_STEP_PERCENT = 10  # a plain progress line each time this share of the scenarios more has finished


class SuiteProgress(Protocol):
    def __enter__(self) -> SuiteProgress: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def update(self, collected: int | None, finished: int) -> None: ...


class Silent:
    def __enter__(self) -> Silent:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def update(self, collected: int | None, finished: int) -> None:
        return None


class Bar:
    """rich's live bar, for a terminal."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]scenarios"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("run", total=None)

    def __enter__(self) -> Bar:
        self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def update(self, collected: int | None, finished: int) -> None:
        self._progress.update(self._task, total=collected, completed=finished)


class Lines:
    """One plain line per step of `LINE_STEP_PERCENT`, for a log that is not a terminal."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._started = time.monotonic()
        self._collected: int | None = None
        self._step = -1

    def __enter__(self) -> Lines:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def update(self, collected: int | None, finished: int) -> None:
        if not collected:
            return
        if collected != self._collected:
            self._collected = collected
            self._line(f"scenarios: {collected} collected")
        step = min(finished, collected) * 100 // collected // LINE_STEP_PERCENT
        if step > self._step and finished:
            self._step = step
            self._line(f"scenarios: {finished}/{collected} finished ({finished * 100 // collected}%)")

    def _line(self, text: str) -> None:
        elapsed = int(time.monotonic() - self._started)
        self._console.print(f"{text}  [{elapsed // 60}:{elapsed % 60:02d}]", markup=False, highlight=False)


def progress_for(console: Console, verbosity: int) -> SuiteProgress:
    """The progress display that suits the console: none when quiet, a bar on a terminal, else plain lines."""
    if verbosity < 0:
        return Silent()
    if console.is_terminal:
        return Bar(console)
    return Lines(console)
