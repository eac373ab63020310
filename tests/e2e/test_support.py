"""Support through the local Telegram stand-in: two customers ask at once, agents answer in
the operators' group, each customer in their own topic; notes, close and reopen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import IRYNA, OLENA, TARAS, World
from tests.e2e.webchat import DMYTRO, Message, Topic, visible


def shows(text: str) -> Any:
    """A check for ``wait_for``: the newest message of the chat showing ``text``."""

    def check(chat: dict[str, Any]) -> Message | None:
        return next((m for m in reversed(chat["messages"]) if text in visible(m)), None)

    return check


async def test_two_customers_ask_and_agents_answer_in_their_topics(world: World) -> None:
    olena, taras = world.chat(OLENA), world.chat(TARAS)
    iryna = world.chat(IRYNA)
    await asyncio.gather(
        olena.send("Чи є ця чашка синього кольору?"), taras.send("Is the lamp dimmable?")
    )
    await olena.bot_says("Консультант відповість тут")
    await taras.bot_says("An agent will answer here")
    olena_topic = await iryna.wait_for_topic("Olena")
    taras_topic = await iryna.wait_for_topic("Taras")
    assert olena_topic.thread_id != taras_topic.thread_id
    await olena_topic.wait_for(shows("Чи є ця чашка синього кольору?"))
    await taras_topic.wait_for(shows("Is the lamp dimmable?"))
    assert not any("lamp" in visible(m) for m in await olena_topic.messages())
    # The topic opens with the customer's card, pinned.
    pinned = await olena_topic.pinned()
    assert pinned
    assert "100001" in visible(pinned[0])
    assert "@olena_demo" in visible(pinned[0])

    # Iryna answers Olena; Dmytro answers Taras with a photo, in his topic.
    await olena_topic.send("Так, є синя!")
    answer = await olena.bot_says("Так, є синя!")
    assert "— Iryna" in visible(answer)
    await taras.send_sample("photo", caption="this crack")
    await taras_topic.wait_for(shows("this crack"))
    dmytro_topic = Topic(
        world.http, world.server, DMYTRO, taras_topic.group_id, taras_topic.thread_id
    )
    await dmytro_topic.send_sample("photo", caption="Like this one?")
    photo = await taras.bot_says("Like this one?")
    assert photo.get("photo")
    assert "— Dmytro" in visible(photo)

    # A note stays in the topic; /close tells Olena and closes the topic; she reopens it.
    await olena_topic.send("# check the warehouse")
    await olena_topic.send("/close")
    closed = await olena.bot_says("закрито")
    assert not any("warehouse" in visible(m) for m in await olena.messages())
    await olena_topic.wait_for(lambda chat: chat["topic"] and chat["topic"]["closed"])
    await olena.send("Ще одне питання")
    await olena.bot_says("Консультант відповість тут", after=closed["message_id"])
    await olena_topic.wait_for(lambda chat: not chat["topic"]["closed"])
    await olena_topic.wait_for(shows("Ще одне питання"))
    topics = (await iryna.group())["topics"]
    assert sum("Olena" in topic["name"] for topic in topics) == 1, "one topic per customer"

    # Every message both ways was recorded: four questions in, two answers out (no note).
    since = datetime.now(UTC) - timedelta(hours=1)
    conversations = world.store.conversations
    assert await conversations.customer_messages_since(OLENA, since) == 2
    assert await conversations.customer_messages_since(TARAS, since) == 2
    figures = await conversations.figures(since)
    assert sorted((agent.name, agent.replies) for agent in figures.agents) == [
        ("Dmytro", 1),
        ("Iryna", 1),
    ]
