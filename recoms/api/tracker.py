"""Yespo's REST tracker at its own path, ``POST /api/v2``: a shop points the tracker calls it
already makes at this engine by changing the host (tracker.yespo.io -> here)."""

from __future__ import annotations

from aiohttp import web

from recoms.api import events

routes = web.RouteTableDef()

TRACKER = "/api/v2"


@routes.post(TRACKER)
async def post_tracker_events(request: web.Request) -> web.StreamResponse:
    """``POST /api/v1/events`` (same bodies, refusals and key rules) answering 200 where that
    answers 202, as Yespo's tracker does ("Response status code is 200", docs.yespo.io/docs/
    how-transfer-website-behavior-data-through-rest-api)."""
    response = await events.post_events(request)
    response.set_status(200)
    return response
