"""The delivery job: routes outbox rows to channels and sends them, apart from ingest and the detectors so a
slow provider never stalls them (../shared/STYLE.md, healthchecks' sendalerts).

* Routing: an outbox row becomes one delivery per channel that hears its site (level 0: the site's manager and
  deputy routes) or, once escalated to level L, also the routes of the L-th organisation level above the site.
* Sending: due deliveries are claimed with ``FOR UPDATE SKIP LOCKED``; those of one channel and one site go out as
  one message (a site-wide event is one message, not forty). The claim, the send and the record of the attempt
  share a transaction: a worker killed mid-send leaves the rows pending and the next run sends again with the same
  idempotency key (at-least-once; receivers de-duplicate on the key).
* Every attempt is stored with its result and duration. A transient error retries with back-off; a permanent one
  fails the delivery and marks the channel broken, which stays visible until someone fixes it; deliveries waiting
  for a broken channel wait, they are not dropped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from prometheus_client import Counter
from psycopg.rows import dict_row

from alerts.channels.base import Channel, ChannelConfigError, ChannelError, Notification
from storage.alert_queries import scope_of_site

log = logging.getLogger(__name__)

ChannelFactory = Callable[[str, dict[str, Any]], Channel]
# (outbox rows, language, key) -> message; a row is the outbox payload plus `event` (the outbox kind: raised,
# updated, escalated, acknowledged, resolved, digest) and `outbox_id`. alerts.render.make_renderer is the one used.
Renderer = Callable[[list[dict[str, Any]], str, str], Notification]
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=1), timedelta(hours=2))  # fmt: skip
MAX_ATTEMPTS = 24  # about two days of trying before a delivery is given up (and shown as failed)
ALERT_AUDIENCES = ("manager", "deputy", "head_office")
# One attempt = one message to one channel (it may carry several deliveries of one site).
# outcome: sent | retry (transient error, tried again later) | failed (permanent error, or attempts used up)
DELIVERIES = Counter("fw_alert_deliveries_total", "Notification attempts by outcome", ["channel_kind", "outcome"])
DELIVERY_FAILURES = Counter("fw_alert_delivery_failures_total", "Notification attempts that failed", ["channel_kind"])


@dataclass(frozen=True)
class RunResult:
    routed: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def worked(self) -> bool:
        return bool(self.routed or self.sent or self.failed)


def route_outbox(conn: psycopg.Connection, now: datetime, limit: int = 500) -> int:
    """Create the deliveries of outbox rows not yet routed; returns how many rows were routed."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT id, site_id, kind, escalation_level, payload FROM alert_outbox WHERE routed_at IS NULL
               ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
            (limit,),
        ).fetchall()
    for row in rows:
        for channel_id in _channels_for(conn, row):
            conn.execute(
                "INSERT INTO delivery (outbox_id, channel_id, next_attempt_at) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (row["id"], channel_id, now),
            )
        conn.execute("UPDATE alert_outbox SET routed_at = %s WHERE id = %s", (now, row["id"]))
    return len(rows)


def _channels_for(conn: psycopg.Connection, row: dict[str, Any]) -> list[int]:
    """Alerts: the site's routes, plus the routes of the organisation levels an escalation climbed. Digests: the
    site's manager routes, and head-office routes anywhere above the site (their fleet summary)."""
    scope = scope_of_site(conn, row["site_id"])
    if row["kind"] == "digest":
        organisations, site_audiences, org_audiences = list(scope.organisations), ["manager"], ["head_office"]
    else:
        organisations = list(scope.organisations[: row["escalation_level"]])
        site_audiences = org_audiences = list(ALERT_AUDIENCES)
    category = row["payload"].get("category")
    found = conn.execute(
        """SELECT DISTINCT channel_id FROM notification_route
           WHERE ((site_id = %(site)s AND audience = ANY(%(site_audiences)s))
                  OR (organisation_id = ANY(%(organisations)s) AND audience = ANY(%(org_audiences)s)))
             AND (categories IS NULL OR %(category)s::text IS NULL OR %(category)s = ANY(categories))
           ORDER BY 1""",
        {"site": row["site_id"], "organisations": organisations, "site_audiences": site_audiences,
         "org_audiences": org_audiences, "category": category},
    ).fetchall()  # fmt: skip
    if not found:
        log.warning("outbox row %d (%s, site %d) has no channel to go to: add a route", row["id"], row["kind"],
                    row["site_id"])  # fmt: skip
    return [int(r[0]) for r in found]


def claim_group(conn: psycopg.Connection, now: datetime) -> str | None:
    """Choose the next message: due deliveries of one channel and one site, and give them their idempotency key
    (committed before anything is sent, so a retry after a crash or an error re-sends exactly this group under
    this key, even if more deliveries for the site have arrived since). None when nothing is due."""
    with conn.cursor(row_factory=dict_row) as cur:
        first = cur.execute(
            """SELECT d.channel_id, o.site_id, d.idempotency_key FROM delivery d
               JOIN alert_outbox o ON o.id = d.outbox_id JOIN notification_channel c ON c.id = d.channel_id
               WHERE d.status = 'pending' AND d.next_attempt_at <= %s AND c.broken_at IS NULL
               ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED""",
            (now,),
        ).fetchone()
        if first is None:
            return None
        if first["idempotency_key"] is not None:
            return str(first["idempotency_key"])
        ids = [row["id"] for row in cur.execute(
            """SELECT d.id FROM delivery d JOIN alert_outbox o ON o.id = d.outbox_id
               WHERE d.status = 'pending' AND d.next_attempt_at <= %s AND d.channel_id = %s AND o.site_id = %s
                 AND d.idempotency_key IS NULL
               ORDER BY o.id FOR UPDATE OF d SKIP LOCKED""",
            (now, first["channel_id"], first["site_id"]),
        ).fetchall()]  # fmt: skip
    key = idempotency_key(ids)
    conn.execute("UPDATE delivery SET idempotency_key = %s WHERE id = ANY(%s)", (key, ids))
    return key


