"""How a long lab job reports: one protocol, and where its reports go (a log, a tqdm bar in a
command, a Job row in a Celery task)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

logger = logging.getLogger(__name__)
Item = TypeVar("Item")


class Progress(Protocol):
    def start(self, total: int, description: str) -> None:
        """A phase begins: `total` units of work."""

    def advance(self, n: int = 1, **figures: float) -> None:
        """n more units done; figures (a loss, say) describe where it stands."""

    def log(self, line: str) -> None: ...


def tracked(items: Iterable[Item], progress: Progress, description: str) -> Iterator[Item]:
    """The items, one phase of progress: advanced after each."""
    items = list(items)
    progress.start(len(items), description)
    for item in items:
        yield item
        progress.advance()


class SilentProgress:
    """Lines go to the log; counts nowhere."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, n: int = 1, **figures: float) -> None:
        pass

    def log(self, line: str) -> None:
        logger.info(line)


class TqdmProgress:
    """A bar per phase on the terminal (management commands); lines written above it."""

    def __init__(self, stdout, *, disable: bool = False) -> None:
        self.stdout, self.disable = stdout, disable
        self.bar = None

    def start(self, total: int, description: str) -> None:
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(
            total=total, desc=description, unit="step", dynamic_ncols=True, disable=self.disable
        )

    def advance(self, n: int = 1, **figures: float) -> None:
        if self.bar is not None:
            self.bar.update(n)
            if figures:
                self.bar.set_postfix(figures, refresh=False)

    def log(self, line: str) -> None:
        if self.disable:
            return
        (self.bar.write if self.bar is not None else self.stdout.write)(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class JobProgress:
    """Progress on a Job row: each phase restarts done/total (the job page times the phase
    for its rate and time left); the log keeps phases. A cancelled job raises JobCancelled
    from `advance`, checked at most every `cancel_check_seconds`."""

    def __init__(self, job_id: int, *, cancel_check_seconds: float = 2.0) -> None:
        self.job_id = job_id
        self.cancel_check_seconds = cancel_check_seconds
        self._checked_at = time.monotonic()

    def start(self, total: int, description: str) -> None:
        from jobs.services import job_log, job_start_phase

        job_start_phase(job_id=self.job_id, name=description, total=total)
        job_log(job_id=self.job_id, line=f"{description} ({total})")
        self._stop_if_cancelled()

    def advance(self, n: int = 1, **figures: float) -> None:
        from jobs.services import job_advance

        job_advance(job_id=self.job_id, done=n)
        if time.monotonic() - self._checked_at >= self.cancel_check_seconds:
            self._stop_if_cancelled()

    def _stop_if_cancelled(self) -> None:
        from jobs.services import JobCancelled, job_is_cancelled

        self._checked_at = time.monotonic()
        if job_is_cancelled(job_id=self.job_id):
            raise JobCancelled(f"job #{self.job_id} was cancelled")

    def log(self, line: str) -> None:
        from jobs.services import job_log

        job_log(job_id=self.job_id, line=line)
