-- Announcements from the admins to every member (Mastodon's): shown at the top of home and to apps
-- while published and not ended; each member dismisses them and reacts with emoji.
CREATE TABLE announcements (
  id           bigint PRIMARY KEY DEFAULT kith_id(),
  text         text NOT NULL,            -- as the admin wrote it
  content      text NOT NULL,            -- the HTML shown, rendered from text
  starts_at    timestamptz,              -- the event it announces, if any (shown, not a schedule)
  ends_at      timestamptz,              -- after this it is no longer shown
  all_day      boolean NOT NULL DEFAULT false,
  published_at timestamptz,              -- NULL: a draft
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at <= ends_at)
);

CREATE TABLE announcement_reads (
  announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  account_id      bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, announcement_id)
);

CREATE TABLE announcement_reactions (
  announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
  account_id      bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name            text NOT NULL,         -- a Unicode emoji, or a custom emoji's shortcode here
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (announcement_id, account_id, name)
);
