-- Products offered at the sale. Money is exact: an integer number of cents.
-- Soft delete: a deleted product stays for the history of past sales.
-- UUIDs are 16-byte BLOBs and times RFC 3339 UTC text, both bound from Rust.
CREATE TABLE products (
    product_id   BLOB    NOT NULL,
    user_id      BLOB    NOT NULL,
    name         TEXT    NOT NULL,
    cost_cents   INTEGER NOT NULL,
    quantity     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    date_created TEXT    NOT NULL,
    date_updated TEXT    NOT NULL,
    date_deleted TEXT    NULL,
    CONSTRAINT products_pkey PRIMARY KEY (product_id),
    CONSTRAINT products_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (user_id),
    CONSTRAINT products_cost_cents_check CHECK (cost_cents > 0),
    CONSTRAINT products_quantity_check CHECK (quantity >= 0)
);
-- Live products in id order: serves the default listing (ORDER BY product_id)
-- and its COUNT(*) from the partial index alone.
CREATE INDEX products_live_idx ON products (product_id) WHERE date_deleted IS NULL;
CREATE INDEX products_user_id_idx ON products (user_id) WHERE date_deleted IS NULL;
CREATE INDEX products_name_idx ON products (name) WHERE date_deleted IS NULL;
CREATE INDEX products_date_created_idx ON products (date_created);

-- Deleting a user (soft) takes their products off sale in the same transaction.
CREATE TRIGGER users_deleted_products_off_sale
AFTER UPDATE OF date_deleted ON users
FOR EACH ROW
WHEN OLD.date_deleted IS NULL AND NEW.date_deleted IS NOT NULL
BEGIN
    UPDATE products
       SET date_deleted = NEW.date_deleted, date_updated = NEW.date_deleted, version = version + 1
     WHERE user_id = NEW.user_id AND date_deleted IS NULL;
END;
