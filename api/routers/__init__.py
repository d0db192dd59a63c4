"""The API's resources, one router each, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import alerts, channels, delegates, imports, logbook, reports, routes

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(alerts.router)
    router.include_router(channels.router)
    router.include_router(routes.router)
    router.include_router(delegates.router)
    router.include_router(logbook.router)
    router.include_router(imports.router)
    router.include_router(reports.router)
    return router
