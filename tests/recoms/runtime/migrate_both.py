"""One replica starting: the engine's and the bot's migrations on the database given, as
``recoms-bot run`` runs them (``python -m tests.recoms.runtime.migrate_both URL``)."""

from __future__ import annotations

import asyncio
import sys

from bot.storage import open_bot_database
from bot.storage.database import migrate as migrate_bot
from recoms.storage.database import create_database
from recoms.storage.database import migrate as migrate_engine


async def main(url: str) -> None:
    engine = create_database(url)
    bot = open_bot_database(url)
    try:
        await migrate_engine(engine)
        await migrate_bot(bot)
    finally:
        await engine.dispose()
        await bot.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
