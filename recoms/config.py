"""Engine settings, read once from the environment and ``.env`` by the composition root."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from recoms.runtime.logs import LogFormat

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
        default=None,
        description="The admin key (HTTP Basic password) for every route. Without it the API "
        "listens on loopback only and asks for no key.",
    )
    public_key: SecretStr | None = Field(
        default=None,
        description="A second key for a shop's web pages: recommendation lists (by webId) "
        "and tracker events only.",
    )
    click_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the chat's shop links (GET /api/v1/click), so that a "
        "click cannot be counted for another customer. Without it the engine makes a random "
        "one and keeps it in its database.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://shop.example) whose pages may call the "
        "public routes from a browser.",
    )
    default_region: str = Field(
        default="UA",
        description="Region (ISO 3166, e.g. UA) for phone numbers written without a country "
        "code; the bot reads numbers in it too.",
    )
    default_currency: str | None = Field(
        default=None, description="Currency of order prices when an order file names none."
    )
    host: str = Field(
        default="127.0.0.1", description="Address `recoms serve` and `recoms demo` listen on."
    )
    port: int = Field(default=8080, description="Port `recoms serve` and `recoms demo` listen on.")
    workers: int = Field(
        default=1,
        ge=1,
        description="Processes `recoms serve` runs on its port (as `--workers`); each keeps "
        "its lists in memory, fresh through the database's change notifications.",
    )
    log_format: LogFormat = Field(
        default="text",
        description="Logs as text lines, or json: one object per line (time, level, logger, "
        "message, extras), the access log's lines with method, route, status, ms and bytes.",
    )
    model_refresh_seconds: float = Field(
        default=5.0, description="How often a serving process looks for a newer rebuilt model."
    )
    answer_cache_size: int = Field(
        default=200_000,
        ge=0,
        description="Recommendation lists a serving process keeps in memory and answers again "
        "until the contact does something, the model or catalogue changes or the day turns "
        "(0: compute every list).",
    )
    warm_buyers: int = Field(
        default=100_000,
        ge=0,
        description="Contacts (the latest buyers first, then the newest others) whose personal "
        "lists a serving process computes in the background after loading a model, ahead of "
        "their first ask (0: none).",
    )
    tune: bool = Field(
        default=True,
        description="Let a rebuild choose the model's settings on the shop's latest orders "
        "held out (false: the built-in defaults, as `recoms rebuild --no-tune`).",
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

    @field_validator("api_key", "public_key", "click_secret", mode="after")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # RECOMS_API_KEY= in a .env file means "no key", not a key of "".
        return value if value is not None and value.get_secret_value() else None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]

    @field_validator("public_key", mode="after")
    @classmethod
    def _keys_differ(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        admin = info.data.get("api_key")
        if value is not None and admin is not None and admin == value:
            raise ValueError("must differ from RECOMS_API_KEY: it is visible in web pages")
        return value

    def admin_key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def browser_key(self) -> str | None:
        return self.public_key.get_secret_value() if self.public_key is not None else None


def _origin(text: str) -> str:
    """``scheme://host[:port]`` as browsers send it in ``Origin``; anything else is refused.

    A wildcard is refused too: the public routes answer with a visitor's lists, and a page of
    any site could then read them."""
    try:
        parts = urlsplit(text.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or "*" in text
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"not an origin (scheme://host[:port], no wildcard): {text!r}")
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    # Browsers leave the scheme's default port out of Origin.
    shown = port is not None and port != {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if shown else "")
