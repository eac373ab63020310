"""Who is linked to a shop customer: a deep link (once, before it expires) or the customer's own
phone number from Telegram's contact button; /forget. Every step goes to the audit log.

A customer linked to one Telegram user is never moved by a deep link (anyone may have been
forwarded it); only Telegram's own-contact share of the number on file moves them, and the
chat that loses the customer is told.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from aiogram.types import User

from bot.links import DeepLinks, Opened, link_target
from bot.ports import (
    AlreadyLinked,
    CustomerKey,
    ForgottenCustomer,
    LinkedCustomer,
    Recommender,
    RecommenderError,
    UnsupportedByBackend,
)
from bot.privacy import mask_phone
from bot.records import BotStore

log = logging.getLogger(__name__)

LINK_ACTIONS = frozenset(
    {"link", "linked", "link_moved", "link_refused", "link_reused", "link_expired", "forget"}
)
"""Audit actions about who is linked to a customer: /find shows them as the link history."""


def contact_target(contact_id: int) -> str:
    """How the audit log names a customer."""
    return f"contact {contact_id}"


class ByLink(enum.Enum):
    LINKED = "linked"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    TAKEN = "taken"
    """The customer is linked to another Telegram user: the link does not move them."""


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    result: ByLink
    linked: LinkedCustomer | None = None


class Linking:
    def __init__(self, recommender: Recommender, store: BotStore, links: DeepLinks) -> None:
        self._recommender = recommender
        self._store = store
        self._links = links

    async def _remember(self, user: User, linked: LinkedCustomer, language: str | None) -> None:
        await self._store.set_contact(
            user.id,
            linked.profile.contact_id,
            language,
            first_name=" ".join(filter(None, (user.first_name, user.last_name))),
            username=user.username,
        )

    async def by_link(self, payload: str, user: User, language: str | None) -> LinkOutcome:
        """Open a deep link: the first opening before it expires links the chat."""
        opening = await self._links.open(payload, user.id)
        if opening.outcome is Opened.INVALID:
            log.info("user %s sent a deep link that was refused", user.id)
            return LinkOutcome(ByLink.INVALID)
        assert opening.external_id is not None
        target = link_target(opening.external_id)
        if opening.outcome is Opened.USED:
            when = f"{opening.first_opened_at:%Y-%m-%d %H:%M} UTC"
            await self._store.audit(
                user.id,
                "link_reused",
                target=target,
                detail=f"opened by Telegram user {user.id}; first opened by Telegram user "
                f"{opening.first_opened_by} at {when}",
            )
            log.info("user %s opened a deep link that was used already", user.id)
            return LinkOutcome(ByLink.USED)
        if opening.outcome is Opened.EXPIRED:
            await self._store.audit(
                user.id,
                "link_expired",
                target=target,
                detail=f"opened by Telegram user {user.id}; expired "
                f"{opening.expired_at:%Y-%m-%d %H:%M} UTC",
            )
            return LinkOutcome(ByLink.EXPIRED)
        customer = CustomerKey(external_id=opening.external_id)
        try:
            linked = await self._recommender.link_customer(customer, user.id)
        except AlreadyLinked:
            holder = await self._recommender.profile(customer)
            await self._store.audit(
                user.id,
                "link_refused",
                target=contact_target(holder.contact_id) if holder else target,
                detail=f"linked to Telegram user {holder.telegram_user_id if holder else '?'}; "
                f"deep link opened by Telegram user {user.id}",
            )
            log.info("user %s opened a deep link for a customer linked to another", user.id)
            return LinkOutcome(ByLink.TAKEN)
        except RecommenderError:
            # Not the customer's fault: the link may be opened again.
            await self._links.release(opening)
            raise
        await self._remember(user, linked, language)
        await self._store.audit(
            user.id,
            "linked",
            target=contact_target(linked.profile.contact_id),
            detail=f"Telegram user {user.id} by deep link",
        )
        log.info("user %s linked to contact %s by deep link", user.id, linked.profile.contact_id)
        return LinkOutcome(ByLink.LINKED, linked)

    async def by_own_phone(
        self, phone: str, user: User, name: str | None, language: str | None
    ) -> LinkedCustomer:
        """Link by the user's own number (already checked: the contact card carries their own
        user id). This moves a customer linked to another Telegram user, whose chat the caller
        tells (``previous_telegram_user_id``)."""
        linked = await self._recommender.link_customer(
            CustomerKey(phone=phone), user.id, own_contact_share=True, name=name
        )
        await self._remember(user, linked, language)
        target = contact_target(linked.profile.contact_id)
        if (previous := linked.previous_telegram_user_id) is not None:
            await self._store.audit(
                user.id,
                "link_moved",
                target=target,
                detail=f"from Telegram user {previous} to Telegram user {user.id} by own phone",
            )
        await self._store.audit(
            user.id,
            "linked",
            target=target,
            detail=f"Telegram user {user.id} by own phone {mask_phone(phone)}"
            + ("" if linked.known else " (new to the shop)"),
        )
        log.info(
            "user %s linked to contact %s by phone %s",
            user.id,
            linked.profile.contact_id,
            mask_phone(phone),
        )
        return linked

    async def forget(self, user_id: int) -> ForgottenCustomer | None:
        """Unlink the user, remove what the bot added to their customer, and delete what the
        bot stored about them."""
        try:
            forgotten = await self._recommender.forget(user_id)
        except UnsupportedByBackend:
            forgotten = None  # a plain Yespo API: the bot never linked anyone there
        await self._store.forget(user_id)
        if forgotten is not None:
            what = (
                "deleted the customer"
                if forgotten.deleted
                else "removed " + (", ".join(forgotten.removed) or "the link only")
            )
            await self._store.audit(
                user_id,
                "forget",
                target=contact_target(forgotten.contact_id),
                detail=f"Telegram user {user_id} asked to be forgotten: {what}",
            )
        log.info("user %s asked to be forgotten; done", user_id)
        return forgotten
