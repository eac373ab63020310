"""The installed wheel as a shop meets it, driven over HTTP; run by .ci/wheel-check.

``demo``: ``recoms-bot run`` without a token (the quick start: the demo shop loaded into SQLite,
a local Bot API server with its web chat); the engine's API gives Olena a list, and /start sent
as Olena, whose Telegram language is Ukrainian, is answered in Ukrainian.

``webhook``: README's deployment, with ``recoms-bot local`` standing in for Telegram. The
caller has set the PostgreSQL URL, Redis, RECOMS_API_KEY and imported the data; this starts the
bot in webhook mode with a secret, checks that the API wants the key, and chats as Olena.

``prepare`` / ``cleanup``: a PostgreSQL database of its own for the webhook run, and back.

Runs in the wheel's own venv, outside the source tree, on the standard library (and asyncpg
and redis from the runtime lock for prepare and cleanup).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

OLENA = 100001  # the local Bot API server's simulated customer with language_code "uk"
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
STARTUP_SECONDS = 240.0
LOCAL_TOKEN = "1000000001:LOCAL-recoms-demo-token"  # what `recoms-bot local` accepts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(
    url: str, body: dict[str, Any] | None = None, *, key: str | None = None, timeout: float = 30
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"shop:{key}".encode()).decode()
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def status_of(url: str, body: dict[str, Any] | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@contextmanager
def process(*command: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running command, stopped with SIGTERM as a service manager would stop it."""
    running = subprocess.Popen(command, env=env)
    try:
        yield running
    finally:
        running.send_signal(signal.SIGTERM)
        try:
            running.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.kill()
            sys.exit(f"{' '.join(command)} did not stop within 30 s of SIGTERM")


def wait_until_up(url: str, running: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if running.poll() is not None:
            sys.exit(f"{running.args!r} exited with {running.returncode} before serving {url}")
        try:
            call(url, timeout=5)
            return
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    sys.exit(f"{url} did not answer within {STARTUP_SECONDS:.0f} s")


def greets_olena_in_ukrainian(chat_api: str) -> None:
    sent = call(f"{chat_api}/chats/{OLENA}/send", {"text": "/start"})["message"]
    version, deadline = -1, time.monotonic() + 60
    while time.monotonic() < deadline:
        state = call(f"{chat_api}/chats/{OLENA}?version={version}&wait=5", timeout=15)
        version = state["version"]
        replies = [
            str(m.get("text") or m.get("caption") or "")
            for m in state["chat"]["messages"]
            if not m["outgoing"] and m["message_id"] > sent["message_id"]
        ]
        if replies:
            if not CYRILLIC.search(replies[0]) or "Olena" not in replies[0]:
                sys.exit(f"expected a Ukrainian greeting to Olena, got {replies[0]!r}")
            print(f"the bot answered /start in Ukrainian: {replies[0].splitlines()[0]!r}")
            return
    sys.exit("the bot did not answer /start within 60 s")


def olenas_list(web: str, key: str | None = None) -> None:
    listed = call(f"{web}/api/v2/contacts/recoms/1?externalCustomerId=olena-001", key=key)
    if not listed:
        sys.exit("the engine gave Olena an empty list")
    print(f"Olena's list starts with {listed[0]['name']!r}")


def base_env(**settings: str) -> dict[str, str]:
    """The caller's environment without its BOT_* settings, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    return env | settings


def demo() -> None:
    web_port, chat_port = free_port(), free_port()
    env = base_env(BOT_PORT=str(web_port), BOT_LOCAL_API_PORT=str(chat_port))
    env = {k: v for k, v in env.items() if not k.startswith("RECOMS_")}
    with process("recoms-bot", "run", env=env) as bot:
        web = f"http://127.0.0.1:{web_port}"
        wait_until_up(f"{web}/healthz", bot)
        olenas_list(web)
        greets_olena_in_ukrainian(f"http://127.0.0.1:{chat_port}/chat/api")


def webhook() -> None:
    key = os.environ["RECOMS_API_KEY"]
    assert os.environ["RECOMS_DATABASE_URL"].startswith("postgresql+asyncpg://")
    web_port, telegram_port = free_port(), free_port()
    telegram = f"http://127.0.0.1:{telegram_port}"
    with process("recoms-bot", "local", "--port", str(telegram_port), env=base_env()) as local:
        wait_until_up(f"{telegram}/chat/api/users", local)
        env = base_env(
            BOT_TOKEN=LOCAL_TOKEN,
            BOT_TELEGRAM_API_URL=telegram,
            BOT_WEBHOOK_URL=f"http://127.0.0.1:{web_port}",
            BOT_WEBHOOK_SECRET="wheel-check-webhook-secret",
            BOT_REDIS_URL=os.environ["BOT_TEST_REDIS_URL"],
            BOT_PORT=str(web_port),
        )
        with process("recoms-bot", "run", env=env) as bot:
            web = f"http://127.0.0.1:{web_port}"
            wait_until_up(f"{web}/healthz", bot)
            refused = status_of(f"{web}/api/v2/contacts/recoms/1?externalCustomerId=olena-001")
            if refused != 401:
                sys.exit(f"the API answered {refused} without RECOMS_API_KEY, not 401")
            forged = status_of(f"{web}/telegram/webhook", {"update_id": 1})
            if forged != 401:
                sys.exit(f"the webhook answered {forged} to an update without the secret, not 401")
            print("without the key the API answers 401, the webhook without the secret 401")
            olenas_list(web, key)
            greets_olena_in_ukrainian(f"{telegram}/chat/api")


def prepare(*, create: bool) -> None:
    """A PostgreSQL database of the webhook run's own (``RECOMS_DATABASE_URL``) and an empty
    test Redis database (``BOT_TEST_REDIS_URL``, which the test suite flushes too); or, with
    ``create=False``, the database dropped."""
    import asyncpg  # type: ignore[import-not-found]
    from redis.asyncio import Redis  # type: ignore[import-not-found]

    url = os.environ["RECOMS_DATABASE_URL"]
    server, name = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)

    async def run() -> None:
        admin = await asyncpg.connect(f"{server}/postgres")
        try:
            if create:
                await admin.execute(f'CREATE DATABASE "{name}"')
            else:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        if create:
            redis = Redis.from_url(os.environ["BOT_TEST_REDIS_URL"])
            await redis.flushdb()
            await redis.aclose()

    asyncio.run(run())


def main() -> None:
    mode = sys.argv[1]
    if mode == "demo":
        demo()
    elif mode == "webhook":
        webhook()
    elif mode in ("prepare", "cleanup"):
        prepare(create=mode == "prepare")
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
