"""Every route has an auth decision (admin, public or open): a new route without one fails."""

from __future__ import annotations

from pathlib import Path

from aiohttp import encode_basic_auth, web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from recoms.api import Access, create_app
from recoms.api.access import ROUTES, Route
from recoms.api.keys import ACCESS
from recoms.api.openapi import SECURITY, build_document
from recoms.service import RecomsService
from tests.recoms.api.conftest import API_KEY, settings


def documented(document: dict[str, object]) -> dict[Route, dict[str, object]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        (method.upper(), path): operation
        for path, item in paths.items()
        for method, operation in item.items()
    }


def served(app: web.Application) -> set[Route]:
    routes = set()
    for route in app.router.routes():
        assert route.resource is not None
        method = "GET" if route.method == "HEAD" else route.method
        routes.add((method, route.resource.canonical))
    return routes


def test_every_documented_operation_has_an_auth_decision() -> None:
    operations = documented(build_document())
    assert len(operations) >= 19
    undecided = sorted(set(operations) - set(ROUTES))
    assert not undecided, f"no auth decision in recoms/api/access.py for {undecided}"
    for route, operation in operations.items():
        assert operation["security"] == SECURITY[ROUTES[route]], route


def test_only_lists_and_events_take_the_public_key() -> None:
    public = {route for route, access in ROUTES.items() if access is Access.PUBLIC}
    assert public == {
        ("GET", "/api/v2/contacts/recoms/{dataSourceId}"),
        ("POST", "/api/v1/events"),
        ("POST", "/api/v2"),
    }
    opened = {route for route, access in ROUTES.items() if access is Access.OPEN}
    assert {path for method, path in opened if method != "OPTIONS"} == {
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/docs",
        "/docs/{asset}",
        # A customer's browser follows it; its signature stands in for a key.
        "/api/v1/click",
    }


async def test_every_route_the_api_serves_has_an_auth_decision(
    bare_service: RecomsService,
) -> None:
    app = create_app(bare_service, settings())
    routes = served(app)
    undecided = sorted(routes - set(ROUTES))
    assert not undecided, f"no auth decision in recoms/api/access.py for {undecided}"
    assert sorted(set(ROUTES) - routes) == [], "decisions for routes that do not exist"


async def test_a_route_added_without_a_decision_needs_the_admin_key(
    bare_service: RecomsService,
) -> None:
    app = create_app(bare_service, settings(api_key=API_KEY))

    async def extra(request: web.Request) -> web.Response:
        return web.json_response({"secret": 1})

    app.router.add_get("/api/v1/extra", extra)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/api/v1/extra")).status == 401
        admin = {"Authorization": encode_basic_auth("", API_KEY)}
        assert (await client.get("/api/v1/extra", headers=admin)).status == 200


async def test_every_route_of_the_bots_web_app_has_an_auth_decision(
    database_url: str, tmp_path: Path
) -> None:
    """The web app ``recoms-bot run`` serves in webhook mode: the engine's API, the deep-link
    endpoint and Telegram's webhook on one application."""
    from bot.config import BotSettings
    from bot.factory import create_bot, create_dispatcher, create_web_app
    from bot.i18n import create_i18n
    from bot.resources import open_engine
    from bot.storage import SqlBotStore, open_bot_database
    from bot.web import DEEPLINK_PATH

    bot_settings = BotSettings(
        _env_file=None,
        webhook_url="https://bot.example",
        webhook_secret=SecretStr("s3cret"),
        link_secret=SecretStr("link-secret"),
    )
    recoms_settings = settings(database_url, api_key=API_KEY)
    database = open_bot_database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    bot = create_bot("42:TEST")
    try:
        async with open_engine(bot_settings, recoms_settings) as engine:
            assert engine.api_app is not None
            dispatcher = create_dispatcher(
                settings=bot_settings,
                recommender=engine.recommender,
                store=SqlBotStore(database.sessions),
                i18n=create_i18n(bot_settings.locales_dir, bot_settings.default_locale),
                phone_region=recoms_settings.default_region,
            )
            app = create_web_app(
                dispatcher, bot, settings=bot_settings, api_app=engine.api_app, api_key=API_KEY
            )
            decided = app[ACCESS]
            undecided = sorted(served(app) - set(decided))
            assert not undecided, f"no auth decision for {undecided}"
            assert decided[("POST", DEEPLINK_PATH)] is Access.ADMIN
            assert decided[("POST", bot_settings.webhook_path)] is Access.OPEN
    finally:
        await bot.session.close()
        await database.dispose()
