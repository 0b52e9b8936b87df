-- A follow's languages (Mastodon's follow option: only posts in these languages reach the home
-- feed; NULL: all), and a member's wish to see content warnings opened (`reading:expand:spoilers`).
ALTER TABLE follows ADD COLUMN languages text[];
ALTER TABLE users ADD COLUMN expand_spoilers boolean NOT NULL DEFAULT false;
