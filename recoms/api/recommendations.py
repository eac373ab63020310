"""The Yespo-compatible recommendation endpoint."""

from __future__ import annotations

from aiohttp import web

from recoms.api.access import Access
from recoms.api.keys import GRANTED, RENDERED, SERVICE
from recoms.api.params import path_params, query_params
from recoms.api.queries import MISSING_IDENTIFIER, DataSourcePath, RecomsQuery
from recoms.domain import DataSourceId, Identity, ProductId
from recoms.errors import InvalidRequest
from recoms.presenters import RenderedProducts

routes = web.RouteTableDef()

WEB_ID_ONLY = (
    "with the public key, name the visitor by webId (the tracker's cookie); contactId, "
    "email, phone, externalCustomerId and telegramUserId need the admin key"
)


# Requests read the same few query strings again and again (a shop's pages, the bot): each is
# validated once. A query string's meaning depends on nothing else.
PARSED_QUERIES = 50_000
Asked = tuple[DataSourceId, Identity, list[ProductId], list[str]]
_parsed: dict[tuple[str, str], Asked] = {}


def _asked(request: web.Request) -> Asked:
    """The data source, identity, products and categories the request names (validated)."""
    key = (request.match_info["dataSourceId"], request.query_string)
    found = _parsed.get(key)
    if found is not None:
        return found
    data_source_id = DataSourceId(path_params(DataSourcePath, request).data_source_id)
    query = query_params(RecomsQuery, request)
    identity = query.to_identity()
    if identity.is_empty():
        raise InvalidRequest(MISSING_IDENTIFIER)
    asked = (data_source_id, identity, list(query.product_ids), list(query.categories))
    if len(_parsed) >= PARSED_QUERIES:
        _parsed.clear()
    _parsed[key] = asked
    return asked


@routes.get("/api/v2/contacts/recoms/{dataSourceId}")
async def get_recoms(request: web.Request) -> web.Response:
    data_source_id, identity, product_ids, categories = _asked(request)
    # The public key is in the shop's pages for anyone to read; sequential contact ids or a
    # known email would otherwise list what any customer bought.
    if request.get(GRANTED) is Access.PUBLIC and identity != Identity(web_id=identity.web_id):
        raise web.HTTPForbidden(text=WEB_ID_ONLY)
    products = await request.app[SERVICE].answer(
        data_source_id, identity, products=product_ids, categories=categories
    )
    # An app assembled from the routes without ``create_app`` renders at each request.
    rendered = request.app.get(RENDERED) or RenderedProducts()
    return web.Response(
        body=rendered.list_body(products), content_type="application/json", charset="utf-8"
    )
