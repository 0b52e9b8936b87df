-- Sign-ups from blocked email domains are refused; accounts marked sensitive have their media
-- hidden behind a warning; reports can be assigned to a moderator.
CREATE TABLE email_domain_blocks (
  domain     text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE accounts ADD COLUMN sensitized_at timestamptz;
ALTER TABLE reports ADD COLUMN assigned_to bigint REFERENCES accounts (id) ON DELETE SET NULL;
