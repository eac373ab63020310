"""Engine settings, read once from the environment and ``.env`` by the composition root."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    host: str = Field(
        default="127.0.0.1", description="Address `recoms serve` and `recoms demo` listen on."
    )
    port: int = Field(default=8080, description="Port `recoms serve` and `recoms demo` listen on.")
    model_refresh_seconds: float = Field(
        default=5.0, description="How often a serving process looks for a newer rebuilt model."
    )
    feed_allow_private: bool = Field(
        default=False,
        description="Let feed URLs reach private, loopback and other non-public addresses "
        "(the shop's own network). Off: only public addresses, checked on every redirect.",
    )
    feed_allow_networks: str = Field(
        default="",
        description="Comma-separated networks (CIDR, e.g. 10.1.2.0/24) that feed URLs may "
        "reach although they are not public; narrower than RECOMS_FEED_ALLOW_PRIVATE.",
    )
    feed_max_bytes: int = Field(
        default=1024**3,
        gt=0,
        description="The largest feed accepted, in bytes: as downloaded or posted, and again "
        "once gunzipped.",
    )
    feed_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How long fetching a feed by URL may take in all, redirects included.",
    )

    @field_validator("feed_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{item.strip()!r} is not a network such as 10.1.2.0/24"
                    ) from None
        return value
