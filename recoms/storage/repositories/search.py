"""Search candidates from the database's own text index: one interface, two implementations.

SQLite: the FTS5 trigram table of migration 0005, asked for any of the query's trigrams and
ordered by bm25 (rare shared trigrams count most). PostgreSQL: pg_trgm's word similarity over
the product's document, nearest first from its GiST index (migration 0007), for each word.
Either way the database narrows the catalogue to the best few hundred;
``recoms.algorithms.textmatch`` ranks those the same way everywhere.
"""

from __future__ import annotations

import functools
import unicodedata

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    bindparam,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recoms.domain import Product
from recoms.storage.models import ProductRow
from recoms.storage.repositories.products import product_from_row

PG_DOCUMENT = (
    "lower(products.id || ' ' || products.title || ' ' || products.brand || ' ' "
    "|| products.category::text)"
)
"""What PostgreSQL's trigram index holds per product; equal to migration 0005's, or the index
goes unused."""
PG_PER_WORD = 100
"""Products nearest to each word of a query that PostgreSQL hands over at least."""
MAX_PG_WORDS = 8
"""Words asked of PostgreSQL's index at most."""
MAX_TRIGRAMS = 64
"""Trigrams asked of SQLite's index at most; a longer query is cut (its start counts most)."""

# FTS5 ranks and cuts its own matches first (``ORDER BY rank LIMIT``, bm25 weights of the
# columns id, title, brand, category), so a word thousands of products share costs a sort of
# rowids, not a join per match; the pool is then joined, and inactive products left out.
_SQLITE_CANDIDATES = text(
    "SELECT products.* FROM ("
    " SELECT rowid, rank FROM product_search"
    " WHERE product_search MATCH :match AND rank MATCH 'bm25(2.0, 3.0, 2.0, 1.0)'"
    " ORDER BY rank LIMIT :pool"
    ") AS hits"
    " JOIN product_search_keys AS keys ON keys.key = hits.rowid"
    " JOIN products ON products.id = keys.product_id"
    " WHERE products.active"
    " ORDER BY hits.rank, products.id"
    " LIMIT :limit"
)
POOL = 2
"""Index matches taken per candidate wanted: room for inactive products left out after."""


def fts_query(query: str) -> str:
    """An FTS5 query for any trigram of ``query`` (case folded, also without its accents),
    each a quoted string; empty when it has none (fewer than three characters)."""
    folded = " ".join(query.casefold().split())
    variants = [folded, _without_accents(folded)]
    grams = dict.fromkeys(
        variant[index : index + 3] for variant in variants for index in range(len(variant) - 2)
    )
    quoted = ['"' + gram.replace('"', '""') + '"' for gram in list(grams)[:MAX_TRIGRAMS]]
    return " OR ".join(quoted)


def _without_accents(text_: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text_)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class ProductSearchRepository:
    """Active products (in stock or not) that may match a query, by the index's measure."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def candidates(self, query: str, limit: int) -> list[Product]:
        """At most ``limit`` active products sharing trigrams with ``query``, the likeliest
        first (ties by id). A query of fewer than three characters has none."""
        connection = await self.session.connection()
        if connection.dialect.name == "sqlite":
            match = fts_query(query)
            if not match:
                return []
            statement = select(ProductRow).from_statement(
                _SQLITE_CANDIDATES.bindparams(match=match, pool=limit * POOL, limit=limit)
            )
            rows = await self.session.scalars(statement)
            return [product_from_row(row) for row in rows]
        wanted = pg_words(query)
        if not wanted:
            return []
        each = max(PG_PER_WORD, limit // len(wanted))
        params: dict[str, str | int] = {f"word_{n}": word for n, word in enumerate(wanted)}
        rows = await self.session.scalars(_pg_candidates(len(wanted)), params | {"each": each})
        return [product_from_row(row) for row in rows][:limit]


def pg_words(query: str) -> list[str]:
    """The words PostgreSQL looks for, each on its own (pg_trgm's word similarity of a whole
    phrase is low when its words sit apart in the document): those of three characters or
    more, at most :data:`MAX_PG_WORDS`; the whole query when none is that long."""
    folded = query.casefold().split()
    long_enough = list(dict.fromkeys(word for word in folded if len(word) >= 3))
    if long_enough:
        return long_enough[:MAX_PG_WORDS]
    whole = " ".join(folded)
    return [whole] if len(whole) >= 3 else []


@functools.lru_cache(maxsize=MAX_PG_WORDS)
def _pg_candidates(words: int) -> Select[ProductRow]:
    """For each word (``word_0``...), the ``each`` active products nearest to it by word
    similarity, straight from the GiST index (migration 0007); together, by id."""
    document = literal_column(PG_DOCUMENT, String)
    nearest = [
        select(ProductRow.id)
        .where(ProductRow.active.is_(True))
        .order_by(bindparam(f"word_{n}", type_=String).op("<<->", return_type=Float)(document))
        .limit(bindparam("each", type_=Integer))
        for n in range(words)
    ]
    ids = union(*nearest).subquery() if words > 1 else nearest[0].subquery()
    return select(ProductRow).where(ProductRow.id.in_(select(ids.c.id))).order_by(ProductRow.id)
