"""How well products match a search query, with typo tolerance: pure, synchronous, no IO.

The database's text index picks the candidates (a few hundred at most, never the catalogue);
this ranks them the same way on every database. A query's words are matched against the words
of each product's title, id, brand and category: a whole word beats a word's beginning, which
beats a part of a word, which beats a word spelled alike (trigram similarity, as PostgreSQL's
pg_trgm counts it, or one letter off). Case and accents do not count.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from recoms.domain import Product, ProductId

MIN_WORD_MATCH = 0.55
"""A candidate is a match when one of the query's words matches one of its words at least
this well (field weight included); others shared only a trigram or two."""
BOOST_WEIGHT = 0.5
"""A boost of 1 (the customer's top personal pick) raises a product's score by half."""
EXACT_ID = 3.0
"""The score of a product whose id is the query: it comes first whatever else matches."""

_FIELD_WEIGHTS = {"title": 1.0, "id": 1.0, "brand": 0.9, "category": 0.7}
_PHRASE_BONUS = 0.15
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Scored:
    product: Product
    score: float


@dataclass(frozen=True, slots=True)
class _Match:
    score: float
    best_word: float


def normalise(text: str) -> str:
    """Lower case (casefolded), accents removed, anything but letters and digits a space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_WORD.findall(bare.replace("_", " ")))


@functools.lru_cache(maxsize=16_384)
def words(text: str) -> tuple[str, ...]:
    return tuple(normalise(text).split())


@functools.lru_cache(maxsize=16_384)
def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return frozenset(padded[index : index + 3] for index in range(len(padded) - 2))


def similarity(left: str, right: str) -> float:
    """Shared trigrams over all trigrams of the two words (pg_trgm's ``similarity``)."""
    a, b = trigrams(left), trigrams(right)
    return len(a & b) / len(a | b)


def one_letter_off(left: str, right: str) -> bool:
    """One letter added, dropped, changed, or two neighbours swapped."""
    if left == right or abs(len(left) - len(right)) > 1:
        return False
    if len(left) > len(right):
        left, right = right, left
    start = 0
    while start < len(left) and left[start] == right[start]:
        start += 1
    if len(left) < len(right):
        return left[start:] == right[start + 1 :]
    if left[start + 1 :] == right[start + 1 :]:
        return True
    return (
        start + 1 < len(left)
        and left[start] == right[start + 1]
        and left[start + 1] == right[start]
        and left[start + 2 :] == right[start + 2 :]
    )


@functools.lru_cache(maxsize=65_536)
def word_match(query: str, word: str) -> float:
    """How well one query word matches one product word, 0 to 1."""
    if query == word:
        return 1.0
    if len(query) >= 2 and word.startswith(query):
        return 0.9
    if len(query) >= 3 and query in word:
        return 0.75
    if len(word) >= 3 and query.startswith(word):
        # "mugs" for "mug": the product's word is the query's stem.
        return 0.7 * len(word) / len(query) + 0.1
    if len(query) < 3:
        return 0.0
    best = similarity(query, word)
    if len(query) >= 4 and one_letter_off(query, word):
        best = max(best, 0.7)
    return best if best >= 0.3 else 0.0


def _fields(product: Product) -> list[tuple[float, tuple[str, ...]]]:
    return [
        (_FIELD_WEIGHTS["title"], words(product.title)),
        (_FIELD_WEIGHTS["id"], words(product.id)),
        (_FIELD_WEIGHTS["brand"], words(product.brand)),
        (_FIELD_WEIGHTS["category"], words(" ".join(product.category))),
    ]


def score(query: str, product: Product) -> float:
    """The product's match of ``query``: the mean over the query's words of each word's best
    match in any field (weighted by the field), and a bonus when the title holds the query's
    words in a row; :data:`EXACT_ID` when the query is the product's id."""
    return _match(query, product).score


def _match(query: str, product: Product) -> _Match:
    if query.strip().casefold() == product.id.casefold():
        return _Match(EXACT_ID, 1.0)
    query_words = words(query)
    if not query_words:
        return _Match(0.0, 0.0)
    fields = _fields(product)
    matches = [
        max(
            (weight * word_match(wanted, word) for weight, found in fields for word in found),
            default=0.0,
        )
        for wanted in query_words
    ]
    mean = sum(matches) / len(matches)
    phrase = " ".join(query_words)
    if len(query_words) > 1 and phrase in normalise(product.title):
        mean += _PHRASE_BONUS
    return _Match(mean, max(matches))


def rank_matches(
    query: str,
    candidates: Iterable[Product],
    *,
    boosts: Mapping[ProductId, float] | None = None,
) -> list[Scored]:
    """The candidates that match ``query`` (one word at least :data:`MIN_WORD_MATCH`), best
    first: a word the catalogue lacks lowers a product's score but does not lose it.

    ``boosts`` (0 to 1 by product, e.g. the customer's personal ranking) multiply a match's
    score by up to 1 + :data:`BOOST_WEIGHT`; they never bring in a product that does not
    match. Ties: what can be bought now first, then by title (any case), then by id."""
    boosts = boosts or {}
    scored: list[Scored] = []
    for product in candidates:
        match = _match(query, product)
        if match.best_word < MIN_WORD_MATCH:
            continue
        boost = min(max(boosts.get(product.id, 0.0), 0.0), 1.0)
        scored.append(Scored(product, match.score * (1 + BOOST_WEIGHT * boost)))
    scored.sort(
        key=lambda item: (
            -round(item.score, 9),
            not item.product.in_stock,
            item.product.title.casefold(),
            item.product.id,
        )
    )
    return scored


def rank_boosts(ranked: Sequence[ProductId]) -> dict[ProductId, float]:
    """Boosts from a ranking, best first: 1 for the first, falling evenly towards 0."""
    count = len(ranked)
    return {product: 1 - position / count for position, product in enumerate(ranked)}
