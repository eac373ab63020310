"""Click-through of the chat's lists: the signed shop-link redirect, cards shown, figures."""

from __future__ import annotations

import base64

from aiohttp import web

from recoms.api.keys import SERVICE
from recoms.api.params import body_model, query_params
from recoms.api.queries import ClickQuery, ListFiguresQuery
from recoms.api.schemas import (
    ClickKeyOut,
    ListFiguresOut,
    ListsFiguresOut,
    ListShownIn,
    dump,
)
from recoms.clicks import CLICK_PATH

routes = web.RouteTableDef()


# No HEAD: link previewers and scanners probe a link with it, and a probe is not a tap.
@routes.get(CLICK_PATH, allow_head=False)
async def get_click(request: web.Request) -> web.Response:
    """302 to the product's shop URL from the catalogue (never one from the request), with
    the link's UTM tags, once the click is recorded; 403 for a link whose signature does not
    match, 404 for a product without a shop URL."""
    query = query_params(ClickQuery, request)
    target = await request.app[SERVICE].follow_click(query.link(), query.s)
    return web.Response(
        status=302,
        headers={
            "Location": target,
            # Each tap counts; the shop need not see the signed link it came through.
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


@routes.post("/api/v1/lists/shown")
async def post_list_shown(request: web.Request) -> web.Response:
    body = await body_model(ListShownIn, request)
    await request.app[SERVICE].record_shown(
        body.list_name, body.product_id, contact_id=body.contact_id
    )
    return web.Response(status=204)


@routes.get("/api/v1/lists/figures")
async def get_list_figures(request: web.Request) -> web.Response:
    query = query_params(ListFiguresQuery, request)
    figures = await request.app[SERVICE].list_figures(days=query.days)
    lists = [
        ListFiguresOut(list_name=f.list_name, shown=f.shown, clicks=f.clicks) for f in figures
    ]
    return web.json_response(dump(ListsFiguresOut(lists=lists)))


@routes.get("/api/v1/clicks/key")
async def get_click_key(request: web.Request) -> web.Response:
    key = await request.app[SERVICE].click_key()
    text = base64.urlsafe_b64encode(key).rstrip(b"=").decode()
    return web.json_response(dump(ClickKeyOut(key=text)))
