-- Leak cases, repair tickets for contractors, charge and recovery certificates, refused charges
-- (REGULATION.md (d1), (d2), (d3), (e) item 6, (f)). Transitions, certificates and refusals are never deleted;
-- transitions and refusals are never rewritten (refuse_change() comes from 0009).

-- (d3) 3.: lower-GWP refrigerants the manager agreed to and the manufacturer accepts for the unit.
ALTER TABLE equipment ADD COLUMN approved_replacements text[] NOT NULL DEFAULT '{}';

-- (d1): a confirmed leak stays open until the repair is verified (no longer leaks).
CREATE TABLE leak_case (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id          bigint NOT NULL,
    circuit_no            smallint NOT NULL,
    confirmed_on          date NOT NULL,  -- day 0 of the 60 days of (d2) case 2
    alert_id              bigint REFERENCES alert (id),
    hard_to_reach_reason  text NOT NULL DEFAULT '',  -- (d2) case 1, logbook item 6
    planned_repair_on     date,  -- logbook item 6; (d2) case 2 needs it by confirmed_on + 60 days
    repaired_on           date CHECK (repaired_on >= confirmed_on),
    verified_on           date CHECK (verified_on >= repaired_on),
    created_at            timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no),
    CHECK (verified_on IS NULL OR repaired_on IS NOT NULL)
);
CREATE UNIQUE INDEX leak_case_one_open ON leak_case (equipment_id, circuit_no) WHERE verified_on IS NULL;

CREATE TABLE ticket (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id   bigint NOT NULL,
    circuit_no     smallint NOT NULL,
    leak_case_id   bigint REFERENCES leak_case (id),
    contractor_id  bigint NOT NULL REFERENCES contractor (id),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dispatched', 'leak_located', 'repaired',
                       'verified', 'closed', 'cancelled')),
    opened_at      timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    cancel_reason  text NOT NULL DEFAULT '',
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no),
    CHECK ((status = 'cancelled') = (btrim(cancel_reason) <> ''))
);
CREATE INDEX ticket_contractor_active ON ticket (contractor_id) WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX ticket_leak_case ON ticket (leak_case_id);

-- Every move of a ticket, with who did it and the qualified person (十分な知見を有する者, (b2)) where needed.
CREATE TABLE ticket_transition (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES ticket (id),
    from_status       text,  -- NULL: the ticket was opened
    to_status         text NOT NULL,
    at                timestamptz NOT NULL,
    actor_user_id     bigint REFERENCES app_user (id),  -- NULL: the system
    actor             text NOT NULL,
    qualified_person  text,
    qualification_no  text,
    note              text NOT NULL DEFAULT '',
    CHECK ((qualified_person IS NULL) = (qualification_no IS NULL))
);
CREATE INDEX ticket_transition_ticket ON ticket_transition (ticket_id, id);

-- (f): one row per charge or recovery certificate (充塡証明書・回収証明書).
CREATE TABLE refrigerant_movement (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                        text NOT NULL CHECK (kind IN ('charge', 'recovery')),
    certificate_no              text NOT NULL CHECK (btrim(certificate_no) <> ''),
    equipment_id                bigint NOT NULL,
    circuit_no                  smallint NOT NULL,
    work_date                   date NOT NULL,
    issued_on                   date CHECK (issued_on >= work_date),
    refrigerant                 text NOT NULL,
    amount_kg                   numeric(12, 3) NOT NULL CHECK (amount_kg > 0),
    occasion                    text NOT NULL CHECK (occasion IN ('installation', 'maintenance', 'disposal')),
    contractor_id               bigint NOT NULL REFERENCES contractor (id),
    contractor_registration_no  text NOT NULL,
    qualified_person            text NOT NULL CHECK (btrim(qualified_person) <> ''),
    qualification_no            text NOT NULL CHECK (btrim(qualification_no) <> ''),
    emergency                   text CHECK (emergency IN ('health', 'goods', 'business')),  -- (d2) case 2
    planned_repair_on           date,
    hard_to_reach_reason        text NOT NULL DEFAULT '',  -- (d2) case 1
    leak_case_id                bigint REFERENCES leak_case (id),
    ticket_id                   bigint REFERENCES ticket (id),
    recorded_by_user_id         bigint REFERENCES app_user (id),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no),
    UNIQUE (contractor_id, certificate_no),
    CHECK (kind = 'charge' OR (emergency IS NULL AND occasion <> 'installation')),
    CHECK (emergency IS NULL OR (leak_case_id IS NOT NULL AND planned_repair_on IS NOT NULL))
);
-- (d2) case 2: the emergency charge is made once only (1回に限り) per leak, even under concurrent requests.
CREATE UNIQUE INDEX refrigerant_movement_one_emergency ON refrigerant_movement (leak_case_id)
    WHERE emergency IS NOT NULL;
CREATE INDEX refrigerant_movement_unit ON refrigerant_movement (equipment_id, circuit_no, work_date);

-- An attempted charge the law forbids: information the manager needs (d3), kept like an audit.
CREATE TABLE charge_refusal (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id   bigint NOT NULL,
    circuit_no     smallint NOT NULL,
    at             timestamptz NOT NULL,
    actor_user_id  bigint REFERENCES app_user (id),
    actor          text NOT NULL,
    contractor_id  bigint REFERENCES contractor (id),
    leak_case_id   bigint REFERENCES leak_case (id),
    refrigerant    text NOT NULL,
    amount_kg      numeric(12, 3) NOT NULL,
    rule           text NOT NULL,
    message        text NOT NULL,
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no)
);
CREATE INDEX charge_refusal_unit ON charge_refusal (equipment_id, circuit_no, at);

-- One message for every kept history, not only the alerts' (0009 wrote it for them first).
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: this history is kept (alerts: REGULATION.md (p) ニ; tickets, charges '
        'and recoveries: (d), (e), (f))', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ticket_keep BEFORE DELETE ON ticket FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ticket_transition_keep BEFORE UPDATE OR DELETE ON ticket_transition
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ticket_transition_truncate BEFORE TRUNCATE ON ticket_transition
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER leak_case_keep BEFORE DELETE ON leak_case FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER refrigerant_movement_keep BEFORE DELETE ON refrigerant_movement
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER charge_refusal_keep BEFORE UPDATE OR DELETE ON charge_refusal
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The 60-day repair deadline reaches people through the alerts (REGULATION.md (d2) case 2): reminders before it,
-- and an overdue repair that goes straight to the organisation above the site.
ALTER TABLE alert DROP CONSTRAINT alert_category_check;
ALTER TABLE alert ADD CONSTRAINT alert_category_check CHECK (category IN ('leak', 'condenser_fouling',
    'evaporator_icing', 'overcharge', 'sensor_drift', 'other_fault', 'data_gap', 'inspection_due',
    'inspection_overdue', 'repair_due', 'repair_overdue'));

CREATE TABLE repair_reminder (
    leak_case_id  bigint NOT NULL REFERENCES leak_case (id),
    days_before   integer NOT NULL,
    sent_at       timestamptz NOT NULL,
    PRIMARY KEY (leak_case_id, days_before)
);
