"""Tracker events posted by the shop's site or backend."""

from __future__ import annotations

from aiohttp import web

from recoms.api.keys import SERVICE
from recoms.api.params import json_body
from recoms.api.schemas import MAX_EVENTS, EventsAccepted, RejectedEvent, dump
from recoms.errors import InvalidRequest, RecomsError
from recoms.service import RecomsService

routes = web.RouteTableDef()

SHAPE = "the body must be one tracker event (a JSON object) or a JSON array of them"


@routes.post("/api/v1/events")
async def post_events(request: web.Request) -> web.Response:
    """One event is recorded or refused with 400. In an array each event stands alone: a bad
    one is reported by its index and skipped, the others are recorded (400 only when none is)."""
    body = await json_body(request)
    service = request.app[SERVICE]
    if isinstance(body, dict):
        await service.track(body)
        return web.json_response(dump(EventsAccepted(accepted=1)), status=202)
    if not isinstance(body, list) or not body:
        raise InvalidRequest(SHAPE)
    if len(body) > MAX_EVENTS:
        raise InvalidRequest(f"at most {MAX_EVENTS} events per request, got {len(body)}")
    report = EventsAccepted(accepted=0)
    for index, event in enumerate(body):
        reason = await _track(service, event)
        if reason is None:
            report.accepted += 1
        else:
            report.rejected.append(RejectedEvent(index=index, reason=reason))
    if not report.accepted:
        reasons = "; ".join(f"[{item.index}] {item.reason}" for item in report.rejected[:5])
        raise InvalidRequest(f"no event was recorded: {reasons}")
    return web.json_response(dump(report), status=202)


async def _track(service: RecomsService, event: object) -> str | None:
    """Why ``event`` was refused, or None once it is recorded."""
    if not isinstance(event, dict):
        return "an event must be a JSON object"
    try:
        await service.track(event)
    except RecomsError as error:
        return error.message
    return None
