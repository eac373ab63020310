"""Engine settings, read once from the environment and ``.env`` by the composition root."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_PATH = Path("var") / "recoms.db"


class RecomsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RECOMS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_DATABASE_PATH}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, the API asks for HTTP Basic with it as password."
    )
    default_region: str = Field(
        default="UA", description="Region for phone numbers written without a country code."
    )
    default_currency: str | None = Field(
        default=None, description="Currency of order prices when an order file names none."
    )
    host: str = "127.0.0.1"
    port: int = 8080
    model_refresh_seconds: float = Field(
        default=5.0, description="How often a serving process looks for a newer rebuilt model."
    )
