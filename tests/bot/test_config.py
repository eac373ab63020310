"""Settings as a deployment writes them: comma-separated admins, list data sources, demo mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config import DEMO_ADMIN_ID, BotSettings


def test_settings_read_the_way_a_deployment_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_ADMINS", "900001, 900002")
    monkeypatch.setenv("BOT_LISTS", '{"bestsellers": 9}')
    monkeypatch.setenv("BOT_LISTS__NEW_FOR_YOU", "17")
    settings = BotSettings(_env_file=None)
    assert settings.admin_ids() == {900001, 900002}
    lists = settings.lists
    assert (lists.new_for_you, lists.buy_again, lists.bestsellers, lists.also_bought) == (
        17,
        7,
        9,
        3,
    )
    assert not settings.is_demo
    assert settings.link_ttl == timedelta(hours=72), "deep links expire by default"


@pytest.mark.parametrize(
    ("written", "lasts"),
    [
        ("72h", timedelta(hours=72)),
        ("30m", timedelta(minutes=30)),
        ("7d", timedelta(days=7)),
        ("3600", timedelta(hours=1)),
        ("PT2H", timedelta(hours=2)),
    ],
)
def test_a_links_lifetime_is_written_as_people_write_it(
    monkeypatch: pytest.MonkeyPatch, written: str, lasts: timedelta
) -> None:
    monkeypatch.setenv("BOT_LINK_TTL", written)
    assert BotSettings(_env_file=None).link_ttl == lasts


@pytest.mark.parametrize("written", ["0", "-5m", "forever"])
def test_a_link_that_never_works_or_never_expires_is_refused(
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    monkeypatch.setenv("BOT_LINK_TTL", written)
    with pytest.raises(ValidationError):
        BotSettings(_env_file=None)


def test_without_a_token_the_demo_has_an_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_TOKEN", "BOT_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    settings = BotSettings(_env_file=None)
    assert settings.is_demo
    assert settings.admin_ids() == {DEMO_ADMIN_ID}
    assert settings.bot_username() == "recoms_demo_bot"
