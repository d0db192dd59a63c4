"""Vectorised CSV text: each column becomes a byte matrix (one row per line, NUL-padded), the columns are
joined with separator bytes and the NULs dropped. Formatting 100,000 rows of 25 columns this way takes a
fraction of the time of Python string formatting, which is what keeps a 90-day backfill fast.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ByteMatrix", "csv_bytes", "fixed_point", "text"]

FloatArray = npt.NDArray[np.float64]
ByteMatrix = npt.NDArray[np.uint8]

_ZERO, _MINUS, _POINT = ord("0"), ord("-"), ord(".")
_MAX_ABS = 1e12


def fixed_point(values: FloatArray, decimals: int) -> ByteMatrix:
    """``values`` written with exactly ``decimals`` digits after the point (no point when 0); NaN -> empty.

    Values must be below 1e12 in magnitude.
    """
    missing = ~np.isfinite(values)
    clean = np.where(missing, 0.0, values)
    if np.any(np.abs(clean) >= _MAX_ABS):
        raise ValueError(f"cannot write values of magnitude >= {_MAX_ABS:g} in fixed point")
    scaled = np.rint(clean * 10.0**decimals).astype(np.int64)
    integer, fraction = np.divmod(np.abs(scaled), 10**decimals)
    digits = _digit_count(integer)
    negative = np.flatnonzero(scaled < 0)
    width = int(digits.max(initial=1)) + (1 if negative.size else 0)
    matrix = _integer_digits(integer, digits, width)
    matrix[negative, width - 1 - digits[negative]] = _MINUS
    if decimals:
        fraction_digits = [(fraction // 10 ** (decimals - 1 - j)) % 10 + _ZERO for j in range(decimals)]
        point = np.full((values.size, 1), _POINT, dtype=np.uint8)
        matrix = np.concatenate([matrix, point, np.stack(fraction_digits, axis=1).astype(np.uint8)], axis=1)
    matrix[missing] = 0
    return matrix


def text(values: npt.NDArray[np.bytes_]) -> ByteMatrix:
    """A column of ASCII byte strings (fixed-width ``S`` array, NUL-padded) as a byte matrix."""
    if values.dtype.itemsize == 0:
        return np.zeros((values.size, 0), dtype=np.uint8)
    return np.ascontiguousarray(values).view(np.uint8).reshape(values.size, values.dtype.itemsize)


def csv_bytes(header: list[str], columns: list[ByteMatrix]) -> bytes:
    """Header line, then one line per row: the columns separated by commas, NULs removed."""
    rows = columns[0].shape[0]
    comma = np.full((rows, 1), ord(","), dtype=np.uint8)
    newline = np.full((rows, 1), ord("\n"), dtype=np.uint8)
    pieces: list[ByteMatrix] = []
    for column in columns:
        pieces += [column, comma]
    pieces[-1] = newline
    body = np.concatenate(pieces, axis=1) if rows else np.zeros((0, 0), dtype=np.uint8)
    return (",".join(header) + "\n").encode("ascii") + bytes(body[body != 0].tobytes())


def _digit_count(integer: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    count = np.ones_like(integer)
    rest = integer // 10
    while np.any(rest):
        count += rest > 0
        rest //= 10
    return count


def _integer_digits(integer: npt.NDArray[np.int64], digits: npt.NDArray[np.int64], width: int) -> ByteMatrix:
    matrix = np.zeros((integer.size, width), dtype=np.uint8)
    for k in range(width):  # k-th digit from the right
        digit = (integer // 10**k) % 10 + _ZERO
        matrix[:, width - 1 - k] = np.where(k < digits, digit, 0)
    return matrix
