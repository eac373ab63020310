"""Tracker events written a group at a time (group commit): the events that arrive while one
transaction runs are written together in the next, so a busy tracker costs one commit per
group instead of one per event.

Each caller is answered once its own event is committed (durable, as before), or with the
error that event alone raises: a group that fails is written again one event at a time, so a
bad event never takes the others of its group down. Nothing waits for a group to fill: an
idle queue writes the first event at once, and groups form only while a write is running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.importing.events import TrackerEvent
from recoms.service.answers import Change
from recoms.service.batches import write
from recoms.service.contacts import Identifiers
from recoms.service.freshness import Freshness
from recoms.service.reports import ImportReport
from recoms.service.tracking import EventRecorder
from recoms.storage.database import Database

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
"""Events waiting to be written; a caller finding the queue full waits for room, so a flood
slows the callers down instead of growing memory."""
GROUP_LIMIT = 1_000
"""Events written in one transaction at most: a short transaction, so that other writers (an
import, a rebuild's snapshot) are not held up."""


@dataclass(eq=False)
class _Pending:
    event: TrackerEvent
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EventQueue:
    """Writes tracker events in groups, one group at a time, on the loop of its first use."""

    def __init__(self, database: Database, identifiers: Identifiers, freshness: Freshness) -> None:
        self._database = database
        self._identifiers = identifiers
        self._freshness = freshness
        self._queue: asyncio.Queue[_Pending] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def submit(self, event: TrackerEvent) -> asyncio.Future[None]:
        """Queue ``event``; the future is done once it is committed (or raises its error)."""
        queue = self._started()
        pending = _Pending(event)
        await queue.put(pending)
        return pending.done

    async def record(self, event: TrackerEvent) -> None:
        """Store ``event``: return once it is committed."""
        await (await self.submit(event))

    async def close(self) -> None:
        """Write what is queued, then stop the writer."""
        writer, queue = self._writer, self._queue
        if writer is None or queue is None or writer.done():
            return
        if self._loop is asyncio.get_running_loop():
            await queue.join()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            await writer
        self._writer = self._queue = self._loop = None

    def _started(self) -> asyncio.Queue[_Pending]:
        loop = asyncio.get_running_loop()
        if (
            self._queue is None
            or self._writer is None
            or self._writer.done()
            or (self._loop is not loop)
        ):
            # A new loop (a test, a CLI command run after another): a queue of its own.
            self._loop = loop
            self._queue = asyncio.Queue(QUEUE_LIMIT)
            self._writer = loop.create_task(self._write_groups(self._queue))
        return self._queue

    async def _write_groups(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            group = [await queue.get()]
            while len(group) < GROUP_LIMIT and not queue.empty():
                group.append(queue.get_nowait())
            try:
                await self._write(group)
            finally:
                for _ in group:
                    queue.task_done()

    async def _write(self, group: list[_Pending]) -> None:
        try:
            await self._commit(group)
        except Exception as error:
            if len(group) == 1:
                _settle(group[0], error)
                return
            log.info(
                "a group of %d events failed (%s); writing them one at a time", len(group), error
            )
            for pending in group:
                try:
                    await self._commit([pending])
                except Exception as single:
                    _settle(pending, single)
                else:
                    _settle(pending, None)
            return
        for pending in group:
            _settle(pending, None)

    async def _commit(self, group: list[_Pending]) -> None:
        events = [pending.event for pending in group]

        async def work(session: AsyncSession) -> Change:
            recorder = EventRecorder(session, self._identifiers, ImportReport())
            change = await recorder.record_all(events)
            # Every serving process hears of the group with its commit.
            await self._freshness.publish(session, change)
            return change

        self._freshness.applied(await write(self._database.sessions, work))


def _settle(pending: _Pending, error: Exception | None) -> None:
    if pending.done.done():  # the caller went away (its request was cancelled)
        return
    if error is None:
        pending.done.set_result(None)
    else:
        pending.done.set_exception(error)
