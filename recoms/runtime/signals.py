"""Stop signals: what ends a serving process (Ctrl+C, or SIGTERM from a deploy)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.asynccontextmanager
async def until_stopped(*, listen: bool = True) -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM (where the platform lets us listen for them).

    ``listen=False`` leaves signals alone (a process embedding the server handles them); the
    event is then set by whoever holds it."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    installed: list[signal.Signals] = []
    for signum in STOP_SIGNALS if listen else ():
        try:
            loop.add_signal_handler(signum, stopped.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        yield stopped
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
