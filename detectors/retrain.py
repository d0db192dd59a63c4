"""Weekly re-learning of baselines (a job of `fluorowatch worker`): a circuit whose active model is older than
``max_age`` learns a new version from its last ``window`` of readings, through the same code path as
`fluorowatch detect learn` (detectors.service.learn_circuit).

Conservative: a baseline is what the detector compares against, so a window that might hold a leak must never
become one. A circuit is skipped when its unit has an open leak alert or an unverified leak case, or when the
window saw any alert, any raised detector event or any day not diagnosed healthy-or-unknown (leak suspected, other
fault) on the unit. A window with too few readings keeps the old model. The clock is passed in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from detectors.baseline import InsufficientBaseline
from detectors.service import learn_circuit

log = logging.getLogger(__name__)

MAX_MODEL_AGE = timedelta(days=30)
WINDOW = timedelta(days=14)
REASON = "scheduled re-learn"

_STALE_MODELS = """SELECT m.equipment_id, m.circuit_no FROM (
        SELECT DISTINCT ON (equipment_id, circuit_no) equipment_id, circuit_no, created_at FROM detector_model
        ORDER BY equipment_id, circuit_no, version DESC) m
    JOIN equipment e ON e.id = m.equipment_id
    WHERE m.created_at < %(older_than)s AND (e.disposed_on IS NULL OR e.disposed_on > %(until)s::date)
    ORDER BY 1, 2"""

# Why a unit's window must not be learned from, the first that applies; none: the window may be learned.
_REASONS = """SELECT reason FROM (
    SELECT 1 AS o, 'open leak alert' AS reason WHERE EXISTS (SELECT 1 FROM alert WHERE equipment_id = %(unit)s
        AND category = 'leak' AND status <> 'resolved')
    UNION ALL SELECT 2, 'unverified leak case' WHERE EXISTS (SELECT 1 FROM leak_case WHERE equipment_id = %(unit)s
        AND verified_on IS NULL)
    UNION ALL SELECT 3, 'alert in the window' WHERE EXISTS (SELECT 1 FROM alert WHERE equipment_id = %(unit)s
        AND raised_at < %(until)s AND (resolved_at IS NULL OR resolved_at > %(since)s))
    UNION ALL SELECT 4, 'detector event in the window' WHERE EXISTS (SELECT 1 FROM detector_event
        WHERE equipment_id = %(unit)s AND status = 'raised' AND ts >= %(since)s AND ts < %(until)s)
    UNION ALL SELECT 5, 'fault diagnosed in the window' WHERE EXISTS (SELECT 1 FROM diagnosis
        WHERE equipment_id = %(unit)s AND status IN ('leak_suspected', 'other_fault')
        AND day >= %(since)s::date - 1 AND day <= %(until)s::date)
) r ORDER BY o LIMIT 1"""


@dataclass
class RetrainResult:
    learned: list[tuple[int, int, int]] = field(default_factory=list)  # (unit, circuit, new version)
    skipped: dict[tuple[int, int], str] = field(default_factory=dict)  # (unit, circuit) -> why


def retrain_stale_models(
    conn: psycopg.Connection, now: datetime, *, max_age: timedelta = MAX_MODEL_AGE, window: timedelta = WINDOW
) -> RetrainResult:
    """Re-learn every stale circuit whose last ``window`` is clean; each learning commits on its own savepoint
    (the caller commits). Returns what was learned and what was skipped, with the reason."""
    until = now.replace(minute=0, second=0, microsecond=0)  # whole hours, as the detector judges them
    since = until - window
    result = RetrainResult()
    stale = conn.execute(_STALE_MODELS, {"older_than": now - max_age, "until": until}).fetchall()
    for unit, circuit in ((int(u), int(c)) for u, c in stale):
        row = conn.execute(_REASONS, {"unit": unit, "since": since, "until": until}).fetchone()
        if row is not None:
            result.skipped[(unit, circuit)] = str(row[0])
            continue
        try:
            with conn.transaction():
                version = learn_circuit(conn, unit, circuit, since, until, REASON)
        except InsufficientBaseline as exc:
            result.skipped[(unit, circuit)] = f"insufficient data: {exc}"
            continue
        result.learned.append((unit, circuit, version))
    for (unit, circuit), why in result.skipped.items():
        log.info("re-learn: equipment %d circuit %d keeps its model (%s)", unit, circuit, why)
    return result
