"""The whole OpenAPI document fuzzed by schemathesis against a real server on loopback: no
answer is a 500, and no route answers without the key it needs (none, public or admin).

Valid and invalid requests for every operation, each sent four times: without credentials,
with a wrong key, with the public key and with the admin key. ``RECOMS_FUZZ_EXAMPLES`` (default
50) is how many per operation; 300 or more for a deeper run."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from aiohttp import encode_basic_auth, web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from recoms.api import create_app
from recoms.api.access import ROUTES, Access, access_of
from recoms.api.openapi import build_document
from recoms.httpserver import ApiRunner
from recoms.service import open_service
from tests.recoms.api.conftest import API_KEY, feed_xml, write_orders
from tests.recoms.api.conftest import settings as api_settings

PUBLIC_KEY = "fuzz-public-key"
ORIGIN = "https://shop.example"
# Feed URLs the fuzz makes up must not leave this machine: every one is pointed at a closed
# loopback port, which the feed fetcher refuses before connecting.
NOWHERE = "http://127.0.0.1:9/feed.xml"
EXAMPLES = int(os.environ.get("RECOMS_FUZZ_EXAMPLES", "50"))

schema = schemathesis.openapi.from_dict(build_document())


async def _serve(root: Path, ready: threading.Event, state: dict[str, object]) -> None:
    database = f"sqlite+aiosqlite:///{root / 'fuzz.db'}"
    config = api_settings(database, api_key=API_KEY, public_key=PUBLIC_KEY, cors_origins=ORIGIN)
    service = await open_service(config)
    try:
        feed = root / "feed.xml"
        feed.write_text(feed_xml(), encoding="utf-8")
        await service.import_feed(feed)
        await service.import_orders(write_orders(root / "orders.csv"))
        await service.rebuild()
        runner = ApiRunner(create_app(service, config), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            stop = asyncio.Event()
            state["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
            state["stop"] = (asyncio.get_running_loop(), stop)
            ready.set()
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await service.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API over the known shop, served from a thread of its own for the whole module."""
    state: dict[str, object] = {}
    ready = threading.Event()
    root = tmp_path_factory.mktemp("fuzz")
    thread = threading.Thread(target=asyncio.run, args=(_serve(root, ready, state),))
    thread.start()
    try:
        assert ready.wait(120), "the API did not start"
        yield str(state["url"])
    finally:
        if "stop" in state:
            loop, stop = state["stop"]  # type: ignore[misc]
            loop.call_soon_threadsafe(stop.set)
        thread.join(60)


def without_credentials(case: schemathesis.Case) -> dict[str, str]:
    """The case's generated headers without any Authorization; its feed URL sent nowhere."""
    if case.path == "/api/v1/feed/import" and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = NOWHERE
    return {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}


def call(
    case: schemathesis.Case, base_url: str, headers: dict[str, str], password: str | None
) -> schemathesis.Response:
    case.headers = dict(headers)
    if password is not None:
        case.headers["Authorization"] = encode_basic_auth("shop", password)
    response = case.call(base_url=base_url)
    case.validate_response(response, checks=[not_a_server_error])
    return response


REFUSED_UNREAD = {414, 431}
"""A request line or header too long is refused before anything reads it, credentials
included: no answer either, and as safe as a 401."""


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_without_a_500_and_only_with_its_key(
    case: schemathesis.Case, base_url: str
) -> None:
    headers = without_credentials(case)
    needed = access_of((case.method.upper(), case.path), ROUTES)

    anonymous = call(case, base_url, headers, None)
    if needed is not Access.OPEN:
        assert anonymous.status_code in {401, *REFUSED_UNREAD}, (
            case.method,
            case.path,
            anonymous.status_code,
        )

    public = call(case, base_url, headers, PUBLIC_KEY)
    if needed is Access.ADMIN:
        assert public.status_code in {403, *REFUSED_UNREAD}, (
            case.method,
            case.path,
            public.status_code,
        )

    wrong = call(case, base_url, headers, API_KEY + "-guess")
    if needed is not Access.OPEN:
        assert wrong.status_code in {401, *REFUSED_UNREAD}, (
            case.method,
            case.path,
            wrong.status_code,
        )

    call(case, base_url, headers, API_KEY)
