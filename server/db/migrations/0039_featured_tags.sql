-- Hashtags a member features on their profile (Mastodon's featured tags, at most 10).
CREATE TABLE featured_tags (
  id          bigint PRIMARY KEY DEFAULT kith_id(),
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  tag_id      bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, tag_id)
);
