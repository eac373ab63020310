"""Storage of the engine: SQLAlchemy models, migrations and repositories (SQLite, PostgreSQL)."""

from recoms.storage.database import Database, create_database, migrate

__all__ = ["Database", "create_database", "migrate"]
