-- When an upload left its post (the post deleted by its author, or the file dropped in an edit): it
-- is kept a day from then, so that "delete and redraft" can attach it again, and then removed.
ALTER TABLE media_attachments ADD COLUMN detached_at timestamptz;
-- Other servers' pictures are kept `remote_media_days` after they were fetched, then fetched again
-- when a page needs them.
CREATE INDEX remote_media_cache_fetched_idx ON remote_media_cache (fetched_at) WHERE file_path IS NOT NULL;
