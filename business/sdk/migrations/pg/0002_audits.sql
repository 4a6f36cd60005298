-- One row per change, written in the same transaction as the change.
CREATE TABLE audits (
    audit_id   UUID        NOT NULL,
    obj_id     UUID        NOT NULL,
    obj_domain TEXT        NOT NULL,
    obj_name   TEXT        NOT NULL,
    actor_id   UUID        NOT NULL,
    action     TEXT        NOT NULL,
    data       JSONB       NOT NULL,
    message    TEXT        NOT NULL,
    timestamp  TIMESTAMPTZ NOT NULL,
    CONSTRAINT audits_pkey PRIMARY KEY (audit_id)
);
CREATE INDEX audits_obj_id_idx ON audits (obj_id);
CREATE INDEX audits_timestamp_idx ON audits (timestamp);
