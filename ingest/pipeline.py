"""One batch of received messages -> one transaction: readings merged, rejections dead-lettered, agent
statuses recorded. The broker's messages are acknowledged only after this commits (see ingest/consumer.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
import psycopg
from prometheus_client import Counter

from edge_agent.payload import AgentStatus
from ingest.validation import Accepted, Reason, Rejection, UnitDirectory, validate_message
from storage.gap_queries import note_last_seen
from storage.ingest_queries import DeadLetter, insert_dead_letters, load_unit_directory, record_agent_status
from storage.telemetry import Row, write_rows

log = logging.getLogger(__name__)

# Counted once the batch is committed (a batch retried after a database error is not counted twice):
# received = accepted + rejected, over telemetry and status messages alike.
RECEIVED = Counter("fw_ingest_messages_received_total", "Messages taken from the broker and processed")
ACCEPTED = Counter("fw_ingest_messages_accepted_total", "Messages stored (some of their readings may be rejected)")
REJECTED = Counter("fw_ingest_messages_rejected_total", "Whole messages dead-lettered", ["reason"])
READINGS = Counter("fw_ingest_readings_total", "Readings accepted (before de-duplication)")
READINGS_REJECTED = Counter("fw_ingest_readings_rejected_total", "Single readings dead-lettered", ["reason"])
DIRECTORY_REFRESH_S = 60.0
_status_decoder = msgspec.json.Decoder(AgentStatus)


@dataclass(frozen=True, slots=True)
class Inbound:
    mid: int
    topic: str
    payload: bytes
    qos: int = 1


@dataclass
class BatchOutcome:
    stored: int = 0
    accepted: list[Row] = field(default_factory=list)
    dead_letters: int = 0
    newest: datetime | None = None  # newest measurement time committed
    messages: int = 0  # telemetry and status messages processed


class Pipeline:
    """Validates and writes batches; keeps the directory of registered units fresh."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._units: UnitDirectory = {}
        self._loaded_at = float("-inf")

    def process(self, conn: psycopg.Connection, batch: list[Inbound]) -> BatchOutcome:
        """Write `batch` in one transaction of `conn`; raises on a database error (nothing is then committed)."""
        now = self._clock()
        outcome, letters = BatchOutcome(), []
        with conn.transaction():
            self._refresh(conn, force=False)
            for message in batch:
                outcome.messages += 1
                if message.topic.endswith("/status"):
                    letters += self._status(conn, message)
                    continue
                result = self._validate(conn, message, now)
                letters += _dead_letters(message, result)
                if isinstance(result, Accepted):
                    outcome.accepted += result.rows
            outcome.stored = write_rows(conn, outcome.accepted) if outcome.accepted else 0
            outcome.newest = note_last_seen(conn, outcome.accepted)
            outcome.dead_letters = insert_dead_letters(conn, letters)
        for letter in letters:
            (READINGS_REJECTED if letter.reading_index is not None else REJECTED).labels(letter.reason).inc()
        rejected = sum(1 for letter in letters if letter.reading_index is None)
        RECEIVED.inc(outcome.messages)
        ACCEPTED.inc(outcome.messages - rejected)
        READINGS.inc(len(outcome.accepted))
        return outcome

    def _validate(self, conn: psycopg.Connection, message: Inbound, now: datetime) -> Accepted | Rejection:
        result = validate_message(message.topic, message.payload, self._units, now)
        stale = isinstance(result, Rejection) and result.reason in (Reason.UNKNOWN_UNIT, Reason.UNKNOWN_CIRCUIT)
        if stale and self._refresh(conn, force=True):  # a unit registered since the last load
            result = validate_message(message.topic, message.payload, self._units, now)
        return result

    def _refresh(self, conn: psycopg.Connection, *, force: bool) -> bool:
        age = time.monotonic() - self._loaded_at
        if age < (1.0 if force else DIRECTORY_REFRESH_S):
            return False
        self._units, self._loaded_at = load_unit_directory(conn), time.monotonic()
        return True

    def _status(self, conn: psycopg.Connection, message: Inbound) -> list[DeadLetter]:
        levels = message.topic.split("/")
        try:
            status = _status_decoder.decode(message.payload)
            if status.state not in ("online", "offline") or len(levels) < 5 or levels[-2] != status.agent:
                raise ValueError(f"status {status.state!r} of agent {status.agent!r} on topic {message.topic!r}")
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            return [DeadLetter(message.topic, message.payload, Reason.SCHEMA, str(exc))]
        record_agent_status(conn, levels[-4], status.agent, status.state, status.ts, status.queue_depth,
                            status.dropped_readings)  # fmt: skip
        return []


def _dead_letters(message: Inbound, result: Accepted | Rejection) -> list[DeadLetter]:
    rejections = [result] if isinstance(result, Rejection) else result.rejections
    letters = []
    for rejection in rejections:
        payload = message.payload if rejection.reading_index is None else _reading_json(message, rejection)
        letters.append(DeadLetter(message.topic, payload, rejection.reason, rejection.detail, rejection.reading_index))
    return letters


def _reading_json(message: Inbound, rejection: Rejection) -> bytes:
    readings = msgspec.json.decode(message.payload)["readings"]
    return msgspec.json.encode(readings[rejection.reading_index])
