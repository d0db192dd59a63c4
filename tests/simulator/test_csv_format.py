"""The vectorised CSV writer formats numbers exactly as it should."""

from __future__ import annotations

import numpy as np
import pytest

from edge_agent.simulator.csv_format import csv_bytes, fixed_point, text


def _cells(values: list[float], decimals: int) -> list[str]:
    body = csv_bytes(["x"], [fixed_point(np.array(values, dtype=np.float64), decimals)]).decode()
    return body.splitlines()[1:]


@pytest.mark.parametrize(
    ("values", "decimals", "expected"),
    [
        ([3.14159, 0.0, 12345.678], 2, ["3.14", "0.00", "12345.68"]),
        ([-12.5, -0.04, 0.04, -3.0], 1, ["-12.5", "0.0", "0.0", "-3.0"]),
        ([1.0, 0.0, 17.0, -7.0], 0, ["1", "0", "17", "-7"]),
        ([0.00004, -0.0596, 2.0], 4, ["0.0000", "-0.0596", "2.0000"]),
        ([np.nan, 1.5, np.nan], 1, ["", "1.5", ""]),
    ],
)
def test_fixed_point(values: list[float], decimals: int, expected: list[str]) -> None:
    assert _cells(values, decimals) == expected


def test_columns_join_with_commas_and_empty_cells_stay() -> None:
    names = text(np.array([b"leak", b"", b"leak;heat_wave"]))
    numbers = fixed_point(np.array([1.0, np.nan, -2.25]), 2)
    assert csv_bytes(["a", "b"], [names, numbers]) == b"a,b\nleak,1.00\n,\nleak;heat_wave,-2.25\n"


def test_huge_values_are_refused() -> None:
    with pytest.raises(ValueError, match="magnitude"):
        fixed_point(np.array([1e13]), 1)


def test_no_rows_gives_just_the_header() -> None:
    assert csv_bytes(["ts", "x"], [text(np.array([], dtype="S5")), fixed_point(np.array([]), 1)]) == b"ts,x\n"
