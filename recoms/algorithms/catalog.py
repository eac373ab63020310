"""The serving-time view of the catalogue: ids, stock, prices, categories and content vectors."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recoms.algorithms.sparse import row_entries
from recoms.domain import Product, ProductId

_TOKEN = re.compile(r"[^\W_]{2,}")
# Descriptions can be long; their first words describe the product, the rest is boilerplate.
_DESCRIPTION_CHARS = 400
# Words of a product looked up to find similar ones: its most distinctive few.
_QUERY_TERMS = 12


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
    (the inverted index).
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
        for i, product in enumerate(ordered):
            in_stock[i] = product.in_stock
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
        )

    def indices(self, product_ids: Iterable[ProductId]) -> list[int]:
        """Catalogue indices of the known ids among ``product_ids``, in the order given."""
        return [self.index[pid] for pid in product_ids if pid in self.index]

    def similar_content(self, index: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Products sharing words with product ``index`` and their cosine similarity to it.

        Only the product's most distinctive words are looked up, so that the cost stays bounded
        by short posting lists however large the catalogue; the product itself is included."""
        start, stop = self.content.indptr[index], self.content.indptr[index + 1]
        terms = self.content.indices[start:stop]
        weights = self.content.data[start:stop]
        if terms.size > _QUERY_TERMS:
            best = np.lexsort((terms, -weights))[:_QUERY_TERMS]
            terms, weights = terms[best], weights[best]
        if terms.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        by_term = self.content_by_term
        offsets, lengths = row_entries(by_term.indptr, terms)
        products = by_term.indices[offsets].astype(np.int64)
        weight = by_term.data[offsets].astype(np.float64) * np.repeat(
            weights.astype(np.float64), lengths
        )
        unique, inverse = np.unique(products, return_inverse=True)
        return unique, np.bincount(inverse, weights=weight).astype(np.float64)

    def in_category(self, category: str) -> npt.NDArray[np.bool_]:
        """Products whose category path starts with ``category`` (``"A > B"``), or, for a
        one-word category, whose path contains it anywhere (shops often name only the leaf)."""
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
