-- People signing in on the web: server-side sessions, failed sign-ins (for the rate limit), the language a person
-- reads the dashboard in, and per-agent MQTT credentials (Mosquitto's password and ACL files are rendered from
-- agent_credential by storage/agent_queries.py).

ALTER TABLE app_user ADD COLUMN preferred_language text NOT NULL DEFAULT 'ja'
    CHECK (preferred_language IN ('ja', 'en'));

-- The browser holds a random token; only its SHA-256 is the id here, like api_token. The CSRF token (a second,
-- readable cookie) is bound to the session by its hash. Idle and absolute expiry are decided by the application's
-- clock and policy; expires_at is the absolute end.
CREATE TABLE user_session (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    user_id       bigint NOT NULL REFERENCES app_user (id),
    csrf_hash     text NOT NULL CHECK (csrf_hash ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    user_agent    text NOT NULL DEFAULT '',
    from_address  text NOT NULL DEFAULT ''
);
CREATE INDEX user_session_user ON user_session (user_id);

-- Failed sign-ins, per e-mail address (as typed, lower-cased) and caller's address: too many in a window and
-- further attempts are refused for a while. Forgotten after a successful sign-in and pruned when old.
CREATE TABLE login_failure (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    from_address  text NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX login_failure_key ON login_failure (email, from_address, at);

-- One MQTT login per edge agent, allowed to publish only under its own site's topics. password_hash is in
-- Mosquitto 2's password-file format: $7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>.
CREATE TABLE agent_credential (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id        bigint NOT NULL REFERENCES site (id),
    username       text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
    password_hash  text NOT NULL CHECK (password_hash ~ '^\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
    created_by     bigint REFERENCES app_user (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
CREATE INDEX agent_credential_site ON agent_credential (site_id);
