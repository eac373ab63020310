"""The engine's use cases behind one facade, ``RecomsService``; the layer that owns transactions.

Modules: ``facade`` (the service and ``open_service``), ``catalogue`` (feed import, product
reads), ``orders`` (the bulk order import), ``tracking`` (tracker events), ``contacts``,
``datasources``, ``recommendations`` (what a request reads), ``serving`` (the model's
lifecycle), ``stats``, ``reports`` (what use cases hand back) and ``batches`` (parsing in a
worker thread).
"""

from __future__ import annotations

from recoms.domain import Rejected
from recoms.service.datasources import validate_params
from recoms.service.facade import RecomsService, open_service, utc_now
from recoms.service.reports import ImportReport, Progress, RebuildReport, Stats

__all__ = [
    "ImportReport",
    "Progress",
    "RebuildReport",
    "RecomsService",
    "Rejected",
    "Stats",
    "open_service",
    "utc_now",
    "validate_params",
]
