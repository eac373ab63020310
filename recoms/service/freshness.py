"""Lists kept fresh on every process: what a write changed, told here at once and to the
other processes of the database through its notifications (``recoms.storage.notifications``).

A process answers lists from memory only while it is sure to hear of every change
(``trusted``); while its listener is down it computes each list, and what it kept is dropped
when the listener is back, since changes may have gone unheard meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from recoms.service.answers import EVERYTHING, Change
from recoms.storage import notifications
from recoms.storage.database import Database

log = logging.getLogger(__name__)


class Freshness:
    """Publishes changes with the writer's transaction and applies what is heard."""

    def __init__(self, database: Database, apply: Callable[[Change], None]) -> None:
        self._apply = apply
        self._listener = notifications.Listener(database, self._heard)

    def trusted(self) -> bool:
        return self._listener.listening()

    async def start(self) -> None:
        """Start hearing other processes' changes (once; later calls return at once)."""
        await self._listener.start()

    async def close(self) -> None:
        await self._listener.close()

    async def publish(self, session: AsyncSession, change: Change) -> None:
        """Tell the other processes ``change`` when the session's transaction commits. The
        writer applies it in its own process after the commit (``apply``)."""
        if change.is_empty():
            return
        payload = change.to_json()
        if len(payload) > notifications.MAX_PAYLOAD:
            payload = EVERYTHING.to_json()
        await notifications.notify(session, payload)

    def applied(self, change: Change) -> None:
        """Apply a change this process made, once its transaction committed."""
        self._apply(change)

    def _heard(self, payload: str | None) -> None:
        self._apply(EVERYTHING if payload is None else Change.from_json(payload))
