-- The number of live products, kept by triggers, so the `total` of an unfiltered
-- GET /v1/products is one small read instead of a COUNT(*) over every live row.
-- Exact and transactional: the counter changes in the same transaction as the rows.
-- Filtered counts stay COUNT(*). One row: SQLite runs one writer at a time anyway
-- (the PostgreSQL migration shards it).
CREATE TABLE product_counts (
    shard INTEGER NOT NULL,
    live  INTEGER NOT NULL,
    CONSTRAINT product_counts_pkey PRIMARY KEY (shard)
);
INSERT INTO product_counts (shard, live) SELECT 0, COUNT(*) FROM products WHERE date_deleted IS NULL;

CREATE TRIGGER products_count_insert AFTER INSERT ON products
FOR EACH ROW WHEN NEW.date_deleted IS NULL
BEGIN
    UPDATE product_counts SET live = live + 1 WHERE shard = 0;
END;

CREATE TRIGGER products_count_update AFTER UPDATE OF date_deleted ON products
FOR EACH ROW WHEN (OLD.date_deleted IS NULL) <> (NEW.date_deleted IS NULL)
BEGIN
    UPDATE product_counts SET live = live + (CASE WHEN NEW.date_deleted IS NULL THEN 1 ELSE -1 END) WHERE shard = 0;
END;

CREATE TRIGGER products_count_delete AFTER DELETE ON products
FOR EACH ROW WHEN OLD.date_deleted IS NULL
BEGIN
    UPDATE product_counts SET live = live - 1 WHERE shard = 0;
END;
