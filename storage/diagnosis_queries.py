"""Queries of the daily diagnosis (migration 0008; REGULATION.md (p) ロ, ハ): which circuits are in service,
which model was in force, what a day's hour verdicts add up to, which categories were raised, and the
diagnosis rows themselves (one per circuit and day, replaced when the day is diagnosed again)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import psycopg

from detectors.daily import DaySummary, Diagnosis
from storage.detector_queries import CircuitKey, jsonb


def registered_circuits(conn: psycopg.Connection, day: date) -> list[CircuitKey]:
    """Circuits of the units in service on ``day`` (installed by then, not disposed of before it)."""
    rows = conn.execute(
        """SELECT c.equipment_id, c.circuit_no FROM circuit c JOIN equipment e ON e.id = c.equipment_id
           WHERE coalesce(e.installed_on, '-infinity') <= %(day)s AND coalesce(e.disposed_on, 'infinity') >= %(day)s
           ORDER BY 1, 2""",
        {"day": day},
    ).fetchall()
    return [(int(e), int(c)) for e, c in rows]


def models_in_force(conn: psycopg.Connection, end: datetime) -> dict[CircuitKey, int]:
    """Per circuit, the newest model version whose learning window ended before ``end``."""
    rows = conn.execute(
        """SELECT equipment_id, circuit_no, max(version) FROM detector_model WHERE trained_until < %s
           GROUP BY 1, 2""",
        (end,),
    ).fetchall()
    return {(int(e), int(c)): int(v) for e, c, v in rows}


def day_summaries(conn: psycopg.Connection, start: datetime, end: datetime) -> dict[CircuitKey, DaySummary]:
    """The hour verdicts of start <= hour < end, summed up per circuit as detectors.daily.summarise would."""
    window = {"start": start, "end": end}
    hours = conn.execute(
        """SELECT equipment_id, circuit_no, count(*), count(*) FILTER (WHERE has_data),
               (array_agg(lost_pct ORDER BY hour_utc DESC) FILTER (WHERE has_data AND lost_pct IS NOT NULL))[1],
               (array_agg(sigma_pct ORDER BY hour_utc DESC) FILTER (WHERE has_data AND lost_pct IS NOT NULL))[1]
           FROM detector_hour WHERE hour_utc >= %(start)s AND hour_utc < %(end)s GROUP BY 1, 2""",
        window,
    ).fetchall()
    counts: dict[CircuitKey, dict[str, int]] = {}
    for e, c, category, n in conn.execute(
        """SELECT equipment_id, circuit_no, k, count(*) FROM detector_hour, unnest(conditions) AS k
           WHERE hour_utc >= %(start)s AND hour_utc < %(end)s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        window,
    ).fetchall():
        counts.setdefault((int(e), int(c)), {})[str(category)] = int(n)
    return {
        (int(e), int(c)): DaySummary(int(n), int(measured), counts.get((int(e), int(c)), {}), lost, sigma)
        for e, c, n, measured, lost, sigma in hours
    }


def raised_categories(
    conn: psycopg.Connection, start: datetime, end: datetime
) -> dict[CircuitKey, dict[int, frozenset[str]]]:
    """Per circuit and model version, the categories raised in start < ts <= end or standing raised at ``end``
    (their latest event up to then raised them). An event's ts is the end of the hour that decided it."""
    rows = conn.execute(
        """SELECT equipment_id, circuit_no, model_version, category FROM (
               SELECT DISTINCT ON (equipment_id, circuit_no, category) equipment_id, circuit_no, category, status,
                   model_version
               FROM detector_event WHERE ts <= %(end)s ORDER BY equipment_id, circuit_no, category, ts DESC) AS latest
           WHERE status = 'raised'
           UNION SELECT equipment_id, circuit_no, model_version, category FROM detector_event
           WHERE status = 'raised' AND ts > %(start)s AND ts <= %(end)s""",
        {"start": start, "end": end},
    ).fetchall()
    found: dict[CircuitKey, dict[int, set[str]]] = {}
    for e, c, version, category in rows:
        found.setdefault((int(e), int(c)), {}).setdefault(int(version), set()).add(str(category))
    return {key: {v: frozenset(s) for v, s in by_version.items()} for key, by_version in found.items()}


def write_diagnoses(conn: psycopg.Connection, diagnoses: Sequence[tuple[CircuitKey, Diagnosis]]) -> None:
    """One row per circuit and day. Diagnosing a day again replaces the rows whose answer changed (late
    readings, a re-learned model) and leaves the others untouched."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO diagnosis (equipment_id, circuit_no, day, status, hours_measured,
                   estimated_charge_loss_pct, sigma_pct, categories, detail)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (equipment_id, circuit_no, day) DO UPDATE SET status = EXCLUDED.status,
                   hours_measured = EXCLUDED.hours_measured,
                   estimated_charge_loss_pct = EXCLUDED.estimated_charge_loss_pct, sigma_pct = EXCLUDED.sigma_pct,
                   categories = EXCLUDED.categories, detail = EXCLUDED.detail, created_at = now()
               WHERE (diagnosis.status, diagnosis.hours_measured, diagnosis.estimated_charge_loss_pct,
                      diagnosis.sigma_pct, diagnosis.categories, diagnosis.detail)
                   IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.hours_measured, EXCLUDED.estimated_charge_loss_pct,
                      EXCLUDED.sigma_pct, EXCLUDED.categories, EXCLUDED.detail)""",
            [(e, c, d.day, d.status.value, d.hours_measured, d.estimated_charge_loss_pct, d.sigma_pct,
              list(d.categories), jsonb(d.detail)) for (e, c), d in diagnoses],
        )  # fmt: skip
