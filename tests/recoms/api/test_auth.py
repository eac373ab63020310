"""HTTP Basic with the API key as the password, as Yespo asks; some paths stay open."""

from __future__ import annotations

import base64

import pytest
from aiohttp import encode_basic_auth

from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient

RECOMS = "/api/v2/contacts/recoms/2?webId=v"


@pytest.fixture
async def secured(service: RecomsService, make_client: MakeClient) -> Client:
    return await make_client(service, api_key=API_KEY)


async def test_without_credentials_the_api_answers_401_with_a_challenge(secured: Client) -> None:
    for path in (RECOMS, "/api/v1/datasources", "/api/v1/contacts/profile?email=a@b.c"):
        response = await secured.get(path)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        body = await response.json()
        assert body["error"] == "unauthorized"
        assert "API key" in body["message"]


@pytest.mark.parametrize(
    "header",
    [
        encode_basic_auth("shop", "wrong"),
        encode_basic_auth("shop", API_KEY + "x"),
        "Basic !!!not-base64",
        "Basic ",
        f"Bearer {API_KEY}",
        API_KEY,
        "Basic " + base64.b64encode(API_KEY.encode()).decode(),  # no user:password colon
    ],
)
async def test_wrong_credentials_are_refused(secured: Client, header: str) -> None:
    response = await secured.get(RECOMS, headers={"Authorization": header})
    assert response.status == 401
    assert (await response.json())["error"] == "unauthorized"


@pytest.mark.parametrize("user", ["", "shop", "any user name"])
async def test_the_key_as_password_with_any_user_name_is_accepted(
    secured: Client, user: str
) -> None:
    authorization = {"Authorization": encode_basic_auth(user, API_KEY)}
    response = await secured.get(RECOMS, headers=authorization)
    assert response.status == 200
    assert (await response.json())[0]["id"] == "o-pen"
    posted = await secured.post("/api/v1/events", json=[1], headers=authorization)
    assert posted.status == 400


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/docs"])
async def test_health_and_documentation_stay_open(secured: Client, path: str) -> None:
    assert (await secured.get(path)).status == 200


async def test_without_a_key_no_credentials_are_asked_for(client: Client) -> None:
    assert (await client.get(RECOMS)).status == 200


async def test_an_empty_key_asks_for_nothing(
    service: RecomsService, make_client: MakeClient
) -> None:
    # RECOMS_API_KEY= in a .env file: the same as no key, not a key of "".
    client = await make_client(service, api_key="")
    assert (await client.get(RECOMS)).status == 200
