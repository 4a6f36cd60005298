-- Seed data (sales-admin seed). Fixed ids, documented in README.md.
-- Both users have the password "garagesale" (Argon2id hash below).
INSERT INTO users (user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated)
VALUES
    ('5cf37266-3473-4006-984f-9325122678b7', 'Admin Gopher', 'admin@example.com', 'ADMIN,USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('45b5fbd3-755f-4379-8f07-a58d4a30fa2f', 'User Gopher', 'user@example.com', 'USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
ON CONFLICT DO NOTHING;
-- Products, with fixed ids (prices in cents, both backends hold the same data):
--   0c2562e6-437b-4d2f-ab6e-68bfb7df24cc  Comic Books     50.00  x42   owner user@example.com
--   7267d403-fd2c-4aec-9612-0fdd4cec6c39  McDonalds Toys  75.00  x120  owner user@example.com
--   d104e1eb-884d-48da-a4f0-e0c624ee7c3a  Road Bicycle   120.00  x1    owner admin@example.com
--   617f6a5e-db18-465f-ae03-63d2f984ee70  Coffee Mug       3.50  x10   owner admin@example.com
INSERT INTO products (product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated)
VALUES
    ('0c2562e6-437b-4d2f-ab6e-68bfb7df24cc', '45b5fbd3-755f-4379-8f07-a58d4a30fa2f', 'Comic Books', 5000, 42, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('7267d403-fd2c-4aec-9612-0fdd4cec6c39', '45b5fbd3-755f-4379-8f07-a58d4a30fa2f', 'McDonalds Toys', 7500, 120, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('d104e1eb-884d-48da-a4f0-e0c624ee7c3a', '5cf37266-3473-4006-984f-9325122678b7', 'Road Bicycle', 12000, 1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('617f6a5e-db18-465f-ae03-63d2f984ee70', '5cf37266-3473-4006-984f-9325122678b7', 'Coffee Mug', 350, 10, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
ON CONFLICT DO NOTHING;
-- @generator:seed
