"""Who an identity named is remembered until a change may have moved it: what a web id does
sends the identities giving that web id back to the database, and no others."""

from __future__ import annotations

from recoms.domain import IdentityKey
from recoms.service.answers import AnswerCache, Change, Keys, contact, visitor

BROWSER: Keys = ((IdentityKey.EMAIL, "olena@example.com"), (IdentityKey.WEB_ID, "olena-browser"))
VISITOR: Keys = ((IdentityKey.WEB_ID, "first-visit"),)
BY_EMAIL: Keys = ((IdentityKey.EMAIL, "taras@example.com"),)


def cache_knowing_three() -> AnswerCache:
    cache = AnswerCache(size=10)
    for keys, subject in ((BROWSER, contact(1)), (VISITOR, visitor("first-visit"))):
        cache.resolve(cache.begin(keys), subject)
    cache.resolve(cache.begin(BY_EMAIL), contact(2))
    return cache


def test_an_event_of_a_web_id_sends_the_identities_giving_it_back_to_the_database() -> None:
    cache = cache_knowing_three()
    cache.apply(Change.of(web_ids=["olena-browser"]))
    assert cache.subject(BROWSER) == (False, None)
    assert cache.subject(VISITOR) == (True, visitor("first-visit"))
    assert cache.subject(BY_EMAIL) == (True, contact(2))
    # Looked up again, it is remembered again, and the next event of the web id forgets it.
    cache.resolve(cache.begin(BROWSER), contact(1))
    assert cache.subject(BROWSER) == (True, contact(1))
    cache.apply(Change.of(web_ids=["olena-browser", "first-visit"]))
    assert cache.subject(BROWSER) == (False, None)
    assert cache.subject(VISITOR) == (False, None)


def test_identifiers_added_send_every_identity_that_may_name_another_back() -> None:
    cache = cache_knowing_three()
    cache.apply(Change.of([2], identities=True))
    # Several keys or a visitor: a new contact may now come first; one key naming a
    # contact still names it.
    assert cache.subject(BROWSER) == (False, None)
    assert cache.subject(VISITOR) == (False, None)
    assert cache.subject(BY_EMAIL) == (True, contact(2))
