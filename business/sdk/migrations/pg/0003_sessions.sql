-- Refresh-token sessions. Only a SHA-256 of each refresh token is stored. Every
-- rotation adds a row to the same family; presenting a used token revokes the family.
CREATE TABLE sessions (
    session_id   UUID        NOT NULL,
    family_id    UUID        NOT NULL,
    user_id      UUID        NOT NULL REFERENCES users (user_id),
    token_hash   TEXT        NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ NULL,
    revoked_at   TIMESTAMPTZ NULL,
    date_created TIMESTAMPTZ NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (session_id)
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_family_idx ON sessions (family_id);
