"""Lists that say what they are: Buy again and New for you for a customer the shop knows,
Popular now and how to get lists of one's own for anyone else, empty lists that say why and
offer the next step, and lists named after what they start from."""

from __future__ import annotations

from dataclasses import replace

from aiogram.types import ReplyKeyboardMarkup

from bot.ports import Availability
from tests.bot.chat import OLENA, TARAS, Chat, Person
from tests.bot.fakes import FakeEngine
from tests.bot.telegram import RecordingSession, Sent

OLENAS_PRODUCTS = {"mug-1", "dice-1", "lamp-1", "pen-1"}


def menu_texts(sent: Sent) -> list[str]:
    assert isinstance(sent.markup, ReplyKeyboardMarkup), sent
    return [button.text for row in sent.markup.keyboard for button in row]


async def open_list(
    chat: Chat, session: RecordingSession, engine: FakeEngine, person: Person, button: str
) -> tuple[str, list[str]]:
    """The list's title and its products' ids, paged through with ▶ to the end."""
    await chat.send(person, button)
    sent = session.last(person.id)
    ids = {card.name: card.id for card in engine.cards.values()}
    title, name = sent.visible.split("\n")[:2]
    shown = [ids[name]]
    total = next((int(t.split("/")[1]) for t, _, _ in sent.buttons() if "/" in t), 1)
    for _ in range(total - 1):
        await chat.press(person, session.last(person.id), "▶")
        shown.append(ids[session.last(person.id).visible.split("\n")[1]])
    return title, shown


async def test_a_known_customer_gets_buy_again_and_new_for_you(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    await chat.share_contact(OLENA, "+380501110001")
    olena = replace(OLENA, language_code="en")
    await chat.send(olena, "/language")
    await chat.press(olena, session.last(OLENA.id), "English")
    menu = menu_texts(session.last(OLENA.id))
    assert menu[:3] == ["🔄 Buy again", "✨ New for you", "🔥 Popular now"]
    assert "🛒 Goes with your last order" in menu
    assert "📱 Share my phone number" not in menu

    title, again = await open_list(chat, session, engine, olena, "🔄 Buy again")
    assert title == "🔄 Buy again"
    assert again
    assert set(again) <= OLENAS_PRODUCTS, "repeats only"
    title, new = await open_list(chat, session, engine, olena, "✨ New for you")
    assert title == "✨ New for you"
    assert new
    assert not set(new) & OLENAS_PRODUCTS, "nothing she bought"
    # A keyboard from before the two lists still works: For you opens New for you.
    title, old = await open_list(chat, session, engine, olena, "✨ For you")
    assert (title, old) == ("✨ New for you", new)

    # Also bought from the menu starts from her last order (lamp-1, pen-1) and says so.
    title, goes_with = await open_list(
        chat, session, engine, olena, "🛒 Goes with your last order"
    )
    assert title == "🛒 Goes with your last order"
    assert goes_with
    assert not {"lamp-1", "pen-1"} & set(goes_with)
    # With something in her cart, the menu and the list say it is the cart now.
    contact = next(c for c in engine.contacts.values() if c.external_id == "olena-001")
    engine.carts[contact.contact_id] = ("chair-1",)
    await chat.send(olena, "/menu")
    assert "🛒 Goes with your cart" in menu_texts(session.last(OLENA.id))
    title, _cards = await open_list(chat, session, engine, olena, "🛒 Goes with your cart")
    assert title == "🛒 Goes with your cart"


async def test_also_bought_from_a_card_is_named_after_its_product(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "🔥 Popular now")
    card = session.last(TARAS.id)
    product = card.visible.split("\n")[1]
    await chat.press(TARAS, card, "Also bought")
    also = session.last(TARAS.id)
    assert also.visible.startswith(f"🛒 Also bought with {product}\n")
    # Paging keeps the title.
    await chat.press(TARAS, also, "▶")
    assert session.last(TARAS.id).visible.startswith(f"🛒 Also bought with {product}\n")


async def test_an_unlinked_customer_sees_popular_now_and_how_to_get_their_own(
    chat: Chat, session: RecordingSession
) -> None:
    await chat.send(TARAS, "/start")
    greeting = session.last(TARAS.id)
    assert "Share your phone number with the button below to get lists of your own" in (
        greeting.visible
    )
    assert menu_texts(greeting) == [
        "📱 Share my phone number",
        "🔥 Popular now",
        "📦 My orders",
        "❤️ Saved",
        "💬 Ask a person",
        "🌐 Language",
    ]
    # Buttons of an older keyboard: each says it needs the phone, with the button to share it.
    for button in ("🔄 Buy again", "✨ New for you", "🛒 Also bought", "💎 You may also like"):
        await chat.send(TARAS, button)
        answer = session.last(TARAS.id)
        assert "Share your phone number with the button below" in answer.visible, button
        assert menu_texts(answer)[0] == "📱 Share my phone number"


async def test_empty_lists_say_why_and_offer_the_next_step(
    chat: Chat, session: RecordingSession, engine: FakeEngine
) -> None:
    # A number the shop has no orders of: linked, but nothing of their own yet.
    await chat.share_contact(TARAS, "+380501110002")
    linked = session.last(TARAS.id)
    assert "appear here after your first order with this phone number" in linked.visible
    assert menu_texts(linked)[:1] == ["🔥 Popular now"]
    assert "🔄 Buy again" not in menu_texts(linked)

    await chat.send(TARAS, "🔄 Buy again")
    empty = session.last(TARAS.id)
    assert "you have no orders with us yet" in empty.visible
    await chat.press(TARAS, empty, "Popular now")
    assert session.last(TARAS.id).visible.startswith("🔥 Popular now\n")

    await chat.send(TARAS, "🛒 Goes with your cart")
    assert "your cart is empty and you have no orders yet" in session.last(TARAS.id).visible
    assert any("Popular now" in t for t, _, _ in session.last(TARAS.id).buttons())

    # Everything Olena bought out of stock: Buy again says so and leaves the menu.
    for product in OLENAS_PRODUCTS:
        engine.cards[product] = replace(
            engine.cards[product], availability=Availability.OUT_OF_STOCK
        )
    await chat.share_contact(OLENA, "+380501110001")
    assert "🔄 Купити знову" not in menu_texts(session.last(OLENA.id))
    await chat.send(OLENA, "🔄 Купити знову")
    empty = session.last(OLENA.id)
    assert "зараз нічого немає в наявності" in empty.visible
    assert any("Популярне зараз" in t for t, _, _ in empty.buttons())
