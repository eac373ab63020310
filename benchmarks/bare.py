"""The floor for HTTP figures: a bare aiohttp handler answering a small JSON array."""

from __future__ import annotations

import argparse

from aiohttp import web

# About the size of a ten-product recommendation list, so both servers serialise similar bytes.
BODY = web.json_response(
    [{"id": str(i), "name": f"Product {i}", "price": 9.99, "isInStock": 1} for i in range(10)]
).body


async def handle(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
