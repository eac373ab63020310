"""With the public key, which every page shows, a tracker event names the visitor by webId only.

The attack: a stranger posts an event carrying a customer's email (or phone, external id, a
CustomerData event) with the stranger's own ``sc`` cookie, then reads that customer's personal
list - what she buys again - by the cookie."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import encode_basic_auth

from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient, ids

EVENTS = "/api/v1/events"
PERSONAL = "/api/v2/contacts/recoms/1"
PUBLIC_KEY = "pub-visible-in-pages"
ADMIN = {"Authorization": encode_basic_auth("shop", API_KEY)}
PUBLIC = {"Authorization": encode_basic_auth("", PUBLIC_KEY)}
ATTACKER = "attacker-cookie"

# Alice's personal list starts with the kettle she buys again (tests/recoms/api/conftest.py).
NAMING_ALICE: dict[str, dict[str, Any]] = {
    "CustomerData": {
        "GeneralInfo": {"eventName": "CustomerData", "cookies": {"sc": ATTACKER}},
        "CustomerData": {"user_email": "alice@example.com"},
    },
    "CustomerData in GeneralInfo": {
        "GeneralInfo": {
            "eventName": "CustomerData",
            "user_phone": "+380501110001",
            "cookies": {"sc": ATTACKER},
        },
    },
    "email in GeneralInfo": {
        "GeneralInfo": {
            "eventName": "ProductPage",
            "user_email": "alice@example.com",
            "cookies": {"sc": ATTACKER},
        },
        "ProductPage": {"Product": {"productKey": "o-lamp"}},
    },
    "phone in GeneralInfo": {
        "GeneralInfo": {
            "eventName": "CategoryPage",
            "user_phone": "+380501110001",
            "cookies": {"sc": ATTACKER},
        },
        "CategoryPage": {"Category": {"categoryKey": "Office"}},
    },
    "external id beside the event (eS.js)": {
        "externalCustomerId": "alice-1",
        "sc": ATTACKER,
        "ProductPage": {"productKey": "o-lamp"},
    },
}


@pytest.fixture
async def two_keys(service: RecomsService, make_client: MakeClient) -> Client:
    return await make_client(service, api_key=API_KEY, public_key=PUBLIC_KEY)


async def personal_list_of(client: Client, web_id: str) -> list[str]:
    return await ids(await client.get(PERSONAL, params={"webId": web_id}, headers=PUBLIC))


async def alice_list(client: Client) -> list[str]:
    alice = {"email": "alice@example.com"}
    return await ids(await client.get(PERSONAL, params=alice, headers=ADMIN))


@pytest.mark.parametrize("body", NAMING_ALICE.values(), ids=NAMING_ALICE.keys())
async def test_the_public_key_cannot_link_a_cookie_to_a_customer(
    two_keys: Client, body: dict[str, Any]
) -> None:
    before = await personal_list_of(two_keys, ATTACKER)
    assert before != await alice_list(two_keys)

    response = await two_keys.post(EVENTS, json=body, headers=PUBLIC)
    assert response.status == 403
    refused = await response.json()
    assert refused["error"] == "forbidden"
    assert "webId" in refused["message"]
    assert "admin key" in refused["message"]

    assert await personal_list_of(two_keys, ATTACKER) == before


async def test_in_a_batch_the_public_key_refuses_each_naming_event_by_index(
    two_keys: Client,
) -> None:
    anonymous = {
        "GeneralInfo": {"eventName": "ProductPage", "cookies": {"sc": ATTACKER}},
        "ProductPage": {"Product": {"productKey": "o-chair"}},
    }
    batch = [NAMING_ALICE["CustomerData"], anonymous, NAMING_ALICE["email in GeneralInfo"]]
    response = await two_keys.post(EVENTS, json=batch, headers=PUBLIC)
    assert response.status == 202, await response.text()
    report = await response.json()
    assert report["accepted"] == 1
    assert [item["index"] for item in report["rejected"]] == [0, 2]
    assert all("admin key" in item["reason"] for item in report["rejected"])
    assert await personal_list_of(two_keys, ATTACKER) != await alice_list(two_keys)

    # Only refusals: the answer says why, as for a single event.
    response = await two_keys.post(EVENTS, json=[batch[0], batch[2]], headers=PUBLIC)
    assert response.status == 403
    assert "admin key" in (await response.json())["message"]


async def test_the_public_key_still_records_anonymous_events(two_keys: Client) -> None:
    view = {
        "GeneralInfo": {
            "eventName": "ProductPage",
            "user_email": "",
            "cookies": {"sc": ATTACKER},
        },
        "ProductPage": {"Product": {"productKey": "o-lamp"}},
    }
    response = await two_keys.post(EVENTS, json=[view, view], headers=PUBLIC)
    assert response.status == 202, await response.text()
    assert await response.json() == {"accepted": 2, "rejected": []}


async def test_the_admin_key_links_the_cookie_of_a_customer_who_logged_in(
    two_keys: Client,
) -> None:
    # The shop's backend knows who logged in; the cookie then gets her list.
    response = await two_keys.post(EVENTS, json=NAMING_ALICE["CustomerData"], headers=ADMIN)
    assert response.status == 202, await response.text()
    assert await personal_list_of(two_keys, ATTACKER) == await alice_list(two_keys)


async def test_without_a_key_loopback_callers_link_as_the_admin_does(client: Client) -> None:
    response = await client.post(EVENTS, json=NAMING_ALICE["email in GeneralInfo"])
    assert response.status == 202, await response.text()
    mine = await ids(await client.get(PERSONAL, params={"webId": ATTACKER}))
    assert mine[0] == "k-kettle"
