"""Tracker events posted by the shop's site or backend."""

from __future__ import annotations

from aiohttp import web

from recoms.api.access import Access
from recoms.api.keys import GRANTED, SERVICE
from recoms.api.params import json_body
from recoms.api.schemas import MAX_EVENTS, EventsAccepted, RejectedEvent, dump
from recoms.errors import Forbidden, InvalidRequest, RecomsError
from recoms.service import RecomsService

routes = web.RouteTableDef()

SHAPE = "the body must be one tracker event (a JSON object) or a JSON array of them"


@routes.post("/api/v1/events")
async def post_events(request: web.Request) -> web.Response:
    """One event is recorded or refused with 400 (403 when it names a person and the caller
    holds the public key). In an array each event stands alone: a refused one is reported by
    its index and skipped, the others are recorded (an error only when none is)."""
    body = await json_body(request)
    tracker = Tracker(request.app[SERVICE], visitor_only=request.get(GRANTED) is Access.PUBLIC)
    if isinstance(body, dict):
        await tracker.track(body)
        return web.json_response(dump(EventsAccepted(accepted=1)), status=202)
    if not isinstance(body, list) or not body:
        raise InvalidRequest(SHAPE)
    if len(body) > MAX_EVENTS:
        raise InvalidRequest(f"at most {MAX_EVENTS} events per request, got {len(body)}")
    report = EventsAccepted(accepted=0)
    refusals: list[RecomsError] = []
    for index, refusal in enumerate(await tracker.track_many(body)):
        if refusal is None:
            report.accepted += 1
        else:
            refusals.append(refusal)
            report.rejected.append(RejectedEvent(index=index, reason=refusal.message))
    if not report.accepted:
        reasons = "; ".join(f"[{item.index}] {item.reason}" for item in report.rejected[:5])
        forbidden = all(isinstance(refusal, Forbidden) for refusal in refusals)
        raise (Forbidden if forbidden else InvalidRequest)(f"no event was recorded: {reasons}")
    return web.json_response(dump(report), status=202)


class Tracker:
    """Records the events of one request, with what the caller's key allows."""

    def __init__(self, service: RecomsService, *, visitor_only: bool) -> None:
        self.service = service
        self.visitor_only = visitor_only

    async def track(self, event: dict[str, object]) -> None:
        await self.service.track(event, visitor_only=self.visitor_only)

    async def track_many(self, events: list[object]) -> list[RecomsError | None]:
        """For each event, in order, None once it is recorded or why it was refused."""
        return await self.service.track_many(events, visitor_only=self.visitor_only)
