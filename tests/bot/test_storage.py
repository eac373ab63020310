"""The bot's tables live beside the engine's, with their own migration history."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.records import BotStore, Role
from bot.storage import open_bot_database
from bot.storage.database import VERSION_TABLE, migrate
from recoms.service import RecomsService


async def test_bot_and_engine_tables_share_a_database(
    service: RecomsService, store: BotStore, database_url: str
) -> None:
    database = open_bot_database(database_url)
    try:
        await migrate(database)  # a second run is a no-op
        async with database.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await database.dispose()
    assert {"bot_users", "bot_staff", "bot_audit", "bot_product_refs", VERSION_TABLE} <= tables
    assert "products" in tables  # the engine's, untouched
    assert "alembic_version" in tables


async def test_users_staff_and_audit(store: BotStore) -> None:
    await store.set_language(1, "uk")
    await store.set_contact(1, 10, "en")
    user = await store.user(1)
    assert user is not None
    assert (user.language, user.contact_id, user.blocked) == ("uk", 10, False)
    # One contact, one chat: linking it elsewhere unlinks it here.
    await store.set_contact(2, 10, "en")
    moved = await store.user(1)
    assert moved is not None
    assert moved.contact_id is None
    assert (await store.user(2)) is not None

    await store.mark_blocked(3)
    assert await store.is_blocked(3)
    await store.clear_blocked(3)
    assert not await store.is_blocked(3)

    await store.forget(1)
    assert await store.user(1) is None

    await store.add_staff(5, Role.AGENT, added_by=1)
    await store.add_staff(5, Role.ADMIN, added_by=1)
    assert await store.staff_role(5) is Role.ADMIN
    assert await store.remove_staff(5)
    assert not await store.remove_staff(5)

    for action in ("find", "send", "stats"):
        await store.audit(9, action, target="contact 1")
    assert [entry.action for entry in await store.audit_log(limit=2)] == ["stats", "send"]

    key = await store.product_ref("x" * 500)
    assert len(key) == 22
    assert await store.resolve_ref(key) == "x" * 500
    assert await store.product_ref("x" * 500) == key
