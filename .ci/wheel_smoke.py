"""The installed wheel as a shop first meets it: the demo shop loaded, one chat in Ukrainian.

Run by the wheel's own venv from a folder outside the source tree (see .ci/wheel-check). Starts
``recoms-bot run`` without a token (the quick start: demo shop in SQLite, local Bot API server
with its web chat), asks the engine's API for Olena's list, sends /start as Olena, whose
Telegram language is Ukrainian, and waits for the bot's answer. Only the standard library.
"""

from __future__ import annotations

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
from typing import Any

OLENA = 100001  # the local Bot API server's simulated customer with language_code "uk"
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
STARTUP_SECONDS = 240.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def wait_until_up(url: str, bot: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            sys.exit(f"recoms-bot run exited with {bot.returncode} before serving {url}")
        try:
            call(url, timeout=5)
            return
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    sys.exit(f"{url} did not answer within {STARTUP_SECONDS:.0f} s")


def bot_reply(chat_api: str, after: int) -> str:
    """The text of the first message the bot sends into Olena's chat after message ``after``."""
    version = -1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = call(f"{chat_api}/chats/{OLENA}?version={version}&wait=5", timeout=15)
        version = state["version"]
        for message in state["chat"]["messages"]:
            if not message["outgoing"] and message["message_id"] > after:
                return str(message.get("text") or message.get("caption") or "")
    sys.exit("the bot did not answer /start within 60 s")


def main() -> None:
    web_port, chat_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "RECOMS_"))}
    env |= {"BOT_PORT": str(web_port), "BOT_LOCAL_API_PORT": str(chat_port)}
    bot = subprocess.Popen(["recoms-bot", "run"], env=env)
    try:
        web, chat_api = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{chat_port}/chat/api"
        wait_until_up(f"{web}/healthz", bot)

        listed = call(f"{web}/api/v2/contacts/recoms/1?externalCustomerId=olena-001")
        if not listed:
            sys.exit("the demo shop gave Olena an empty list")
        print(f"demo shop loaded: Olena's list starts with {listed[0]['name']!r}")

        sent = call(f"{chat_api}/chats/{OLENA}/send", {"text": "/start"})["message"]
        reply = bot_reply(chat_api, sent["message_id"])
        if not CYRILLIC.search(reply) or "Olena" not in reply:
            sys.exit(f"expected a Ukrainian greeting to Olena, got {reply!r}")
        print(f"the bot answered /start in Ukrainian: {reply.splitlines()[0]!r}")
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            bot.kill()
            sys.exit("recoms-bot run did not stop within 30 s of SIGTERM")


if __name__ == "__main__":
    main()
