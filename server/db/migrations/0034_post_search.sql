-- Full-text search over posts: each post's words (content warning and text, tags stripped), in the
-- 'simple' configuration so that every language is searched the same way. Members may keep their
-- posts out of search (Mastodon's `indexable`); only their own searches then find them.
ALTER TABLE statuses ADD COLUMN search_words tsvector GENERATED ALWAYS AS
  (to_tsvector('simple', coalesce(spoiler_text, '') || ' ' || regexp_replace(content, '<[^>]+>', ' ', 'g'))) STORED;
CREATE INDEX statuses_search_idx ON statuses USING gin (search_words);
ALTER TABLE accounts ADD COLUMN indexable boolean NOT NULL DEFAULT true;
