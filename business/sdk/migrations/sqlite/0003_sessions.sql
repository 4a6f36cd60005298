-- Refresh-token sessions. Only a SHA-256 of each refresh token is stored. Every
-- rotation adds a row to the same family; presenting a used token revokes the family.
CREATE TABLE sessions (
    session_id   BLOB NOT NULL PRIMARY KEY,
    family_id    BLOB NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (user_id),
    token_hash   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT NULL,
    revoked_at   TEXT NULL,
    date_created TEXT NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_family_idx ON sessions (family_id);
