"""Queries of the leak-case, ticket and certificate tables (migration 0011). Transitions and refusals are only
inserted; leak cases, tickets and certificates are never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from compliance.tickets import FINAL, LeakCase, QualifiedPerson, Status

_FINAL = sorted(s.value for s in FINAL)  # a ticket in one of these is no longer in progress

LEAK_COLUMNS = """id, equipment_id, circuit_no, confirmed_on, hard_to_reach_reason, planned_repair_on,
    repaired_on, verified_on"""


@dataclass(frozen=True)
class Unit:
    """What the charging rules need to know of a unit."""

    equipment_id: int
    site_id: int
    refrigerant: str  # the nameplate's
    approved_replacements: tuple[str, ...]


@dataclass(frozen=True)
class Ticket:
    id: int
    equipment_id: int
    circuit_no: int
    leak_case_id: int | None
    contractor_id: int
    status: Status


def unit(conn: psycopg.Connection, equipment_id: int) -> Unit | None:
    row = conn.execute(
        "SELECT id, site_id, refrigerant, approved_replacements FROM equipment WHERE id = %s", (equipment_id,)
    ).fetchone()
    return None if row is None else Unit(int(row[0]), int(row[1]), str(row[2]), tuple(row[3]))


def site_contractors(conn: psycopg.Connection, site_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT contractor_id FROM site_contractor WHERE site_id = %s ORDER BY contractor_id", (site_id,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def registration_no(conn: psycopg.Connection, contractor_id: int) -> str | None:
    row = conn.execute("SELECT registration_no FROM contractor WHERE id = %s", (contractor_id,)).fetchone()
    return None if row is None else str(row[0])


def insert_leak_case(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, confirmed_on: date, alert_id: int | None
) -> int:
    row = conn.execute(
        """INSERT INTO leak_case (equipment_id, circuit_no, confirmed_on, alert_id) VALUES (%s, %s, %s, %s)
           RETURNING id""",
        (equipment_id, circuit_no, confirmed_on, alert_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _leak_case(row: tuple[Any, ...] | None) -> LeakCase | None:
    return None if row is None else LeakCase(int(row[0]), int(row[1]), int(row[2]), *row[3:])


def open_leak_case(conn: psycopg.Connection, equipment_id: int, circuit_no: int, lock: bool = False) -> LeakCase | None:
    """The circuit's leak that is not yet verified repaired, locked for this transaction with ``lock``."""
    row = conn.execute(
        f"SELECT {LEAK_COLUMNS} FROM leak_case WHERE equipment_id = %s AND circuit_no = %s AND verified_on IS NULL"
        + (" FOR UPDATE" if lock else ""),
        (equipment_id, circuit_no),
    ).fetchone()
    return _leak_case(row)


def leak_case_by_id(conn: psycopg.Connection, leak_case_id: int) -> LeakCase | None:
    return _leak_case(conn.execute(f"SELECT {LEAK_COLUMNS} FROM leak_case WHERE id = %s", (leak_case_id,)).fetchone())


def update_leak_case(conn: psycopg.Connection, leak_case_id: int, changes: dict[str, Any]) -> None:
    """Set columns of a leak case; ``changes`` keys are column names chosen by the caller, never user input."""
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    conn.execute(f"UPDATE leak_case SET {assignments} WHERE id = %(id)s", {**changes, "id": leak_case_id})


def emergency_charges(conn: psycopg.Connection, leak_case_id: int) -> int:
    """Emergency charges ((d2) case 2) already recorded for the leak."""
    row = conn.execute(
        "SELECT count(*) FROM refrigerant_movement WHERE leak_case_id = %s AND emergency IS NOT NULL",
        (leak_case_id,),
    ).fetchone()
    return int(row[0]) if row else 0


def insert_ticket(conn: psycopg.Connection, values: dict[str, Any]) -> int:
    row = conn.execute(
        """INSERT INTO ticket (equipment_id, circuit_no, leak_case_id, contractor_id, status, opened_at, updated_at)
           VALUES (%(equipment_id)s, %(circuit_no)s, %(leak_case_id)s, %(contractor_id)s, 'open', %(opened_at)s,
                   %(opened_at)s) RETURNING id""",
        values,
    ).fetchone()
    assert row is not None
    return int(row[0])


