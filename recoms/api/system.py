"""Health, figures and the API's own documentation."""

from __future__ import annotations

import logging

from aiohttp import web

from recoms.api.keys import SERVICE
from recoms.api.openapi import build_document
from recoms.api.schemas import Health, StatsOut, dump
from recoms.httpkit import readiness_response
from recoms.runtime.readiness import READINESS

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        # The smallest query the service contract offers: a handful of rows.
        await request.app[SERVICE].list_data_sources()
    except Exception:
        # A load balancer only needs to know; the reason goes to the log.
        log.exception("Health check failed")
        return web.json_response(dump(Health(status="unavailable")), status=503)
    return web.json_response(dump(Health(status="ok")))


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Whether to send this process traffic: the database answers at the newest migration,
    the catalogue and model are in memory, and whatever the embedding application checks."""
    reasons = []
    try:
        if (reason := await request.app[SERVICE].not_ready()) is not None:
            reasons.append(f"engine: {reason}")
    except Exception as error:
        reasons.append(f"engine: {type(error).__name__}: {error}")
    if (extra := request.app.get(READINESS)) is not None:
        reasons.extend(await extra.reasons())
    return readiness_response(reasons)


@routes.get("/api/v1/stats")
async def get_stats(request: web.Request) -> web.Response:
    stats = await request.app[SERVICE].stats()
    return web.json_response(dump(StatsOut.from_domain(stats)))


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_document())
