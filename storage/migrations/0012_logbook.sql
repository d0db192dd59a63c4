-- The logbook (点検整備記録簿, REGULATION.md (e)): one entry per record item of (e1), kept per unit until 3 years
-- after disposal. Entries are never rewritten nor deleted: a correction is a new entry that names the one it
-- corrects (corrects_id), with who corrected it and why in its details (refuse_change() comes from 0009/0011).

CREATE TABLE logbook_entry (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id  bigint NOT NULL REFERENCES equipment (id),
    circuit_no    smallint,  -- NULL: the entry is about the whole unit
    -- (e1) items 1-9 in order: manager, unit, refrigerant, inspection, repair, repair difficulty, charge,
    -- recovery (both at maintenance), disposal.
    kind          text NOT NULL CHECK (kind IN ('manager', 'unit', 'refrigerant', 'inspection', 'repair',
                      'repair_difficulty', 'charge', 'recovery', 'disposal')),
    occurred_on   date NOT NULL,
    recorded_at   timestamptz NOT NULL,
    recorded_by   text NOT NULL CHECK (btrim(recorded_by) <> ''),
    details       jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object'),
    -- Where the entry came from: a ticket transition, a leak case (item 6), a charge/recovery certificate,
    -- a diagnosis, a person, or another company's logbook handed over on sale (e).
    source        text NOT NULL CHECK (source IN ('ticket', 'leak_case', 'certificate', 'diagnosis', 'manual',
                      'import')),
    source_id     bigint,
    corrects_id   bigint REFERENCES logbook_entry (id),
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no),
    -- Feeding from the records twice writes nothing new.
    UNIQUE (source, source_id, kind),
    CHECK (corrects_id IS NULL OR corrects_id < id)
);
-- A correction chain has no forks: an entry is corrected at most once (the correction itself can be corrected).
CREATE UNIQUE INDEX logbook_entry_one_correction ON logbook_entry (corrects_id) WHERE corrects_id IS NOT NULL;
CREATE INDEX logbook_entry_unit ON logbook_entry (equipment_id, occurred_on, id);

CREATE TRIGGER logbook_entry_keep BEFORE UPDATE OR DELETE ON logbook_entry
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER logbook_entry_truncate BEFORE TRUNCATE ON logbook_entry
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
