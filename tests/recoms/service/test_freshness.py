"""Lists answered from memory stay fresh: an event posted to one serving process changes the
next personal list every process serving the database answers, within a second.

The servers are real ``recoms serve`` processes on loopback ports: two on PostgreSQL (they
hear each other through LISTEN/NOTIFY), one on a SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from recoms.demo import load_demo
from recoms.domain import ContactId, DataSourceId, Identity
from recoms.service import RecomsService, open_service
from tests.conftest import POSTGRES_URL
from tests.recoms.service.conftest import settings_for

FRESH_WITHIN = 1.0
"""Seconds within which every process's next list reflects an event (the promise)."""
STARTUP_SECONDS = 60.0
PERSONAL = "/api/v2/contacts/recoms/1"
EVENTS = "/api/v1/events"
MUG = "meeting-email-mug"
OLENA = Identity(external_id="olena-001")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(database_url: str, cwd: Path) -> Iterator[str]:
    """A ``recoms serve`` process on the database; its base URL."""
    port = free_port()
    env = dict(os.environ, RECOMS_DATABASE_URL=database_url, RECOMS_MODEL_REFRESH_SECONDS="5")
    env.pop("RECOMS_API_KEY", None)
    log = (cwd / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "recoms", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def ready(http: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with http.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{base} did not get ready in {STARTUP_SECONDS} s")


async def personal(http: aiohttp.ClientSession, base: str, **identity: str) -> list[str]:
    async with http.get(f"{base}{PERSONAL}", params=identity) as response:
        assert response.status == 200, await response.text()
        return [product["id"] for product in await response.json()]


async def post(http: aiohttp.ClientSession, base: str, event: dict[str, Any]) -> None:
    async with http.post(f"{base}{EVENTS}", data=json.dumps(event)) as response:
        assert response.status == 202, await response.text()


async def changes_within(
    http: aiohttp.ClientSession, base: str, before: list[str], **identity: str
) -> float:
    """Seconds until ``base`` answers a list other than ``before`` (asked again and again up
    to :data:`FRESH_WITHIN`, the last ask starting before it ran out)."""
    started = time.monotonic()
    while True:
        asked = time.monotonic()
        if await personal(http, base, **identity) != before:
            return asked - started
        if asked - started > FRESH_WITHIN:
            raise AssertionError(f"{base} still answers the list from before the event")
        await asyncio.sleep(0.01)


def cart(web_id: str) -> dict[str, Any]:
    return {
        "GeneralInfo": {"eventName": "StatusCart", "cookies": {"sc": web_id}},
        "StatusCart": {"Products": [{"productKey": MUG, "quantity": 1}], "GUID": web_id},
    }


def view(web_id: str) -> dict[str, Any]:
    return {
        "GeneralInfo": {"eventName": "ProductPage", "cookies": {"sc": web_id}},
        "ProductPage": {"Product": {"productKey": MUG}},
    }


def order(external_id: str) -> dict[str, Any]:
    return {
        "GeneralInfo": {"eventName": "PurchasedItems", "externalCustomerId": external_id},
        "PurchasedItems": {
            "OrderNumber": f"fresh-{external_id}",
            "Products": [{"productKey": MUG, "price": "12", "quantity": 1}],
            "GUID": external_id,
        },
    }


# Who each event is about, and the identity their lists are asked by.
CASES = [
    ("cart", cart("fresh-cart"), {"webId": "fresh-cart"}),
    ("view", view("fresh-view"), {"webId": "fresh-view"}),
    ("order", order("fresh-buyer"), {"externalCustomerId": "fresh-buyer"}),
]


@pytest.fixture
async def shop(database_url: str, now: datetime) -> str:
    """The demo store, rebuilt, on the test's database."""
    service = await open_service(settings_for(database_url))
    try:
        await load_demo(service, today=now.date())
    finally:
        await service.close()
    return database_url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs RECOMS_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_event_posted_to_one_process_reaches_the_next_list_of_another(
    shop: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    with serving(shop, tmp_path) as first, serving(shop, tmp_path) as second:
        await ready(http, first)
        await ready(http, second)
        for name, event, identity in CASES:
            before = await personal(http, second, **identity)
            # Asked twice: the second answer is the one kept in memory.
            assert await personal(http, second, **identity) == before
            assert await personal(http, first, **identity) == before
            await post(http, first, event)
            for base in (first, second):
                seconds = await changes_within(http, base, before, **identity)
                assert seconds <= FRESH_WITHIN, (name, base)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_event_reaches_the_next_list_of_a_process_on_sqlite(
    shop: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    with serving(shop, tmp_path) as only:
        await ready(http, only)
        for name, event, identity in CASES:
            before = await personal(http, only, **identity)
            assert await personal(http, only, **identity) == before
            await post(http, only, event)
            # In the same process the change counts at once: the very next list.
            assert await personal(http, only, **identity) != before, name


async def test_lists_computed_ahead_are_the_lists_computed_at_the_ask(
    database_url: str, now: datetime, clock: Callable[[], datetime]
) -> None:
    warm = await open_service(settings_for(database_url), clock=clock)
    cold = await open_service(settings_for(database_url, answer_cache_size=0), clock=clock)
    try:
        await load_demo(warm, today=now.date())
        assert await warm.warm() > 0
        for identity in (OLENA, Identity(contact_id=ContactId(1)), Identity(web_id="nobody")):
            for source in (DataSourceId(1), DataSourceId(2)):
                expected = await cold.recommend(source, identity)
                assert await warm.recommend(source, identity) == expected
    finally:
        await warm.close()
        await cold.close()


async def test_an_identity_that_named_nobody_names_the_contact_it_now_finds(
    service: RecomsService, now: datetime
) -> None:
    await load_demo(service, today=now.date())
    newcomer = Identity(email="newcomer@example.com")
    before = await service.recommend(DataSourceId(1), newcomer)
    assert await service.recommend(DataSourceId(1), newcomer) == before
    await service.track(view("newcomer-phone"))
    await service.track(
        {
            "GeneralInfo": {
                "eventName": "CustomerData",
                "cookies": {"sc": "newcomer-phone"},
                "user_email": "newcomer@example.com",
            },
            "CustomerData": {"user_email": "newcomer@example.com"},
        }
    )
    # The email now names a contact whose web id viewed the mug: their own list at once.
    assert await service.recommend(DataSourceId(1), newcomer) != before
