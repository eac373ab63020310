"""``recoms serve`` and ``recoms demo``: the HTTP API until a stop signal."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

from recoms.cli.common import listen_arguments, opened_service, positive_int
from recoms.config import RecomsSettings
from recoms.errors import InvalidRequest
from recoms.httpkit import keyless_bind_refusal, keyless_notice
from recoms.runtime.signals import until_stopped
from recoms.runtime.workers import REUSE_PORT_OPTION, WORKERS_OPTION, single_blas_thread
from recoms.service import RecomsService


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    serve_command = commands.add_parser(
        "serve",
        help="serve the HTTP API",
        description="Serve the Yespo-compatible HTTP API (OpenAPI at /openapi.json).",
    )
    listen_arguments(serve_command)
    workers_arguments(serve_command, "RECOMS_WORKERS")
    serve_command.set_defaults(handler=run_serve)

    demo_command = commands.add_parser(
        "demo",
        help="load the demo store into an empty database and serve the API",
        description="Migrate the database, load the demo store (42 products and generated "
        "orders) when the database has no products, rebuild the model and serve the API, "
        "printing URLs that return recommendations.",
    )
    listen_arguments(demo_command)
    demo_command.set_defaults(handler=run_demo)


def workers_arguments(parser: argparse.ArgumentParser, setting: str) -> None:
    parser.add_argument(
        WORKERS_OPTION,
        type=positive_int,
        metavar="N",
        help=f"serving processes sharing the port (default {setting}, 1); each runs BLAS on "
        "one thread and keeps its lists fresh through the database's change notifications",
    )
    parser.add_argument(REUSE_PORT_OPTION, action="store_true", help=argparse.SUPPRESS)


def workers_refusal(workers: int, port: int) -> str | None:
    """Why ``workers`` processes cannot share ``port``, or None."""
    if workers > 1 and port == 0:
        return "several workers need a port of their own choosing, not 0"
    return None


async def run_serve(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    single_blas_thread()
    async with opened_service(settings) as service:
        await serve(
            service,
            settings,
            host=args.host,
            port=args.port,
            out=out,
            reuse_port=args.reuse_port,
        )
    return 0


async def run_demo(args: argparse.Namespace, settings: RecomsSettings, out: TextIO) -> int:
    async with opened_service(settings) as service:
        await demo(service, settings, host=args.host, port=args.port, out=out)
    return 0


async def serve(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    host: str | None,
    port: int | None,
    out: TextIO,
    ready: Callable[[str], None] | None = None,
    reuse_port: bool = False,
) -> None:
    """Serve the API until SIGINT or SIGTERM. ``ready`` gets the base URL once listening.
    With ``reuse_port`` other processes may listen on the same port (``--workers``)."""
    from aiohttp import web

    from recoms.api import create_app
    from recoms.httpserver import ApiRunner

    host = host or settings.host
    port = settings.port if port is None else port
    if settings.admin_key() is None:
        refusal = keyless_bind_refusal(host, key_setting="RECOMS_API_KEY")
        if refusal is not None:
            raise InvalidRequest(refusal)
        print(keyless_notice("RECOMS_API_KEY"), file=out)
    runner = ApiRunner(create_app(service, settings))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        try:
            await site.start()
        except OSError as error:
            raise InvalidRequest(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        base = f"http://{url_host(host)}:{port}"
        print(f"serving the recoms API on {base}/ (OpenAPI: {base}/openapi.json)", file=out)
        if ready is not None:
            ready(base)
        out.flush()
        async with until_stopped() as stopped:
            await stopped.wait()
    finally:
        await runner.cleanup()


def url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def demo(
    service: RecomsService,
    settings: RecomsSettings,
    *,
    host: str | None,
    port: int | None,
    out: TextIO,
) -> None:
    """Load the demo store when the database has no products, rebuild, and serve."""
    from recoms.demo import load_demo

    if (await service.stats()).products == 0:
        print("loading the demo store (42 products, generated orders)...", file=out)
        await load_demo(service)
    else:
        print("the database has products already: serving them as they are", file=out)
        await service.rebuild()

    def show_examples(base: str) -> None:
        api = f"{base}/api/v2/contacts/recoms"
        print("try:", file=out)
        print(f"  {api}/1?externalCustomerId=olena-001   (for you: Olena)", file=out)
        print(f"  {api}/2?webId=visitor-1                (bestsellers)", file=out)
        print(
            f"  {api}/3?webId=visitor-1&products=nervous-system-blanket   (also bought)",
            file=out,
        )
        if settings.api_key is not None:
            print("  (HTTP Basic: any user name, the API key as the password)", file=out)

    await serve(service, settings, host=host, port=port, out=out, ready=show_examples)
