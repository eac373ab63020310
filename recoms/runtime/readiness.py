"""Readiness: whether a process should be sent traffic now, as opposed to being alive."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]
"""Returns why the process is not ready, or None when this part is; may raise instead."""


class Readiness:
    """The checks a process runs before it says it is ready: those of the parts it is built
    from (its database, Redis, whether it is stopping), each added by the part's owner."""

    def __init__(self) -> None:
        self._checks: list[tuple[str, Check]] = []

    def add(self, name: str, check: Check) -> None:
        self._checks.append((name, check))

    async def reasons(self) -> list[str]:
        """Why the process is not ready (empty when it is), one reason per failing check."""
        reasons = []
        for name, check in self._checks:
            try:
                reason = await check()
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"
            if reason is not None:
                reasons.append(f"{name}: {reason}")
        return reasons


READINESS = web.AppKey("readiness", Readiness)
"""The checks an application's ``/readyz`` runs besides its own (an embedding bot's Redis,
whether it is stopping)."""
