"""The chat cards' shop links: a signed redirect to the catalogue's URL that counts the click,
and click-through per list."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from aiohttp import encode_basic_auth

from recoms.clicks import ClickLink
from recoms.domain import Identity
from recoms.service import RecomsService, open_service
from tests.recoms.api.conftest import API_KEY, Client, MakeClient, settings

CLICK = "/api/v1/click"


async def alice_id(service: RecomsService) -> int:
    alice = await service.find_contact(Identity(external_id="alice-1"))
    assert alice is not None
    return int(alice.id)


async def signed(service: RecomsService, link: ClickLink) -> dict[str, str]:
    return dict(parse_qsl(await service.sign_click(link)))


async def test_a_signed_link_counts_the_click_and_forwards_to_the_catalogue_url(
    client: Client, service: RecomsService
) -> None:
    contact = await alice_id(service)
    link = ClickLink("for_you", contact, "k-kettle", "telegram", "bot")
    response = await client.get(CLICK, params=await signed(service, link), allow_redirects=False)
    assert response.status == 302, await response.text()
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "shop.example", "/p/k-kettle")
    assert dict(parse_qsl(target.query)) == {
        "utm_source": "telegram",
        "utm_medium": "bot",
        "utm_campaign": "for_you",
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    profile = await service.contact_profile(Identity(contact_id=contact))  # type: ignore[arg-type]
    assert profile.recently_viewed[:1] == ("k-kettle",), "the click is a view of the product"
    anonymous = ClickLink("bestsellers", None, "o-pen", "telegram", "bot")
    response = await client.get(
        CLICK, params=await signed(service, anonymous), allow_redirects=False
    )
    assert response.status == 302
    figures = {f.list_name: (f.shown, f.clicks) for f in await service.list_figures()}
    assert figures == {"bestsellers": (0, 1), "for_you": (0, 1)}


async def test_a_probe_of_the_link_is_not_a_click(client: Client, service: RecomsService) -> None:
    link = ClickLink("for_you", await alice_id(service), "k-kettle", "telegram", "bot")
    response = await client.head(CLICK, params=await signed(service, link), allow_redirects=False)
    assert response.status == 405
    assert await service.list_figures() == []


@pytest.mark.parametrize(
    "change",
    [
        {"c": "1"},  # another contact
        {"p": "o-chair"},  # another product
        {"l": "bestsellers"},  # another list
        {"us": "evil"},
        {"s": "A" * 22},
    ],
)
async def test_an_altered_link_is_refused_and_counts_nothing(
    client: Client, service: RecomsService, change: dict[str, str]
) -> None:
    link = ClickLink("for_you", await alice_id(service), "k-kettle", "telegram", "bot")
    params = await signed(service, link) | change
    response = await client.get(CLICK, params=params, allow_redirects=False)
    assert response.status == 403
    assert "signature" in (await response.json())["message"]
    assert await service.list_figures() == []


async def test_the_target_never_comes_from_the_request(
    client: Client, service: RecomsService
) -> None:
    link = ClickLink("for_you", None, "k-mug", "telegram", "bot")
    params = await signed(service, link)
    query = urlencode([*params.items(), ("url", "https://evil.example/"), ("p", "x")])
    response = await client.get(CLICK + "?" + query, allow_redirects=False)
    # A repeated product id is not this link; nothing forwards anywhere else.
    assert response.status in (400, 403)
    response = await client.get(
        CLICK, params=params | {"next": "https://evil.example/"}, allow_redirects=False
    )
    assert response.status == 302
    assert urlsplit(response.headers["Location"]).netloc == "shop.example"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?l=for_you",
        "?l=For%20You&p=k-mug&us=telegram&um=bot&s=" + "A" * 22,
        "?l=for_you&p=k-mug&us=telegram&um=bot&s=short",
        "?l=for_you&p=k-mug&us=tele%20gram&um=bot&s=" + "A" * 22,
        "?l=for_you&c=0&p=k-mug&us=telegram&um=bot&s=" + "A" * 22,
        "?l=for_you&c=x&p=k-mug&us=telegram&um=bot&s=" + "A" * 22,
        "?l=for_you&p=" + "p" * 300 + "&us=telegram&um=bot&s=" + "A" * 22,
    ],
)
async def test_malformed_links_are_refused_with_a_reason(client: Client, query: str) -> None:
    response = await client.get(CLICK + query, allow_redirects=False)
    assert response.status == 400, query
    assert (await response.json())["message"]


async def test_a_product_without_a_shop_page_is_not_found(
    client: Client, service: RecomsService
) -> None:
    link = ClickLink("for_you", None, "no-such-product", "telegram", "bot")
    response = await client.get(CLICK, params=await signed(service, link), allow_redirects=False)
    assert response.status == 404


async def test_cards_shown_and_figures_need_the_admin_key(
    service: RecomsService, make_client: MakeClient
) -> None:
    client = await make_client(service, api_key=API_KEY)
    shown = {"listName": "for_you", "productId": "k-mug", "contactId": await alice_id(service)}
    assert (await client.post("/api/v1/lists/shown", json=shown)).status == 401
    auth = {"Authorization": encode_basic_auth("shop", API_KEY)}
    for body in (shown, {"listName": "for_you", "productId": "k-cup"}):
        response = await client.post("/api/v1/lists/shown", json=body, headers=auth)
        assert response.status == 204, await response.text()
    bad = await client.post(
        "/api/v1/lists/shown", json={"listName": "For You!", "productId": "x"}, headers=auth
    )
    assert bad.status == 400
    link = ClickLink("for_you", None, "k-mug", "telegram", "bot")
    response = await client.get(CLICK, params=await signed(service, link), allow_redirects=False)
    assert response.status == 302
    response = await client.get("/api/v1/lists/figures", headers=auth)
    assert await response.json() == {"lists": [{"listName": "for_you", "shown": 2, "clicks": 1}]}
    recent = await client.get("/api/v1/lists/figures", params={"days": "1"}, headers=auth)
    assert (await recent.json())["lists"][0]["shown"] == 2
    assert (await client.get("/api/v1/clicks/key")).status == 401
    key = await client.get("/api/v1/clicks/key", headers=auth)
    assert key.status == 200
    assert len((await key.json())["key"]) == 43


async def test_the_key_is_made_once_and_shared_or_taken_from_the_setting(
    service: RecomsService, database_url: str
) -> None:
    another = await open_service(settings(database_url))
    try:
        assert await another.click_key() == await service.click_key()
    finally:
        await another.close()
    configured = await open_service(settings(database_url, click_secret="from-the-setting"))
    try:
        assert await configured.click_key() != await service.click_key()
    finally:
        await configured.close()
