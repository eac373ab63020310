"""The whole OpenAPI document fuzzed by schemathesis against a real server on loopback, with
every check schemathesis has: no answer is a 500, every schema-valid request is accepted and
every schema-violating one refused, every status, content type and body is the documented one,
undeclared methods are 405s with ``Allow``, and no route answers without the key it needs.

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
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import negative_data_rejection

from recoms.api import create_app
from recoms.api.access import ROUTES, Access
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
# A request line or header too long for the HTTP parser is refused unread: invalid data that
# is refused, as a 400 would.
schema.config.checks.negative_data_rejection.expected_statuses += ["414", "431"]


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


def blank(value: object) -> bool:
    if isinstance(value, list):
        return all(blank(item) for item in value)
    return value is None or (isinstance(value, str) and not value.strip())


IDENTIFIERS = ("contactId", "email", "phone", "externalCustomerId", "webId", "telegramUserId")
NEEDS_PRODUCTS = {"3", "4", "5"}
"""The shop's product-based data sources (also_bought, you_may_also_like, alternatives)."""
VALID_EVENT = {
    "GeneralInfo": {"eventName": "ProductPage", "cookies": {"sc": "fuzz-visitor"}},
    "ProductPage": {"Product": {"productKey": "k-mug"}},
}


def keep_cross_field_rules(case: schemathesis.Case) -> None:
    """A schema-valid case made to keep the rules the document states in words only, as
    OpenAPI cannot express them: a contact named by one identifier at least, products for a
    product-based list, either ``search`` or ``ids``, a price band the right way round, not both
    ``excludePurchased`` and ``purchasedOnly``, a phone and an email that read as such, and a
    tracker event the engine knows."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    query = case.query if case.query is not None else {}
    operation = case.operation.definition.raw.get("operationId")
    if operation in ("getRecoms", "getContactProfile"):
        if all(blank(query.get(name)) for name in IDENTIFIERS):
            query["webId"] = "fuzz-visitor"
        if str((case.path_parameters or {}).get("dataSourceId")) in NEEDS_PRODUCTS and blank(
            query.get("products")
        ):
            query["products"] = ["k-mug"]
    if operation == "findProducts" and blank(query.get("search")) == blank(query.get("ids")):
        query.pop("ids", None)
        query["search"] = "mug"
    case.query = query
    body = case.body
    if isinstance(body, dict):
        params = body.get("params")
        if isinstance(params, dict):
            low, high = params.get("priceRatioMin"), params.get("priceRatioMax")
            if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
                params["priceRatioMin"], params["priceRatioMax"] = high, low
            if params.get("excludePurchased") is True and params.get("purchasedOnly") is True:
                params["purchasedOnly"] = False
        if operation == "linkTelegram":
            body["phone"] = None if blank(body.get("phone")) else "+380501110009"
            body["email"] = None if blank(body.get("email")) else "fuzz@example.com"
            if body.get("ownContactShare") or all(blank(body.get(n)) for n in IDENTIFIERS[:5]):
                body["phone"] = "+380501110009"
    if operation in ("postEvents", "postTrackerEvents"):
        case.body = [VALID_EVENT] * len(body) if isinstance(body, list) else dict(VALID_EVENT)


def call(
    case: schemathesis.Case, base_url: str, headers: dict[str, str], password: str | None
) -> schemathesis.Response:
    case.headers = dict(headers)
    # Given as the caller's own headers, the key is known to be real: the auth checks then
    # also try the request without it and with a wrong one.
    auth = {} if password is None else {"Authorization": encode_basic_auth("shop", password)}
    response = case.call(base_url=base_url, headers=auth)
    # Every check schemathesis has, the contract ones included. A case invalid only in its
    # Authorization header is a valid one once the caller's key replaces that header.
    excluded = [] if invalid_as_sent(case, keyed=bool(auth)) else [negative_data_rejection]
    case.validate_response(response, headers=auth, excluded_checks=excluded)
    return response


ARRAYS = {"products", "category", "ids"}


def invalid_as_sent(case: schemathesis.Case, *, keyed: bool) -> bool:
    """Whether a case drawn invalid still is once sent. Not when invalid only in its
    Authorization header and the caller's key replaces it, nor in what a query string cannot
    say: a parameter the document does not list (ignored, as the document says and Yespo's
    API does), one value where an array is declared (``ids=a`` is the one-item array), or a
    value the query string cannot carry as drawn (see ``blurred_on_the_wire``)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    negated = {location for location, part in meta.components.items() if part.mode.is_negative}
    if keyed and negated <= {ParameterLocation.HEADER}:
        return False
    data = meta.phase.data
    if isinstance(data, CoveragePhaseData):
        if data.parameter_location is ParameterLocation.HEADER:
            return not keyed
        unknown = data.scenario in (
            CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES,
            CoverageScenario.OBJECT_ADDITIONAL_PROPERTY,
        )
        one_value = data.parameter in ARRAYS and not isinstance(
            (case.query or {}).get(data.parameter), list
        )
        blurred = blurred_on_the_wire((case.query or {}).get(data.parameter))
        return data.parameter_location not in (ParameterLocation.QUERY, None) or not (
            unknown or one_value or blurred
        )
    mutations = getattr(data, "mutations", ())
    return not mutations or any(
        not (
            (keyed and mutation.parameter_location is ParameterLocation.HEADER)
            or (
                mutation.parameter_location is ParameterLocation.QUERY
                and (
                    "additionalProperties" in mutation.keywords
                    or (
                        mutation.parameter in ARRAYS
                        and not isinstance(mutation.new_value, list | dict)
                    )
                    or blurred_on_the_wire((case.query or {}).get(mutation.parameter))
                )
            )
        )
        for mutation in mutations
    )


