-- Silence detection. REGULATION.md (p) イ: values are measured per circuit at least daily; a circuit or agent
-- that falls silent must be seen (a gap in daily measurement breaks the substitution of the simple inspection).

CREATE TABLE circuit_last_seen (
    equipment_id  bigint NOT NULL,
    circuit_no    smallint NOT NULL,
    last_ts       timestamptz NOT NULL,   -- newest measurement time stored
    last_received timestamptz NOT NULL,   -- when it was stored
    PRIMARY KEY (equipment_id, circuit_no)
);

CREATE TABLE data_gap (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('circuit_silent', 'agent_offline')),
    equipment_id  bigint,
    circuit_no    smallint,
    site_code     text,
    agent_id      text,
    silent_since  timestamptz,            -- last data (circuit) or the offline report (agent); null: never seen
    opened_at     timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    CHECK ((kind = 'circuit_silent') = (equipment_id IS NOT NULL AND circuit_no IS NOT NULL)),
    CHECK ((kind = 'agent_offline') = (agent_id IS NOT NULL))
);
CREATE UNIQUE INDEX data_gap_open_circuit ON data_gap (equipment_id, circuit_no) WHERE closed_at IS NULL AND kind = 'circuit_silent';
CREATE UNIQUE INDEX data_gap_open_agent ON data_gap (site_code, agent_id) WHERE closed_at IS NULL AND kind = 'agent_offline';
