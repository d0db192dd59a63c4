"""The demo's history: weeks of simulated readings written straight to the database (binary COPY)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from edge_agent.simulator.run import simulate, to_readings
from fluorowatch.demo_scenarios import DemoUnit
from storage.ingest_queries import load_unit_directory
from storage.telemetry import write_readings


def backfill(database_url: str, units: list[DemoUnit], now: datetime, days: int, interval_s: float) -> int:
    """Write `days` of simulated history before `now` for every unit (once); return the rows written."""
    start = now - timedelta(days=days)
    steps = round(days * 86400 / interval_s)
    written = 0
    with psycopg.connect(database_url) as conn:
        directory = load_unit_directory(conn)
        for unit in units:
            equipment_id = directory[(unit.site_code, unit.equipment)].equipment_id
            if conn.execute("SELECT 1 FROM telemetry WHERE equipment_id = %s LIMIT 1", (equipment_id,)).fetchone():
                continue
            result = simulate(unit.simulated, unit.equipment, start, steps, interval_s)
            written += write_readings(conn, [(equipment_id, r) for r in to_readings(result, unit.circuits)])
            conn.commit()
    return written
