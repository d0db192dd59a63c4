-- What ingest could not store, with the reason (never a silent drop), and the agents' last reported status.

CREATE TABLE dead_letter (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    timestamptz NOT NULL DEFAULT now(),
    topic          text NOT NULL,
    payload        bytea NOT NULL,  -- the whole message, or the one rejected reading
    reason         text NOT NULL,
    detail         text NOT NULL,
    reading_index  integer           -- null when the whole message was rejected
);
CREATE INDEX dead_letter_received_at ON dead_letter (received_at);

CREATE TABLE agent_status (
    site_code         text NOT NULL,
    agent_id          text NOT NULL,
    state             text NOT NULL CHECK (state IN ('online', 'offline')),
    reported_at       timestamptz,
    received_at       timestamptz NOT NULL DEFAULT now(),
    queue_depth       integer,
    dropped_readings  bigint,
    PRIMARY KEY (site_code, agent_id)
);
