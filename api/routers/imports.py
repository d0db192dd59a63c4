"""/api/v1/imports/{sites|equipment|certificates}: take over what a manager already has, from CSV or XLSX.

All or nothing (docs/imports.md): a file with any bad row writes nothing and answers 422 with the one error shape
plus ``rows``, every bad row with its line (line 1 is the header) and field. Only an administrator or a manager of
the whole company (granted at the company itself) imports, since a file creates and changes sites and units across
the company; creating a company is for the operator's `fluorowatch import`.
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, ErrorDetail, Forbidden, error_body, error_responses
from compliance.import_service import ImportRejected, RowError, What, validate_file, write
from compliance.imports import importable_companies
from compliance.ticket_service import local_date
from storage import import_queries

router = APIRouter(prefix="/imports", tags=["imports"])

_RESULT_EXAMPLE: dict[str, Any] = {"what": "equipment", "rows": 4, "created": {"equipment": 3, "circuit": 3},
                                   "updated": {"equipment": 1}}  # fmt: skip
_ROW_EXAMPLE: dict[str, Any] = {"line": 3, "field": "charge_kg", "message": "'-2': the amount must be more than 0 kg"}
_REJECTED_EXAMPLE: dict[str, Any] = {
    **error_body(422, "1 error(s); nothing imported", "rows"),
    "rows": [_ROW_EXAMPLE],
}
_REFUSED = "only an administrator or a manager of the whole company may import (viewer may not)"
_CONFLICT = "the register changed while the file was imported; nothing was imported, try again"


class ImportCounts(BaseModel):
    """Rows read, and rows created and updated per table."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RESULT_EXAMPLE]})

    what: What
    rows: int
    created: dict[str, int]
    updated: dict[str, int]


class RowErrorPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ROW_EXAMPLE]})

    line: int = Field(description="the line of the file, the header being line 1")
    field: str = Field(description="the column at fault ('file' when the file cannot be read)")
    message: str


class ImportRejectedResponse(BaseModel):
    """The one error shape, with every bad row of the file."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REJECTED_EXAMPLE]})

    error: ErrorDetail
    rows: list[RowErrorPublic]


@router.post(
    "/{what}",
    summary="Import a file, all or nothing",
    response_model=ImportCounts,
    responses={
        200: {"content": {"application/json": {"example": _RESULT_EXAMPLE}}},
        422: {"model": ImportRejectedResponse, "description": "The file has bad rows; nothing was imported",
              "content": {"application/json": {"example": _REJECTED_EXAMPLE}}},
        **error_responses({**AUTH_ERRORS, 403: _REFUSED, 409: _CONFLICT}),
    },
)  # fmt: skip
def import_file(what: What, file: UploadFile, conn: Connection, person: CurrentPerson, now: Now) -> Any:
    """Sites, then equipment, then certificates (each needs the one before). Sites and units already stored are
    updated by their key; a certificate already stored for the same contractor is an error."""
    allowed = importable_companies(person, import_queries.companies(conn))
    if not allowed:
        raise Forbidden(_REFUSED)
    try:
        parsed = validate_file(conn, what, file.filename or "", file.file.read(), local_date(now))
    except ImportRejected as rejected:
        return _rejected(rejected.errors)
    outside = parsed.companies - allowed
    if outside:
        raise Forbidden(f"the file concerns {', '.join(sorted(outside))}, for which you may not import")
    try:
        result = write(conn, parsed)
        conn.commit()
    except psycopg.IntegrityError:
        conn.rollback()
        raise Conflict(_CONFLICT) from None
    return ImportCounts(what=result.what, rows=result.rows, created=result.created, updated=result.updated)


def _rejected(errors: list[RowError]) -> JSONResponse:
    rows = [RowErrorPublic(line=e.line, field=e.field, message=e.message).model_dump() for e in errors]
    body = error_body(422, f"{len(errors)} error(s); nothing imported", "rows")
    return JSONResponse({**body, "rows": rows}, status_code=422)
