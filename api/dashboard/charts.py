"""Charts as SVG, drawn on the server: a polyline of values over time against the learned baseline band.

No chart library: a time axis with day ticks, a value axis with a few round ticks, the band (the baseline's
expected value ± 2 spreads at each hour, storage.chart_series) as a shaded area and the values as a line, both
broken where hours are missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 10, 24
LOCAL_ZONE = ZoneInfo("Asia/Tokyo")


Point = tuple[datetime, float | None]


@dataclass(frozen=True)
class Band:
    """The shaded range at each moment: ``(at, low, high)``; a moment without a range is None."""

    points: Sequence[tuple[datetime, float | None, float | None]]
    max_gap: timedelta | None = timedelta(minutes=90)  # the band breaks where two moments are further apart

    @classmethod
    def constant(cls, low: float, high: float, start: datetime, end: datetime) -> Band:
        return cls([(start, low, high), (end, low, high)], max_gap=None)


def _runs(points: Sequence[tuple[Any, ...]], max_gap: timedelta | None) -> list[list[tuple[Any, ...]]]:
    """The points split where a value is missing (None or not finite) or the time between two exceeds max_gap."""
    runs: list[list[tuple[Any, ...]]] = [[]]
    for point in points:
        at, values = point[0], point[1:]
        if any(v is None or not math.isfinite(v) for v in values):
            runs.append([])
            continue
        if runs[-1] and max_gap is not None and at - runs[-1][-1][0] > max_gap:
            runs.append([])
        runs[-1].append(point)
    return [run for run in runs if run]


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def line_chart(
    points: Sequence[Point],
    start: datetime,
    end: datetime,
    *,
    band: Band | None = None,
    title: str = "",
    no_data: str = "no data",
    max_gap: timedelta | None = timedelta(minutes=90),
) -> str:
    """SVG markup of ``points`` between ``start`` and ``end`` (aware datetimes), with ``band`` shaded; the line
    and the band break where a value is missing or two points are more than ``max_gap`` apart."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for _, v in points if v is not None and math.isfinite(v)]
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/>',
    ]
    if not values:
        parts.append(f'<text class="empty" x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}">{escape(no_data)}</text>')
        parts.append("</svg>")
        return "".join(parts)
    low, high = min(values), max(values)
    band_runs = [] if band is None else _runs(band.points, band.max_gap)
    for run in band_runs:
        low = min(low, *(float(p[1]) for p in run))
        high = max(high, *(float(p[2]) for p in run))
    pad = (high - low) * 0.08 or max(abs(high) * 0.05, 0.5)
    low, high = low - pad, high + pad
    span_s = max((end - start).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return LEFT + plot_w * (at - start).total_seconds() / span_s

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    for tick in _nice_ticks(low, high):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="ytick" x="{LEFT - 4}" y="{y(tick) + 4:.1f}">{_label(tick)}</text>')
    day = start.astimezone(LOCAL_ZONE).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    step_days = max(1, round(span_s / 86400 / 7))
    while day < end:
        parts.append(f'<line class="grid" x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{TOP}" y2="{TOP + plot_h}"/>')
        parts.append(f'<text class="xtick" x="{x(day):.1f}" y="{HEIGHT - 6}">{day:%m/%d}</text>')
        day += timedelta(days=step_days)
    for run in band_runs:
        edge = [f"{x(p[0]):.1f},{y(float(p[2])):.1f}" for p in run]
        edge += [f"{x(p[0]):.1f},{y(float(p[1])):.1f}" for p in reversed(run)]
        parts.append(f'<polygon class="band" points="{" ".join(edge)}"/>')
    for run in _runs(points, max_gap):
        if len(run) > 1:
            line = " ".join(f"{x(at):.1f},{y(float(value)):.1f}" for at, value in run)
            parts.append(f'<polyline class="series" points="{line}"/>')
        else:
            at, value = run[0]
            parts.append(f'<circle class="dot" cx="{x(at):.1f}" cy="{y(float(value)):.1f}" r="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)
