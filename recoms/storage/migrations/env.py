"""Alembic environment of the engine's tables (``recoms.runtime.migrations`` runs it)."""

from recoms.runtime.migrations import run_environment
from recoms.storage.models import Base

run_environment(Base.metadata)
