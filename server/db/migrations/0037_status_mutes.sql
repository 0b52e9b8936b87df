-- Threads a member muted (by their first post): no more notifications about posts in them.
CREATE TABLE status_mutes (
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  root_id     bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, root_id)
);
