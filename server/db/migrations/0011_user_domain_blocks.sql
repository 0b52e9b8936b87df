-- Members hiding a whole domain (Mastodon's per-user domain blocks).
CREATE TABLE user_domain_blocks (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  domain     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, domain)
);
