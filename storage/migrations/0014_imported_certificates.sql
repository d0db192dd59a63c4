-- Charge and recovery certificates taken over from a manager's files (compliance/imports.py, docs/imports.md).
-- The certificate fields of REGULATION.md (f) do not include the technician, and an imported certificate often has
-- none to give: such a row says it was imported rather than invent a qualified person. A certificate recorded in
-- fluorowatch (source 'recorded') keeps every rule of 0011: its qualified person and qualification number stay
-- required, and the recharge rules of (d2)/(d3) still judge every charge recorded here.
ALTER TABLE refrigerant_movement
    ADD COLUMN source text NOT NULL DEFAULT 'recorded' CHECK (source IN ('recorded', 'import')),
    ALTER COLUMN qualified_person DROP NOT NULL,
    ALTER COLUMN qualification_no DROP NOT NULL,
    ADD CONSTRAINT refrigerant_movement_recorded_names_its_technician
        CHECK (source = 'import' OR (qualified_person IS NOT NULL AND qualification_no IS NOT NULL)),
    -- An imported certificate is history: it belongs to no leak case, ticket or emergency charge of this system.
    ADD CONSTRAINT refrigerant_movement_import_is_history
        CHECK (source = 'recorded' OR (emergency IS NULL AND leak_case_id IS NULL AND ticket_id IS NULL));
