"""Health and readiness as an orchestrator sees them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from storage.db import open_pool


def test_liveness_and_readiness_answer_when_the_database_does(database_url: str) -> None:
    with open_pool(database_url, max_size=2) as pool:
        client = TestClient(create_app(pool))
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        assert "python_info" in client.get("/metrics").text


def test_readiness_fails_with_a_reason_when_the_database_is_gone(database_url: str) -> None:
    pool = open_pool(database_url, max_size=1)
    pool.close()
    response = TestClient(create_app(pool)).get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_pool_sessions_run_in_utc(database_url: str) -> None:
    with open_pool(database_url, max_size=1) as pool, pool.connection() as conn:
        assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)
