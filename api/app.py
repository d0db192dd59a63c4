"""The HTTP application. Routers for the resources arrive with the API issue; health and metrics now."""

from __future__ import annotations

from fastapi import FastAPI, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import ConnectionPool

import fluorowatch


def create_app(pool: ConnectionPool) -> FastAPI:
    """The application, given its database pool (the caller owns and closes it)."""
    app = FastAPI(title="fluorowatch", version=fluorowatch.__version__, docs_url="/api/docs")

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
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
