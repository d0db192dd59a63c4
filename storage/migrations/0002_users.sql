-- People and what they may see: every role is scoped to an organisation level, a site or a contractor.

CREATE TABLE app_user (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL CHECK (position('@' IN email) > 1),
    display_name   text NOT NULL DEFAULT '',
    password_hash  text,
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_email ON app_user (lower(email));

CREATE TABLE role_assignment (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES app_user (id),
    role             text NOT NULL CHECK (role IN ('admin', 'manager', 'viewer', 'contractor')),
    organisation_id  bigint REFERENCES organisation (id),
    site_id          bigint REFERENCES site (id),
    contractor_id    bigint REFERENCES contractor (id),
    CHECK (num_nonnulls(organisation_id, site_id, contractor_id) = 1),
    CHECK ((role = 'contractor') = (contractor_id IS NOT NULL))
);
CREATE INDEX role_assignment_user ON role_assignment (user_id);
