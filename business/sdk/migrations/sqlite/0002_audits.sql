-- One row per change, written in the same transaction as the change.
CREATE TABLE audits (
    audit_id   BLOB NOT NULL PRIMARY KEY,
    obj_id     BLOB NOT NULL,
    obj_domain TEXT NOT NULL,
    obj_name   TEXT NOT NULL,
    actor_id   BLOB NOT NULL,
    action     TEXT NOT NULL,
    data       TEXT NOT NULL,
    message    TEXT NOT NULL,
    timestamp  TEXT NOT NULL
);
CREATE INDEX audits_obj_id_idx ON audits (obj_id);
CREATE INDEX audits_timestamp_idx ON audits (timestamp);
