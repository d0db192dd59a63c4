"""Who is calling: a bearer token (``Authorization: Bearer <token>``) issued with ``fluorowatch users token``.

Tokens are for integrations; people signing in on the web (argon2 passwords and sessions) come later and will
end in the same `Person`. A missing, unknown or revoked token, or one of a deactivated user, answers 401 with
``WWW-Authenticate: Bearer`` and says no more: which of these it was is not the caller's business.
"""

from __future__ import annotations

import psycopg
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alerts.lifecycle import Person
from alerts.service import load_person
from api.errors import Unauthorized
from storage.token_queries import user_for_token

# auto_error=False: a missing header is answered by `authenticate` in the API's error shape, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `fluorowatch users token --email ...`, sent as `Authorization: Bearer <token>`.",
)


def authenticate(conn: psycopg.Connection, credentials: HTTPAuthorizationCredentials | None) -> Person:
    """The person holding the presented token; `Unauthorized` otherwise. Commits the token's last use."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is needed: Authorization: Bearer <token>")
    user_id = user_for_token(conn, credentials.credentials)
    person = load_person(conn, user_id) if user_id is not None else None
    conn.commit()
    if person is None:
        raise Unauthorized("the bearer token is not valid")
    return person
