-- Seed data (sales-admin seed). Fixed ids, documented in README.md.
-- Both users have the password "garagesale" (Argon2id hash below).
INSERT INTO users (user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated)
VALUES
    ('5cf37266-3473-4006-984f-9325122678b7', 'Admin Gopher', 'admin@example.com', 'ADMIN,USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('45b5fbd3-755f-4379-8f07-a58d4a30fa2f', 'User Gopher', 'user@example.com', 'USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
ON CONFLICT DO NOTHING;
-- @generator:seed
