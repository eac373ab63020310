"""The chat feeds the engine: cards a customer opens are recorded (ProductPage views of a
linked customer, cards shown of their list), shop links go through the engine's signed click
redirect when its public URL is set, and staff /stats shows click-through per list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import BotSettings
from bot.ports import ChatActivity, CustomerKey, RecommenderUnavailable
from recoms.api import create_app
from recoms.config import RecomsSettings
from recoms.domain import Identity
from recoms.service import RecomsService
from tests.bot.chat import IRYNA, OLENA, TARAS, Chat
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import TOKEN, RecordingSession, Sent

ENGINE_URL = "https://engine.shop.example"


@pytest.fixture
def settings() -> BotSettings:
    return BotSettings(
        _env_file=None,
        token=TOKEN,
        admins=[IRYNA.id],
        redis_url=None,
        recoms_url=None,
        username=None,
        recoms_public_url=ENGINE_URL,
    )


def shop_url(card: Sent) -> str:
    urls = [url for text, _, url in card.buttons() if url and "🛍" in text]
    assert len(urls) == 1, card.buttons()
    return urls[0]


def card_id(engine: FakeEngine, card: Sent) -> str:
    return next(pid for pid, product in engine.cards.items() if product.name in card.visible)


async def test_a_linked_customer_s_opened_cards_are_views_and_links_count_clicks(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    found = engine.find(CustomerKey(telegram_user_id=OLENA.id))
    assert found is not None
    olena = found.contact_id
    await chat.send(OLENA, "🔥 Популярне зараз")
    first = session.last(OLENA.id)
    first_id = card_id(engine, first)
    await chat.press(OLENA, first, "▶")
    second_id = card_id(engine, session.last(OLENA.id))
    assert engine.activity == [
        (olena, ChatActivity.VIEWED, first_id),
        (olena, ChatActivity.VIEWED, second_id),
    ]
    assert engine.shown == [("bestsellers", olena, first_id), ("bestsellers", olena, second_id)]
    link = urlsplit(shop_url(session.last(OLENA.id)))
    assert f"{link.scheme}://{link.netloc}" == ENGINE_URL
    assert link.path == "/api/v1/click"
    assert dict(parse_qsl(link.query)) == {"l": "bestsellers", "c": str(olena), "p": second_id}


async def test_an_unlinked_customer_s_cards_count_for_the_list_only(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "🔥 Popular now")
    shown = card_id(engine, session.last(TARAS.id))
    assert engine.activity == [], "nobody to attribute a view to"
    assert engine.shown == [("bestsellers", None, shown)]
    assert "c=None" in shop_url(session.last(TARAS.id))


async def test_staff_cards_are_no_customer_s_views(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.send(IRYNA, "/product lamp-1")
    assert (engine.activity, engine.shown) == ([], [])
    card = session.chat(IRYNA.id)[-2]
    assert urlsplit(shop_url(card)).netloc == "shop.example", "straight to the shop"


async def test_an_engine_that_cannot_record_leaves_the_card_as_it_is(
    chat: Chat, session: RecordingSession, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.share_contact(OLENA, "+380501110001")

    async def refuse(*args: object) -> None:
        raise RecommenderUnavailable("down for recording")

    monkeypatch.setattr(engine, "record_shown", refuse)
    await chat.send(OLENA, "🔥 Популярне зараз")
    assert "Популярне зараз" in session.last(OLENA.id).visible


async def test_stats_show_click_through_per_list(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.send(TARAS, "/start")
    await chat.send(TARAS, "🔥 Popular now")
    await chat.press(TARAS, session.last(TARAS.id), "▶")
    engine.clicks = {"bestsellers": 1, "search": 2}
    await chat.send(IRYNA, "/stats")
    text = session.last(IRYNA.id).visible
    assert "Click-through, last 30 days" in text
    assert "• 🔥 Popular now: 1 of 2 cards shown led to the shop (50.0%)" in text
    assert "• search: 2 shop links followed" in text


class TestWithoutAPublicUrl:
    @pytest.fixture
    def settings(self) -> BotSettings:
        return BotSettings(
            _env_file=None, token=TOKEN, admins=[IRYNA.id], redis_url=None, recoms_url=None
        )

    async def test_the_card_links_straight_to_the_shop_with_utm_tags(
        self, chat: Chat, session: RecordingSession, engine: FakeEngine
    ) -> None:
        await chat.send(TARAS, "/start")
        await chat.send(TARAS, "🔥 Popular now")
        link = urlsplit(shop_url(session.last(TARAS.id)))
        assert link.netloc == "shop.example"
        assert dict(parse_qsl(link.query))["utm_campaign"] == "bestsellers"
        assert len(engine.shown) == 1, "cards shown still count"


@pytest.fixture
async def engine_api(service: RecomsService) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(service, RecomsSettings(_env_file=None, database_url="sqlite://"))
    client: TestClient = TestClient(TestServer(app))  # type: ignore[type-arg]
    await client.start_server()
    yield client
    await client.close()


@pytest.mark.engine
async def test_a_tap_on_the_shop_link_counts_for_the_customer_and_forwards_to_the_shop(
    chat: Chat,
    session: RecordingSession,
    service: RecomsService,
    engine_api: TestClient,  # type: ignore[type-arg]
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    await chat.send(OLENA, "🔥 Популярне зараз")
    link = urlsplit(shop_url(session.last(OLENA.id)))
    params = dict(parse_qsl(link.query))
    response = await engine_api.get(link.path, params=params, allow_redirects=False)
    assert response.status == 302, await response.text()
    target = urlsplit(response.headers["Location"])
    assert target.netloc == "shop.example"
    assert dict(parse_qsl(target.query)) == {
        "utm_source": "telegram",
        "utm_medium": "bot",
        "utm_campaign": "bestsellers",
    }
    # The same link made to count for someone else, or for another product, is refused.
    someone_else = str(int(params["c"]) + 1)
    for forged in ({"c": someone_else}, {"p": "mug-1" if params["p"] != "mug-1" else "pen-1"}):
        refused = await engine_api.get(link.path, params=params | forged, allow_redirects=False)
        assert refused.status == 403
    profile = await service.contact_profile(Identity(telegram_user_id=OLENA.id))
    assert params["p"] in profile.recently_viewed, "the opened card is a view"

    await chat.send(IRYNA, "/stats")
    assert "1 of 1 cards shown led to the shop (100.0%)" in session.last(IRYNA.id).visible
