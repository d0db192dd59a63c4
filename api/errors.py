"""Every error the API answers has one shape: ``{"error": {"code": "...", "message": "...", "field": "..."}}``.

``field`` is present when one input is at fault (a body field, a query parameter, a key of a channel's config,
dotted: ``config.port``). Codes are stable and meant for programs; messages are for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 422: "invalid", 429: "too_many_requests", 500: "internal"}  # fmt: skip
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An answer other than success, raised anywhere below a route."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    @property
    def code(self) -> str:
        return _CODES.get(self.status_code, "error")


class Unauthorized(ApiError):
    status_code = 401

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Invalid(ApiError):
    status_code = 422


class TooManyRequests(ApiError):
    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})


def error_body(status_code: int, message: str, field: str | None = None) -> dict[str, Any]:
    detail = ErrorDetail(code=_CODES.get(status_code, "error"), message=message, field=field)
    return {"error": detail.model_dump(exclude_none=True)}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, the framework's too, in the one shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(psycopg.DataError, _unstorable_input)
    app.add_exception_handler(Exception, _unexpected_error)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(error_body(exc.status_code, exc.message, exc.field), exc.status_code, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return JSONResponse(error_body(exc.status_code, message), exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # A body that is not JSON at all is located at a character offset, not at a field.
    fields = [None if e.get("type") == "json_invalid" else field_name(e.get("loc", ())) for e in errors]
    message = "; ".join(f"{f or 'body'}: {e.get('msg', 'invalid')}" for f, e in zip(fields, errors, strict=True))
    return JSONResponse(error_body(422, message or "invalid request", fields[0] if fields else None), 422)


async def _unstorable_input(request: Request, exc: Exception) -> JSONResponse:
    """Input that passed validation but that PostgreSQL cannot hold (a NUL character in text, a number beyond
    the column's range): the caller's fault, so 422, never a server error."""
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return JSONResponse(error_body(422, f"the input cannot be stored: {first_line}"), 422)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises the exception after this answer, so the server logs it once, with its traceback.
    return JSONResponse(error_body(500, "an unexpected error occurred; it has been logged"), 500)


def field_name(loc: Sequence[Any]) -> str | None:
    """``("body", "config", "port")`` -> ``"config.port"``; None when the whole body is at fault."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def error_responses(examples: Mapping[int, str | tuple[str, str]]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers of a route, each with an example in the one shape; an example is
    a message, or (message, field)."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status, example in examples.items():
        message, field = example if isinstance(example, tuple) else (example, None)
        entries[status] = {
            "model": ErrorResponse,
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"example": error_body(status, message, field)}},
        }
    return entries


AUTH_ERRORS: dict[int, str | tuple[str, str]] = {401: "a bearer token is needed: Authorization: Bearer <token>"}