def blurred_on_the_wire(value: object) -> bool:
    """Whether a query value drawn invalid may be sent as a valid one: nothing at all (null, an
    empty array or object send no parameter, and an optional one may be absent), or a one-item
    array or object, sent as that one item (``limit=[5]`` goes as ``limit=5``)."""
    return value is None or (isinstance(value, list | tuple | dict) and len(value) <= 1)


def passwords(case: schemathesis.Case) -> tuple[str | None, ...]:
    """Without credentials, with the public key, a wrong key and the admin key; a case drawn
    to go without the Authorization header goes without it only."""
    data = case.meta.phase.data if case.meta is not None else None
    if getattr(data, "parameter", None) == "Authorization":
        return (None,)
    return (None, PUBLIC_KEY, API_KEY + "-guess", API_KEY)


REFUSED_UNREAD = {404, 414, 431}
"""A path the router matches to no route (an empty productId) is a 404 whoever asks; a
request line or header too long is refused before anything reads it, credentials included:
no answer either, and as safe as a 401."""


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
    keep_cross_field_rules(case)
    route = (case.method.upper(), case.path)
    for password in passwords(case):
        response = call(case, base_url, headers, password)
        expected = refusal(route, password)
        if expected is not None and any(name.lower() == "origin" for name in headers):
            # A web page (any Origin) is refused on the routes not for pages before its key.
            expected |= {403}
        if expected is not None:
            assert response.status_code in expected, (route, password, response.status_code)


def refusal(route: tuple[str, str], password: str | None) -> set[int] | None:
    """The statuses that must refuse ``password`` on ``route``; None when it may pass."""
    if route not in ROUTES:
        # A method the path does not take: the router's 405, whoever asks.
        return {405, *REFUSED_UNREAD}
    needed = ROUTES[route]
    if needed is Access.OPEN or password == API_KEY:
        return None
    if password == PUBLIC_KEY:
        return None if needed is Access.PUBLIC else {403, *REFUSED_UNREAD}
    return {401, *REFUSED_UNREAD}
