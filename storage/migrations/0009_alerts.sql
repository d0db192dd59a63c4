-- Alerts that reach the manager and cannot be waved away (REGULATION.md (p) ニ): notified at once, by a means
-- others cannot cancel, history kept at least a year. Alerts and their audit are never deleted; the audit is
-- append-only; deliveries and every attempt are stored.

CREATE TABLE alert (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id               bigint NOT NULL REFERENCES equipment (id),
    circuit_no                 smallint NOT NULL,
    category                   text NOT NULL CHECK (category IN ('leak', 'condenser_fouling', 'evaporator_icing',
                                   'overcharge', 'sensor_drift', 'other_fault', 'data_gap', 'inspection_due',
                                   'inspection_overdue')),
    severity                   text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    status                     text NOT NULL CHECK (status IN ('raised', 'acknowledged', 'resolved')),
    escalation_level           smallint NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
    raised_at                  timestamptz NOT NULL,
    first_seen                 timestamptz,
    updated_at                 timestamptz NOT NULL,
    acknowledged_at            timestamptz,
    resolved_at                timestamptz,
    estimated_charge_loss_pct  double precision,
    kg_per_year                numeric(14, 3),
    t_co2_per_year             numeric(14, 3),
    message                    text NOT NULL,
    evidence                   jsonb NOT NULL DEFAULT '[]',
    detector                   text NOT NULL DEFAULT '',
    detector_cleared_at        timestamptz,  -- a leak the detector no longer sees stays open until resolved
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- One open alert per unit, circuit and category: new evidence updates it.
CREATE UNIQUE INDEX alert_one_open ON alert (equipment_id, circuit_no, category) WHERE status <> 'resolved';
CREATE INDEX alert_open_raised ON alert (raised_at) WHERE status = 'raised';

CREATE TABLE alert_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id       bigint NOT NULL REFERENCES alert (id),
    at             timestamptz NOT NULL DEFAULT now(),
    action         text NOT NULL,  -- raised, updated, acknowledge, resolve, escalate, detector_cleared, ...
    allowed        boolean NOT NULL,  -- false: an attempt that was refused, kept as information
    actor_user_id  bigint REFERENCES app_user (id),  -- NULL: the system
    actor          text NOT NULL,
    from_address   text NOT NULL DEFAULT '',
    reason         text NOT NULL DEFAULT '',
    details        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);

-- A manager names delegates who may acknowledge and resolve the manager's leak alerts.
CREATE TABLE alert_delegate (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager_user_id   bigint NOT NULL REFERENCES app_user (id),
    delegate_user_id  bigint NOT NULL REFERENCES app_user (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    revoked_at        timestamptz,
    CHECK (manager_user_id <> delegate_user_id)
);

CREATE TABLE notification_channel (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (btrim(name) <> ''),
    kind           text NOT NULL CHECK (kind IN ('email', 'webhook', 'apprise')),
    config         jsonb NOT NULL,
    language       text NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    broken_at      timestamptz,  -- set by a permanent delivery error; shown until the channel is fixed
    broken_reason  text
);

-- Who gets what: a channel hears a site's (or an organisation level's) alerts for an audience, from an
-- escalation level on. Level 0 is the site's manager and deputy; each escalation goes one organisation level up.
CREATE TABLE notification_route (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id        bigint NOT NULL REFERENCES notification_channel (id),
    site_id           bigint REFERENCES site (id),
    organisation_id   bigint REFERENCES organisation (id),
    audience          text NOT NULL CHECK (audience IN ('manager', 'deputy', 'contractor', 'head_office')),
    categories        text[],  -- NULL: every category
    CHECK (num_nonnulls(site_id, organisation_id) = 1)
);

CREATE TABLE alert_outbox (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id          bigint REFERENCES alert (id),  -- NULL for a digest
    site_id           bigint NOT NULL REFERENCES site (id),
    kind              text NOT NULL CHECK (kind IN ('raised', 'updated', 'escalated', 'acknowledged', 'resolved',
                                                    'digest')),
    escalation_level  smallint NOT NULL DEFAULT 0,
    payload           jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    routed_at         timestamptz  -- deliveries created
);
CREATE INDEX alert_outbox_unrouted ON alert_outbox (id) WHERE routed_at IS NULL;

CREATE TABLE delivery (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id        bigint NOT NULL REFERENCES alert_outbox (id),
    channel_id       bigint NOT NULL REFERENCES notification_channel (id),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    idempotency_key  text,  -- of the message that carried it (several deliveries of one site share a message)
    last_error       text,
    UNIQUE (outbox_id, channel_id)
);
CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE status = 'pending';

CREATE TABLE delivery_attempt (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES delivery (id),
    at           timestamptz NOT NULL,
    ok           boolean NOT NULL,
    permanent    boolean NOT NULL DEFAULT false,
    error        text NOT NULL DEFAULT '',
    duration_ms  integer NOT NULL
);
CREATE INDEX delivery_attempt_delivery ON delivery_attempt (delivery_id);

-- Which detector events have become alerts.
CREATE TABLE alert_watermark (
    source         text PRIMARY KEY,
    last_event_id  bigint NOT NULL
);

-- Nothing here is ever deleted, and the audit is never rewritten: not by the API, not by a stray query.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: alert history is kept (REGULATION.md (p) ニ)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER alert_keep BEFORE DELETE ON alert FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER alert_audit_keep BEFORE UPDATE OR DELETE ON alert_audit FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER alert_outbox_keep BEFORE DELETE ON alert_outbox FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER delivery_keep BEFORE DELETE ON delivery FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER delivery_attempt_keep BEFORE UPDATE OR DELETE ON delivery_attempt
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER alert_truncate BEFORE TRUNCATE ON alert FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER alert_audit_truncate BEFORE TRUNCATE ON alert_audit FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
