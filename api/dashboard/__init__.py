"""The dashboard: the pages people use every day (fleet, unit, alerts, tickets, inspections, leakage, imports),
server-rendered from Jinja2 templates with one CSS and one small script, all shipped in this package.

`install` adds the pages (outside /api) and the static files (/static) to the application. See docs/dashboard.md.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.dashboard.pages import HERE, LoginNeeded, router

__all__ = ["install"]


async def _to_login(request: Request, exc: Exception) -> Response:
    next_path = exc.next_path if isinstance(exc, LoginNeeded) else "/"
    return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(LoginNeeded, _to_login)
