"""/api/v1/equipment/{equipment_id}/logbook: a unit's logbook (点検整備記録簿, REGULATION.md (e)).

Reading is for whoever may see the unit's site; writing for a manager or administrator of the site (or of an
organisation above it) and the contractor serving it (compliance.logbook_access). There is deliberately no PUT,
PATCH or DELETE route: the logbook is kept until 3 years after the unit's disposal and a correction is a new
entry naming the one it corrects, which stays (REGULATION.md (e)); the database refuses changes as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts.lifecycle import Person
from alerts.service import visible_site_ids
from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, Invalid, NotFound, error_responses
from compliance import logbook_service
from compliance.logbook import FIELD_LABELS, Entry, Kind
from compliance.logbook_access import may_write_logbook
from compliance.logbook_files import MEDIA_TYPES, Format, file_name, logbook_file
from compliance.ticket_service import local_date
from storage import alert_queries, logbook_queries, unit_queries

router = APIRouter(prefix="/equipment/{equipment_id}/logbook", tags=["logbook"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_CHARGE_DETAILS: dict[str, Any] = {"contractor": "冷熱サービス", "refrigerant": "R404A", "amount_kg": "2.5",
                                   "occasion": "maintenance", "certificate_no": "C-0001"}  # fmt: skip
_ENTRY_EXAMPLE: dict[str, Any] = {
    "id": 31, "circuit_no": 1, "kind": "charge", "item": 7, "occurred_on": "2026-03-02",
    "recorded_at": "2026-03-02T06:00:00+00:00", "recorded_by": "manager@example.jp", "details": _CHARGE_DETAILS,
    "source": "manual", "corrects_id": None, "superseded_by": None,
}  # fmt: skip
_NEW_EXAMPLE: dict[str, Any] = {"kind": "charge", "occurred_on": "2026-03-02", "circuit_no": 1,
                                "details": _CHARGE_DETAILS}  # fmt: skip
_CORRECTION_EXAMPLE: dict[str, Any] = {"details": {**_CHARGE_DETAILS, "amount_kg": "3.5"},
                                       "reason": "証明書の充塡量の転記誤り"}  # fmt: skip
_NOT_SEEN = "no such unit, or not one you may see"
_REFUSED = ("only a manager or administrator of the unit's site, or the contractor serving it, may write its "
            "logbook (viewer may not)")  # fmt: skip
_INVALID = ("a charge entry needs amount_kg (量(kg); REGULATION.md (e1) item 7)", "details.amount_kg")
_BAD_ID = ("equipment_id: Input should be a valid integer, unable to parse string as an integer", "equipment_id")
_BAD_FORMAT = ("format: Input should be 'csv', 'xlsx', 'json' or 'pdf'", "format")
_EXPORT_EXAMPLE: dict[str, Any] = {
    "format": "fluorowatch-logbook", "version": 1,
    "unit": {"management_no": "SC-01", "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": "8.0"},
    "entries": [{**_ENTRY_EXAMPLE, "source_id": None}],
}  # fmt: skip
_BINARY = {"schema": {"type": "string", "format": "binary"}}


class EntryPublic(BaseModel):
    """One entry; ``item`` is its record item of (e1), ``superseded_by`` the correction that replaces it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ENTRY_EXAMPLE]})

    id: int
    circuit_no: int | None
    kind: Kind
    item: int = Field(description="the record item of REGULATION.md (e1), 1-9")
    occurred_on: date
    recorded_at: datetime
    recorded_by: str
    details: dict[str, Any]
    source: str
    corrects_id: int | None
    superseded_by: int | None


class EntryNew(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NEW_EXAMPLE]})

    kind: Kind
    occurred_on: date = Field(description="the date of the work or fact the entry records")
    circuit_no: int | None = Field(default=None, ge=1, description="omitted: the entry is about the whole unit")
    details: dict[str, Any] = Field(description="the fields the item requires (REGULATION.md (e1))")


class CorrectionNew(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CORRECTION_EXAMPLE]})

    details: dict[str, Any] = Field(description="the full corrected details, not only what changed")
    reason: Reason = Field(description="why the entry is corrected")
    occurred_on: date | None = Field(default=None, description="omitted: the corrected entry's date")


def _example(value: object, code: int = 200) -> dict[int | str, dict[str, Any]]:
    return {code: {"content": {"application/json": {"example": value}}}}


_WRITE_ERRORS = error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: _NOT_SEEN, 422: _INVALID})


@router.get(
    "",
    summary="The unit's logbook",
    response_model=list[EntryPublic],
    responses={**_example([_ENTRY_EXAMPLE]), **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _BAD_ID})},
)
def list_entries(equipment_id: int, conn: Connection, person: CurrentPerson) -> list[EntryPublic]:
    """By date, then in the order written; a corrected entry is listed too, with the id of its correction."""
    _visible_unit(conn, equipment_id, person)
    return [_public(e) for e in logbook_service.entries(conn, equipment_id)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Append an entry",
    response_model=EntryPublic,
    responses={**_example(_ENTRY_EXAMPLE, 201), **_WRITE_ERRORS},
)
def append_entry(equipment_id: int, body: EntryNew, conn: Connection, person: CurrentPerson, now: Now) -> EntryPublic:
    """Recorded by the caller, at the server's time. The details must carry the fields of the item."""
    _writable_unit(conn, equipment_id, person)
    entry_id = _written(lambda: logbook_service.record_manual(
        conn, equipment_id, body.kind, body.occurred_on, body.details, person.name, now, body.circuit_no,
    ))  # fmt: skip
    return _entry(conn, equipment_id, entry_id)


