-- Users. Emails are stored lowercase; uniqueness only counts users not deleted.
CREATE TABLE users (
    user_id       UUID        NOT NULL,
    name          TEXT        NOT NULL,
    email         TEXT        NOT NULL,
    roles         TEXT        NOT NULL,          -- comma separated: ADMIN,USER
    password_hash TEXT        NOT NULL,
    department    TEXT        NULL,
    enabled       BOOLEAN     NOT NULL,
    version       BIGINT      NOT NULL,
    date_created  TIMESTAMPTZ NOT NULL,
    date_updated  TIMESTAMPTZ NOT NULL,
    date_deleted  TIMESTAMPTZ NULL,
    CONSTRAINT users_pkey PRIMARY KEY (user_id)
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE date_deleted IS NULL;
CREATE INDEX users_date_created_idx ON users (date_created);
