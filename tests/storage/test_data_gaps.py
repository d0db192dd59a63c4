"""Data-gap signals: a circuit or agent silent longer than the threshold is flagged, and cleared when it reports.

REGULATION.md (p) イ: state values per circuit at least daily; a gap must be visible (it breaks the substitution
of the simple inspection).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

from edge_agent.reading import Reading
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage.gap_queries import note_last_seen, open_gaps, refresh_data_gaps
from storage.ingest_queries import record_agent_status
from storage.registry import save_equipment, save_site
from storage.telemetry import Row, row_of

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SILENT_AFTER = timedelta(minutes=30)


def _two_circuit_unit(conn: psycopg.Connection) -> int:
    site = save_site(conn, Site("G-1", "store", "13", "", OrgPath.parse("Gap Co")))
    circuits = tuple(RefrigerantCircuit(n, (Compressor(Decimal("3.7")),)) for n in (1, 2))
    return save_equipment(conn, site, Equipment("SC-01", EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal(8), circuits))


def _row(unit: int, circuit: int, age: timedelta) -> Row:
    return row_of(unit, Reading("SC-01", circuit, NOW - age, {}))


def test_a_silent_circuit_opens_a_gap_and_a_reporting_one_does_not(conn: psycopg.Connection) -> None:
    unit = _two_circuit_unit(conn)
    note_last_seen(conn, [_row(unit, 1, timedelta(minutes=5)), _row(unit, 2, timedelta(hours=2))])
    assert refresh_data_gaps(conn, NOW, SILENT_AFTER) == (1, 0)
    assert open_gaps(conn) == [("circuit_silent", unit, 2, None)]


def test_a_circuit_that_never_reported_is_silent(conn: psycopg.Connection) -> None:
    _two_circuit_unit(conn)
    assert refresh_data_gaps(conn, NOW, SILENT_AFTER) == (2, 0)
    assert {g[2] for g in open_gaps(conn)} == {1, 2}
    assert refresh_data_gaps(conn, NOW, SILENT_AFTER) == (0, 0)  # one open gap per circuit, not one per check


def test_the_gap_closes_when_the_circuit_reports_again(conn: psycopg.Connection) -> None:
    unit = _two_circuit_unit(conn)
    note_last_seen(conn, [_row(unit, 1, timedelta(minutes=1)), _row(unit, 2, timedelta(hours=3))])
    refresh_data_gaps(conn, NOW, SILENT_AFTER)
    note_last_seen(conn, [_row(unit, 2, timedelta(minutes=1))])
    assert refresh_data_gaps(conn, NOW, SILENT_AFTER) == (0, 1)
    assert open_gaps(conn) == []


def test_an_older_reading_does_not_move_last_seen_back(conn: psycopg.Connection) -> None:
    unit = _two_circuit_unit(conn)
    note_last_seen(conn, [_row(unit, 1, timedelta(minutes=1)), _row(unit, 2, timedelta(minutes=1))])
    note_last_seen(conn, [_row(unit, 1, timedelta(days=3))])  # a late backlog from the agent's queue
    assert refresh_data_gaps(conn, NOW, SILENT_AFTER) == (0, 0)


def test_an_agent_reported_offline_opens_a_gap_until_it_is_online(conn: psycopg.Connection) -> None:
    record_agent_status(conn, "G-1", "gw-1", "offline", NOW - timedelta(minutes=2), None, None)
    refresh_data_gaps(conn, NOW, SILENT_AFTER)
    assert ("agent_offline", None, None, "gw-1") in open_gaps(conn)
    record_agent_status(conn, "G-1", "gw-1", "online", NOW, 0, 0)
    refresh_data_gaps(conn, NOW, SILENT_AFTER)
    assert all(g[0] != "agent_offline" for g in open_gaps(conn))
