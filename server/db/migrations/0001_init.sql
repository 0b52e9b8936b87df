-- Accounts, local users, posts, follows, the home feed, web sessions and instance secrets.

-- Time-ordered 64-bit ids: milliseconds since the epoch in the high bits, a sequence in the
-- low 16, so ordering by id is ordering by time (keyset pagination needs nothing else).
CREATE SEQUENCE kith_id_seq;
CREATE FUNCTION kith_id(ts timestamptz DEFAULT clock_timestamp()) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT (floor(extract(epoch FROM ts) * 1000)::bigint << 16) | (nextval('kith_id_seq') & 65535)
$$;

CREATE TABLE instance_settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
  id               bigint PRIMARY KEY DEFAULT kith_id(),
  username         text NOT NULL,
  domain           text,                 -- NULL for local accounts
  display_name     text NOT NULL DEFAULT '',
  note             text NOT NULL DEFAULT '', -- sanitised HTML
  uri              text UNIQUE,          -- ActivityPub id; NULL for local (derived from the domain)
  url              text,
  inbox_url        text,
  shared_inbox_url text,
  followers_url    text,
  public_key_pem   text NOT NULL,
  private_key_pem  text,                 -- local accounts only
  locked           boolean NOT NULL DEFAULT false,
  discoverable     boolean NOT NULL DEFAULT true,
  actor_type       text NOT NULL DEFAULT 'Person',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  suspended_at     timestamptz
);
CREATE UNIQUE INDEX accounts_local_username_idx ON accounts (lower(username)) WHERE domain IS NULL;
-- Remote handles are not unique: a Lemmy group and a person may share a name on one host.
CREATE INDEX accounts_remote_handle_idx ON accounts (lower(username), lower(domain)) WHERE domain IS NOT NULL;

CREATE TABLE users (
  account_id    bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  email         text,
  password_hash text NOT NULL,
  role          text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE statuses (
  id             bigint PRIMARY KEY DEFAULT kith_id(),
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  uri            text UNIQUE,            -- NULL for local statuses
  url            text,
  source_text    text NOT NULL DEFAULT '',
  content        text NOT NULL DEFAULT '', -- sanitised HTML
  spoiler_text   text NOT NULL DEFAULT '',
  visibility     text NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
  sensitive      boolean NOT NULL DEFAULT false,
  language       text,
  in_reply_to_id bigint REFERENCES statuses (id) ON DELETE SET NULL,
  reblog_of_id   bigint REFERENCES statuses (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  edited_at      timestamptz,
  deleted_at     timestamptz
);
CREATE INDEX statuses_account_idx ON statuses (account_id, id DESC);
CREATE INDEX statuses_public_local_idx ON statuses (id DESC)
  WHERE visibility = 'public' AND deleted_at IS NULL AND uri IS NULL;

CREATE TABLE mentions (
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account_idx ON mentions (account_id, status_id DESC);

CREATE TABLE tags (
  id   bigint PRIMARY KEY DEFAULT kith_id(),
  name text NOT NULL
);
CREATE UNIQUE INDEX tags_name_idx ON tags (lower(name));

CREATE TABLE status_tags (
  status_id bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  tag_id    bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (tag_id, status_id)
);

CREATE TABLE follows (
  id                bigint PRIMARY KEY DEFAULT kith_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  state             text NOT NULL DEFAULT 'accepted' CHECK (state IN ('pending', 'accepted')),
  uri               text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id),
  CHECK (account_id <> target_account_id)
);
CREATE INDEX follows_target_idx ON follows (target_account_id, state);

-- Materialised home feeds: a post is written into each local reader's feed when it arrives,
-- so reading a feed is one index range scan however many or few accounts the reader follows.
CREATE TABLE home_feed (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  author_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, status_id)
);
CREATE INDEX home_feed_author_idx ON home_feed (account_id, author_id);

CREATE TABLE web_sessions (
  id           bigint PRIMARY KEY DEFAULT kith_id(),
  token_hash   bytea NOT NULL UNIQUE,
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  user_agent   text NOT NULL DEFAULT '',
  ip           text NOT NULL DEFAULT ''
);

CREATE TABLE login_failures (
  id       bigint PRIMARY KEY DEFAULT kith_id(),
  username text NOT NULL,
  ip       text NOT NULL,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_idx ON login_failures (lower(username), at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);
