-- Periods in which continuous monitoring replaced a unit's simple inspection (REGULATION.md (p)): each ended
-- period is written once into the unit's logbook (an inspection entry, method continuous monitoring).
CREATE TABLE monitoring_period (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id  bigint NOT NULL REFERENCES equipment (id),
    started_on    date NOT NULL,
    ended_on      date NOT NULL CHECK (ended_on >= started_on),
    recorded_at   timestamptz NOT NULL,
    UNIQUE (equipment_id, started_on)
);
CREATE TRIGGER monitoring_period_keep BEFORE UPDATE OR DELETE ON monitoring_period
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
