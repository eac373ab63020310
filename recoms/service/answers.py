"""Lists answered from memory: finished lists kept per asker, dropped by the asker's activity.

A personal list costs a read of the contact's history and a millisecond or more of ranking;
asked again, it is the same list until the contact does something, the model or catalogue
changes, or the day turns (bestseller windows and recency are counted in days). So each
serving snapshot holds the lists it answered, keyed by data source, subject (the contact or
visitor the identity named, or nobody), reference products and category, and a ``Change``
(what a write touched, told in this process at once and by other processes through
``recoms.service.freshness``) drops the lists and identity lookups it may have made wrong.

A list being computed while a change arrives is not kept (it may have read the history
before the change): ``Ticket`` tracks each computation in flight.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from recoms.domain import DataSourceId, IdentityKey, Product, ProductId

Subject = tuple[str, int | str] | None
"""Whom a list is for: ``("c", contact id)``, ``("v", web id)`` for a visitor not linked to
a contact, or None for nobody known (and for lists that do not read a history)."""

AnswerKey = tuple[DataSourceId, Subject, tuple[ProductId, ...], str | tuple[str, ...] | None]

# A change naming more contacts than this is told as "everything" (a notification's payload
# is small: PostgreSQL's limit is 8,000 bytes).
MAX_NAMED = 200


def contact(contact_id: int) -> Subject:
    return ("c", contact_id)


def visitor(web_id: str) -> Subject:
    return ("v", web_id)


@dataclass(frozen=True)
class Change:
    """What a write changed, as far as lists answered before it are concerned.

    ``contacts`` and ``web_ids`` did something (an event, a cart, an order); ``identities``:
    identifiers were added or web ids linked, so an identity that named nobody (or, giving
    several identifiers, one contact) may now name another; ``everything``: drop it all
    (an import, a Telegram link moved, a contact forgotten)."""

    contacts: frozenset[int] = frozenset()
    web_ids: frozenset[str] = frozenset()
    identities: bool = False
    everything: bool = False

    @classmethod
    def of(
        cls,
        contacts: Iterable[int | None] = (),
        web_ids: Iterable[str | None] = (),
        *,
        identities: bool = False,
    ) -> Change:
        named = frozenset(c for c in contacts if c is not None)
        webs = frozenset(w for w in web_ids if w)
        if len(named) + len(webs) > MAX_NAMED:
            return EVERYTHING
        return cls(named, webs, identities)

    def __or__(self, other: Change) -> Change:
        if self.everything or other.everything:
            return EVERYTHING
        return Change.of(
            self.contacts | other.contacts,
            self.web_ids | other.web_ids,
            identities=self.identities or other.identities,
        )

    def is_empty(self) -> bool:
        return not (self.contacts or self.web_ids or self.identities or self.everything)

    def to_json(self) -> str:
        if self.everything:
            return '{"all":1}'
        return json.dumps(
            {"c": sorted(self.contacts), "w": sorted(self.web_ids), "i": int(self.identities)},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Change:
        """What ``to_json`` wrote; anything unreadable is taken as ``EVERYTHING`` (safe)."""
        try:
            data = json.loads(text)
            if data.get("all"):
                return EVERYTHING
            return cls(
                frozenset(int(c) for c in data.get("c", ())),
                frozenset(str(w) for w in data.get("w", ())),
                bool(data.get("i")),
            )
        except (ValueError, TypeError, AttributeError):
            return EVERYTHING


NOTHING = Change()
EVERYTHING = Change(everything=True)


Keys = tuple[tuple[IdentityKey, str | int], ...]
"""An identity as contacts are looked up by it: its keys in lookup order, spelled as stored
(``recoms.service.contacts.lookup_keys``)."""


@dataclass(eq=False)
class Ticket:
    """Lists in computation for one asker (``keys`` None: lists that read no history).
    ``dirty`` once a change may have made what they read stale."""

    keys: Keys | None
    subject: Subject = None
    resolved: bool = False
    dirty: bool = False


@dataclass(frozen=True)
class _Answer:
    products: tuple[Product, ...]
    day: date


@dataclass(eq=False)
class AnswerCache:
    """At most ``size`` lists (least recently asked go first) and the subjects identities
    named. Used from the event loop only: no locks.

    ``warming`` is the task computing lists ahead of the first ask (``RecomsService.warm``),
    ``warmed`` is set once it is over."""

    size: int
    _answers: OrderedDict[AnswerKey, _Answer] = field(default_factory=OrderedDict)
    _by_subject: dict[Subject, set[AnswerKey]] = field(default_factory=dict)
    _subjects: dict[Keys, Subject] = field(default_factory=dict)
    # The identities of ``_subjects`` that give a web id, by it: a change naming web ids
    # (every tracker event does) finds what it makes stale without a pass over them all.
    _by_web_id: dict[str | int, set[Keys]] = field(default_factory=dict)
    _flights: set[Ticket] = field(default_factory=set)
    warming: asyncio.Task[int] | None = None
    warmed: asyncio.Event = field(default_factory=asyncio.Event)

    def __len__(self) -> int:
        return len(self._answers)

    def subject(self, keys: Keys) -> tuple[bool, Subject]:
        """Whether the subject ``keys`` name is known here, and which it is."""
        if not keys:
            return True, None
        try:
            return True, self._subjects[keys]
        except KeyError:
            return False, None

    def get(self, key: AnswerKey, day: date) -> tuple[Product, ...] | None:
        """The list kept for ``key`` on ``day``: the same tuple at each ask until it is
        dropped, so what is made of it (its JSON) can be kept beside it by identity."""
        found = self._answers.get(key)
        if found is None:
            return None
        if found.day != day:
            self._drop(key)
            return None
        self._answers.move_to_end(key)
        return found.products

    def begin(self, keys: Keys | None) -> Ticket:
        """Start computing lists for the asker ``keys`` name (None: lists that read no
        history). Call ``end`` after, whatever happens."""
        known, subject = self.subject(keys) if keys is not None else (True, None)
        ticket = Ticket(keys, subject, resolved=known)
        self._flights.add(ticket)
        return ticket

    def resolve(self, ticket: Ticket, subject: Subject, *aliases: Keys) -> None:
        """The ticket's keys (and ``aliases``, other identities of the same contact) name
        ``subject``: kept unless a change came meanwhile."""
        ticket.subject, ticket.resolved = subject, True
        if ticket.dirty or self.size <= 0 or ticket.keys is None:
            return
        if len(self._subjects) + 1 + len(aliases) > 4 * self.size:
            self._subjects.clear()
            self._by_web_id.clear()
        for keys in (ticket.keys, *aliases):
            if keys:
                self._subjects[keys] = subject
                web_id = _web_id(keys)
                if web_id is not None:
                    self._by_web_id.setdefault(web_id, set()).add(keys)

    def store(
        self, ticket: Ticket, key: AnswerKey, products: tuple[Product, ...], day: date
    ) -> None:
        """Keep a list computed under ``ticket`` (unless a change came meanwhile)."""
        if ticket.dirty or self.size <= 0:
            return
        self._answers[key] = _Answer(products, day)
        self._answers.move_to_end(key)
        self._by_subject.setdefault(key[1], set()).add(key)
        while len(self._answers) > self.size:
            self._drop(next(iter(self._answers)))

    def end(self, ticket: Ticket) -> None:
        self._flights.discard(ticket)

    def apply(self, change: Change) -> None:
        """Drop what ``change`` may have made wrong, and spoil the computations in flight it
        may concern."""
        if change.is_empty():
            return
        for ticket in self._flights:
            if change.everything or not ticket.resolved or _touches(change, ticket):
                ticket.dirty = True
        if change.everything:
            self._answers.clear()
            self._by_subject.clear()
            self._subjects.clear()
            self._by_web_id.clear()
            return
        for subject in [contact(c) for c in change.contacts] + [
            visitor(w) for w in change.web_ids
        ]:
            for key in self._by_subject.pop(subject, ()):
                self._answers.pop(key, None)
        if change.identities:
            stale = [
                keys
                for keys, subject in self._subjects.items()
                if _stale_subject(change, keys, subject)
            ]
        else:
            stale = [keys for web_id in change.web_ids for keys in self._by_web_id.get(web_id, ())]
        for keys in stale:
            self._forget(keys)

    def clear(self) -> None:
        self.apply(EVERYTHING)

    def _forget(self, keys: Keys) -> None:
        del self._subjects[keys]
        web_id = _web_id(keys)
        if web_id is not None:
            named = self._by_web_id[web_id]
            named.discard(keys)
            if not named:
                del self._by_web_id[web_id]

    def _drop(self, key: AnswerKey) -> None:
        self._answers.pop(key, None)
        keys = self._by_subject.get(key[1])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_subject[key[1]]


def _web_id(keys: Keys) -> str | int | None:
    return next((value for key, value in keys if key is IdentityKey.WEB_ID), None)


def _stale_subject(change: Change, keys: Keys, subject: Subject) -> bool:
    """Whether ``keys`` may name another subject after ``change``: their web id was linked,
    or identifiers were added and they named nobody, a visitor, or gave several keys (a
    later key's new contact does not move them, an earlier one's does)."""
    if _web_id(keys) in change.web_ids:
        return True
    return change.identities and (subject is None or subject[0] == "v" or len(keys) > 1)


def _touches(change: Change, ticket: Ticket) -> bool:
    keys, subject = ticket.keys, ticket.subject
    if keys is not None and _stale_subject(change, keys, subject):
        return True
    if subject is None:
        return False
    kind, value = subject
    return (kind == "c" and value in change.contacts) or (kind == "v" and value in change.web_ids)