def repair_tickets_of_alerts(conn: psycopg.Connection, alert_ids: list[int]) -> dict[int, int]:
    """For each leak alert of `alert_ids` whose circuit has a confirmed, unverified leak: the ticket working on it
    (neither closed nor cancelled), by alert id."""
    rows = conn.execute(
        """SELECT a.id, (SELECT t.id FROM leak_case l JOIN ticket t ON t.leak_case_id = l.id
                         WHERE l.equipment_id = a.equipment_id AND l.circuit_no = a.circuit_no
                           AND l.verified_on IS NULL AND t.status <> ALL(%s)
                         ORDER BY t.id LIMIT 1)
           FROM alert a WHERE a.id = ANY(%s) AND a.category = 'leak'""",
        (_FINAL, alert_ids),
    ).fetchall()
    return {int(alert_id): int(ticket_id) for alert_id, ticket_id in rows if ticket_id is not None}


def lock_circuit(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> bool:
    """Lock the circuit's row for the transaction (whoever confirms its leak next waits); False: no such circuit."""
    row = conn.execute(
        "SELECT 1 FROM circuit WHERE equipment_id = %s AND circuit_no = %s FOR UPDATE", (equipment_id, circuit_no)
    ).fetchone()
    return row is not None


def active_ticket_of_leak_case(conn: psycopg.Connection, leak_case_id: int) -> int | None:
    """The ticket working on the leak case, if one is neither closed nor cancelled."""
    row = conn.execute(
        "SELECT id FROM ticket WHERE leak_case_id = %s AND status <> ALL(%s) ORDER BY id LIMIT 1",
        (leak_case_id, _FINAL),
    ).fetchone()
    return int(row[0]) if row else None


def ticket_by_id(conn: psycopg.Connection, ticket_id: int, lock: bool = False) -> Ticket | None:
    row = conn.execute(
        "SELECT id, equipment_id, circuit_no, leak_case_id, contractor_id, status FROM ticket WHERE id = %s"
        + (" FOR UPDATE" if lock else ""),
        (ticket_id,),
    ).fetchone()
    if row is None:
        return None
    return Ticket(int(row[0]), int(row[1]), int(row[2]), row[3], int(row[4]), Status(row[5]))


def set_ticket_status(
    conn: psycopg.Connection, ticket_id: int, status: Status, at: datetime, cancel_reason: str = ""
) -> None:
    conn.execute(
        "UPDATE ticket SET status = %s, updated_at = %s, cancel_reason = %s WHERE id = %s",
        (status.value, at, cancel_reason, ticket_id),
    )


def insert_transition(
    conn: psycopg.Connection, ticket_id: int, from_status: Status | None, to_status: Status, *, at: datetime,
    actor_user_id: int | None, actor: str, qualified_person: QualifiedPerson | None, note: str = "",
) -> None:  # fmt: skip
    conn.execute(
        """INSERT INTO ticket_transition (ticket_id, from_status, to_status, at, actor_user_id, actor,
               qualified_person, qualification_no, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (ticket_id, from_status, to_status, at, actor_user_id, actor,
         qualified_person.name if qualified_person else None,
         qualified_person.qualification_no if qualified_person else None, note),
    )  # fmt: skip


def transitions(conn: psycopg.Connection, ticket_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM ticket_transition WHERE ticket_id = %s ORDER BY id", (ticket_id,)).fetchall()


def insert_movement(conn: psycopg.Connection, values: dict[str, Any]) -> int:
    """One charge or recovery certificate (REGULATION.md (f)); ``values`` carries every column but id."""
    columns = ", ".join(values)
    placeholders = ", ".join(f"%({c})s" for c in values)
    row = conn.execute(
        f"INSERT INTO refrigerant_movement ({columns}) VALUES ({placeholders}) RETURNING id", values
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_refusal(conn: psycopg.Connection, values: dict[str, Any]) -> int:
    row = conn.execute(
        """INSERT INTO charge_refusal (equipment_id, circuit_no, at, actor_user_id, actor, contractor_id,
               leak_case_id, refrigerant, amount_kg, rule, message)
           VALUES (%(equipment_id)s, %(circuit_no)s, %(at)s, %(actor_user_id)s, %(actor)s, %(contractor_id)s,
                   %(leak_case_id)s, %(refrigerant)s, %(amount_kg)s, %(rule)s, %(message)s) RETURNING id""",
        values,
    ).fetchone()
    assert row is not None
    return int(row[0])


def refusals(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM charge_refusal WHERE equipment_id = %s ORDER BY id", (equipment_id,)
        ).fetchall()


def movements(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM refrigerant_movement WHERE equipment_id = %s ORDER BY id", (equipment_id,)
        ).fetchall()
