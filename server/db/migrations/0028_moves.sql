-- When a member here last moved to another account (a move is allowed once every 30 days).
ALTER TABLE accounts ADD COLUMN moved_at timestamptz;
