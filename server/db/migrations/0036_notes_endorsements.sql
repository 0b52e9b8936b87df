-- A member's private note on an account (Mastodon's account notes), and the accounts a member
-- endorses (featured on their profile).
CREATE TABLE account_notes (
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  comment           text NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, target_account_id)
);
CREATE TABLE endorsements (
  id                bigint NOT NULL DEFAULT kith_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, target_account_id)
);
