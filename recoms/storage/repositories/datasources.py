"""Data sources: the stored lists a shop asks for by id, with their parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import Algorithm, DataSource, DataSourceId, DataSourceParams, ProductId
from recoms.storage.models import DataSourceRow


def params_to_json(params: DataSourceParams) -> dict[str, Any]:
    values = dataclasses.asdict(params)
    values["product_ids"] = list(params.product_ids)
    return values


def params_from_json(values: Mapping[str, Any]) -> DataSourceParams:
    known = {field.name for field in dataclasses.fields(DataSourceParams)}
    kwargs = {key: value for key, value in values.items() if key in known}
    if "product_ids" in kwargs:
        kwargs["product_ids"] = tuple(ProductId(str(pid)) for pid in kwargs["product_ids"])
    return DataSourceParams(**kwargs)


def data_source_from_row(row: DataSourceRow) -> DataSource:
    return DataSource(
        id=DataSourceId(row.id),
        name=row.name,
        algorithm=Algorithm(row.algorithm),
        params=params_from_json(row.params or {}),
    )


class DataSourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self) -> list[DataSource]:
        rows = await self.session.scalars(select(DataSourceRow).order_by(DataSourceRow.id))
        return [data_source_from_row(row) for row in rows]

    async def get(self, data_source_id: int) -> DataSource | None:
        row = await self.session.get(DataSourceRow, data_source_id)
        return None if row is None else data_source_from_row(row)

    async def create(
        self, name: str, algorithm: Algorithm, params: DataSourceParams
    ) -> DataSource:
        row = DataSourceRow(name=name, algorithm=str(algorithm), params=params_to_json(params))
        self.session.add(row)
        await self.session.flush()
        return data_source_from_row(row)

    async def update(
        self, data_source_id: int, *, name: str | None, params: DataSourceParams | None
    ) -> DataSource | None:
        row = await self.session.get(DataSourceRow, data_source_id)
        if row is None:
            return None
        if name is not None:
            row.name = name
        if params is not None:
            row.params = params_to_json(params)
        await self.session.flush()
        return data_source_from_row(row)
