"""HTTP Basic with the API key as the password, as Yespo asks; some paths stay open."""

from __future__ import annotations

import base64

import pytest
from aiohttp import encode_basic_auth
from pydantic import ValidationError

from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient, settings

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


# --- two keys: the admin key reaches everything, the public key what a web page calls -----

PUBLIC_KEY = "pub-visible-in-pages"
SHOP = "https://shop.example"
ADMIN = {"Authorization": encode_basic_auth("shop", API_KEY)}
PUBLIC = {"Authorization": encode_basic_auth("", PUBLIC_KEY)}

ADMIN_ONLY = [
    ("GET", "/api/v1/contacts/profile?contactId=1", None),
    ("GET", "/api/v1/contacts/profile?email=alice@example.com", None),
    ("GET", "/api/v1/contacts?name=alice", None),
    ("POST", "/api/v1/contacts/telegram", {"externalCustomerId": "alice-1", "telegramUserId": 7}),
    ("DELETE", "/api/v1/contacts/telegram/7", None),
    ("POST", "/api/v1/feed/import", {"url": "https://shop.example/feed.xml"}),
    ("GET", "/api/v1/feed/import/some-job", None),
    ("POST", "/api/v1/datasources", {"name": "x", "algorithm": "bestsellers"}),
    ("PUT", "/api/v1/datasources/2", {"name": "x"}),
    ("PATCH", "/api/v1/datasources/2", {"params": {"limit": 1}}),
    ("GET", "/api/v1/datasources", None),
    ("GET", "/api/v1/products?search=mug", None),
    ("GET", "/api/v1/stats", None),
]
EVENT = {
    "GeneralInfo": {"eventName": "ProductPage", "cookies": {"sc": "visitor-9"}},
    "ProductPage": {"Product": {"productKey": "k-mug"}},
}


@pytest.fixture
async def two_keys(service: RecomsService, make_client: MakeClient) -> Client:
    return await make_client(
        service,
        api_key=API_KEY,
        public_key=PUBLIC_KEY,
        cors_origins=f"{SHOP},http://localhost:3000",
    )


async def test_the_public_key_reads_lists_and_posts_events(two_keys: Client) -> None:
    response = await two_keys.get(RECOMS, headers=PUBLIC)
    assert response.status == 200
    assert (await response.json())[0]["id"] == "o-pen"
    response = await two_keys.post("/api/v1/events", json=EVENT, headers=PUBLIC)
    assert response.status == 202, await response.text()


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_the_public_key_cannot_reach_personal_data_or_writes(
    two_keys: Client, method: str, path: str, body: object
) -> None:
    response = await two_keys.request(method, path, json=body, headers=PUBLIC)
    assert response.status == 403
    message = (await response.json())["message"]
    assert "admin key" in message
    # Nothing happened: the admin still sees the shop as it was.
    sources = await (await two_keys.get("/api/v1/datasources", headers=ADMIN)).json()
    assert [source["name"] for source in sources if source["id"] == 2] != ["x"]
    profile = await two_keys.get("/api/v1/contacts/profile?telegramUserId=7", headers=ADMIN)
    assert profile.status == 404


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_without_credentials_nothing_personal_is_answered(
    two_keys: Client, method: str, path: str, body: object
) -> None:
    response = await two_keys.request(method, path, json=body)
    assert response.status == 401
    assert "alice" not in await response.text()


@pytest.mark.parametrize(
    "query",
    [
        "contactId=1",
        "email=alice@example.com",
        "phone=%2B380501110001",
        "externalCustomerId=alice-1",
        "telegramUserId=7",
        "webId=v&contactId=1",
    ],
)
async def test_the_public_key_names_the_visitor_by_web_id_only(
    two_keys: Client, query: str
) -> None:
    # Contact ids are sequential: with the key that every page shows, anyone could read what
    # each customer bought from their personal list.
    response = await two_keys.get(f"/api/v2/contacts/recoms/1?{query}", headers=PUBLIC)
    assert response.status == 403
    assert "webId" in (await response.json())["message"]
    admin = await two_keys.get(f"/api/v2/contacts/recoms/1?{query}", headers=ADMIN)
    assert admin.status == 200


async def test_the_admin_key_reaches_everything(two_keys: Client) -> None:
    for path in ("/api/v1/contacts/profile?email=alice@example.com", "/api/v1/stats", RECOMS):
        assert (await two_keys.get(path, headers=ADMIN)).status == 200, path


async def test_a_public_key_equal_to_the_admin_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        settings(api_key=API_KEY, public_key=API_KEY)


# --- CORS: the configured origins, for the public routes only ------------------------------


async def test_a_listed_origin_gets_its_preflight_and_can_read_lists(two_keys: Client) -> None:
    preflight = await two_keys.options(
        RECOMS,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = await two_keys.get(RECOMS, headers={**PUBLIC, "Origin": SHOP})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response.headers["Vary"]
    # An error is readable by the page too, so that it can tell why.
    refused = await two_keys.get(RECOMS, headers={"Origin": SHOP})
    assert refused.status == 401
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP
    events = await two_keys.options(
        "/api/v1/events",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert events.status == 204
    assert events.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://shop.example.evil"])
async def test_other_origins_get_no_cors_and_are_refused(two_keys: Client, origin: str) -> None:
    preflight = await two_keys.options(
        RECOMS, headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = await two_keys.get(RECOMS, headers={**PUBLIC, "Origin": origin})
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_admin_routes_answer_no_web_page_even_with_the_admin_key(two_keys: Client) -> None:
    preflight = await two_keys.options(
        "/api/v1/contacts/profile",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = await two_keys.get(
        "/api/v1/contacts/profile?email=alice@example.com", headers={**ADMIN, "Origin": SHOP}
    )
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "alice" not in await response.text()
    preflight = await two_keys.options(
        RECOMS, headers={"Origin": SHOP, "Access-Control-Request-Method": "DELETE"}
    )
    assert preflight.status == 403


def test_cors_origins_must_be_origins_and_never_a_wildcard() -> None:
    assert settings(cors_origins="https://Shop.example/, http://localhost:3000").cors_origins == [
        "https://shop.example",
        "http://localhost:3000",
    ]
    for bad in ("*", "https://*.shop.example", "https://shop.example/page", "ftp://shop.example"):
        with pytest.raises(ValidationError, match="not an origin"):
            settings(cors_origins=bad)


# --- no admin key: local development, answered on loopback only ---------------------------


async def test_without_a_key_a_web_page_of_another_site_is_refused(client: Client) -> None:
    # A page the developer has open posts to the local engine: a cross-site "simple" request
    # needs no preflight, so only the server can refuse it.
    body = {"externalCustomerId": "alice-1", "telegramUserId": 7}
    response = await client.post(
        "/api/v1/contacts/telegram", json=body, headers={"Origin": "https://evil.example"}
    )
    assert response.status == 403
    unlinked = await client.get("/api/v1/contacts/profile?telegramUserId=7")
    assert unlinked.status == 404


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.5:8080"])
async def test_without_a_key_only_requests_addressed_to_this_machine_are_answered(
    client: Client, host: str
) -> None:
    # DNS rebinding: a page's own host name made to resolve to 127.0.0.1.
    response = await client.get("/api/v1/contacts/profile?contactId=1", headers={"Host": host})
    assert response.status == 403
    assert "alice" not in await response.text()
    for own in ("localhost:8080", "127.0.0.1", "[::1]:8080"):
        response = await client.get("/api/v1/stats", headers={"Host": own})
        assert response.status == 200, own
    assert (await client.get("/healthz", headers={"Host": host})).status == 200
