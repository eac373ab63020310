"""``recoms-bot``: help everywhere, signed links, the audit log, retired settings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.links import DeepLinks, Opened
from bot.storage import SqlBotStore, open_bot_database
from bot.storage.database import migrate


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's .env or BOT_* variables leak into these runs."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "BOT_TOKEN",
        "BOT_LINK_TTL",
        "BOT_USERNAME",
        "BOT_DATABASE_URL",
        "BOT_RECOMS_URL",
        "RECOMS_DATABASE_URL",
        "RECOMS_DEFAULT_REGION",
        "BOT_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("command", [[], ["run"], ["link"], ["audit"], ["local"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: recoms-bot" in capsys.readouterr().out


def test_link_prints_a_deep_link_that_opens_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_USERNAME", "shop_bot")
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    monkeypatch.setenv("BOT_LINK_TTL", "2h")
    assert main(["link", "olena-001"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://t.me/shop_bot?start=")
    assert len(link.split("start=")[1]) <= 64

    async def open_twice() -> list[Opened]:
        database = open_bot_database(url)
        store = SqlBotStore(database.sessions)
        links = DeepLinks(store, "shop_bot", timedelta(hours=2))
        opened = [(await links.open(link.split("start=")[1], user)).outcome for user in (1, 2)]
        entries = await store.audit_log()
        await database.dispose()
        assert [(e.action, e.target) for e in entries] == [("link", "external olena-001")]
        return opened

    assert asyncio.run(open_twice()) == [Opened.LINKED, Opened.USED]


def test_link_explains_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_USERNAME", "shop_bot")
    assert main(["link", "x" * 201]) == 2
    assert "at most 200" in capsys.readouterr().err
    assert main(["link", "   "]) == 2
    assert "empty" in capsys.readouterr().err


def test_the_demo_mints_links_for_the_local_bot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert main(["link", "olena-001"]) == 0
    assert capsys.readouterr().out.startswith("https://t.me/recoms_demo_bot?start=")


def test_audit_prints_staff_actions_newest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    assert main(["audit"]) == 0
    assert "empty" in capsys.readouterr().out

    async def record() -> None:
        database = open_bot_database(url)
        await migrate(database)
        store = SqlBotStore(database.sessions)
        await store.audit(900001, "find", "contact 1", "+380*****0001")
        await store.audit(900001, "send", "contact 1", "for_you: sent 9 products")
        await database.dispose()

    asyncio.run(record())
    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "staff 900001  send  contact 1" in lines[0]
    assert "find" in lines[1]


def test_the_retired_bot_region_is_refused_where_it_would_read_numbers_otherwise(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    (tmp_path / ".env").write_text("BOT_DEFAULT_REGION=PL\n", encoding="utf-8")
    assert main(["audit"]) == 2
    error = capsys.readouterr().err
    assert "BOT_DEFAULT_REGION=PL is no longer read" in error
    assert "Set RECOMS_DEFAULT_REGION=PL" in error

    monkeypatch.setenv("RECOMS_DEFAULT_REGION", "pl")  # what the bot read before: it runs
    assert main(["audit"]) == 0
    assert "BOT_DEFAULT_REGION is no longer read" in caplog.text


def test_several_workers_need_webhook_mode_and_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--workers", "2"]) == 2
    assert "several workers need webhook mode" in capsys.readouterr().err
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST")
    monkeypatch.setenv("BOT_WEBHOOK_URL", "https://bot.example")
    monkeypatch.delenv("BOT_REDIS_URL", raising=False)
    assert main(["run", "--workers", "2"]) == 2
    assert "set BOT_REDIS_URL" in capsys.readouterr().err
