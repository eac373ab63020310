"""Bad requests get a 4xx with a JSON message that says what was wrong; never a 500."""

from __future__ import annotations

import re
import string

import pytest
from aiohttp import ClientResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoms.api.openapi import build_document
from recoms.api.queries import MISSING_IDENTIFIER
from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, Client, MakeClient

RECOMS = "/api/v2/contacts/recoms"
IDENTIFIERS = ["email", "phone", "externalCustomerId", "webId"]


async def error_of(response: ClientResponse, status: int) -> str:
    """The message of an error response, after checking its status and shape."""
    body = await response.json()
    assert response.status == status, body
    assert set(body) == {"error", "message"}
    message: str = body["message"]
    return message


async def test_missing_identifiers(client: Client) -> None:
    for query in ("", "?products=k-mug", "?email=&phone=%20", "?somethingElse=1"):
        message = await error_of(await client.get(f"{RECOMS}/2{query}"), 400)
        assert message == MISSING_IDENTIFIER
    assert MISSING_IDENTIFIER == (
        "at least one of contactId, email, phone, externalCustomerId, webId is required"
    )


async def test_product_based_lists_require_products(client: Client) -> None:
    for source in (3, 4, 5):
        message = await error_of(await client.get(f"{RECOMS}/{source}?webId=v"), 400)
        assert "products" in message


async def test_unknown_data_source(client: Client) -> None:
    message = await error_of(await client.get(f"{RECOMS}/999?webId=v"), 404)
    assert "999" in message


@pytest.mark.parametrize("segment", ["abc", "1.5", "-1", "0", "1e3", "99999999999999999999999"])
async def test_data_source_id_must_be_a_positive_integer(client: Client, segment: str) -> None:
    message = await error_of(await client.get(f"{RECOMS}/{segment}?webId=v"), 400)
    assert message.startswith("dataSourceId: ")


@pytest.mark.parametrize("value", ["abc", "1.5", "-3", "0", "9" * 30])
async def test_contact_id_must_be_a_positive_integer(client: Client, value: str) -> None:
    message = await error_of(await client.get(f"{RECOMS}/1", params={"contactId": value}), 400)
    assert message.startswith("contactId:")


async def test_huge_parameters_are_refused_with_a_clear_message(client: Client) -> None:
    big = "x" * 10_000
    message = await error_of(await client.get(f"{RECOMS}/1", params={"email": big}), 400)
    assert message.startswith("email")
    assert "too long" in message
    message = await error_of(await client.get(f"{RECOMS}/1", params={"webId": "w" * 300}), 400)
    assert message.startswith("webId:")
    many = ",".join(f"p{n}" for n in range(3000))
    message = await error_of(await client.get(f"{RECOMS}/3?webId=v&products={many}"), 400)
    assert message.startswith("products:")
    assert "100" in message
    repeated = "&".join(f"products=p{n}" for n in range(1000))
    message = await error_of(await client.get(f"{RECOMS}/3?webId=v&{repeated}"), 400)
    assert message.startswith("products:")
    long_id = "p" * 1000
    message = await error_of(await client.get(f"{RECOMS}/3?webId=v&products={long_id}"), 400)
    assert message.startswith("products.0:")


async def test_an_identifier_given_twice_is_refused(client: Client) -> None:
    message = await error_of(await client.get(f"{RECOMS}/1?email=a@b.c&email=d@e.f"), 400)
    assert message == "email must be given once"


@pytest.mark.parametrize(
    ("path", "key"),
    [
        *((f"{RECOMS}/3", key) for key in [*IDENTIFIERS, "products", "category"]),
        *(("/api/v1/contacts/profile", key) for key in IDENTIFIERS),
        ("/api/v1/products", "search"),
    ],
)
async def test_control_characters_are_refused(client: Client, key: str, path: str) -> None:
    # NUL would otherwise reach PostgreSQL, which refuses it in text.
    query = {"webId": "v", "products": "k-mug", key: "a\x00b"}
    message = await error_of(await client.get(path, params=query), 400)
    assert message.startswith(key)
    assert message.endswith("must not contain control characters")


async def test_unknown_endpoint_and_method_answer_json(client: Client) -> None:
    message = await error_of(await client.get("/api/v2/nothing"), 404)
    assert message == "no such endpoint: GET /api/v2/nothing"
    response = await client.delete(f"{RECOMS}/1")
    message = await error_of(response, 405)
    assert "GET" in message
    assert "GET" in response.headers["Allow"]


async def test_no_route_is_a_json_404_or_405_with_allow_even_without_the_key(
    service: RecomsService, make_client: MakeClient
) -> None:
    """What the published document says anyway needs no key: an unknown path is a 404, a
    method a declared path does not take a 405 naming those it takes."""
    client = await make_client(service, api_key=API_KEY)
    message = await error_of(await client.get("/api/v2/nothing"), 404)
    assert message == "no such endpoint: GET /api/v2/nothing"
    for path, item in build_document()["paths"].items():
        declared = {method.upper() for method in item}
        url = re.sub(r"{\w+}", "1", path)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - declared):
            response = await client.request(method, url)
            message = await error_of(response, 405)
            allowed = set(response.headers["Allow"].split(","))
            assert allowed - {"HEAD"} == declared, (method, path)
            assert message.startswith(f"{method} is not allowed here; use ")
    assert (await client.get(f"{RECOMS}/2?webId=v")).status == 401


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.printable), st.characters(codec="utf-8"), st.just("\x00")
    ),
    max_size=40,
)
KEYS = st.sampled_from(
    [
        "contactId",
        "email",
        "phone",
        "externalCustomerId",
        "webId",
        "telegramUserId",
        "products",
        "products[]",
        "category",
        "limit",
        "x",
    ]
)
VALUES = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.lists(st.sampled_from(["k-mug", "o-pen", "", "?", "nope"]), max_size=5).map(",".join),
)
SEGMENTS = st.one_of(
    st.integers(min_value=-5, max_value=12).map(str), st.text(min_size=1, max_size=20)
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    segment=SEGMENTS,
    query=st.lists(st.tuples(KEYS, VALUES), max_size=6),
    path=st.sampled_from(["recoms", "profile", "products", "datasource"]),
)
async def test_no_request_parameters_make_a_500(
    client: Client, segment: str, query: list[tuple[str, str]], path: str
) -> None:
    urls = {
        "recoms": f"{RECOMS}/{{segment}}",
        "profile": "/api/v1/contacts/profile",
        "products": "/api/v1/products",
        "datasource": "/api/v1/datasources/{segment}",
    }
    url = client.make_url("/").with_path(urls[path].format(segment=segment), encoded=False)
    response = await client.session.get(url.with_query(query))
    assert response.status in (200, 204, 400, 404), await response.text()
    if response.status >= 400:
        assert "message" in await response.json()
