-- Sales. A sale and its lines are written in one transaction with the stock
-- decrements; lines keep the product's name, owner and cost at the time of sale.
CREATE TABLE sales (
    sale_id      BLOB    NOT NULL,
    user_id      BLOB    NOT NULL,                    -- the buyer
    status       TEXT    NOT NULL,
    total_cents  INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    date_created TEXT    NOT NULL,
    date_updated TEXT    NOT NULL,
    CONSTRAINT sales_pkey PRIMARY KEY (sale_id),
    CONSTRAINT sales_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (user_id),
    CONSTRAINT sales_status_check CHECK (status IN ('COMPLETED', 'CANCELLED'))
);
CREATE INDEX sales_user_id_idx ON sales (user_id);
CREATE INDEX sales_date_created_idx ON sales (date_created);

CREATE TABLE sale_lines (
    sale_id          BLOB    NOT NULL,
    line_no          INTEGER NOT NULL,                -- position in the request, from 0
    product_id       BLOB    NOT NULL,
    seller_id        BLOB    NOT NULL,                -- the product's owner at sale time
    name             TEXT    NOT NULL,                -- the product's name at sale time
    quantity         INTEGER NOT NULL,
    unit_cost_cents  INTEGER NOT NULL,
    line_total_cents INTEGER NOT NULL,
    CONSTRAINT sale_lines_pkey PRIMARY KEY (sale_id, line_no),
    CONSTRAINT sale_lines_sale_id_fkey FOREIGN KEY (sale_id) REFERENCES sales (sale_id),
    CONSTRAINT sale_lines_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (product_id),
    CONSTRAINT sale_lines_seller_id_fkey FOREIGN KEY (seller_id) REFERENCES users (user_id),
    CONSTRAINT sale_lines_sale_product_key UNIQUE (sale_id, product_id),
    CONSTRAINT sale_lines_quantity_check CHECK (quantity > 0)
);
CREATE INDEX sale_lines_product_id_idx ON sale_lines (product_id);
CREATE INDEX sale_lines_seller_id_idx ON sale_lines (seller_id, sale_id);

-- Idempotency keys, scoped per buyer. The row is claimed first in the sale's own
-- transaction, so it only ever becomes visible together with its sale.
CREATE TABLE sale_idempotency (
    user_id      BLOB NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    sale_id      BLOB NULL,
    state        TEXT NOT NULL,
    date_created TEXT NOT NULL,
    CONSTRAINT sale_idempotency_user_id_idem_key_key UNIQUE (user_id, idem_key),
    CONSTRAINT sale_idempotency_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (user_id),
    CONSTRAINT sale_idempotency_sale_id_fkey FOREIGN KEY (sale_id) REFERENCES sales (sale_id),
    CONSTRAINT sale_idempotency_state_check CHECK (state IN ('IN_FLIGHT', 'COMPLETED'))
);
