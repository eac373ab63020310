"""Row gathering on CSR arrays with plain index arithmetic (scipy's per-call overhead would cost
more than the work at request time)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def row_entries(
    indptr: npt.NDArray[np.integer], rows: npt.NDArray[np.integer]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions in ``indices``/``data`` of every entry of ``rows`` (in the order given), and
    how many entries each row has."""
    starts = indptr[rows].astype(np.int64)
    lengths = indptr[rows + 1].astype(np.int64) - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    return offsets, lengths
