-- Endpoint 3: GET /v1/products/{id} (productbus by_id_sql), a random bench product.
\set n random(1, :nprod)
-- authenticate(): the per-request user lookup (userbus query_by_id)
SELECT user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated FROM users WHERE date_deleted IS NULL AND user_id = :admin::uuid;
SELECT p.product_id, p.user_id, p.name, p.cost_cents, p.quantity, p.version, p.date_created, p.date_updated FROM products p WHERE p.date_deleted IS NULL AND p.product_id = md5('p' || :n)::uuid;
