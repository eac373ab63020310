"""The serving-time view of the catalogue: ids, stock, prices, categories and content vectors."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recoms.algorithms.sparse import row_entries
from recoms.domain import Product, ProductId

_TOKEN = re.compile(r"[^\W_]{2,}")
# Descriptions can be long; their first words describe the product, the rest is boilerplate.
_DESCRIPTION_CHARS = 400
# Words of a product looked up to find similar ones: its most distinctive few, and no more
# than make this many (product, word) entries to add up.
_QUERY_TERMS = 12
_QUERY_POSTINGS = 20_000


def category_key(path: Iterable[str]) -> tuple[str, ...]:
    """A category path normalised for comparison: trimmed, case-folded, empty parts dropped."""
    return tuple(part.strip().casefold() for part in path if part.strip())


def parse_category(category: str) -> tuple[str, ...]:
    """``"Home > Kitchen"`` (Google Merchant's separator) or ``"Home/Kitchen"`` as a path key."""
    return category_key(re.split(r"\s*[>/|]\s*", category))


@dataclass(frozen=True, eq=False)
class CatalogView:
    """Active products, indexed ``0..n-1`` in product-id order (so index order breaks ties).

    ``price`` is the price a customer pays today (sale price when there is one), ``nan`` when
    unknown. ``category_code`` numbers distinct category paths (-1: none); ``brand_code`` the
    same for brands. ``content`` holds one L2-normalised TF-IDF row per product over the
    words of its title, description, category and brand; ``content_by_term`` is its transpose
    (the inverted index). ``by_category[category_offsets[c]:category_offsets[c + 1]]`` are the
    products of category code ``c``, in index order. ``feed_order`` lists every index in the
    order of the shop's feed (``Product.feed_position``), products without a position last.
    """

    product_ids: tuple[ProductId, ...]
    index: Mapping[ProductId, int]
    in_stock: npt.NDArray[np.bool_]
    price: npt.NDArray[np.float64]
    categories: tuple[tuple[str, ...], ...]
    category_code: npt.NDArray[np.int32]
    brand_code: npt.NDArray[np.int32]
    content: sp.csr_matrix
    content_by_term: sp.csr_matrix
    by_category: npt.NDArray[np.int64]
    category_offsets: npt.NDArray[np.int64]
    feed_order: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.product_ids)

    @classmethod
    def from_products(cls, products: Iterable[Product]) -> CatalogView:
        """Build the view from products; inactive ones are left out (they are never offered)."""
        chosen: dict[ProductId, Product] = {}
        for product in products:
            if product.active:
                chosen[product.id] = product
        ordered = [chosen[product_id] for product_id in sorted(chosen)]
        n = len(ordered)
        price = np.full(n, np.nan)
        in_stock = np.zeros(n, dtype=np.bool_)
        categories: list[tuple[str, ...]] = []
        category_codes: dict[tuple[str, ...], int] = {}
        category_code = np.full(n, -1, dtype=np.int32)
        brand_codes: dict[str, int] = {}
        brand_code = np.full(n, -1, dtype=np.int32)
        documents: list[list[str]] = []
        # Products without a feed position follow the feed's, in index order.
        position = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        for i, product in enumerate(ordered):
            in_stock[i] = product.in_stock
            if product.feed_position is not None:
                position[i] = product.feed_position
            paid = product.effective_price
            if paid is not None:
                price[i] = float(paid)
            path = category_key(product.category)
            categories.append(path)
            if path:
                category_code[i] = category_codes.setdefault(path, len(category_codes))
            brand = product.brand.strip().casefold()
            if brand:
                brand_code[i] = brand_codes.setdefault(brand, len(brand_codes))
            text = " ".join(
                (
                    product.title,
                    product.description[:_DESCRIPTION_CHARS],
                    " ".join(product.category),
                    product.brand,
                )
            )
            documents.append(_TOKEN.findall(text.casefold()))
        content = _tfidf(documents)
        by_category = np.argsort(category_code, kind="stable").astype(np.int64)
        by_category = by_category[category_code[by_category] >= 0]
        category_offsets = np.zeros(len(category_codes) + 1, dtype=np.int64)
        np.cumsum(
            np.bincount(category_code[by_category], minlength=len(category_codes)),
            out=category_offsets[1:],
        )
        return cls(
            product_ids=tuple(product.id for product in ordered),
            index={product.id: i for i, product in enumerate(ordered)},
            in_stock=in_stock,
            price=price,
            categories=tuple(categories),
            category_code=category_code,
            brand_code=brand_code,
            content=content,
            content_by_term=sp.csr_matrix(content.T),
            by_category=by_category,
            category_offsets=category_offsets,
            feed_order=np.argsort(position, kind="stable").astype(np.int64),
        )

    def indices(self, product_ids: Iterable[ProductId]) -> list[int]:
        """Catalogue indices of the known ids among ``product_ids``, in the order given."""
        return [self.index[pid] for pid in product_ids if pid in self.index]

    def category_members(self, code: int) -> npt.NDArray[np.int64]:
        """Products of category code ``code``, in index order."""
        return self.by_category[self.category_offsets[code] : self.category_offsets[code + 1]]

    def similar_content(self, index: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Products sharing words with product ``index`` and their cosine similarity to it.

        Only the product's most distinctive words are looked up, and no more of them than
        ``_QUERY_POSTINGS`` products carry, so that the cost stays bounded however large the
        catalogue; the product itself is included."""
        terms, weights = self._query(index)
        if terms.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        by_term = self.content_by_term
        postings = np.cumsum(np.diff(by_term.indptr)[terms])
        # The most distinctive word always counts, however common.
        keep = max(int(np.searchsorted(postings, _QUERY_POSTINGS, side="right")), 1)
        terms, weights = terms[:keep], weights[:keep]
        offsets, lengths = row_entries(by_term.indptr, terms)
        products = by_term.indices[offsets].astype(np.int64)
        weight = by_term.data[offsets].astype(np.float64) * np.repeat(weights, lengths)
        unique, inverse = np.unique(products, return_inverse=True)
        return unique, np.bincount(inverse, weights=weight).astype(np.float64)

    def content_similarity(
        self, index: int, others: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Cosine similarity of product ``index`` to each of ``others`` over all its words."""
        start, stop = self.content.indptr[index], self.content.indptr[index + 1]
        terms = self.content.indices[start:stop]
        order = np.argsort(terms)
        terms, weights = terms[order], self.content.data[start:stop][order].astype(np.float64)
        if terms.size == 0 or others.size == 0:
            return np.zeros(others.size)
        offsets, lengths = row_entries(self.content.indptr, others)
        their_terms = self.content.indices[offsets]
        position = np.minimum(np.searchsorted(terms, their_terms), terms.size - 1)
        shared = terms[position] == their_terms
        products = np.repeat(np.arange(others.size), lengths)
        contribution = self.content.data[offsets] * weights[position] * shared
        return np.bincount(products, weights=contribution, minlength=others.size).astype(
            np.float64
        )

    def _query(self, index: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """The product's words, most distinctive (highest weight) first, ties by word."""
        start, stop = self.content.indptr[index], self.content.indptr[index + 1]
        terms = self.content.indices[start:stop]
        weights = self.content.data[start:stop].astype(np.float64)
        order = np.lexsort((terms, -weights))[:_QUERY_TERMS]
        return terms[order], weights[order]

    def in_category(self, category: str | Sequence[str]) -> npt.NDArray[np.bool_]:
        """Products whose category path starts with ``category`` (``"A > B"``), or, for a
        one-word category, whose path contains it anywhere (shops often name only the leaf).
        Several categories: products in any of them."""
        if not isinstance(category, str):
            mask = np.zeros(len(self.product_ids), dtype=np.bool_)
            for one in category:
                mask |= self.in_category(one)
            return mask
        wanted = parse_category(category)
        mask = np.zeros(len(self.product_ids), dtype=np.bool_)
        if not wanted:
            return mask
        for code_path, code in self._category_table().items():
            hit = code_path[: len(wanted)] == wanted or (
                len(wanted) == 1 and wanted[0] in code_path
            )
            if hit:
                mask |= self.category_code == code
        return mask

    def _category_table(self) -> dict[tuple[str, ...], int]:
        table: dict[tuple[str, ...], int] = {}
        for path, code in zip(self.categories, self.category_code.tolist(), strict=True):
            if code >= 0:
                table[path] = code
        return table


def _tfidf(documents: list[list[str]]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows (sublinear term frequency, smoothed IDF) as scikit-learn's."""
    vocabulary: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    counts: list[float] = []
    for words in documents:
        row: dict[int, int] = {}
        for word in words:
            column = vocabulary.setdefault(word, len(vocabulary))
            row[column] = row.get(column, 0) + 1
        indices.extend(row)
        counts.extend(1.0 + math.log(count) for count in row.values())
        indptr.append(len(indices))
    n = len(documents)
    matrix = sp.csr_matrix(
        (
            np.asarray(counts, dtype=np.float32),
            np.asarray(indices, dtype=np.int32),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(n, len(vocabulary)),
    )
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = (np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0).astype(np.float32)
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sp.csr_matrix(sp.diags(1.0 / norms).astype(np.float32) @ matrix)
    return matrix
