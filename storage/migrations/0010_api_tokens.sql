-- Bearer tokens for integrations (a building-management system, a contractor's ticketing tool). The token is
-- shown once when issued; only its SHA-256 is kept, so a copy of the database does not hand out access.

CREATE TABLE api_token (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES app_user (id),
    token_hash    text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    name          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_token_user ON api_token (user_id);

-- A notification channel belongs to a company: its configuration (recipients' addresses, endpoints) is shown
-- only to that company's administrators and managers, never to another company sharing the installation.
-- NULL for channels made outside the API; those are shown to the companies whose sites they are routed to.
ALTER TABLE notification_channel ADD COLUMN organisation_id bigint REFERENCES organisation (id);
