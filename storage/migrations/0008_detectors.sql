-- The leak detectors' learned models, their running state, their hour-by-hour verdicts, the daily diagnosis
-- and the events they raise (detectors/service.py). REGULATION.md (p) ロ: each circuit is diagnosed at least once
-- a day, and the diagnosis is stored even when it is "no leak"; (p) ハ: diagnoses are kept at least one year.
-- Nothing here is ever deleted by fluorowatch; any later pruning must keep MIN_RETENTION_DAYS (settings.py).
-- Units and circuits are referenced as in telemetry (0003) and circuit_last_seen (0006): bigint equipment id
-- and smallint circuit number. Only the rarely written model table has a foreign key to the register; the
-- others are written in bulk every hour and follow the telemetry table in going without one.

-- One row per learning; the newest version of a circuit is the active model. Never updated: a re-learning
-- (after a verified repair, say) adds a version and the earlier ones stay, so past verdicts can be explained.
CREATE TABLE detector_model (
    equipment_id   bigint NOT NULL,
    circuit_no     smallint NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    trained_from   timestamptz NOT NULL,
    trained_until  timestamptz NOT NULL CHECK (trained_until > trained_from),
    reason         text NOT NULL CHECK (btrim(reason) <> ''),  -- commissioning | after verified repair | manual
    model          jsonb NOT NULL,  -- detectors.model.CircuitModel.to_json()
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (equipment_id, circuit_no, version),
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no)
);

-- The detector's memory between passes (smoothing, CUSUM, hysteresis). last_hour_utc is the watermark: the
-- start of the newest hour judged. model_version says which model the state belongs to; a newer model starts
-- a fresh state.
CREATE TABLE detector_state (
    equipment_id   bigint NOT NULL,
    circuit_no     smallint NOT NULL,
    model_version  integer NOT NULL,
    last_hour_utc  timestamptz NOT NULL,
    state          jsonb NOT NULL,  -- detectors.engine.CircuitState.to_json()
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (equipment_id, circuit_no)
);

-- One row per circuit and UTC hour that had readings: what the detector saw that hour. has_data is false
-- for an hour without a reading taken in stable operation (nothing to judge).
CREATE TABLE detector_hour (
    equipment_id   bigint NOT NULL,
    circuit_no     smallint NOT NULL,
    hour_utc       timestamptz NOT NULL,
    model_version  integer NOT NULL,
    has_data       boolean NOT NULL,
    lost_pct       double precision,  -- estimated share of the proper charge lost
    sigma_pct      double precision,
    conditions     text[] NOT NULL DEFAULT '{}',  -- categories whose condition held this hour
    PRIMARY KEY (equipment_id, circuit_no, hour_utc)
);
CREATE INDEX detector_hour_hour ON detector_hour (hour_utc);

-- One row per registered circuit and local day (display time zone), whatever the answer.
CREATE TABLE diagnosis (
    equipment_id               bigint NOT NULL,
    circuit_no                 smallint NOT NULL,
    day                        date NOT NULL,
    status                     text NOT NULL CHECK (status IN ('no_leak', 'leak_suspected', 'other_fault',
                                   'insufficient_data', 'no_baseline')),
    hours_measured             integer NOT NULL CHECK (hours_measured BETWEEN 0 AND 25),
    estimated_charge_loss_pct  double precision,
    sigma_pct                  double precision,
    categories                 text[] NOT NULL DEFAULT '{}',
    detail                     jsonb NOT NULL DEFAULT '{}',
    created_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (equipment_id, circuit_no, day)
);
CREATE INDEX diagnosis_day ON diagnosis (day, status);

-- Raised and cleared categories, append-only: the alerting issue reads its notifications from here
-- (REGULATION.md (p) ニ). A repeated pass writes the same event again; the unique key drops the repeat.
CREATE TABLE detector_event (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id               bigint NOT NULL,
    circuit_no                 smallint NOT NULL,
    ts                         timestamptz NOT NULL,  -- when the detector decided (the end of the hour)
    category                   text NOT NULL,
    status                     text NOT NULL CHECK (status IN ('raised', 'cleared')),
    severity                   text NOT NULL,
    estimated_charge_loss_pct  double precision,
    detector                   text NOT NULL,
    message                    text NOT NULL,
    first_seen                 timestamptz,
    evidence                   jsonb NOT NULL DEFAULT '[]',
    model_version              integer NOT NULL,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    UNIQUE (equipment_id, circuit_no, category, status, ts)
);
CREATE INDEX detector_event_ts ON detector_event (ts);