def send_group(
    conn: psycopg.Connection, now: datetime, key: str, channels: ChannelFactory, render: Renderer
) -> RunResult:
    """Send the message ``key`` (see ``claim_group``) and record the attempt; returns what happened."""
    with conn.cursor(row_factory=dict_row) as cur:
        group = cur.execute(
            """SELECT d.id, d.attempts, d.channel_id, o.id AS outbox_id, o.kind, o.payload, c.kind AS channel_kind,
                      c.config, c.language
               FROM delivery d JOIN alert_outbox o ON o.id = d.outbox_id
               JOIN notification_channel c ON c.id = d.channel_id
               WHERE d.idempotency_key = %s AND d.status = 'pending' AND c.broken_at IS NULL
               ORDER BY o.id FOR UPDATE OF d SKIP LOCKED""",
            (key,),
        ).fetchall()
    if not group:
        return RunResult()
    return _attempt(conn, now, group[0]["channel_id"], group, key, channels, render)


def send_due(conn: psycopg.Connection, now: datetime, channels: ChannelFactory, render: Renderer) -> RunResult:
    """Claim and send the next message in the caller's transaction (tests; the loop uses ``run_once``)."""
    key = claim_group(conn, now)
    return RunResult() if key is None else send_group(conn, now, key, channels, render)


def idempotency_key(delivery_ids: list[int]) -> str:
    """Stable for the same deliveries, so a message sent again after a crash carries the same key."""
    digest = hashlib.sha256(",".join(map(str, sorted(delivery_ids))).encode()).hexdigest()
    return f"fw-{digest[:32]}"


def _attempt(
    conn: psycopg.Connection,
    now: datetime,
    channel_id: int,
    group: list[dict[str, Any]],
    key: str,
    channels: ChannelFactory,
    render: Renderer,
) -> RunResult:
    head = group[0]
    began = time.monotonic()
    error: ChannelError | None = None
    # The outbox kind goes in as `event`: an alert's payload has a `kind` of its own (the unit's kind).
    rows = [{**r["payload"], "event": r["kind"], "outbox_id": r["outbox_id"]} for r in group]
    try:
        channel = channels(head["channel_kind"], head["config"])
        channel.send(render(rows, head["language"], key))
    except ChannelError as exc:
        error = exc
    except ChannelConfigError as exc:  # a stored config the channel no longer accepts: fix it, then it resumes
        error = ChannelError(f"configuration: {exc}", permanent=True)
    except Exception as exc:  # a bug in rendering or a channel: retried later, so one message cannot stall the rest
        log.exception("delivery to channel %d: unexpected error", channel_id)
        error = ChannelError(f"internal error: {type(exc).__name__}: {exc}", permanent=False)
    elapsed_ms = int((time.monotonic() - began) * 1000)
    ids = [r["id"] for r in group]
    if error is None:
        conn.execute("UPDATE delivery SET status = 'sent', sent_at = %s, attempts = attempts + 1, "
                     "idempotency_key = %s, last_error = NULL WHERE id = ANY(%s)", (now, key, ids))  # fmt: skip
        _record(conn, ids, now, True, False, "", elapsed_ms)
        DELIVERIES.labels(head["channel_kind"], "sent").inc()
        return RunResult(sent=len(ids))
    log.warning("delivery to channel %d failed (%s): %s", channel_id, "permanent" if error.permanent else "will retry",
                error.message)  # fmt: skip
    _record(conn, ids, now, False, error.permanent, error.message, elapsed_ms)
    DELIVERY_FAILURES.labels(head["channel_kind"]).inc()
    gave_up = error.permanent or max(r["attempts"] for r in group) + 1 >= MAX_ATTEMPTS
    DELIVERIES.labels(head["channel_kind"], "failed" if gave_up else "retry").inc()
    if error.permanent:
        conn.execute("UPDATE delivery SET status = 'failed', attempts = attempts + 1, last_error = %s "
                     "WHERE id = ANY(%s)", (error.message, ids))  # fmt: skip
        conn.execute("UPDATE notification_channel SET broken_at = %s, broken_reason = %s WHERE id = %s",
                     (now, error.message, channel_id))  # fmt: skip
        return RunResult(failed=len(ids))
    for row in group:
        _retry_later(conn, row, now, error.message)
    return RunResult(failed=len(ids))


def _retry_later(conn: psycopg.Connection, row: dict[str, Any], now: datetime, message: str) -> None:
    attempts = row["attempts"] + 1
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    conn.execute(
        "UPDATE delivery SET attempts = %s, status = %s, next_attempt_at = %s, last_error = %s WHERE id = %s",
        (attempts, status, now + wait, message, row["id"]),
    )


def _record(
    conn: psycopg.Connection, ids: list[int], now: datetime, ok: bool, permanent: bool, error: str, ms: int
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO delivery_attempt (delivery_id, at, ok, permanent, error, duration_ms) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(i, now, ok, permanent, error, ms) for i in ids],
        )


def run_once(conn: psycopg.Connection, now: datetime, channels: ChannelFactory, render: Renderer) -> bool:
    """Route what is new and send one group, each in its own transaction; True while there is more to do."""
    with conn.transaction():
        routed = route_outbox(conn, now)
    with conn.transaction():
        key = claim_group(conn, now)
    if key is None:
        return bool(routed)
    with conn.transaction():
        send_group(conn, now, key, channels, render)
    return True
