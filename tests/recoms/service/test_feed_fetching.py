"""Feeds fetched by URL reach public addresses only, on every hop, and keep URL secrets quiet.

The shop's feed server stands on loopback. Loopback is exactly what the engine must refuse
by default, so each test says which addresses it lets through: ``feed_allow_private`` (the
shop's own network) or ``feed_allow_networks`` (one address of loopback standing in for a
public host, so that a redirect from it into the rest of loopback can be refused).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler

from recoms.errors import FeedError
from recoms.service import RecomsService
from tests.recoms.service.conftest import OpenService

FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>'
    "<item><g:id>a</g:id><g:title>A</g:title><g:price>1.00 EUR</g:price></item>"
    "<item><g:id>b</g:id><g:title>B</g:title><g:price>2.00 EUR</g:price></item>"
    "</channel></rss>"
)
COULD_NOT = "could not fetch the feed"


@dataclass
class FeedServer:
    """A web server on a loopback address that records every request it gets."""

    server: TestServer
    requested: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        port = self.server.port
        assert port is not None
        return port

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://{self.server.host}:{self.port}{path}"

    def redirect(self, to: str) -> str:
        """A URL of this server that redirects to ``to``."""
        return self.url(f"/to?url={quote(to, safe='')}")


StartServer = Callable[..., Awaitable[FeedServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """Start feed servers: ``/feed.xml`` is the feed, ``/to?url=U`` redirects to U (302),
    ``/loop`` redirects to itself, anything else is a 404."""
    servers: list[TestServer] = []

    async def start(host: str = "127.0.0.1") -> FeedServer:
        recorded = FeedServer(server=None)  # type: ignore[arg-type]

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            recorded.requested.append(request.path_qs)
            return await handler(request)

        async def feed(request: web.Request) -> web.Response:
            return web.Response(text=FEED, content_type="application/xml")

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPFound(request.query["url"])

        async def loop(request: web.Request) -> web.Response:
            raise web.HTTPFound("/loop")

        app = web.Application(middlewares=[record])
        app.router.add_get("/feed.xml", feed)
        app.router.add_get("/to", redirect)
        app.router.add_get("/loop", loop)
        server = TestServer(app, host=host)
        await server.start_server()
        servers.append(server)
        recorded.server = server
        return recorded

    yield start
    for server in servers:
        await server.close()


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/feed.xml",
        "http://localhost:{port}/feed.xml",
        "http://2130706433:{port}/feed.xml",  # 127.0.0.1 as one number
        "http://0x7f.1:{port}/feed.xml",  # and in hex, shortened
        "http://127.1:{port}/feed.xml",
        "http://[::ffff:127.0.0.1]:{port}/feed.xml",  # IPv4-mapped IPv6
        "http://0.0.0.0:{port}/feed.xml",
    ],
)
async def test_loopback_is_refused_before_connecting(
    service: RecomsService, start_server: StartServer, url: str
) -> None:
    shop = await start_server()
    with pytest.raises(FeedError) as raised:
        await service.import_feed(url.format(port=shop.port))
    assert raised.value.message == COULD_NOT
    assert shop.requested == []
    assert (await service.stats()).products == 0


async def test_a_redirect_into_the_network_is_refused_before_connecting(
    open_another: OpenService, start_server: StartServer
) -> None:
    # 127.0.0.2 stands for a public host; the rest of loopback is the shop's network.
    public = await start_server("127.0.0.2")
    internal = await start_server("127.0.0.1")
    service = await open_another(feed_allow_networks="127.0.0.2/32")
    assert (await service.import_feed(public.url())).created == 2

    with pytest.raises(FeedError) as raised:
        await service.import_feed(public.redirect(internal.url()))
    assert raised.value.message == COULD_NOT
    assert internal.requested == []
    # Every hop is checked, not only the first redirect.
    hop = public.redirect(internal.url())
    with pytest.raises(FeedError):
        await service.import_feed(public.redirect(hop))
    assert internal.requested == []


async def test_redirects_are_followed_within_a_limit(
    open_another: OpenService, start_server: StartServer
) -> None:
    shop = await start_server()
    service = await open_another(feed_allow_private=True)
    assert (await service.import_feed(shop.redirect(shop.url()))).created == 2
    with pytest.raises(FeedError) as raised:
        await service.import_feed(shop.url("/loop"))
    assert raised.value.message == COULD_NOT
    assert len(shop.requested) <= 2 + 6


async def test_open_and_closed_internal_ports_look_the_same(
    service: RecomsService, start_server: StartServer
) -> None:
    shop = await start_server()
    messages = set()
    for url in (shop.url(), shop.url("/missing"), f"http://127.0.0.1:{closed_port()}/feed.xml"):
        with pytest.raises(FeedError) as raised:
            await service.import_feed(url)
        messages.add(raised.value.message)
    assert messages == {COULD_NOT}


async def test_errors_say_the_http_status_at_most(
    open_another: OpenService, start_server: StartServer
) -> None:
    shop = await start_server()
    service = await open_another(feed_allow_private=True)
    with pytest.raises(FeedError) as raised:
        await service.import_feed(shop.url("/missing?token=t0ps3cret"))
    assert raised.value.message == f"{COULD_NOT}: HTTP 404"
    with pytest.raises(FeedError) as raised:
        await service.import_feed(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert raised.value.message == COULD_NOT


async def test_url_secrets_reach_no_log_line_and_no_error(
    open_another: OpenService, start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    shop = await start_server()
    service = await open_another(feed_allow_private=True)
    secret_url = f"http://feeds:pa55word@127.0.0.1:{shop.port}/feed.xml?token=t0ps3cret"
    failing = f"http://feeds:pa55word@127.0.0.1:{closed_port()}/f.xml?token=t0ps3cret"
    refused = "http://feeds:pa55word@10.0.0.1:1/f.xml?token=t0ps3cret"
    strict = await open_another()
    with caplog.at_level(logging.DEBUG):
        assert (await service.import_feed(secret_url)).created == 2
        errors = []
        for importer, url in ((service, failing), (strict, refused)):
            with pytest.raises(FeedError) as raised:
                await importer.import_feed(url)
            errors.append(str(raised.value))
    # Everything the engine and its libraries log; the shop's own server logs what it gets.
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name != "aiohttp.access"
    )
    assert f"127.0.0.1:{shop.port}/feed.xml" in logged  # the import is still logged
    for text in (logged, *errors):
        assert "pa55word" not in text
        assert "t0ps3cret" not in text
    assert shop.requested == ["/feed.xml?token=t0ps3cret"]


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "gopher://127.0.0.1:70/"]
)
async def test_only_http_and_https(open_another: OpenService, url: str) -> None:
    service = await open_another(feed_allow_private=True)
    with pytest.raises(FeedError):
        await service.import_feed(url)
