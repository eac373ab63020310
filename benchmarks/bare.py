"""The floor for HTTP figures: a bare aiohttp handler rendering a ten-product JSON list.

The list has the keys and about the size (2 kB) of the API's answer on the shared orders file,
and is rendered at each request as the API renders its own, so the floor differs from the API
by the engine's work only: the request's parsing, the lookups and the ranking.
"""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web

PRODUCTS: list[dict[str, Any]] = [
    {
        "id": f"2{i:04d}",
        "name": f"WHITE HANGING HEART T-LIGHT HOLDER {i}",
        "url": "",
        "price": 2.55 + i,
        "descr": "",
        "brand": "",
        "category": [],
        "isInStock": 1,
        "tags_availability": "in stock",
    }
    for i in range(10)
]


async def handle(request: web.Request) -> web.Response:
    return web.json_response(PRODUCTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
