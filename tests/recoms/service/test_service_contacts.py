"""Tracker events, contacts and Telegram links through the service."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recoms.domain import ContactId, Identity, IdentityKey, ProductId
from recoms.errors import InvalidRequest, NotFound
from recoms.service import RecomsService, recommendations
from recoms.service.contacts import Identifiers


def event(name: str, body: Any, **general: Any) -> dict[str, Any]:
    return {"GeneralInfo": {"eventName": name, **general}, name: body}


def view(product_id: str, **general: Any) -> dict[str, Any]:
    return event("ProductPage", {"Product": {"productKey": product_id}}, **general)


async def test_a_visitors_views_follow_them_once_customer_data_names_them(
    service: RecomsService,
) -> None:
    web = {"cookies": {"sc": "web-1"}}
    await service.track(view("mug", datetime=1_750_000_000_000, **web))
    await service.track(view("tea", datetime=1_750_000_060_000, **web))
    await service.track(view("mug", datetime=1_750_000_120_000, **web))
    assert await service.find_contact(Identity(web_id="web-1")) is None

    await service.track(
        event(
            "CustomerData",
            {"externalCustomerId": "c-9", "user_email": "Ira@Example.com", "user_name": "Ira"},
            **web,
        )
    )
    contact = await service.find_contact(Identity(web_id="web-1"))
    assert contact is not None
    assert (contact.external_id, contact.email, contact.name) == ("c-9", "ira@example.com", "Ira")
    assert contact.web_ids == ("web-1",)
    # Later anonymous-looking events of the same browser are the contact's too.
    await service.track(view("spoon", datetime=1_750_000_180_000, **web))
    profile = await service.contact_profile(Identity(email="IRA@example.com"))
    assert profile.recently_viewed == ("spoon", "mug", "tea")


async def test_a_visitors_cart_becomes_the_contacts_cart(service: RecomsService) -> None:
    web = {"cookies": {"sc": "web-2"}}
    cart = {"Products": [{"productKey": "mug", "price": "5.5", "quantity": 2}]}
    await service.track(event("StatusCart", cart, **web))
    await service.track(event("CustomerData", {"user_phone": "050 111 0099"}, **web))
    profile = await service.contact_profile(Identity(phone="+380501110099"))
    assert [(c.product_id, c.quantity, c.price) for c in profile.cart] == [
        ("mug", Decimal(2), Decimal("5.5"))
    ]
    await service.track(event("StatusCart", {"Products": []}, **web))
    assert (await service.contact_profile(Identity(phone="0501110099"))).cart == ()


async def test_purchased_items_record_an_order_once(service: RecomsService) -> None:
    purchase = event(
        "PurchasedItems",
        {
            "OrderNumber": "W-1",
            "Products": [{"productKey": "mug", "price": 5, "quantity": 1}],
        },
        externalCustomerId="c-1",
        datetime="2025-06-30T10:00:00Z",
    )
    await service.track(purchase)
    await service.track(purchase)
    profile = await service.contact_profile(Identity(external_id="c-1"))
    assert [o.number for o in profile.last_orders] == ["W-1"]
    assert [line.product_id for line in profile.last_orders[0].lines] == ["mug"]
    assert (await service.stats()).orders == 1


async def test_event_files_report_bad_lines_and_keep_the_good(service: RecomsService) -> None:
    lines = [
        json.dumps(view("mug", externalCustomerId="c-1")),
        "{not json",
        "",
        json.dumps({"GeneralInfo": {"eventName": "Teleport"}}),
        json.dumps(event("SearchRequest", {"SearchQuery": "mug"}, externalCustomerId="c-1")),
    ]
    report = await service.import_events(lines)
    assert report.read == 4
    assert report.created == 2
    assert [r.line for r in report.rejected] == [2, 4]
    profile = await service.contact_profile(Identity(external_id="c-1"))
    assert profile.recently_viewed == ("mug",)


async def test_track_refuses_a_malformed_event(service: RecomsService) -> None:
    with pytest.raises(InvalidRequest):
        await service.track({"GeneralInfo": {"eventName": "StatusCart"}, "StatusCart": 7})
    assert (await service.stats()).events_last_24h == 0


async def test_contacts_merge_on_any_shared_identifier(service: RecomsService) -> None:
    first = await service.upsert_contact(external_id="c-1", name="Olena")
    same = await service.upsert_contact(external_id="c-1", phone="+38 (050) 111-00-01")
    assert same.id == first.id
    assert same.phone == "+380501110001"
    by_phone = await service.upsert_contact(phone="0501110001", email="o@example.com")
    assert by_phone.id == first.id
    assert by_phone.email == "o@example.com"
    found = await service.find_contact(Identity(email=" O@EXAMPLE.COM "))
    assert found is not None
    assert (found.id, found.name) == (first.id, "Olena")
    with pytest.raises(InvalidRequest):
        await service.upsert_contact(phone="12")
    with pytest.raises(InvalidRequest):
        await service.upsert_contact(name="Nobody")


async def test_telegram_links_move_and_unlink(service: RecomsService) -> None:
    olena = await service.upsert_contact(external_id="olena-001", phone="+380501110001")
    linked = (await service.link_telegram(Identity(phone="+380501110001"), 100001)).contact
    assert (linked.id, linked.telegram_user_id) == (olena.id, 100001)
    # A number the shop does not know yet creates the contact (Taras sharing his phone).
    taras = (await service.link_telegram(Identity(phone="+380501110002"), 100002)).contact
    assert taras.id != olena.id
    assert taras.phone == "+380501110002"
    await service.unlink_telegram(100002)
    # The same Telegram user linking elsewhere moves the link.
    moved = (await service.link_telegram(Identity(contact_id=taras.id), 100001)).contact
    assert moved.id == taras.id
    assert (await service.find_contact(Identity(contact_id=olena.id))).telegram_user_id is None  # type: ignore[union-attr]
    assert (await service.find_contact(Identity(telegram_user_id=100001))).id == taras.id  # type: ignore[union-attr]
    assert (await service.stats()).telegram_linked == 1
    await service.unlink_telegram(100001)
    assert await service.find_contact(Identity(telegram_user_id=100001)) is None
    with pytest.raises(NotFound):
        await service.link_telegram(Identity(email="ghost@example.com"), 5)
    with pytest.raises(NotFound):
        await service.contact_profile(Identity(contact_id=ContactId(999)))


async def test_logs_never_carry_a_full_phone_or_email(
    service: RecomsService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="recoms")
    await service.link_telegram(Identity(phone="+380501110002", email="taras@example.com"), 7)
    with pytest.raises(NotFound) as error:
        await service.contact_profile(Identity(phone="+380501119999", email="who@example.com"))
    text = caplog.text + str(error.value)
    for secret in ("+380501110002", "taras@example.com", "+380501119999", "who@example.com"):
        assert secret not in text
    assert "+380*****9999" in str(error.value)
    assert "w***@example.com" in str(error.value)


async def test_search_finds_products_by_title(service: RecomsService) -> None:
    await service.track(view("mug"))  # events alone create no products
    assert await service.search_products("mug") == []
    assert await service.get_products([ProductId("mug")]) == []


async def test_concurrent_events_for_a_new_customer_make_one_contact(
    service: RecomsService,
) -> None:
    first_visit = event(
        "CustomerData", {"user_email": "new@example.com"}, cookies={"sc": "web-new"}
    )
    await asyncio.gather(*(service.track(first_visit) for _ in range(5)))
    stats = await service.stats()
    assert stats.contacts == 1
    assert stats.events_last_24h == 5


SIX_CONTACTS = """
order_id,product_id,quantity,price,ordered_at,external_customer_id,email,phone
1,p0,1,1.00,2025-06-01 10:00:00,c0,,
2,p1,1,1.00,2025-06-01 10:00:00,c1,,
3,p2,1,1.00,2025-06-01 10:00:00,c2,two@example.com,
4,p3,1,1.00,2025-06-01 10:00:00,c3,,+380501110003
5,p4,1,1.00,2025-06-01 10:00:00,c4,,
6,p5,1,1.00,2025-06-01 10:00:00,c5,,
"""


async def test_the_first_identifier_that_names_a_contact_wins_in_every_lookup(
    service: RecomsService, write_csv: Callable[[str], Path]
) -> None:
    # Contact i bought product pi and is named by the i-th key of the lookup order.
    await service.import_orders(write_csv(SIX_CONTACTS))
    await service.track(
        event("CustomerData", {"externalCustomerId": "c4"}, cookies={"sc": "web-4"})
    )
    await service.link_telegram(Identity(external_id="c5"), 5005)
    ids = []
    for n in range(6):
        contact = await service.find_contact(Identity(external_id=f"c{n}"))
        assert contact is not None
        ids.append(contact.id)
    names = {
        IdentityKey.CONTACT_ID: ids[0],
        IdentityKey.EXTERNAL_ID: "c1",
        IdentityKey.EMAIL: " TWO@Example.com",
        IdentityKey.PHONE: "050 111 0003",
        IdentityKey.WEB_ID: "web-4",
        IdentityKey.TELEGRAM_USER_ID: 5005,
    }
    nobody = {
        IdentityKey.CONTACT_ID: 999_999,
        IdentityKey.EXTERNAL_ID: "c-unknown",
        IdentityKey.EMAIL: "nobody@example.com",
        IdentityKey.PHONE: "+380509999999",
        IdentityKey.WEB_ID: "web-unknown",
        IdentityKey.TELEGRAM_USER_ID: 9999,
    }
    # The order the API documents.
    keys = [
        IdentityKey.CONTACT_ID,
        IdentityKey.EXTERNAL_ID,
        IdentityKey.EMAIL,
        IdentityKey.PHONE,
        IdentityKey.WEB_ID,
        IdentityKey.TELEGRAM_USER_ID,
    ]
    assert list(IdentityKey) == keys
    identifiers = Identifiers(service.settings.default_region)

    async def found_by_both(identity: Identity) -> tuple[ContactId | None, list[str]]:
        contact = await service.find_contact(identity)
        async with service.database.sessions() as session:
            history = await recommendations.history(session, identifiers, identity)
        bought = [] if history is None else [p.product_id for p in history.purchases]
        return (None if contact is None else contact.id), bought

    for first, key in enumerate(keys):
        # Keys before this one name nobody; this one and every later one name their contact.
        given = {k: nobody[k] for k in keys[:first]} | {k: names[k] for k in keys[first:]}
        identity = Identity(**{str(k): v for k, v in given.items()})
        assert await found_by_both(identity) == (ids[first], [f"p{first}"]), key
        # Alone, the key names its contact too.
        assert await found_by_both(Identity(**{str(key): names[key]})) == (
            ids[first],
            [f"p{first}"],
        ), key
    assert await found_by_both(Identity(**{str(k): v for k, v in nobody.items()})) == (None, [])
