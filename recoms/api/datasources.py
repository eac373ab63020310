"""Data sources: which algorithm and params back each recommendation list."""

from __future__ import annotations

from aiohttp import web

from recoms.api.keys import SERVICE
from recoms.api.params import body_model, path_params, validate
from recoms.api.queries import DataSourcePath
from recoms.api.schemas import (
    DataSourceCreate,
    DataSourceOut,
    DataSourceParamsModel,
    DataSourcePatch,
    DataSourceReplace,
    dump,
)
from recoms.domain import DataSourceId
from recoms.errors import Conflict, InvalidRequest

routes = web.RouteTableDef()

ONE = "/api/v1/datasources/{dataSourceId}"


def _id(request: web.Request) -> DataSourceId:
    return DataSourceId(path_params(DataSourcePath, request).data_source_id)


@routes.get("/api/v1/datasources")
async def list_data_sources(request: web.Request) -> web.Response:
    sources = await request.app[SERVICE].list_data_sources()
    return web.json_response([dump(DataSourceOut.from_domain(source)) for source in sources])


@routes.get(ONE)
async def get_data_source(request: web.Request) -> web.Response:
    source = await request.app[SERVICE].get_data_source(_id(request))
    return web.json_response(dump(DataSourceOut.from_domain(source)))


@routes.post("/api/v1/datasources")
async def create_data_source(request: web.Request) -> web.Response:
    body = await body_model(DataSourceCreate, request)
    source = await request.app[SERVICE].create_data_source(
        body.name, body.algorithm, body.params.to_domain()
    )
    return web.json_response(
        dump(DataSourceOut.from_domain(source)),
        status=201,
        headers={"Location": f"/api/v1/datasources/{source.id}"},
    )


@routes.put(ONE)
async def replace_data_source(request: web.Request) -> web.Response:
    """The whole record: params not given take their defaults. ``id`` and ``algorithm`` may
    be sent back as read, but changing them is refused (create a new data source instead)."""
    data_source_id = _id(request)
    body = await body_model(DataSourceReplace, request)
    if body.id is not None and body.id != data_source_id:
        raise Conflict("id in the body differs from the one in the path")
    service = request.app[SERVICE]
    if body.algorithm is not None:
        current = await service.get_data_source(data_source_id)
        if body.algorithm != current.algorithm:
            raise Conflict("the algorithm of a data source cannot be changed; create a new one")
    source = await service.update_data_source(
        data_source_id, name=body.name, params=body.params.to_domain()
    )
    return web.json_response(dump(DataSourceOut.from_domain(source)))


@routes.patch(ONE)
async def patch_data_source(request: web.Request) -> web.Response:
    """Only the fields given change, params included (``{"params": {"limit": 5}}``)."""
    data_source_id = _id(request)
    body = await body_model(DataSourcePatch, request)
    service = request.app[SERVICE]
    params = None
    if body.params is not None:
        current = await service.get_data_source(data_source_id)
        merged = DataSourceParamsModel.from_domain(current.params).model_dump(by_alias=False)
        merged.update(body.params.model_dump(by_alias=False, exclude_none=True))
        try:
            params = validate(DataSourceParamsModel, merged).to_domain()
        except InvalidRequest as error:
            # Each field given is valid: what clashes is the band with the stored bound.
            raise Conflict(error.message) from None
    source = await service.update_data_source(data_source_id, name=body.name, params=params)
    return web.json_response(dump(DataSourceOut.from_domain(source)))
