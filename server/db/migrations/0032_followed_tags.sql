-- Hashtags a member follows: public posts carrying one (from here or arriving from elsewhere) enter
-- their home feed, chronologically like everything else.
CREATE TABLE followed_tags (
  id          bigint NOT NULL DEFAULT kith_id(),  -- the follow, for paging the list
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  tag_id      bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, tag_id)
);
CREATE INDEX followed_tags_tag_idx ON followed_tags (tag_id);
