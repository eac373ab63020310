"""Feed imports that run in the background: started by one request, followed by others.

A feed can take minutes to fetch and write, longer than a caller should hold a request
open (and a request that is given up on should not stop the import half way). So the API
starts a job and answers at once with its id; the job takes the database's feed-import lock
before the start is answered, so that a second import is refused right away, and reports
how far it has got until it is done or has failed. Jobs live in the serving process; the
last :data:`KEPT_JOBS` finished ones can still be asked about.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime

from recoms.errors import NotFound, RecomsError
from recoms.service.reports import ImportReport

log = logging.getLogger(__name__)

KEPT_JOBS = 20
STOPPED = "the import was stopped: the server shut down"
FAILED = "the import failed; the server's log says why"


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class FeedJob:
    """One feed import: its progress while it runs, then its report or its error.

    ``source`` is the feed as logs may show it (a URL without its credentials or query).
    ``received_bytes`` counts the bytes fetched from a URL; ``items`` the feed items
    written so far."""

    id: str
    source: str
    started_at: datetime
    state: JobState = JobState.RUNNING
    received_bytes: int = 0
    items: int = 0
    finished_at: datetime | None = None
    report: ImportReport | None = None
    error: str | None = None

    def received(self, count: int) -> None:
        self.received_bytes += count

    def wrote(self, count: int) -> None:
        self.items += count


Work = Callable[[FeedJob], Awaitable[ImportReport]]
"""What a job runs, given the job to report its progress to."""


@dataclass
class FeedJobs:
    """The feed imports of one service: the running one and the last finished ones."""

    clock: Callable[[], datetime]
    _jobs: dict[str, FeedJob] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(
        self,
        source: str,
        work: Work,
        *,
        lock: AbstractAsyncContextManager[None],
        cleanup: Callable[[], None] | None = None,
    ) -> FeedJob:
        """Start ``work`` under ``lock`` and return its job once the lock is held.

        Whatever taking the lock raises (``Busy`` when another import holds it) is raised
        here, and the job does not start. ``cleanup`` runs when the job ends, or at once
        when it could not start."""
        job = FeedJob(id=secrets.token_urlsafe(12), source=source, started_at=self.clock())
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._run(job, work, lock, started, cleanup))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await started
        return job

    def get(self, job_id: str) -> FeedJob:
        """Raises ``NotFound`` for a job this service did not start or no longer keeps."""
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound("feed import", job_id[:40])
        return job

    async def close(self) -> None:
        """Stop the running jobs (their written batches stay) and wait for them to end."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _keep(self, job: FeedJob) -> None:
        self._jobs[job.id] = job
        finished = [key for key, kept in self._jobs.items() if kept.state is not JobState.RUNNING]
        for key in finished[: max(0, len(finished) - KEPT_JOBS)]:
            del self._jobs[key]

    async def _run(
        self,
        job: FeedJob,
        work: Work,
        lock: AbstractAsyncContextManager[None],
        started: asyncio.Future[None],
        cleanup: Callable[[], None] | None,
    ) -> None:
        try:
            async with lock:
                self._keep(job)
                if not started.done():  # the caller may have given up waiting
                    started.set_result(None)
                job.report = await work(job)
                job.state = JobState.DONE
        except asyncio.CancelledError:
            job.state, job.error = JobState.FAILED, STOPPED
            if not started.done():
                started.cancel()
            raise
        except Exception as error:
            if not started.done():
                started.set_exception(error)
                return
            job.state = JobState.FAILED
            if isinstance(error, RecomsError):
                job.error = error.message
            else:
                log.exception("feed import %s from %s failed", job.id, job.source)
                job.error = FAILED
        finally:
            job.finished_at = self.clock()
            if cleanup is not None:
                cleanup()
