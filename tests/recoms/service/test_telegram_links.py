"""Who may be linked to a contact: a linked contact moves only by its owner's own-contact share,
and forgetting a Telegram user removes exactly what the link added."""

from __future__ import annotations

from typing import Any

import pytest

from recoms.domain import Identity
from recoms.errors import Conflict, InvalidRequest
from recoms.service import RecomsService

OLENA_PHONE = "+380501110001"


def customer_data(phone: str, web_id: str) -> dict[str, Any]:
    return {
        "GeneralInfo": {
            "eventName": "CustomerData",
            "datetime": 1_750_000_000_000,
            "user_phone": phone,
            "cookies": {"sc": web_id},
        },
        "CustomerData": {"user_phone": phone},
    }


async def test_a_linked_contact_moves_only_by_its_own_contact_share(
    service: RecomsService,
) -> None:
    olena = await service.upsert_contact(external_id="olena-001", phone=OLENA_PHONE)
    first = await service.link_telegram(Identity(external_id="olena-001"), 100003)
    assert (first.contact.id, first.known, first.previous_telegram_user_id) == (
        olena.id,
        True,
        None,
    )

    for identity in (Identity(external_id="olena-001"), Identity(phone=OLENA_PHONE)):
        with pytest.raises(Conflict, match="linked to another Telegram user"):
            await service.link_telegram(identity, 100001)
    still = await service.find_contact(Identity(contact_id=olena.id))
    assert still is not None
    assert still.telegram_user_id == 100003

    taken = await service.link_telegram(
        Identity(phone=OLENA_PHONE), 100001, own_contact_share=True
    )
    assert (taken.contact.id, taken.contact.telegram_user_id) == (olena.id, 100001)
    assert taken.previous_telegram_user_id == 100003
    # Linking again the same way changes nothing and moves nobody.
    again = await service.link_telegram(Identity(external_id="olena-001"), 100001)
    assert again.previous_telegram_user_id is None
    with pytest.raises(InvalidRequest, match="phone"):
        await service.link_telegram(Identity(external_id="olena-001"), 5, own_contact_share=True)


async def test_forget_deletes_a_contact_the_link_created(service: RecomsService) -> None:
    created = await service.link_telegram(
        Identity(phone="+380501110002"), 2, own_contact_share=True, name="Taras"
    )
    assert not created.known
    assert created.contact.name == "Taras"
    forgotten = await service.forget_telegram(2)
    assert forgotten is not None
    assert (forgotten.contact_id, forgotten.deleted) == (created.contact.id, True)
    assert await service.find_contact(Identity(phone="+380501110002")) is None
    assert await service.forget_telegram(2) is None


async def test_forget_removes_the_phone_and_name_the_link_added(service: RecomsService) -> None:
    shop = await service.upsert_contact(external_id="c-002")
    await service.link_telegram(Identity(external_id="c-002"), 3)
    added = await service.link_telegram(
        Identity(phone="+380501110003"), 3, own_contact_share=True, name="Stepan"
    )
    assert added.contact.id == shop.id, "her own number joins the contact she is linked to"
    assert (added.contact.phone, added.contact.name, added.known) == (
        "+380501110003",
        "Stepan",
        False,
    )
    forgotten = await service.forget_telegram(3)
    assert forgotten is not None
    assert not forgotten.deleted
    assert set(forgotten.removed) == {"phone", "name"}
    after = await service.find_contact(Identity(external_id="c-002"))
    assert after is not None
    assert (after.phone, after.name, after.telegram_user_id) == (None, None, None)


async def test_forget_keeps_the_shops_own_data(service: RecomsService) -> None:
    olena = await service.upsert_contact(
        external_id="olena-001", phone=OLENA_PHONE, email="olena@example.com", name="Olena K."
    )
    linked = await service.link_telegram(
        Identity(phone=OLENA_PHONE), 1, own_contact_share=True, name="Olena"
    )
    assert linked.known
    assert linked.contact.name == "Olena K.", "the shop's name is not replaced"
    forgotten = await service.forget_telegram(1)
    assert forgotten is not None
    assert (forgotten.deleted, forgotten.removed) == (False, ())
    after = await service.find_contact(Identity(contact_id=olena.id))
    assert after is not None
    assert (after.phone, after.email, after.name) == (OLENA_PHONE, "olena@example.com", "Olena K.")


async def test_a_created_contact_the_shops_data_has_reached_is_kept(
    service: RecomsService,
) -> None:
    created = await service.link_telegram(
        Identity(phone="+380501110005"), 5, own_contact_share=True, name="Petro"
    )
    await service.track(customer_data("+380501110005", "web-5"))
    again = await service.link_telegram(Identity(phone="+380501110005"), 5, own_contact_share=True)
    assert again.known, "the shop's own data now names this customer"
    forgotten = await service.forget_telegram(5)
    assert forgotten is not None
    assert not forgotten.deleted
    assert forgotten.removed == ("name",)
    kept = await service.find_contact(Identity(contact_id=created.contact.id))
    assert kept is not None
    assert (kept.phone, kept.name, kept.telegram_user_id) == ("+380501110005", None, None)
