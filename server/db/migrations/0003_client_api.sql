-- The Mastodon client API: OAuth apps, codes and tokens; idempotent posting; bookmarks, pins,
-- mutes, markers, lists, filters, media, poll votes and push subscriptions.

CREATE TABLE oauth_apps (
  id            bigint PRIMARY KEY DEFAULT kith_id(),
  client_id     text NOT NULL UNIQUE,
  client_secret text NOT NULL,
  name          text NOT NULL,
  website       text,
  redirect_uris text[] NOT NULL,
  scopes        text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oauth_codes (
  code_hash             bytea PRIMARY KEY,
  app_id                bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  account_id            bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  redirect_uri          text NOT NULL,
  scopes                text[] NOT NULL,
  code_challenge        text,
  code_challenge_method text,
  expires_at            timestamptz NOT NULL
);

CREATE TABLE oauth_tokens (
  id                 bigint PRIMARY KEY DEFAULT kith_id(),
  token_hash         bytea NOT NULL UNIQUE,
  refresh_token_hash bytea UNIQUE,
  app_id             bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
  account_id         bigint REFERENCES accounts (id) ON DELETE CASCADE,  -- NULL: client_credentials
  scopes             text[] NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz,
  revoked_at         timestamptz
);
CREATE INDEX oauth_tokens_account_idx ON oauth_tokens (account_id) WHERE revoked_at IS NULL;

ALTER TABLE statuses ADD COLUMN application_id bigint REFERENCES oauth_apps (id) ON DELETE SET NULL;

CREATE TABLE idempotency_keys (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key        text NOT NULL,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);

CREATE TABLE bookmarks (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  UNIQUE (account_id, status_id)
);

CREATE TABLE pins (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  UNIQUE (account_id, status_id)
);

CREATE TABLE mutes (
  id                 bigint PRIMARY KEY DEFAULT kith_id(),
  account_id         bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  hide_notifications boolean NOT NULL DEFAULT true,
  expires_at         timestamptz,
  UNIQUE (account_id, target_account_id)
);

CREATE TABLE markers (
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  timeline     text NOT NULL CHECK (timeline IN ('home', 'notifications')),
  last_read_id bigint NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, timeline)
);

CREATE TABLE lists (
  id             bigint PRIMARY KEY DEFAULT kith_id(),
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title          text NOT NULL,
  replies_policy text NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
  exclusive      boolean NOT NULL DEFAULT false
);

CREATE TABLE list_accounts (
  list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (list_id, account_id)
);

CREATE TABLE filters (
  id           bigint PRIMARY KEY DEFAULT kith_id(),
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title        text NOT NULL,
  context      text[] NOT NULL,
  action       text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide')),
  expires_at   timestamptz
);

CREATE TABLE filter_keywords (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  filter_id  bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
  keyword    text NOT NULL,
  whole_word boolean NOT NULL DEFAULT true
);

CREATE TABLE media_attachments (
  id          bigint PRIMARY KEY DEFAULT kith_id(),
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id   bigint REFERENCES statuses (id) ON DELETE SET NULL,
  kind        text NOT NULL CHECK (kind IN ('image', 'gifv', 'video', 'audio', 'unknown')),
  file_path   text,               -- under the data directory, for local uploads
  thumb_path  text,
  remote_url  text,               -- for remote attachments
  mime_type   text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  blurhash    text,
  meta        jsonb NOT NULL DEFAULT '{}',
  focus_x     real NOT NULL DEFAULT 0,
  focus_y     real NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_attachments_status_idx ON media_attachments (status_id) WHERE status_id IS NOT NULL;

CREATE TABLE poll_votes (
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  choice     integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (status_id, account_id, choice)
);

CREATE TABLE push_subscriptions (
  token_id   bigint PRIMARY KEY REFERENCES oauth_tokens (id) ON DELETE CASCADE,
  endpoint   text NOT NULL,
  p256dh     text NOT NULL,
  auth       text NOT NULL,
  alerts     jsonb NOT NULL DEFAULT '{}',
  policy     text NOT NULL DEFAULT 'all',
  created_at timestamptz NOT NULL DEFAULT now()
);
