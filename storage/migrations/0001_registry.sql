-- Organisations, sites, contractors and the equipment register (REGULATION.md (a), (b2), (g2)).

CREATE TABLE organisation (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id  bigint REFERENCES organisation (id),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    -- 0 = company; 1 and 2 = at most two intermediate levels (region, branch).
    depth      smallint NOT NULL CHECK (depth BETWEEN 0 AND 2),
    CHECK ((parent_id IS NULL) = (depth = 0))
);
CREATE UNIQUE INDEX organisation_company_name ON organisation (name) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX organisation_child_name ON organisation (parent_id, name) WHERE parent_id IS NOT NULL;

CREATE FUNCTION organisation_depth_follows_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL
       AND NEW.depth <> (SELECT depth + 1 FROM organisation WHERE id = NEW.parent_id) THEN
        RAISE EXCEPTION 'organisation % must be one level below its parent', NEW.name;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER organisation_depth BEFORE INSERT OR UPDATE ON organisation
    FOR EACH ROW EXECUTE FUNCTION organisation_depth_follows_parent();

CREATE TABLE site (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisation (id),
    site_code        text NOT NULL UNIQUE CHECK (btrim(site_code) <> ''),
    name             text NOT NULL,
    -- JIS X 0401 prefecture code, 01 (Hokkaido) to 47 (Okinawa).
    prefecture_code  char(2) NOT NULL CHECK (prefecture_code ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'),
    address          text NOT NULL DEFAULT '',
    -- (g2): units on another business's premises or on vehicles count for the company, never for a site.
    is_own_premises  boolean NOT NULL DEFAULT true,
    is_mobile        boolean NOT NULL DEFAULT false
);

CREATE TABLE contractor (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                     text NOT NULL CHECK (btrim(name) <> ''),
    registration_no          text NOT NULL CHECK (btrim(registration_no) <> ''),
    registration_prefecture  char(2) CHECK (registration_prefecture ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'),
    address                  text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX contractor_registration ON contractor (coalesce(registration_prefecture, ''), registration_no);

CREATE TABLE site_contractor (
    site_id        bigint NOT NULL REFERENCES site (id),
    contractor_id  bigint NOT NULL REFERENCES contractor (id),
    PRIMARY KEY (site_id, contractor_id)
);

CREATE TABLE equipment (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id                  bigint NOT NULL REFERENCES site (id),
    management_no            text NOT NULL CHECK (btrim(management_no) <> ''),
    kind                     text NOT NULL CHECK (kind IN ('showcase_remote', 'showcase_builtin', 'refrigerator',
                                 'cold_room', 'condensing_unit', 'package_ac', 'chiller', 'turbo_chiller')),
    legal_category_override  text CHECK (legal_category_override IN ('air_conditioner', 'refrigeration')),
    refrigerant              text NOT NULL,
    charge_kg                numeric(12, 3) NOT NULL CHECK (charge_kg > 0),
    manufacturer             text NOT NULL DEFAULT '',
    model                    text NOT NULL DEFAULT '',
    serial_no                text NOT NULL DEFAULT '',
    installed_on             date,
    disposed_on              date CHECK (disposed_on >= installed_on),
    UNIQUE (site_id, management_no)
);

-- (a2): exactly one manager (管理者) per unit, with the reason; the leak reporter may differ (franchise).
CREATE TABLE equipment_manager (
    equipment_id   bigint PRIMARY KEY REFERENCES equipment (id),
    manager_name   text NOT NULL CHECK (btrim(manager_name) <> ''),
    reason         text NOT NULL,
    leak_reporter  text
);

CREATE TABLE circuit (
    equipment_id  bigint NOT NULL REFERENCES equipment (id),
    circuit_no    smallint NOT NULL CHECK (circuit_no >= 1),
    charge_kg     numeric(12, 3) CHECK (charge_kg > 0),
    PRIMARY KEY (equipment_id, circuit_no)
);

-- (b2): the periodic-inspection class is judged on the summed rated output of the compressors of one circuit.
CREATE TABLE compressor (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    equipment_id     bigint NOT NULL,
    circuit_no       smallint NOT NULL,
    rated_output_kw  numeric(8, 3) NOT NULL CHECK (rated_output_kw > 0),
    FOREIGN KEY (equipment_id, circuit_no) REFERENCES circuit (equipment_id, circuit_no)
);
CREATE INDEX compressor_circuit ON compressor (equipment_id, circuit_no);
