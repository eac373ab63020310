"""Factories that wire the bot: dispatcher, Bot, and the web app. They start nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.alerts import Subscriptions
from bot.config import BotSettings
from bot.delivery import AlertWorker, Clock
from bot.filters import PrivateOrOperators
from bot.flood import FloodGate, MemoryFloodGate
from bot.handlers import get_routers
from bot.i18n import UserLanguageMiddleware
from bot.identity import Linking
from bot.inflight import CountInFlight, InFlight
from bot.links import DeepLinks
from bot.lists import Lists
from bot.metrics import BotMetrics, CountTelegramErrors, CountUpdates
from bot.ports import Recommender
from bot.presenter import CardPresenter
from bot.records import BotStore
from bot.refs import ProductRefs
from bot.relay import SupportDesk
from bot.resilience import (
    AnswerEveryPress,
    HandleOnce,
    MemorySeenUpdates,
    RetryAfter,
    SeenUpdates,
)
from bot.shop import Shop
from bot.staff import StaffDirectory
from bot.support import Support
from bot.web import (
    BOT_KEY,
    DEEPLINK_PATH,
    LINK_API_KEY,
    LINKS_KEY,
    Webhook,
    get_metrics,
    healthz,
    post_deeplink,
    readyz,
)
from recoms.httpkit import METRICS
from recoms.runtime.readiness import READINESS, Readiness

log = logging.getLogger(__name__)


def create_bot(
    token: str,
    *,
    api_url: str | None = None,
    session: BaseSession | None = None,
    metrics: BotMetrics | None = None,
) -> Bot:
    """A Bot speaking HTML, against ``api_url`` (a self-hosted Bot API server) when given.

    429 answers are waited out and retried by a request middleware on the session; with
    ``metrics``, every failed call is counted there, each retried 429 too."""
    if session is None:
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
        )
    session.middleware(RetryAfter())
    if metrics is not None:
        session.middleware(CountTelegramErrors(metrics))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(
    *,
    settings: BotSettings,
    recommender: Recommender,
    store: BotStore,
    i18n: I18n,
    phone_region: str,
    storage: BaseStorage | None = None,
    seen_updates: SeenUpdates | None = None,
    flood_gate: FloodGate | None = None,
    metrics: BotMetrics | None = None,
) -> Dispatcher:
    """Routers, middlewares and the objects handlers ask for by parameter name.

    ``phone_region`` reads numbers written without a country code; it is the engine's
    ``RECOMS_DEFAULT_REGION``, so the bot and the engine read a number alike. Without a
    ``flood_gate`` the support flood limit is counted in this process. Updates are counted
    into ``metrics`` (a registry of the dispatcher's own when not given)."""
    dp = Dispatcher(storage=storage or MemoryStorage())
    metrics = dp["bot_metrics"] = metrics or BotMetrics()
    refs = ProductRefs(store)
    lists = Lists(recommender, store, settings.lists, settings.list_size)
    dp["settings"] = settings
    dp["phone_region"] = phone_region
    dp["i18n"] = i18n
    dp["recommender"] = recommender
    dp["store"] = store
    dp["refs"] = refs
    dp["lists"] = lists
    dp["subscriptions"] = Subscriptions(recommender, store.alerts)
    staff = dp["staff"] = StaffDirectory(store, settings.admin_ids())
    desk = dp["desk"] = SupportDesk(
        store=store,
        recommender=recommender,
        staff=staff,
        i18n=i18n,
        operators_chat_id=settings.operators_chat_id(),
        office_hours=settings.office_hours(),
        sla=timedelta(minutes=settings.support_sla_minutes),
        sign_answers=settings.support_sign_answers,
        flood=flood_gate or MemoryFloodGate(settings.support_flood_limit),
        group_locale=settings.default_locale,
    )
    links = DeepLinks(store, settings.bot_username(), settings.link_ttl)
    dp["links"] = links
    dp["linking"] = Linking(recommender, store, links)
    dp["support"] = Support(recommender, store, lists, phone_region)
    dp["presenter"] = CardPresenter(
        refs,
        utm_source=settings.utm_source,
        utm_medium=settings.utm_medium,
        store=store,
        recommender=recommender,
        click_base_url=settings.recoms_public_url,
    )
    dp["shop"] = Shop(recommender, store, lists)
    dp.message.filter(PrivateOrOperators())
    desk.schedule_reminders(dp)
    in_flight = dp["in_flight"] = InFlight(settings.max_updates_in_flight)
    _outermost(
        dp,
        CountInFlight(in_flight),
        # Renewed three times per lease (the update timeout), so that a live claim never runs out.
        HandleOnce(
            seen_updates or MemorySeenUpdates(),
            renew_every=settings.update_timeout.total_seconds() / 3,
        ),
        CountUpdates(metrics),
    )
    UserLanguageMiddleware(i18n).setup(dp)
    dp.callback_query.middleware(AnswerEveryPress())
    dp.include_routers(*get_routers())
    return dp


def create_alert_worker(
    dp: Dispatcher, bot: Bot, settings: BotSettings, *, clock: Clock | None = None
) -> AlertWorker:
    """The alert worker on what the dispatcher was wired with; ``create_web_app(alerts=...)``
    starts and stops it with the web app."""
    return AlertWorker(
        bot=bot,
        recommender=dp["recommender"],
        store=dp["store"],
        presenter=dp["presenter"],
        i18n=dp["i18n"],
        interval=settings.alerts_interval,
        per_second=settings.alerts_per_second,
        clock=clock,
    )


def create_web_app(
    dp: Dispatcher,
    bot: Bot,
    *,
    settings: BotSettings,
    api_app: web.Application | None = None,
    api_key: str | None = None,
    readiness: Readiness | None = None,
    alerts: AlertWorker | None = None,
) -> web.Application:
    """One aiohttp app: the engine's API (``api_app``, when the engine is embedded), /healthz
    and /readyz (``readiness``'s checks, and not while stopping), /metrics (the bot's and
    the embedded engine's), the deep-link endpoint for the shop's backend, and the webhook
    when a public URL is set.

    ``api_app`` must declare the webhook open (Telegram sends no API key; the webhook answers
    401 without Telegram's secret-token header) and the deep-link endpoint admin-only, which
    also wants HTTP Basic with ``api_key`` as the password, as the engine's API does.
    ``alerts`` runs while the app does (started on its startup, stopped on its cleanup)."""
    app = api_app if api_app is not None else web.Application()
    app[BOT_KEY] = bot
    app[LINKS_KEY] = dp["links"]
    if api_key:
        app[LINK_API_KEY] = api_key
    in_flight: InFlight = dp["in_flight"]
    readiness = readiness or Readiness()
    readiness.add("bot", in_flight.not_ready)
    app[READINESS] = readiness
    bot_metrics: BotMetrics = dp["bot_metrics"]
    if api_app is None:
        app[METRICS] = [bot_metrics.registry]
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/readyz", readyz)
        app.router.add_get("/metrics", get_metrics)
    else:
        # The API's /metrics (admin key) serves the bot's figures beside the engine's.
        app[METRICS].append(bot_metrics.registry)
    app.router.add_post(DEEPLINK_PATH, post_deeplink)
    if alerts is not None:
        app.cleanup_ctx.append(alerts.lifespan)
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        webhook = Webhook(
            dp,
            bot,
            in_flight,
            secret=secret,
            timeout=settings.update_timeout.total_seconds(),
        )
        app.router.add_post(settings.webhook_path, webhook.handle)
        app.on_shutdown.append(webhook.close)
        setup_application(app, dp, bot=bot)
    return app


def _outermost(dp: Dispatcher, *middlewares: BaseMiddleware) -> None:
    """Put ``middlewares`` (in this order) before aiogram's own outer middlewares on updates,
    its error middleware first among them: they then see an update fail before the error
    handlers answer the failure, and what they raise reaches the webhook."""
    manager = dp.update.outer_middleware
    own = list(manager)
    for registered in own:
        manager.unregister(registered)
    for ours in middlewares:
        manager.register(ours)
    for registered in own:
        manager.register(registered)
