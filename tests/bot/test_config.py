"""Settings as a deployment writes them: comma-separated admins, list data sources, demo mode."""

from __future__ import annotations

import pytest

from bot.config import DEMO_ADMIN_ID, BotSettings


def test_settings_read_the_way_a_deployment_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_ADMINS", "900001, 900002")
    monkeypatch.setenv("BOT_LISTS", '{"bestsellers": 9}')
    monkeypatch.setenv("BOT_LISTS__FOR_YOU", "7")
    settings = BotSettings(_env_file=None)
    assert settings.admin_ids() == {900001, 900002}
    assert (settings.lists.for_you, settings.lists.bestsellers, settings.lists.also_bought) == (
        7,
        9,
        3,
    )
    assert not settings.is_demo
    assert settings.link_key() is None, "no signing key is invented outside the demo"


def test_without_a_token_the_demo_has_an_admin_and_a_link_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BOT_TOKEN", "BOT_ADMINS", "BOT_LINK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = BotSettings(_env_file=None)
    assert settings.is_demo
    assert settings.admin_ids() == {DEMO_ADMIN_ID}
    assert settings.link_key()
    assert settings.bot_username() == "recoms_demo_bot"
