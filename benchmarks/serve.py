"""The engine's HTTP API on a given database, as a separate process for the HTTP benchmark."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from recoms.api import create_app
from recoms.config import RecomsSettings
from recoms.service import open_service


async def serve(database_url: str, port: int) -> None:
    settings = RecomsSettings(database_url=database_url)
    service = await open_service(settings)
    runner = web.AppRunner(create_app(service, settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.database_url, args.port))


if __name__ == "__main__":
    main()
