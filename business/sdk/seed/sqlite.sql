-- Seed data (sales-admin seed). Fixed ids, documented in README.md.
-- Both users have the password "garagesale" (Argon2id hash below).
INSERT INTO users (user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated)
VALUES
    (X'5cf3726634734006984f9325122678b7', 'Admin Gopher', 'admin@example.com', 'ADMIN,USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
    (X'45b5fbd3755f43798f07a58d4a30fa2f', 'User Gopher', 'user@example.com', 'USER', '$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0', NULL, TRUE, 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
ON CONFLICT DO NOTHING;
-- @generator:seed