@router.post(
    "/{entry_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="Correct an entry with a new one",
    response_model=EntryPublic,
    responses={
        **_example({**_ENTRY_EXAMPLE, "id": 32, "corrects_id": 31}, 201),
        **_WRITE_ERRORS,
        **error_responses({409: "entry 31 was corrected already by entry 32: correct that one"}),
    },
)
def correct_entry(
    equipment_id: int, entry_id: int, body: CorrectionNew, conn: Connection, person: CurrentPerson, now: Now
) -> EntryPublic:
    """A new entry of the same kind and circuit with the full corrected details, and who corrected it and why;
    the corrected entry stays, marked superseded. An entry is corrected once: correct its correction after."""
    _writable_unit(conn, equipment_id, person)
    original = logbook_queries.entry(conn, entry_id)
    if original is None or original["equipment_id"] != equipment_id:
        raise NotFound(f"no logbook entry {entry_id} on unit {equipment_id}")
    if original["superseded_by"] is not None:
        raise Conflict(f"entry {entry_id} was corrected already by entry {original['superseded_by']}: correct that one")
    new_id = _written(lambda: logbook_service.correct(
        conn, entry_id, body.details, person.name, body.reason, now, occurred_on=body.occurred_on,
    ))  # fmt: skip
    return _entry(conn, equipment_id, new_id)


@router.get(
    "/export",
    summary="The logbook as a file",
    response_class=Response,
    responses={
        200: {
            "description": "the file, as an attachment named logbook-<management_no>.<format>",
            "content": {media: {"example": _EXPORT_EXAMPLE} if fmt == "json" else _BINARY
                        for fmt, media in MEDIA_TYPES.items()},
        },
        **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _BAD_FORMAT}),
    },
)  # fmt: skip
def export_logbook(
    equipment_id: int,
    conn: Connection,
    person: CurrentPerson,
    now: Now,
    fmt: Annotated[Format, Query(alias="format", description="csv or xlsx for Excel, json to hand over, pdf")],
) -> Response:
    """Every entry, superseded ones too. The JSON is what `fluorowatch logbook import` takes over on sale (e);
    the PDF is dated the day it is printed, in the unit's local time."""
    unit = _visible_unit(conn, equipment_id, person)
    content = logbook_file(conn, equipment_id, fmt, local_date(now))
    return Response(content, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": _attachment(file_name(unit["management_no"], fmt))})  # fmt: skip


def _visible_unit(conn: psycopg.Connection, equipment_id: int, person: Person) -> dict[str, Any]:
    """The unit's management number and site; 404 also for a unit the caller may not see."""
    unit = unit_queries.unit_place(conn, equipment_id)
    if unit is None or unit["site_id"] not in visible_site_ids(conn, person):
        raise NotFound(_NOT_SEEN)
    return unit


def _writable_unit(conn: psycopg.Connection, equipment_id: int, person: Person) -> None:
    site_id = _visible_unit(conn, equipment_id, person)["site_id"]
    scope = alert_queries.scope_of_site(conn, site_id)
    decision = may_write_logbook(person, scope, unit_queries.serving_contractor_ids(conn, site_id))
    if not decision.allowed:
        raise Forbidden(decision.reason)


def _written(write: Callable[[], int]) -> int:
    """Run ``write`` and commit; a refusal of the details or the circuit answers 422 naming the field, a
    correction written meanwhile by someone else 409."""
    try:
        entry_id = write()
    except psycopg.errors.ForeignKeyViolation:
        raise Invalid("circuit_no: the unit has no such circuit", field="circuit_no") from None
    except psycopg.errors.UniqueViolation:
        raise Conflict("the entry was corrected already, meanwhile: correct that correction") from None
    except ValueError as exc:
        raise Invalid(str(exc), field=_field_of(str(exc))) from None
    return entry_id


_FIELD_IN_MESSAGE = re.compile(r"needs (\w+)|^(\w+)(?::| of the | must )")


def _field_of(message: str) -> str | None:
    """The details field a message of compliance.logbook.validate is about, dotted as the API names fields."""
    found = _FIELD_IN_MESSAGE.search(message)
    name = next((g for g in found.groups() if g), None) if found else None
    return f"details.{name}" if name in FIELD_LABELS else None


def _entry(conn: psycopg.Connection, equipment_id: int, entry_id: int) -> EntryPublic:
    conn.commit()
    return next(_public(e) for e in logbook_service.entries(conn, equipment_id) if e.id == entry_id)


def _public(e: Entry) -> EntryPublic:
    return EntryPublic(id=e.id, circuit_no=e.circuit_no, kind=e.kind, item=e.kind.item, occurred_on=e.occurred_on,
                       recorded_at=e.recorded_at, recorded_by=e.recorded_by, details=dict(e.details),
                       source=e.source.value, corrects_id=e.corrects_id, superseded_by=e.superseded_by)  # fmt: skip


def _attachment(name: str) -> str:
    """An attachment header that survives a management number in Japanese (RFC 6266 filename*)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
