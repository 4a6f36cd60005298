-- Endpoint 2: GET /v1/products?page=1&rows=10 (productbus select_sql + count_sql; unfiltered, the count reads the
-- trigger-maintained product_counts of migration 0006).
-- Statements as the stores emit them; bench ids are md5('p' || n)::uuid.
-- authenticate(): the per-request user lookup (userbus query_by_id)
SELECT user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated FROM users WHERE date_deleted IS NULL AND user_id = :admin::uuid;
SELECT p.product_id, p.user_id, p.name, p.cost_cents, p.quantity, p.version, p.date_created, p.date_updated FROM products p WHERE p.date_deleted IS NULL ORDER BY p.product_id ASC LIMIT 10 OFFSET 0;
SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT) FROM product_counts;
