"""The document lists exactly what the handlers validate with: parameters come from the models
in ``recoms.api.queries.INPUTS``, and the handlers read those models and no others."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from recoms.api.access import ROUTES, Route
from recoms.api.openapi import build_document
from recoms.api.params import query_params
from recoms.api.queries import (
    ARRAY_ITEM,
    INPUTS,
    PRINTABLE,
    ProfileQuery,
    _array_item,
    _printable,
)
from tests.recoms.api.conftest import Client, ids
from tests.recoms.api.test_access import documented

RECOMS = "/api/v2/contacts/recoms"


def listed(route: Route) -> dict[tuple[str, str], dict[str, Any]]:
    operation = documented(build_document())[route]
    return {
        (parameter["in"], parameter["name"]): parameter
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("path", "query")
    }


@pytest.mark.parametrize("route", sorted(r for r in ROUTES if r[0] != "OPTIONS"))
def test_the_documents_parameters_are_the_fields_of_the_handlers_models(route: Route) -> None:
    inputs = INPUTS.get(route)
    fields: dict[tuple[str, str], bool] = {}
    if inputs is not None:
        for location, model in (("path", inputs.path), ("query", inputs.query)):
            for name, field in (model.model_fields if model else {}).items():
                fields[(location, field.alias or name)] = location == "path" or field.is_required()
    got = listed(route)
    assert {key: parameter["required"] for key, parameter in got.items()} == fields
    # Every path segment of the template is a declared path parameter.
    segments = {("path", name) for name in re.findall(r"{(\w+)}", route[1])}
    assert {key for key in fields if key[0] == "path"} == segments


def test_array_parameters_are_documented_as_repeated_with_their_bounds() -> None:
    got = listed(("GET", "/api/v2/contacts/recoms/{dataSourceId}"))
    category = got[("query", "category")]
    assert category["style"] == "form"
    assert category["explode"] is True
    assert category["schema"]["maxItems"] == 10
    assert category["schema"]["items"]["pattern"] == ARRAY_ITEM
    assert "any of them" in category["description"]
    data_source = got[("path", "dataSourceId")]["schema"]
    assert data_source == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


ODD = st.text(
    alphabet=st.one_of(st.sampled_from(' ,"[]\x00\x1f\x7fab'), st.characters(codec="utf-8")),
    max_size=8,
)


@given(ODD)
def test_each_published_pattern_accepts_what_its_check_accepts(value: str) -> None:
    for pattern, check in ((ARRAY_ITEM, _array_item), (PRINTABLE, _printable)):
        try:
            check(value)
        except ValueError:
            accepted = False
        else:
            accepted = True
        # JSON Schema reads ``$`` as the end of the string (ECMA-262), Python's ``re`` also
        # before a final newline.
        ecma = re.compile(pattern.removesuffix("$") + r"\Z")
        assert accepted == (ecma.search(value) is not None), (pattern, value)


async def test_a_parameter_the_document_does_not_list_is_ignored(client: Client) -> None:
    """As Yespo's API does: a page's cache-buster or a misspelt name changes nothing, and a
    field's Python name (``web_id``) is not a second spelling of a parameter."""
    assert "not list are ignored" in build_document()["info"]["description"]
    plain = await ids(await client.get(f"{RECOMS}/2", params={"webId": "v"}))
    noisy = await client.get(
        f"{RECOMS}/2?webId=v&_=1700000000&_=2&utm_source=mail&web_id=x&contact_id=abc"
    )
    assert await ids(noisy) == plain


async def test_several_categories_give_items_of_any_of_them(client: Client) -> None:
    office = set(await ids(await client.get(f"{RECOMS}/2?webId=v&category=Office")))
    kitchen = set(await ids(await client.get(f"{RECOMS}/2?webId=v&category=Kitchen")))
    assert office
    assert kitchen
    repeated = await ids(await client.get(f"{RECOMS}/2?webId=v&category=Office&category=Kitchen"))
    assert set(repeated) == office | kitchen
    comma = await ids(await client.get(f"{RECOMS}/2?webId=v&category=Office,Kitchen"))
    php = await ids(await client.get(f"{RECOMS}/2?webId=v&category[]=Office&category[]=Kitchen"))
    assert repeated == comma == php


async def test_an_unknown_category_is_an_empty_list(client: Client) -> None:
    assert await ids(await client.get(f"{RECOMS}/2?webId=v&category=Garden")) == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ('products=["k-mug"]', "products"),
        ('products=["k-mug","o-pen"]', "products"),
        ("products=[k-mug]", "products"),
        ('products="k-mug"', "products"),
        ('category=["Kitchen"]', "category"),
        ("category=k-mug&category=[Office]", "category"),
    ],
)
async def test_a_json_array_where_a_list_is_expected_is_refused(
    client: Client, query: str, name: str
) -> None:
    response = await client.get(f"{RECOMS}/3?webId=v&products=k-mug&{query}")
    assert response.status == 400, await response.text()
    message = (await response.json())["message"]
    assert message.startswith(f"{name}.")
    assert "repeat the parameter" in message


@pytest.mark.parametrize(
    ("template", "url"),
    [("/api/v1/extra", "/api/v1/extra"), (RECOMS + "/{dataSourceId}", RECOMS + "/1")],
)
async def test_a_handler_reading_a_model_the_document_does_not_list_fails_loudly(
    template: str, url: str
) -> None:
    """A route missing from ``INPUTS``, or a handler reading another model than the one
    ``INPUTS`` declares for it, is an error the tests see, never a parameter that the document
    leaves out."""
    failures: list[BaseException] = []

    async def reads_the_profile_query(request: web.Request) -> web.Response:
        try:
            query_params(ProfileQuery, request)
        except LookupError as error:
            failures.append(error)
            raise
        return web.json_response({})

    app = web.Application()
    app.router.add_get(template, reads_the_profile_query)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get(url, params={"webId": "v"})).status == 500
    assert len(failures) == 1
