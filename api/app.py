"""The HTTP application: health and metrics for operations, and the API under /api/v1 (see api/routers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from psycopg_pool import ConnectionPool

import fluorowatch
from alerts.metrics import OpenAlertsCollector
from api import dashboard
from api.auth import SessionPolicy
from api.errors import install_error_handlers
from api.routers import api_router
from storage.db import PoolMetrics

_TAGS = [
    {"name": "alerts", "description": "Alerts the caller may see; acknowledging and resolving them, audited."},
    {"name": "channels", "description": "Where notifications go; configured by administrators and managers."},
    {"name": "imports", "description": "Sites, equipment and certificates from CSV or XLSX files, all or nothing."},
    {"name": "logbook", "description": "A unit's logbook (点検整備記録簿): appended and corrected, never edited."},
    {
        "name": "sites",
        "description": "The organisation tree and the sites the caller may see, each coloured by the "
        "worst of its units: red (open leak alert, unrepaired leak, overdue inspection), amber (other open alert, "
        "inspection due soon), green, grey (no unit in service).",
    },
    {
        "name": "equipment",
        "description": "The units the caller may see, with their status, circuits, open alerts, "
        "tickets and next inspections.",
    },
    {"name": "diagnoses", "description": "A unit's daily diagnosis, one row per circuit and day."},
    {"name": "inspections", "description": "Inspections due in a period (black, green, red) as JSON, CSV or XLSX."},
    {
        "name": "tickets",
        "description": "Repair tickets: a contractor's queue, a manager's view, moving them along "
        "the order of work of REGULATION.md (d1).",
    },
    {
        "name": "movements",
        "description": "Charges and recoveries (certificates); a charge the recharge rule refuses "
        "answers 409 and is recorded.",
    },
    {
        "name": "reports",
        "description": "The calculated leakage: live figures so far this fiscal year, and the "
        "fiscal year's reports (form 1, Kyoto's HFC report) as files.",
    },
    {"name": "session", "description": "Signing in and out on the web; who is signed in."},
    {"name": "users", "description": "People and their roles; managed by administrators within their company."},
    {"name": "agents", "description": "MQTT credentials of edge agents, one per agent, shown once."},
    {"name": "telemetry", "description": "A unit's readings, baseline and charge estimate over a range, for charts."},
    {"name": "operations", "description": "Liveness, readiness and metrics for the orchestrator."},
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    pool: ConnectionPool,
    *,
    clock: Callable[[], datetime] = _utc_now,
    session_policy: SessionPolicy | None = None,
    topic_prefix: str = "fw",
) -> FastAPI:
    """The application, given its database pool (the caller owns and closes it), its clock, how long web
    sessions live and the MQTT topic prefix agents publish under."""
    app = FastAPI(title="fluorowatch", version=fluorowatch.__version__, docs_url="/api/docs", openapi_tags=_TAGS)
    app.state.pool = pool
    app.state.clock = clock
    app.state.session_policy = session_policy or SessionPolicy()
    app.state.topic_prefix = topic_prefix
    # Metrics bound to this app's pool, on a registry of its own (the process-wide one holds the rest):
    # fw_db_pool_size/available/waiting and fw_alerts_open{severity,category,status} (docs/metrics.md).
    registry = CollectorRegistry(auto_describe=True)
    registry.register(PoolMetrics(pool))
    registry.register(OpenAlertsCollector.from_pool(pool))
    app.state.metrics_registry = registry
    install_error_handlers(app)
    app.include_router(api_router())
    dashboard.install(app)  # the pages (/, /login, /units/..., /alerts, ...) and /static

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness",
        responses={503: {"content": {"application/json": {"example": {"status": "unavailable",
                                                                       "reason": "PoolTimeout"}}}}},
    )  # fmt: skip
    def readyz(response: Response) -> dict[str, str]:
        """Readiness: the database answers."""
        try:
            with pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure means not ready; the reason is reported, not raised
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {"status": "unavailable", "reason": type(exc).__name__}
        return {"status": "ok"}

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY) + generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
