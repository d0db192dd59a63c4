"""The HTTP application: health and metrics for operations, and the API under /api/v1 (see api/routers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import ConnectionPool

import fluorowatch
from api.errors import install_error_handlers
from api.routers import api_router

_TAGS = [
    {"name": "alerts", "description": "Alerts the caller may see; acknowledging and resolving them, audited."},
    {"name": "channels", "description": "Where notifications go; configured by administrators and managers."},
    {"name": "imports", "description": "Sites, equipment and certificates from CSV or XLSX files, all or nothing."},
    {"name": "logbook", "description": "A unit's logbook (点検整備記録簿): appended and corrected, never edited."},
    {
        "name": "reports",
        "description": "The calculated leakage: live figures so far this fiscal year, and the "
        "fiscal year's reports (form 1, Kyoto's HFC report) as files.",
    },
    {"name": "operations", "description": "Liveness, readiness and metrics for the orchestrator."},
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(pool: ConnectionPool, *, clock: Callable[[], datetime] = _utc_now) -> FastAPI:
    """The application, given its database pool (the caller owns and closes it) and its clock."""
    app = FastAPI(title="fluorowatch", version=fluorowatch.__version__, docs_url="/api/docs", openapi_tags=_TAGS)
    app.state.pool = pool
    app.state.clock = clock
    install_error_handlers(app)
    app.include_router(api_router())

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
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
