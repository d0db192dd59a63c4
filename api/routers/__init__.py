"""The API's resources, one router each, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    agents,
    alerts,
    channels,
    delegates,
    diagnoses,
    equipment,
    imports,
    inspections,
    logbook,
    movements,
    reports,
    routes,
    session,
    sites,
    telemetry,
    tickets,
    users,
)

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
    router.include_router(telemetry.router)
    router.include_router(session.router)
    router.include_router(users.router)
    router.include_router(agents.router)
    router.include_router(sites.router)
    router.include_router(equipment.router)
    router.include_router(diagnoses.router)
    router.include_router(inspections.router)
    router.include_router(tickets.router)
    router.include_router(movements.router)
    return router
