"""Replicas of ``recoms-bot run`` (real processes, webhook mode) behind a stand-in balancer,
with the local Bot API server as Telegram: what the replica tests and the replica benchmark
drive.

Telegram's side is played as Telegram plays it: an update is resent until some replica
answers it 200, to whichever replica the balancer picks next.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.localapi import DEFAULT_TOKEN, LocalBotApiServer, SimulatedUser

SECRET = "replica-webhook-secret"
API_KEY = "replica-api-key"
WEBHOOK = "/telegram/webhook"
FIRST_USER_ID = 700_000
APOLOGY = "Sorry"
# Telegram resends an unanswered update after a pause; shorter here, to keep runs short.
RESEND_AFTER_S = 0.2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One ``recoms-bot run`` process on a port of its own."""

    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def ready(self, session: aiohttp.ClientSession, within: float = 300.0) -> None:
        """Wait until the replica answers ``/readyz`` with 200."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self.running:
                raise AssertionError(f"replica exited: {self.log.read_text()[-3000:]}")
            try:
                async with session.get(f"{self.url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"replica not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    async def exited(self) -> int:
        return await self.process.wait()


@dataclass
class Tally:
    """What the people got: each user's replies from the bot."""

    sent: int
    answered: int
    duplicates: int
    apologies: int
    unanswered: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"users answered {self.answered}/{self.sent}, duplicates {self.duplicates}, "
            f"apologies {self.apologies}"
        )


class Shop:
    """A stand-in Telegram with ``users`` people, a database and Redis, and the replicas
    started on them."""

    def __init__(
        self, users: int, database_url: str, redis_url: str, workdir: Path, **settings: str
    ) -> None:
        self.users = [
            SimulatedUser(FIRST_USER_ID + i, f"Customer{i}", language_code="en")
            for i in range(users)
        ]
        self.telegram = LocalBotApiServer(users=self.users, groups=(), port=0)
        self.database_url = database_url
        self.redis_url = redis_url
        self.workdir = workdir
        self.settings = settings
        self.replicas: list[Replica] = []
        self._logs = itertools.count(1)

    async def __aenter__(self) -> Shop:
        await self.telegram.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for replica in self.replicas:
            if replica.running:
                replica.kill()
                await replica.exited()
        await self.telegram.stop()

    def environment(self, port: int) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "RECOMS_"))}
        return {
            **kept,
            "BOT_TOKEN": DEFAULT_TOKEN,
            "BOT_TELEGRAM_API_URL": self.telegram.api_base,
            "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}",
            "BOT_WEBHOOK_SECRET": SECRET,
            "BOT_REDIS_URL": self.redis_url,
            "BOT_LINK_SECRET": "replica-link-secret",
            "RECOMS_DATABASE_URL": self.database_url,
            "RECOMS_API_KEY": API_KEY,
            **{f"BOT_{name.upper()}": value for name, value in self.settings.items()},
        }

    async def start(self, count: int = 1, *args: str) -> list[Replica]:
        """Start ``count`` replicas at the same moment (not waiting for them to be ready),
        each ``recoms-bot run`` with ``args`` added."""
        started = []
        for _ in range(count):
            port = free_port()
            log = self.workdir / f"replica-{next(self._logs)}.log"
            with log.open("wb") as out:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    "--port",
                    str(port),
                    *args,
                    cwd=self.workdir,  # no .env of the checkout
                    env=self.environment(port),
                    stdout=out,
                    stderr=asyncio.subprocess.STDOUT,
                )
            started.append(Replica(port, process, log))
        self.replicas.extend(started)
        return started

    def burst(self, users: Sequence[SimulatedUser] | None = None) -> list[dict[str, Any]]:
        """Every user (or ``users``) sends /start: the updates Telegram now has to deliver.

        They are taken out of the stand-in's queue so that the balancer below, not the
        stand-in's one-at-a-time webhook delivery, sends them."""
        state = self.telegram.state
        for user in users or self.users:
            state.user_sends_text(user.id, "/start")
        updates = list(state.updates)
        state.drop_pending()
        return updates

    def tally(self, users: Sequence[SimulatedUser] | None = None) -> Tally:
        state = self.telegram.state
        chosen = users or self.users
        answered = duplicates = apologies = 0
        unanswered = []
        for user in chosen:
            replies = [
                message.text or message.caption or ""
                for message in state.private(user.id).messages.values()
                if message.sender.get("id") == state.bot_id
            ]
            apologies += sum(APOLOGY in reply for reply in replies)
            if replies:
                answered += 1
                duplicates += len(replies) - 1
            else:
                unanswered.append(user.id)
        return Tally(len(chosen), answered, duplicates, apologies, unanswered)


@dataclass
class Delivery:
    """How the updates of a burst went: per update the seconds until its 200, and the
    answers other than 200 on the way."""

    seconds: list[float] = field(default_factory=list)
    refusals: int = 0
    undelivered: int = 0


async def deliver(
    session: aiohttp.ClientSession,
    replicas: Sequence[Replica],
    updates: Sequence[dict[str, Any]],
    *,
    deadline: float = 60.0,
    then: Callable[[], object] | None = None,
    after: int = 0,
) -> Delivery:
    """Send every update at once, as Telegram does with ``max_connections`` to spare, through
    a round-robin balancer over the live ``replicas``; an update not answered 200 (503, a
    broken connection, a replica gone) is sent again after a pause, to the next replica.

    ``then`` (a kill, a stop) is called once ``after`` updates have had their 200."""
    outcome = Delivery()
    turn = itertools.count()
    answered = 0
    stop_at = time.monotonic() + deadline

    async def one(update: dict[str, Any]) -> None:
        nonlocal answered
        started = time.perf_counter()
        while time.monotonic() < stop_at:
            live = [replica for replica in replicas if replica.running] or list(replicas)
            replica = live[next(turn) % len(live)]
            try:
                async with session.post(
                    f"{replica.url}{WEBHOOK}",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ) as response:
                    if response.status == 200:
                        outcome.seconds.append(time.perf_counter() - started)
                        answered += 1
                        if then is not None and answered == after:
                            then()
                        return
            except (TimeoutError, aiohttp.ClientError):
                pass
            outcome.refusals += 1
            await asyncio.sleep(RESEND_AFTER_S)
        outcome.undelivered += 1

    await asyncio.gather(*(one(update) for update in updates))
    return outcome


@asynccontextmanager
async def balancer_session() -> AsyncIterator[aiohttp.ClientSession]:
    """Telegram's side of the connections: many at once, a minute's patience per update."""
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session
