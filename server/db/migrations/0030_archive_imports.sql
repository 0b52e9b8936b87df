-- A member's Mastodon archive imported as their own posts: each imported post remembers the id it
-- had in the archive, so an archive imported twice adds nothing twice, and (when this instance now
-- serves the archive's domain) old post URLs redirect to the imported posts.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_kind_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_kind_check
  CHECK (kind IN ('follows', 'lists', 'blocks', 'mutes', 'domain_blocks', 'bookmarks', 'archive'));
CREATE TABLE imported_posts (
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  old_uri     text NOT NULL,
  old_id      text,            -- the last path segment of old_uri, for /@name/<old id> redirects
  status_id   bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, old_uri)
);
CREATE INDEX imported_posts_old_id_idx ON imported_posts (account_id, old_id);
