"""Detection running beside ingest (issue 11, `python -m bench.ingest --with-detection`).

Every benchmark unit gets a learned model, and a separate process runs the detectors' streaming pass
(`detectors.service.detect_until`, what the worker's `detect-new-hours` job runs) while the readings arrive.
The benchmark compresses time: a unit's readings advance by about an hour of measurement time per second. So
the pass follows the data, not the wall clock: it judges each hour once every unit's readings of that hour are
stored, as the worker does a few minutes after each real hour. Ingest's own hourly pass uses the wall clock;
the benchmark starts where no hour boundary of that pass falls inside the run (`wait_clear_of_hourly_pass`).
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event

import psycopg
from psycopg.types.json import Jsonb

from bench.diagnosis.__main__ import TOKYO, learn_templates
from bench.ingest.load import unit_name
from detectors.daily import LATE_MARGIN
from detectors.service import PassResult, detect_until

TEMPLATE = 0  # bench.diagnosis.TEMPLATES[0]: a remote showcase on R404A, like the benchmark units


def run_start(days_ago: float) -> datetime:
    """Local midnight (Asia/Tokyo) `days_ago` days back: where a run's readings start and its models end."""
    day = (datetime.now(TOKYO) - timedelta(days=days_ago)).date()
    return datetime.combine(day, datetime.min.time(), TOKYO)


def store_models(url: str, start: datetime, workers: range) -> None:
    """Version 1 of circuit 1 of the units of `workers`: the template's model, learned on the 14 simulated days
    that end at `start` (a local midnight), so every published hour is new to the detectors."""
    model = learn_templates(start.date(), TOKYO, 60.0)[TEMPLATE]
    baseline = model["baseline"]
    with psycopg.connect(url) as conn:
        conn.execute(
            """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason,
                                           model)
               SELECT id, 1, 1, to_timestamp(%s), to_timestamp(%s), 'commissioning', %s FROM equipment
               WHERE management_no LIKE ANY(%s)""",
            (baseline["trained_from"], baseline["trained_until"], Jsonb(model), [f"B{w:02d}-%" for w in workers]),
        )


def wait_clear_of_hourly_pass(run_s: float) -> None:
    """Ingest judges once an hour, LATE_MARGIN after the hour, on the wall clock. Starting a run where that
    moment falls inside it would let that pass move every unit's watermark to now; wait it out instead."""
    now = datetime.now(UTC)
    next_pass = now.replace(minute=0, second=0, microsecond=0) + LATE_MARGIN
    if next_pass <= now:
        next_pass += timedelta(hours=1)
    if (next_pass - now).total_seconds() < run_s:
        wait = (next_pass - now).total_seconds() + 30
        print(f"waiting {wait:.0f} s for ingest's hourly detection pass, which would fall inside the run")
        time.sleep(wait)


@dataclass
class DetectionFigures:
    passes: int = 0
    events: int = 0  # raised and cleared, of every circuit judged (also the previous run's last hours)
    failed: int = 0
    finished_at: float = 0.0  # time.monotonic() (one clock for all processes) when the last pass ended
    catch_up_s: float = 0.0  # from every reading stored to the last complete hour judged
    cpu_s: float = 0.0  # of the detection process, both its threads


class DetectionProcess:
    """The streaming pass in its own process, judging up to the hour every unit of `workers` has completed."""

    def __init__(self, url: str, workers: range, units: int) -> None:
        self._stop = multiprocessing.Event()
        self._results: multiprocessing.Queue[dict[str, float]] = multiprocessing.Queue()
        last_units = [unit_name(w, units - 1) for w in workers]  # published last in each step of its publisher
        self.process = multiprocessing.Process(target=_follow, args=(url, last_units, self._stop, self._results),
                                               name="bench-detection")  # fmt: skip
        self.process.start()

    def finish(self) -> DetectionFigures:
        """Called once every reading is stored: catch up with them, stop, and return the figures."""
        stopped_at = time.monotonic()
        self._stop.set()
        while True:
            try:
                raw = self._results.get(timeout=5)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    raise RuntimeError(f"the detection process died (exit code {self.process.exitcode})") from None
        figures = DetectionFigures(**raw)  # type: ignore[arg-type]
        figures.catch_up_s = figures.finished_at - stopped_at
        self.process.join(30)
        if self.process.exitcode != 0:  # its CPU would not be counted as the caller assumes
            raise RuntimeError(f"the detection process did not end cleanly (exit code {self.process.exitcode})")
        return figures


def _follow(url: str, last_units: list[str], stop: Event, results: multiprocessing.Queue[dict[str, float]]) -> None:
    figures, total = DetectionFigures(), PassResult()
    judged_until: datetime | None = None
    with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(url, autocommit=True) as reader:
        while True:
            stopping = stop.is_set()
            until = _complete_hour(conn, last_units)
            if until is not None and (judged_until is None or until > judged_until):
                total += detect_until(conn, until, reader)
                judged_until = until
                figures.passes += 1
            if stopping:
                figures.finished_at = time.monotonic()
                break
            stop.wait(0.5)
    figures.cpu_s = time.process_time()
    figures.events, figures.failed = total.events, total.failed
    results.put(asdict(figures))


def _complete_hour(conn: psycopg.Connection, last_units: list[str]) -> datetime | None:
    """The end of the newest hour whose readings are stored for every unit: the start of the hour holding the
    newest reading of the unit furthest behind among those published last."""
    row = conn.execute(
        """SELECT min(newest) FROM (SELECT (SELECT max(ts) FROM telemetry t WHERE t.equipment_id = e.id
                                            AND t.circuit_no = 1) AS newest
                                    FROM equipment e WHERE e.management_no = ANY(%s)) n""",
        (last_units,),
    ).fetchone()
    newest = row[0] if row else None
    return None if newest is None else newest.replace(minute=0, second=0, microsecond=0)


def hour_counts(url: str, workers: range) -> tuple[int, int, int]:
    """Of the units of `workers`: circuit-hours with readings stored (the most the detectors could judge),
    judged hours stored (detector_hour rows), and of those the ones with data."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """WITH units AS (SELECT id FROM equipment WHERE management_no LIKE ANY(%s))
               SELECT (SELECT count(*) FROM (SELECT DISTINCT t.equipment_id, date_trunc('hour', t.ts) FROM telemetry t
                                             WHERE t.equipment_id IN (SELECT id FROM units)) h),
                      count(*), count(*) FILTER (WHERE d.has_data)
               FROM detector_hour d WHERE d.equipment_id IN (SELECT id FROM units)""",
            ([f"B{w:02d}-%" for w in workers],),
        ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
