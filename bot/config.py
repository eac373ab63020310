"""Bot settings, read once from the environment and ``.env`` by the composition root."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.office_hours import OfficeHours

DEFAULT_LOCAL_API_PORT = 8081
DEMO_BOT_USERNAME = "recoms_demo_bot"
DEMO_ADMIN_ID = 900001
# The local Bot API server's operators' group (bot.localapi.DEFAULT_GROUP_ID): the quick start
# runs support in its topics.
DEMO_SUPPORT_CHAT_ID = -1001000000001
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

log = logging.getLogger(__name__)


class ListSources(BaseModel):
    """Which data source of the engine backs each menu list, as a shop on Yespo configures it.

    Set as JSON (``BOT_LISTS='{"new_for_you": 8}'``) or one by one
    (``BOT_LISTS__NEW_FOR_YOU=8``).
    """

    buy_again: int = Field(
        default=7,
        description="Data source of Buy again: only what the customer bought (the engine's "
        "personal list with purchased_only).",
    )
    new_for_you: int = Field(
        default=8,
        description="Data source of New for you: only what the customer never bought (the "
        "engine's personal list with exclude_purchased).",
    )
    bestsellers: int = Field(default=2, description="Data source of the Popular now list.")
    also_bought: int = Field(default=3, description="Data source of the Also bought list.")
    you_may_also_like: int = Field(
        default=4, description="Data source of the You may also like list."
    )
    alternatives: int = Field(default=5, description="Data source of the Alternatives list.")

    @model_validator(mode="before")
    @classmethod
    def _retired_for_you(cls, value: Any) -> Any:
        # A deployment that set For you's source would otherwise lose it without a word.
        if isinstance(value, dict) and "for_you" in value:
            raise ValueError(
                "BOT_LISTS__FOR_YOU is no longer read: For you became two lists. Set "
                "BOT_LISTS__NEW_FOR_YOU (a personal source with exclude_purchased) and "
                "BOT_LISTS__BUY_AGAIN (a personal source with purchased_only) instead."
            )
        return value


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    token: SecretStr | None = Field(
        default=None,
        description="Token from @BotFather. Without it `run` starts the local demo server.",
    )
    username: str | None = Field(
        default=None, description="The bot's @username for links; asked of Telegram when unset."
    )
    telegram_api_url: str | None = Field(
        default=None, description="Bot API base URL (a self-hosted server); Telegram's if unset."
    )
    webhook_url: str | None = Field(
        default=None, description="Public base URL; webhook mode when set, polling otherwise."
    )
    webhook_path: str = Field(default="/telegram/webhook", description="Path of the webhook.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    admins: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Comma-separated Telegram user ids of admins."
    )
    link_ttl: timedelta = Field(
        default=timedelta(hours=72),
        description="How long a deep link works (once): 72h, 30m, 7d, or seconds.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for FSM state and update de-duplication."
    )
    max_updates_in_flight: int = Field(
        default=40,
        ge=1,
        le=100,
        description="Updates one process handles at once (more wait); the webhook's "
        "max_connections, and the size of its Redis and database pools.",
    )
    update_timeout: timedelta = Field(
        default=timedelta(seconds=20),
        description="A webhook update still being handled by then is answered 503 and goes "
        "on (Telegram waits about 60 s); a killed replica's updates are taken over after it.",
    )
    stop_grace: timedelta = Field(
        default=timedelta(seconds=25),
        description="After SIGTERM, how long the updates in flight may take to finish "
        "before the process closes its connections.",
    )
    recoms_url: str | None = Field(
        default=None,
        description="Base URL of a remote Yespo-compatible API instead of the embedded engine.",
    )
    recoms_api_key: SecretStr | None = Field(
        default=None, description="API key for the remote API (HTTP Basic password)."
    )
    database_url: str | None = Field(
        default=None,
        description="Where the bot keeps its own tables; the engine's database when unset.",
    )
    lists: ListSources = Field(default_factory=ListSources)
    support_chat_id: int | None = Field(
        default=None,
        description="Supergroup with topics for support, one topic per customer; without it, "
        "questions go to the on-duty agents' private chats.",
    )
    support_sla_minutes: int = Field(
        default=15, ge=1, description="Minutes a question may wait before agents are reminded."
    )
    support_hours: str = Field(
        default="09:00-18:00", description="Agents' working hours, every day (HH:MM-HH:MM)."
    )
    support_timezone: str = Field(
        default="Europe/Kyiv", description="Time zone of the support working hours."
    )
    support_sign_answers: bool = Field(
        default=True, description="Sign agents' answers with the agent's first name."
    )
    support_flood_limit: int = Field(
        default=20, ge=1, description="Messages a customer may send to support in a minute."
    )
    default_locale: str = Field(default="en", description="Language when nothing else is known.")
    locales_dir: Path | None = Field(
        default=None, description="Folder of gettext catalogs; those the package ships if unset."
    )
    utm_source: str = Field(
        default="telegram", description="utm_source of the shop links on product cards."
    )
    utm_medium: str = Field(default="bot", description="utm_medium of the shop links on cards.")
    recoms_public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+[^\s?#]*$",
        description="Public base URL of the engine's API (the bot's own with the embedded "
        "engine). Set: card shop links go through its click redirect, which counts "
        "click-through per list; unset: they go straight to the shop with UTM tags.",
    )
    list_size: int = Field(default=10, ge=1, le=50, description="Cards in one list.")
    inline_cache_time: int = Field(
        default=30,
        ge=0,
        le=86400,
        description="Seconds Telegram may answer the same user's same inline query (`@bot "
        "text`) from its cache; answers are personal.",
    )
    alerts_interval: timedelta = Field(
        default=timedelta(seconds=60),
        description="How often alerts are checked against the catalogue (back in stock, "
        "cheaper) and their cards sent: 60s, 5m, or seconds.",
    )
    alerts_per_second: float = Field(
        default=25,
        gt=0,
        le=30,
        description="Alert cards the bot sends a second at most (Telegram allows about 30 in "
        "all); one process at a time sends them, however many replicas run.",
    )
    # Spelled out rather than imported: handlers read this module and reach nothing of the
    # engine (recoms.runtime.logs' LogFormat is the same two words).
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`recoms-bot run`'s logs as text lines, or json: one object per line, the "
        "embedded engine's too (RECOMS_LOG_FORMAT is for `recoms serve`).",
    )
    host: str = Field(default="127.0.0.1", description="Address of the web app (API, webhook).")
    port: int = Field(default=8080, description="Port of the web app (API, webhook).")
    local_api_host: str = Field(default="127.0.0.1", description="Demo Bot API server address.")
    local_api_port: int = Field(
        default=DEFAULT_LOCAL_API_PORT, description="Demo Bot API server port."
    )

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("link_ttl", "update_timeout", "stop_grace", "alerts_interval", mode="before")
    @classmethod
    def _read_duration(cls, value: Any) -> Any:
        if isinstance(value, str) and (match := _DURATION.fullmatch(value)):
            return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2].lower() or "s"])
        return value

    @model_validator(mode="after")
    def _readable_hours(self) -> BotSettings:
        self.office_hours()
        return self

    @field_validator("link_ttl")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a deep link must live longer than no time at all")
        return value

    @field_validator("update_timeout", "stop_grace", "alerts_interval")
    @classmethod
    def _some_time(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("give a time longer than zero: 20s, 1m, or seconds")
        return value

    def bot_username(self) -> str | None:
        return self.username or (DEMO_BOT_USERNAME if self.is_demo else None)

    @property
    def is_demo(self) -> bool:
        """No token: the quick start runs against the bundled local Bot API server."""
        return self.token is None

    def operators_chat_id(self) -> int | None:
        """The operators' group; in the quick start, the local server's."""
        if self.support_chat_id is None and self.is_demo:
            return DEMO_SUPPORT_CHAT_ID
        return self.support_chat_id

    def office_hours(self) -> OfficeHours:
        return OfficeHours.parse(self.support_hours, self.support_timezone)

    def admin_ids(self) -> frozenset[int]:
        if self.is_demo and not self.admins:
            return frozenset({DEMO_ADMIN_ID})
        return frozenset(self.admins)


class RetiredSetting(Exception):
    """A setting the bot no longer reads is set to something its successor is not."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetiredSettings(BaseSettings):
    """Settings the bot read once and reads no more, looked at only to point a deployment that
    still sets one to what took its place; left alone, they would be ignored without a word."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    default_region: str | None = None  # RECOMS_DEFAULT_REGION took its place

    def check(self, region: str) -> None:
        """Raise ``RetiredSetting`` when ``BOT_DEFAULT_REGION`` would read numbers otherwise
        than ``region`` (the engine's ``RECOMS_DEFAULT_REGION``) now does; warn when it is
        merely left over."""
        if self.default_region is None:
            return
        if self.default_region.strip().upper() != region.strip().upper():
            raise RetiredSetting(
                f"BOT_DEFAULT_REGION={self.default_region} is no longer read: the bot reads "
                f"phone numbers in RECOMS_DEFAULT_REGION (now {region}), as the engine does. "
                f"Set RECOMS_DEFAULT_REGION={self.default_region} and remove BOT_DEFAULT_REGION."
            )
        log.warning("BOT_DEFAULT_REGION is no longer read (RECOMS_DEFAULT_REGION is); remove it")
