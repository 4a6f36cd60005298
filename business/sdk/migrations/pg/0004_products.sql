-- Products offered at the sale. Money is exact: an integer number of cents.
-- Soft delete: a deleted product stays for the history of past sales.
CREATE TABLE products (
    product_id   UUID        NOT NULL,
    user_id      UUID        NOT NULL,
    name         TEXT        NOT NULL,
    cost_cents   BIGINT      NOT NULL,
    quantity     BIGINT      NOT NULL,
    version      BIGINT      NOT NULL,
    date_created TIMESTAMPTZ NOT NULL,
    date_updated TIMESTAMPTZ NOT NULL,
    date_deleted TIMESTAMPTZ NULL,
    CONSTRAINT products_pkey PRIMARY KEY (product_id),
    CONSTRAINT products_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (user_id),
    CONSTRAINT products_cost_cents_check CHECK (cost_cents > 0),
    CONSTRAINT products_quantity_check CHECK (quantity >= 0)
);
-- Live products in id order: serves the default listing (ORDER BY product_id)
-- and its COUNT(*) as an index-only scan over live rows only.
CREATE INDEX products_live_idx ON products (product_id) WHERE date_deleted IS NULL;
CREATE INDEX products_user_id_idx ON products (user_id) WHERE date_deleted IS NULL;
CREATE INDEX products_name_idx ON products (name) WHERE date_deleted IS NULL;
CREATE INDEX products_date_created_idx ON products (date_created);

-- Deleting a user (soft) takes their products off sale in the same transaction.
-- The rows are locked in ascending product_id order first, the order sales lock
-- them in, so this cascade and a concurrent sale cannot deadlock.
CREATE FUNCTION products_off_sale_for_deleted_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM products
     WHERE user_id = NEW.user_id AND date_deleted IS NULL
     ORDER BY product_id
       FOR UPDATE;
    UPDATE products
       SET date_deleted = NEW.date_deleted, date_updated = NEW.date_deleted, version = version + 1
     WHERE user_id = NEW.user_id AND date_deleted IS NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_deleted_products_off_sale
AFTER UPDATE OF date_deleted ON users
FOR EACH ROW
WHEN (OLD.date_deleted IS NULL AND NEW.date_deleted IS NOT NULL)
EXECUTE FUNCTION products_off_sale_for_deleted_user();
