"""Dependencies of the routes, as `Annotated` aliases: a database connection from the app's pool, the calling
person (bearer token or session cookie), the caller's address and the app's clock. Everything comes from
``app.state``, set by `create_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from psycopg_pool import ConnectionPool

from alerts.lifecycle import Person
from api.auth import authenticate_request, bearer_scheme, session_scheme

POOL_TIMEOUT_S = 10.0


def get_connection(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for this request. Routes that write commit themselves, before answering; anything
    left uncommitted is rolled back when the connection goes back to the pool after an error."""
    pool: ConnectionPool = request.app.state.pool
    with pool.connection(timeout=POOL_TIMEOUT_S) as conn:
        yield conn


Connection = Annotated[psycopg.Connection, Depends(get_connection)]


def current_person(
    request: Request,
    conn: Connection,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session_token: Annotated[str | None, Depends(session_scheme)],
) -> Person:
    """The caller by bearer token or session cookie (see api/auth.py; the bearer wins when both are sent)."""
    return authenticate_request(request, conn, credentials, session_token)


CurrentPerson = Annotated[Person, Depends(current_person)]


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: run uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client else ""


ClientAddress = Annotated[str, Depends(client_address)]


def current_time(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


Now = Annotated[datetime, Depends(current_time)]
