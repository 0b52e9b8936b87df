-- What a member chose for themselves: the defaults their compose form starts from (as Mastodon's
-- preferences and its `source` privacy/sensitive/language), the time zone pages show times in,
-- and whether their followers and following lists are hidden from others (Mastodon's
-- hide_collections: the collections then show only their totals, here and over ActivityPub).
ALTER TABLE users ADD COLUMN default_visibility text NOT NULL DEFAULT 'public'
  CHECK (default_visibility IN ('public', 'unlisted', 'private'));
ALTER TABLE users ADD COLUMN default_sensitive boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN default_language text;
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
ALTER TABLE accounts ADD COLUMN hide_collections boolean NOT NULL DEFAULT false;
