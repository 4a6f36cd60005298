-- Endpoint 5 (spread): POST /v1/sales with one line (salebus create_in: take_stock_sql,
-- insert_sale_sql, insert_lines_sql, auditbus insert; one transaction).
\set n random(1, :nprod)
\set r random(1, 9000000000000000)
-- authenticate(): the per-request user lookup (userbus query_by_id)
SELECT user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated FROM users WHERE date_deleted IS NULL AND user_id = :admin::uuid;
BEGIN;
UPDATE products SET quantity = quantity - 1, version = version + 1, date_updated = now() WHERE product_id = md5('p' || :n)::uuid AND date_deleted IS NULL AND quantity >= 1 RETURNING name, cost_cents, user_id;
INSERT INTO sales (sale_id, user_id, status, total_cents, version, date_created, date_updated) VALUES (md5('s' || :r)::uuid, :admin::uuid, 'COMPLETED', 1000, 1, now(), now());
INSERT INTO sale_lines (sale_id, line_no, product_id, seller_id, name, quantity, unit_cost_cents, line_total_cents) VALUES (md5('s' || :r)::uuid, 0, md5('p' || :n)::uuid, md5('u' || (:n % 1000 + 1))::uuid, 'Product', 1, 1000, 1000);
INSERT INTO audits (audit_id, obj_id, obj_domain, obj_name, actor_id, action, data, message, timestamp)
         VALUES (gen_random_uuid(), md5('s' || :r)::uuid, 'SALE', 'sale', :admin::uuid, 'created', '{"total":10.0,"lines":[{"quantity":1}]}', 'sale created', now());
COMMIT;
