"""How many messages a customer may send to support in a minute: counted in this process, or
in Redis for every replica of the bot (``BOT_REDIS_URL``)."""

from __future__ import annotations

import enum
import secrets
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

FLOOD_WINDOW = timedelta(minutes=1)


class Flood(enum.Enum):
    ADMITTED = "admitted"
    """Under the limit: the message goes to support."""
    TELL = "tell"
    """Over the limit, for the first time in the window: tell the customer to slow down."""
    QUIET = "quiet"
    """Over the limit again: the customer has been told; drop it without a word."""


class FloodGate(Protocol):
    async def admit(self, customer_id: int, now: datetime) -> Flood:
        """Count the customer's message when under ``limit`` messages in the last window."""
        ...


class MemoryFloodGate:
    """One process's count (polling, or a single webhook replica without Redis)."""

    def __init__(self, limit: int, window: timedelta = FLOOD_WINDOW) -> None:
        self._limit = limit
        self._window = window
        self._sent: dict[int, deque[datetime]] = {}
        self._told: dict[int, datetime] = {}

    async def admit(self, customer_id: int, now: datetime) -> Flood:
        sent = self._sent.setdefault(customer_id, deque())
        while sent and now - sent[0] >= self._window:
            sent.popleft()
        if len(sent) < self._limit:
            sent.append(now)
            self._forget_quiet_customers(now)
            return Flood.ADMITTED
        told = self._told.get(customer_id)
        if told is not None and now - told < self._window:
            return Flood.QUIET
        self._told[customer_id] = now
        return Flood.TELL

    def _forget_quiet_customers(self, now: datetime) -> None:
        """Customers silent for a window are forgotten, so that memory follows the active."""
        if len(self._sent) <= 4 * len(self._told) + 1_000:
            return
        for customer_id in [c for c, sent in self._sent.items() if now - sent[-1] >= self._window]:
            del self._sent[customer_id]
            self._told.pop(customer_id, None)


# The window's messages are a sorted set of (time, unique member): counted and added at once,
# so that two replicas never both take the last place.
_ADMIT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
    return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class RedisFloodGate:
    """The count of every replica of the bot ``bot_id``, in Redis."""

    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        limit: int,
        *,
        window: timedelta = FLOOD_WINDOW,
        prefix: str = "recoms-bot:",
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}{bot_id}:flood:"
        self._limit = limit
        self._window_ms = int(window.total_seconds() * 1000)

    async def admit(self, customer_id: int, now: datetime) -> Flood:
        now_ms = int(now.timestamp() * 1000)
        member = f"{now_ms}:{secrets.token_hex(6)}"
        key = f"{self._prefix}{customer_id}"
        admitted = await self._redis.eval(
            _ADMIT, 1, key, now_ms, self._window_ms, self._limit, member
        )
        if admitted:
            return Flood.ADMITTED
        told = await self._redis.set(f"{key}:told", b"1", nx=True, px=self._window_ms)
        return Flood.TELL if told else Flood.QUIET
