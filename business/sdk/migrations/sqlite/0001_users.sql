-- Users. Emails are stored lowercase; uniqueness only counts users not deleted.
-- UUIDs are 16-byte BLOBs and times RFC 3339 UTC text, both bound from Rust.
CREATE TABLE users (
    user_id       BLOB    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    roles         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    department    TEXT    NULL,
    enabled       BOOLEAN NOT NULL,
    version       INTEGER NOT NULL,
    date_created  TEXT    NOT NULL,
    date_updated  TEXT    NOT NULL,
    date_deleted  TEXT    NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE date_deleted IS NULL;
CREATE INDEX users_date_created_idx ON users (date_created);
