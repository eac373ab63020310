"""Contacts: the profile staff and the bot see, and the Telegram link."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from recoms.api.keys import SERVICE
from recoms.api.params import body_model, path_params, query_params
from recoms.api.queries import ContactsQuery, ProfileQuery, TelegramUserPath
from recoms.api.schemas import (
    ContactOut,
    ContactsOut,
    ProfileOut,
    TelegramForgetOut,
    TelegramLinkOut,
    TelegramLinkRequest,
    dump,
)
from recoms.errors import InvalidRequest, NotFound

routes = web.RouteTableDef()


@routes.get("/api/v1/contacts")
async def get_contacts(request: web.Request) -> web.Response:
    """Contacts whose name contains ``name`` (any case), for staff who know a customer by name
    only."""
    query = query_params(ContactsQuery, request)
    found = await request.app[SERVICE].contacts_named(query.name, limit=query.limit)
    contacts = [ContactOut.from_domain(contact) for contact in found]
    return web.json_response(dump(ContactsOut(contacts=contacts)))


@routes.get("/api/v1/contacts/profile")
async def get_profile(request: web.Request) -> web.Response:
    query = query_params(ProfileQuery, request)
    identity = query.to_identity()
    if identity.is_empty():
        raise InvalidRequest(
            "at least one of contactId, email, phone, externalCustomerId, webId, "
            "telegramUserId is required"
        )
    profile = await request.app[SERVICE].contact_profile(identity, orders=query.orders)
    return web.json_response(dump(ProfileOut.from_domain(profile)))


@routes.post("/api/v1/contacts/telegram")
async def link_telegram(request: web.Request) -> web.Response:
    """Link a Telegram user to the contact the other identifiers name. An unknown phone or
    external id creates the contact; an earlier link of that Telegram user is moved; a contact
    linked to another Telegram user is moved only by an own-contact share (else 409)."""
    body = await body_model(TelegramLinkRequest, request)
    # The Telegram id is what gets linked, not a way to find the contact.
    identity = dataclasses.replace(body.to_identity(), telegram_user_id=None)
    link = await request.app[SERVICE].link_telegram(
        identity, body.telegram_user_id, own_contact_share=body.own_contact_share, name=body.name
    )
    return web.json_response(dump(TelegramLinkOut.from_link(link)))


@routes.delete("/api/v1/contacts/telegram/{telegramUserId}")
async def unlink_telegram(request: web.Request) -> web.Response:
    telegram_user_id = path_params(TelegramUserPath, request).telegram_user_id
    await request.app[SERVICE].unlink_telegram(telegram_user_id)
    return web.Response(status=204)


@routes.post("/api/v1/contacts/telegram/{telegramUserId}/forget")
async def forget_telegram(request: web.Request) -> web.Response:
    """Unlink the Telegram user and remove what their links added to the contact."""
    telegram_user_id = path_params(TelegramUserPath, request).telegram_user_id
    forgotten = await request.app[SERVICE].forget_telegram(telegram_user_id)
    if forgotten is None:
        raise NotFound("Telegram user", telegram_user_id)
    return web.json_response(dump(TelegramForgetOut.from_domain(forgotten)))
