-- Endpoint 4: POST /v1/products (productbus insert_sql + auditbus insert, one transaction).
-- authenticate(): the per-request user lookup (userbus query_by_id)
SELECT user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated FROM users WHERE date_deleted IS NULL AND user_id = :admin::uuid;
BEGIN;
INSERT INTO products (product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated) VALUES (gen_random_uuid(), :admin::uuid, 'Bench item', 1250, 5, 1, now(), now());
INSERT INTO audits (audit_id, obj_id, obj_domain, obj_name, actor_id, action, data, message, timestamp)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'PRODUCT', 'Bench item', :admin::uuid, 'created', '{"name":"Bench item","cost":12.5,"quantity":5}', 'product created', now());
COMMIT;
